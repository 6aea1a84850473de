/**
 * Link items under races the HTTP API cannot schedule: two amendments interleaved at the store,
 * so that the first one's late cleanup runs after the second re-added a party. Link versions
 * only grow, so the late cleanup must leave the link the newer version relies on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agreement, logSigning, party, setup } from './support/fixtures.ts';
import { startTestRegistry, type TestRegistry } from './support/registry.ts';

let t: TestRegistry;
let cer: string;
let store: typeof import('#shared/store/agreements.ts');
let links: typeof import('#shared/store/agreement-links.ts');
let domain: typeof import('#shared/domain/agreement.ts');
let directory: typeof import('#shared/store/directory.ts');

beforeAll(async () => {
  t = await startTestRegistry();
  cer = await setup(t, [party('lnk-p'), party('lnk-q', { countryCode: 'KZ' }), party('lnk-r', { countryCode: 'UZ' })]);
  // After the registry has set the environment the store reads at load.
  store = await import('#shared/store/agreements.ts');
  links = await import('#shared/store/agreement-links.ts');
  domain = await import('#shared/domain/agreement.ts');
  directory = await import('#shared/store/directory.ts');
});
afterAll(() => t.close());

const signer = (partyId: string) => ({ partyId, signatory: { name: `Signer of ${partyId}` } });

/** The next version with these parties (and `over`'s changes), built as the amend use case builds it (not yet written). */
async function nextVersion(id: string, partyIds: string[], over: Record<string, unknown> = {}) {
  const base = (await store.getAgreementTip(id))!;
  const { agreement: current, head } = base;
  const parties = domain.snapshotParties(partyIds.map(signer), new Map([...(await directory.getParties(partyIds))].map(([id, found]) => [id, found.record])), current.parties);
  const next = domain.amendAgreement(current, head, { parties: partyIds.map(signer), reason: 'race', ...over }, parties, { at: new Date().toISOString(), actor: 'test' }, new Date(), { startsAt: '2021-08-23T14:00:00+08:00', timeZone: 'Asia/Shanghai' })!;
  return { base, current, next };
}

const listed = async (query: string) => (await t.call('GET', `/agreements?${query}`)).body.items.map((a: { id: string }) => a.id);

describe('link cleanup races', () => {
  it('a late cleanup by an older version never removes a link a newer version re-wrote', async () => {
    const id = (await logSigning(t, cer, agreement(['lnk-p', 'lnk-q']))).body.id as string;

    // A: v1 -> v2 drops P (links first, then the commit; its cleanup is delayed).
    const a = await nextVersion(id, ['lnk-q', 'lnk-r']);
    await links.putLinks(a.next.agreement);
    expect(await store.commitVersion(a.next, a.base, 'token-a')).toBe(true);
    // B: v2 -> v3 adds P back, completely, cleanup included.
    const b = await nextVersion(id, ['lnk-p', 'lnk-q', 'lnk-r']);
    await links.putLinks(b.next.agreement);
    expect(await store.commitVersion(b.next, b.base, 'token-b')).toBe(true);
    await links.removeStaleLinks(b.current, b.next.agreement);
    // A's cleanup finally runs: by v1 -> v2 alone, P's link is stale.
    await links.removeStaleLinks(a.current, a.next.agreement);

    expect(await listed('partyId=lnk-p')).toContain(id);
    expect(await listed('country=CN')).toContain(id);
    expect(await listed('partyId=lnk-r')).toContain(id);
  });

  it("a slow writer of an older version cannot lower a link's version", async () => {
    const id = (await logSigning(t, cer, agreement(['lnk-p', 'lnk-q']))).body.id as string;
    const v1 = (await store.getAgreement(id))!.agreement;
    const drop = await nextVersion(id, ['lnk-q', 'lnk-r']);
    await links.putLinks(drop.next.agreement);
    await store.commitVersion(drop.next, drop.base, 'token-drop');
    const back = await nextVersion(id, ['lnk-p', 'lnk-q', 'lnk-r']);
    await links.putLinks(back.next.agreement);
    await store.commitVersion(back.next, back.base, 'token-back');
    // A retry of the very first create re-writes its links (version 1) after all that...
    await links.putLinks(v1);
    // ...and the cleanup of v1 -> v2 runs again: P's link is still version 3, so it stays.
    await links.removeStaleLinks(drop.current, drop.next.agreement);
    expect(await listed('partyId=lnk-p')).toContain(id);
  });

  it('a link another writer of the same version wrote first gets this one\'s sectors too, should this one commit', async () => {
    const id = (await logSigning(t, cer, agreement(['lnk-p', 'lnk-q']))).body.id as string;
    // Two amendments of v1 that both add R, with other sectors: the first writes R's link, the second
    // finds it written (at version 2), and commits.
    const first = await nextVersion(id, ['lnk-p', 'lnk-q', 'lnk-r'], { sectors: ['trade'] });
    const second = await nextVersion(id, ['lnk-p', 'lnk-q', 'lnk-r'], { sectors: ['culture'] });
    await links.putLinks(first.next.agreement, first.current);
    await links.putLinks(second.next.agreement, second.current);
    expect(await store.commitVersion(second.next, second.base, 'token-second')).toBe(true);
    expect(await listed('partyId=lnk-r&sector=culture')).toContain(id);
    expect(await listed('country=UZ&sector=culture')).toContain(id);
    expect(await links.itemsNotLeadingTo(second.next.agreement)).toEqual([]);
  });

  it('10 concurrent amendments that each change the parties and sectors leave listings that match the winner', async () => {
    const id = (await logSigning(t, cer, agreement(['lnk-p', 'lnk-q']))).body.id as string;
    const choices = [['lnk-p', 'lnk-r'], ['lnk-q', 'lnk-r'], ['lnk-p', 'lnk-q', 'lnk-r']];
    const sectors = [['trade'], ['culture'], ['education', 'trade'], ['energy']];
    const replies = await Promise.all(Array.from({ length: 10 }, (_, i) =>
      t.call('PATCH', `/agreements/${id}`, { body: { parties: choices[i % 3]!.map(signer), sectors: sectors[i % 4], reason: `editor ${i}` }, headers: { 'if-match': '"1"' } })));
    expect(replies.filter((r) => r.status === 200)).toHaveLength(1);
    const won = (await t.call('GET', `/agreements/${id}`)).body;
    const winner = won.parties.map((p: { partyId: string }) => p.partyId) as string[];
    for (const p of ['lnk-p', 'lnk-q', 'lnk-r']) {
      expect((await listed(`partyId=${p}`)).includes(id), p).toBe(winner.includes(p));
      for (const sector of won.sectors) expect((await listed(`partyId=${p}&sector=${sector}`)).includes(id), `${p} ${sector}`).toBe(winner.includes(p));
    }
    for (const [country, p] of [['CN', 'lnk-p'], ['KZ', 'lnk-q'], ['UZ', 'lnk-r']] as const) {
      expect((await listed(`country=${country}`)).includes(id), country).toBe(winner.includes(p));
      for (const sector of won.sectors) expect((await listed(`country=${country}&sector=${sector}`)).includes(id), `${country} ${sector}`).toBe(winner.includes(p));
    }
    expect(await links.itemsNotLeadingTo((await store.getAgreement(id))!.agreement)).toEqual([]);
  });
});
