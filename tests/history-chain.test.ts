/**
 * The history read back from entry items, under edits behind the API that the chain from the head
 * must not paper over: a committed entry removed beside the entry of a change that lost its race,
 * and the latest entry rewritten with its hash recomputed (the item's head still names the one
 * that was committed).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { agreement, logSigning, party, setup } from './support/fixtures.ts';
import { canonical, sha256 } from './support/chain.ts';
import { startTestRegistry, type TestRegistry } from './support/registry.ts';

let t: TestRegistry;
let cer: string;
let store: typeof import('#shared/store/agreements.ts');
let domain: typeof import('#shared/domain/agreement.ts');
let items: typeof import('./support/history-items.ts');

beforeAll(async () => {
  t = await startTestRegistry();
  cer = await setup(t, [party('hch-a'), party('hch-b')]);
  // After the registry has set the environment the store reads at load.
  store = await import('#shared/store/agreements.ts');
  domain = await import('#shared/domain/agreement.ts');
  items = await import('./support/history-items.ts');
});
afterAll(() => t.close());

/** Two amendments of version 1 made at the store, one after the other: the first commits, the second loses (its entry is written all the same). */
async function raced(id: string) {
  const base = (await store.getAgreementTip(id))!;
  const amend = (title: string) => domain.amendAgreement(base.agreement, base.head, { title, reason: 'race' }, undefined, { at: new Date().toISOString(), actor: 'test' }, new Date(), undefined)!;
  const won = amend('Won');
  const lost = amend('Lost');
  expect(await store.commitVersion(won, base, 'token-won')).toBe(true);
  expect(await store.commitVersion(lost, base, 'token-lost')).toBe(false);
  return { won, lost };
}

/** Edits the version of an agreement's record behind the API. */
async function setVersion(id: string, version: number) {
  const { dynamo, tableName } = await import('#shared/store/client.ts');
  const { UpdateCommand } = await import('@aws-sdk/lib-dynamodb');
  await dynamo.send(new UpdateCommand({
    TableName: tableName, Key: { pk: `AGREEMENT#${id}`, sk: 'AGREEMENT' }, UpdateExpression: 'SET #data.#version = :v',
    ExpressionAttributeNames: { '#data': 'data', '#version': 'version' }, ExpressionAttributeValues: { ':v': version },
  }));
}

describe('history read from entry items, edited behind the API', () => {
  it('never stands the entry of a lost race in for a committed one removed: the gap is reported, not a change that never happened', async () => {
    const id = (await logSigning(t, cer, agreement(['hch-a', 'hch-b'], { title: 'Raced' }))).body.id as string;
    const { won } = await raced(id);
    await items.deleteItem((await items.entryItemsOf(id)).find((e) => e.entry.hash === won.entry.hash)!);
    const h = (await t.call('GET', `/agreements/${id}/history`, { token: t.tokens.auditor })).body;
    expect(h.items.map((e: any) => e.changes.title?.to)).not.toContain('Lost');
    expect(h.integrity).toEqual({ chainValid: false, stateMatches: false, firstBadVersion: 2 });
  });

  it('reports the latest entry rewritten with its hash recomputed: the item\'s head names another', async () => {
    const id = (await logSigning(t, cer, agreement(['hch-a', 'hch-b'], { title: 'Head' }))).body.id as string;
    expect((await t.call('PATCH', `/agreements/${id}`, { body: { title: 'Head, amended', reason: 'typo' }, headers: { 'if-match': '"1"' } })).status).toBe(200);
    const latest = (await items.entryItemsOf(id)).find((e) => e.entry.version === 2)!;
    const { hash: _, ...body } = { ...latest.entry, reason: 'Tampered' };
    await items.putItem({ ...latest, entry: { ...body, hash: sha256(canonical(body)) } });
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const h = (await t.call('GET', `/agreements/${id}/history`, { token: t.tokens.auditor })).body;
      expect(h.items[1].reason).toBe('Tampered'); // shown as stored, for the check to judge
      expect(h.integrity).toEqual({ chainValid: false, stateMatches: true, firstBadVersion: 2 });
      // Operators hear of it too: the integrity alarm counts this line (tests/log.test.ts).
      expect(logged.mock.calls.map(([line]) => line)).toEqual([
        { event: 'agreement history does not check out', category: 'integrity', agreementId: id, ...h.integrity },
      ]);
    } finally {
      logged.mockRestore();
    }
  });
  it('issues, and judges genuine, no certificate of a version from the first whose entry is not the one committed', async () => {
    const id = (await logSigning(t, cer, agreement(['hch-a', 'hch-b'], { title: 'Certified' }))).body.id as string;
    const { won } = await raced(id);
    expect((await t.call('PATCH', `/agreements/${id}`, { body: { title: 'Third', reason: 'again' }, headers: { 'if-match': '"2"' } })).status).toBe(200);
    const issued = await t.call('GET', `/agreements/${id}/certificate.pdf?version=2`);
    expect(issued.status).toBe(200);
    await items.deleteItem((await items.entryItemsOf(id)).find((e) => e.entry.hash === won.entry.hash)!);
    const h = (await t.call('GET', `/agreements/${id}/history`, { token: t.tokens.auditor })).body;
    // The lost race's entry stands in, shown for the check to judge: the fault is found at its version, not the next.
    expect([h.items[1].changes.title.to, h.integrity]).toEqual(['Lost', { chainValid: false, stateMatches: true, firstBadVersion: 2 }]);
    const certificate = (version: number) => t.call('GET', `/agreements/${id}/certificate.pdf?version=${version}`);
    expect((await certificate(1)).status).toBe(200);
    for (const version of [2, 3]) {
      const refused = await certificate(version);
      expect([refused.status, refused.body.detail, refused.body.errors[0].path]).toEqual([409, expect.stringMatching(/does not check out from version 2 on/), 'version']);
    }
    // Asked for the latest, without naming a version: the refusal does not say the caller sent one.
    const latest = await t.call('GET', `/agreements/${id}/certificate.pdf`);
    expect([latest.status, latest.body.errors]).toEqual([409, [{ path: '', message: 'names an agreement whose latest version, 3, cannot be certified while its history does not check out from version 2 on' }]]);
    const checked = await t.call('POST', '/verify', { token: null, body: issued.body, headers: { 'content-type': 'application/pdf' } });
    expect([checked.status, checked.body.status, checked.body.reason]).toEqual([200, 'invalid', 'unknown-payload']);
  });

  it('judges genuine no certificate of a version whose entry was edited in place behind the API, by link or by file, though what it signs still matches', async () => {
    const id = (await logSigning(t, cer, agreement(['hch-a', 'hch-b'], { title: 'Edited in place' }))).body.id as string;
    expect((await t.call('PATCH', `/agreements/${id}`, { body: { title: 'Edited in place, amended', reason: 'typo' }, headers: { 'if-match': '"1"' } })).status).toBe(200);
    const issued = await t.call('GET', `/agreements/${id}/certificate.pdf?version=2`);
    expect(issued.status).toBe(200);
    const jws = /\/ConcordCertificate\s*\(([A-Za-z0-9_.-]+)\)/.exec(Buffer.from(issued.body).toString('latin1'))![1]!;
    const { signatureOf } = await import('#shared/certificate/signature.ts');
    const { code } = (await t.call('GET', `/agreements/${id}`)).body;
    // The reason rewritten, the entry's hash recomputed: its version, stateHash and time (what a certificate signs) unchanged.
    const latest = (await items.entryItemsOf(id)).find((e) => e.entry.version === 2)!;
    const { hash: _, ...body } = { ...latest.entry, reason: 'Tampered' };
    await items.putItem({ ...latest, entry: { ...body, hash: sha256(canonical(body)) } });
    expect((await t.call('GET', `/agreements/${id}/history`, { token: t.tokens.auditor })).body.integrity.firstBadVersion).toBe(2);
    const byLink = await t.call('GET', `/verify/${code}?v=2&sig=${signatureOf(jws)}`, { token: null });
    expect([byLink.body.status, byLink.body.reason]).toEqual(['invalid', 'signature-mismatch']);
    const byFile = await t.call('POST', '/verify', { token: null, body: issued.body, headers: { 'content-type': 'application/pdf' } });
    expect([byFile.body.status, byFile.body.reason]).toEqual(['invalid', 'unknown-payload']);
  });

  it('checks the chain of an item that holds its history itself (stored the old way): an entry rewritten with its hash recomputed breaks the link from the next one; entry and record rewritten alike break the stateHash', async () => {
    const { getItem } = await import('#shared/store/operations.ts');
    const { agreementKey } = await import('#shared/store/keys.ts');
    const rehashed = (entry: any, over: Record<string, unknown>) => {
      const { hash: _, ...body } = { ...entry, ...over };
      return { ...body, hash: sha256(canonical(body)) };
    };
    /** A three-version agreement, moved to an item that holds its history, as `edit` leaves item and history. */
    const legacy = async (title: string, edit: (item: any, history: any[]) => void) => {
      const id = (await logSigning(t, cer, agreement(['hch-a', 'hch-b'], { title }))).body.id as string;
      for (let v = 1; v <= 2; v++) expect((await t.call('PATCH', `/agreements/${id}`, { body: { title: `${title} v${v + 1}`, reason: 'r' }, headers: { 'if-match': `"${v}"` } })).status).toBe(200);
      const entries = await items.entryItemsOf(id);
      const history = [1, 2, 3].map((v) => entries.find((e) => e.entry.version === v)!.entry);
      const { head: _h, historyBytes: _b, ...item } = (await getItem(agreementKey(id)))!;
      const intact = (await t.call('GET', `/agreements/${id}/history`, { token: t.tokens.auditor })).body.integrity;
      expect(intact).toEqual({ chainValid: true, stateMatches: true, firstBadVersion: null });
      edit(item, history);
      for (const entry of entries) await items.deleteItem(entry);
      await items.putItem({ ...item, history });
      return (await t.call('GET', `/agreements/${id}/history`, { token: t.tokens.auditor })).body.integrity;
    };
    // Version 2's reason rewritten: it adds up on its own; version 3 no longer links to it.
    expect(await legacy('Legacy, relinked', (_item, history) => { history[1] = rehashed(history[1], { reason: 'Tampered' }); }))
      .toEqual({ chainValid: false, stateMatches: true, firstBadVersion: 3 });
    // The latest entry's change and the record rewritten to match: only its stateHash tells.
    expect(await legacy('Legacy, restated', (item, history) => {
      history[2] = rehashed(history[2], { changes: { title: { from: 'Legacy, restated v2', to: 'Forged title' } } });
      item.data = { ...item.data, title: 'Forged title' };
    })).toEqual({ chainValid: false, stateMatches: true, firstBadVersion: 3 });
  });

  it('checks a link of a version against all of its stored entries, the committed one among those of lost races sorted before and after it: genuine is valid', async () => {
    const id = (await logSigning(t, cer, agreement(['hch-a', 'hch-b'], { title: 'Linked beside lost races' }))).body.id as string;
    const { lost } = await raced(id);
    const issued = await t.call('GET', `/agreements/${id}/certificate.pdf?version=2`);
    expect(issued.status).toBe(200);
    const jws = /\/ConcordCertificate\s*\(([A-Za-z0-9_.-]+)\)/.exec(Buffer.from(issued.body).toString('latin1'))![1]!;
    const { signatureOf } = await import('#shared/certificate/signature.ts');
    const { code } = (await t.call('GET', `/agreements/${id}`)).body;
    // More entries of lost races at version 2, whose keys sort first and last (an entry's key ends in its hash).
    const lostItem = (await items.entryItemsOf(id)).find((e) => e.entry.hash === lost.entry.hash)!;
    for (const hash of ['0'.repeat(64), 'f'.repeat(64)]) await items.putItem({ ...lostItem, sk: `HISTORY#0000000002#${hash}` });
    const checked = await t.call('GET', `/verify/${code}?v=2&sig=${signatureOf(jws)}`, { token: null });
    expect(checked.body).toMatchObject({ status: 'valid', version: 2, currentVersion: 2 });
    const forged = await t.call('GET', `/verify/${code}?v=2&sig=${'A'.repeat(86)}`, { token: null });
    expect(forged.body).toMatchObject({ status: 'invalid', reason: 'signature-mismatch' });
  });

  it('refuses a partner a certificate of an earlier version whose entry was removed with 409, as staff, not a 500', async () => {
    const id = (await logSigning(t, cer, agreement(['hch-a', 'hch-b'], { title: 'Partner' }))).body.id as string;
    expect((await t.call('PATCH', `/agreements/${id}`, { body: { title: 'Partner, amended', reason: 'typo' }, headers: { 'if-match': '"1"' } })).status).toBe(200);
    await items.deleteItem((await items.entryItemsOf(id)).find((e) => e.entry.version === 1)!);
    for (const token of [t.tokens.staff, t.tokens.partner('hch-a')]) {
      const refused = await t.call('GET', `/agreements/${id}/certificate.pdf?version=1`, { token });
      expect([refused.status, refused.body.detail]).toEqual([409, expect.stringMatching(/does not check out from version 1 on/)]);
    }
  });

  it('reads past items in an agreement\'s partition that are no entry\'s: a key not written as an entry\'s, or an entry that is no entry', async () => {
    const id = (await logSigning(t, cer, agreement(['hch-a', 'hch-b'], { title: 'Strays' }))).body.id as string;
    const [first] = await items.entryItemsOf(id);
    await items.putItem({ ...first, sk: 'HISTORY#2#x' });
    await items.putItem({ ...first, sk: `HISTORY#0000000002#${'0'.repeat(64)}`, entry: { version: 'two' } });
    const h = await t.call('GET', `/agreements/${id}/history`, { token: t.tokens.auditor });
    expect([h.status, h.body.items.length, h.body.integrity]).toEqual([200, 1, { chainValid: true, stateMatches: true, firstBadVersion: null }]);
    expect((await t.call('PATCH', `/agreements/${id}`, { body: { title: 'Amended', reason: 'typo' }, headers: { 'if-match': '"1"' } })).status).toBe(200);
  });

  it('checks a ceremony correction against an agreement whose version was edited to a huge number', async () => {
    const own = await setup(t, [], 'hch-correction');
    const id = (await logSigning(t, own, agreement(['hch-a', 'hch-b'], { title: 'Versioned' }))).body.id as string;
    await setVersion(id, 10_000_000_000);
    const corrected = await t.call('PATCH', '/ceremonies/hch-correction', { body: { title: 'Corrected Ω', reason: 'typo' }, headers: { 'if-match': '"1"' } });
    expect(corrected.status, JSON.stringify(corrected.body)).toBe(200);
  });

  it('answers at once for a record whose version was edited to a huge number: the chain is walked over the entries there are, not every number below it', async () => {
    const id = (await logSigning(t, cer, agreement(['hch-a', 'hch-b'], { title: 'Version' }))).body.id as string;
    await setVersion(id, 10_000_000_000);
    // (Counting down from 1e10 took minutes, past the test's timeout.)
    const h = await t.call('GET', `/agreements/${id}/history`, { token: t.tokens.auditor });
    expect([h.status, h.body.integrity.chainValid, h.body.integrity.stateMatches]).toEqual([200, false, false]);
  });
  it('links a change made while the latest entry is missing or re-hashed behind the API to the entry the item\'s head names: restored, the history checks out', async () => {
    for (const edit of ['removed', 're-hashed', 'edited in place'] as const) {
      const id = (await logSigning(t, cer, agreement(['hch-a', 'hch-b'], { title: `Tip ${edit}` }))).body.id as string;
      expect((await t.call('PATCH', `/agreements/${id}`, { body: { title: 'Two', reason: 'r' }, headers: { 'if-match': '"1"' } })).status).toBe(200);
      const latest = (await items.entryItemsOf(id)).find((e) => e.entry.version === 2)!;
      if (edit === 'removed') await items.deleteItem(latest);
      // Its stateHash rewritten, its hash left as it was: the entry no longer adds up, and the record (untouched) is not to blame.
      else if (edit === 'edited in place') await items.putItem({ ...latest, entry: { ...latest.entry, stateHash: '0'.repeat(64) } });
      else {
        const { hash: _, ...body } = { ...latest.entry, reason: 'Tampered' };
        await items.putItem({ ...latest, entry: { ...body, hash: sha256(canonical(body)) } });
      }
      // The change goes in (the agreement can still be amended or voided), linked to the committed v2...
      const changed = await t.call('PATCH', `/agreements/${id}`, { body: { summary: 'Three', reason: 'r' }, headers: { 'if-match': '"2"' } });
      expect(changed.status, edit).toBe(200);
      const third = (await items.entryItemsOf(id)).find((e) => e.entry.version === 3)!;
      expect(third.entry.prevHash, edit).toBe(latest.entry.hash);
      // ...so that once the entry is put back, the whole history checks out again (it stayed broken from v2 on).
      await items.putItem(latest);
      const h = (await t.call('GET', `/agreements/${id}/history`, { token: t.tokens.auditor })).body;
      expect([h.items.length, h.integrity], edit).toEqual([3, { chainValid: true, stateMatches: true, firstBadVersion: null }]);
    }
  });

  it('changes an agreement whose entries are all missing (no 500), linked to its head', async () => {
    const id = (await logSigning(t, cer, agreement(['hch-a', 'hch-b'], { title: 'No entries' }))).body.id as string;
    expect((await t.call('PATCH', `/agreements/${id}`, { body: { title: 'Two', reason: 'r' }, headers: { 'if-match': '"1"' } })).status).toBe(200);
    const all = await items.entryItemsOf(id);
    for (const entry of all) await items.deleteItem(entry);
    const changed = await t.call('POST', `/agreements/${id}/void`, { body: { reason: 'void' }, headers: { 'if-match': '"2"' } });
    expect(changed.status).toBe(200);
    for (const entry of all) await items.putItem(entry);
    const h = (await t.call('GET', `/agreements/${id}/history`, { token: t.tokens.auditor })).body;
    expect([h.items.length, h.integrity]).toEqual([3, { chainValid: true, stateMatches: true, firstBadVersion: null }]);
  });

  it('refuses a change (409, nothing written) while the item names no latest entry (its head, or a legacy item\'s every entry, removed behind the API): linked to the entry below, the history stayed broken once restored', async () => {
    const { getItem } = await import('#shared/store/operations.ts');
    const { agreementKey } = await import('#shared/store/keys.ts');
    const id = (await logSigning(t, cer, agreement(['hch-a', 'hch-b'], { title: 'Headless' }))).body.id as string;
    for (let v = 1; v <= 2; v++) expect((await t.call('PATCH', `/agreements/${id}`, { body: { title: `Headless v${v + 1}`, reason: 'r' }, headers: { 'if-match': `"${v}"` } })).status).toBe(200);
    const item = (await getItem(agreementKey(id)))!;
    const { head: _, ...headless } = item;
    await items.putItem(headless);
    const refused = await t.call('PATCH', `/agreements/${id}`, { body: { summary: 'Four', reason: 'r' }, headers: { 'if-match': '"3"' } });
    expect([refused.status, (await items.entryItemsOf(id)).length]).toEqual([409, 3]);
    await items.putItem(item);
    expect((await t.call('PATCH', `/agreements/${id}`, { body: { summary: 'Four', reason: 'r' }, headers: { 'if-match': '"3"' } })).status).toBe(200);
    const h = (await t.call('GET', `/agreements/${id}/history`, { token: t.tokens.auditor })).body;
    expect([h.items.length, h.integrity]).toEqual([4, { chainValid: true, stateMatches: true, firstBadVersion: null }]);
    // An item that holds its history, emptied: no 500.
    const legacy = (await logSigning(t, cer, agreement(['hch-a', 'hch-b'], { title: 'Legacy, emptied' }))).body.id as string;
    const { head: __, historyBytes: ___, ...old } = (await getItem(agreementKey(legacy)))!;
    for (const entry of await items.entryItemsOf(legacy)) await items.deleteItem(entry);
    await items.putItem({ ...old, history: [] });
    expect((await t.call('POST', `/agreements/${legacy}/void`, { body: { reason: 'void' }, headers: { 'if-match': '"1"' } })).status).toBe(409);
  });
});
