/**
 * The daily integrity sweep (functions/integrity-sweep), run as the schedule runs it: every
 * agreement read whole and checked, damage said in the log the integrity alarm counts, nothing
 * written; a sweep out of time fails, for its errors alarm.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { scheduledEvent } from '#infra/local/adapter.ts';
import type { SweepResult } from '#shared/registry/integrity-sweep.ts';
import { agreement, logSigning, party, setup } from './support/fixtures.ts';
import { canonical, sha256 } from './support/chain.ts';
import { startTestRegistry, type TestRegistry } from './support/registry.ts';

let t: TestRegistry;
let cer: string;
let items: typeof import('./support/history-items.ts');
let sweep: typeof import('#functions/integrity-sweep/handler.ts');
let store: { getItem: typeof import('#shared/store/operations.ts').getItem; agreementKey: typeof import('#shared/store/keys.ts').agreementKey };

/** A context with this much time left, as Lambda gives one. */
const context = (ms: number) => ({ getRemainingTimeInMillis: () => ms });

/** Every item of these agreements' partitions: the record and its history entries. */
const partitions = (ids: string[]) => Promise.all(ids.map(async (id) => [...await items.itemsUnder(store.agreementKey(id).pk, 'AGREEMENT'), ...await items.entryItemsOf(id)]));

/** Runs the sweep, with what it logged. */
async function run(ms = 60_000): Promise<{ result?: SweepResult; error?: Error; info: any[]; errors: any[] }> {
  const spies = { info: vi.spyOn(console, 'info').mockImplementation(() => {}), error: vi.spyOn(console, 'error').mockImplementation(() => {}) };
  try {
    const outcome = await sweep.handler(scheduledEvent(), context(ms)).then((result) => ({ result }), (error: Error) => ({ error }));
    return { ...outcome, info: spies.info.mock.calls.map(([l]) => l), errors: spies.error.mock.calls.map(([l]) => l) };
  } finally {
    for (const spy of Object.values(spies)) spy.mockRestore();
  }
}

beforeAll(async () => {
  t = await startTestRegistry();
  cer = await setup(t, [party('sw-a'), party('sw-b')]);
  items = await import('./support/history-items.ts');
  sweep = await import('#functions/integrity-sweep/handler.ts');
  store = { getItem: (await import('#shared/store/operations.ts')).getItem, agreementKey: (await import('#shared/store/keys.ts')).agreementKey };
});
afterAll(() => t.close());

describe('integrity sweep', () => {
  it('checks every agreement, says which do not check out (a rewritten entry, a record that no longer parses), and writes nothing', async () => {
    const ids: string[] = [];
    for (const title of ['Sound', 'Entry rewritten', 'Record unreadable']) ids.push((await logSigning(t, cer, agreement(['sw-a', 'sw-b'], { title }))).body.id);
    const [sound, rewritten, unreadable] = ids as [string, string, string];
    expect((await t.call('PATCH', `/agreements/${sound}`, { body: { title: 'Sound, amended', reason: 'typo' }, headers: { 'if-match': '"1"' } })).status).toBe(200);
    const clean = await run();
    expect(clean.result).toEqual({ checked: 3, damaged: [], unread: [], ceremonies: expect.objectContaining({ damaged: [], unread: [] }), parties: expect.objectContaining({ damaged: [], unread: [] }), complete: true });
    expect(clean.errors).toEqual([]);
    expect(clean.info).toEqual([{ event: 'integrity sweep finished', checked: 3, damaged: 0, unread: 0, ceremonies: expect.objectContaining({ damaged: 0, unread: 0 }), parties: expect.objectContaining({ damaged: 0, unread: 0 }), ms: expect.any(Number) }]);

    // Behind the API: an entry's reason rewritten with its hash recomputed; a record's title made a number.
    const [entry] = await items.entryItemsOf(rewritten);
    const { hash: _, ...body } = { ...entry!.entry, reason: 'Tampered' };
    await items.putItem({ ...entry!, entry: { ...body, hash: sha256(canonical(body)) } });
    const item = (await store.getItem(store.agreementKey(unreadable)))! as { data: Record<string, unknown> } & Record<string, unknown>;
    await items.putItem({ ...item, data: { ...item.data, title: 42 } });
    const before = await partitions(ids);

    const damaged = await run();
    expect(damaged.result).toEqual({ checked: 3, damaged: expect.arrayContaining([rewritten, unreadable]), unread: [], ceremonies: expect.objectContaining({ damaged: [], unread: [] }), parties: expect.objectContaining({ damaged: [], unread: [] }), complete: true });
    expect(damaged.result!.damaged).toHaveLength(2);
    expect(damaged.errors.filter((l) => l.category === 'integrity').map((l) => [l.event, l.agreementId ?? l.item]).sort()).toEqual([
      ['a stored item does not fit its schema', `AGREEMENT#${unreadable}`],
      ['agreement history does not check out', rewritten],
    ]);
    expect(damaged.info).toEqual([{ event: 'integrity sweep finished', checked: 3, damaged: 2, unread: 0, ceremonies: expect.objectContaining({ damaged: 0, unread: 0 }), parties: expect.objectContaining({ damaged: 0, unread: 0 }), ms: expect.any(Number) }]);
    expect(await partitions(ids)).toEqual(before);

    await items.putItem(entry!);
    await items.putItem(item);
    expect((await run()).result).toEqual({ checked: 3, damaged: [], unread: [], ceremonies: expect.objectContaining({ damaged: [], unread: [] }), parties: expect.objectContaining({ damaged: [], unread: [] }), complete: true });
  });

  it('checks every ceremony\'s history too, and says which do not check out (a record or a correction edited, a seal removed) and how many were never sealed', async () => {
    const { ceremony: ceremonyBody } = await import('./support/fixtures.ts');
    const { ceremonyKey } = await import('#shared/store/keys.ts');
    const ids = ['sw-cer-sound', 'sw-cer-record', 'sw-cer-reason', 'sw-cer-unsealed', 'sw-cer-unsealed-chained'];
    for (const id of ids) {
      expect((await t.call('POST', '/ceremonies', { body: ceremonyBody(id) })).status).toBe(201);
      if (id !== 'sw-cer-unsealed') expect((await t.call('PATCH', `/ceremonies/${id}`, { body: { venue: 'Hall 2', reason: 'moved' }, headers: { 'if-match': '"1"' } })).status).toBe(200);
    }
    const clean = await run();
    expect([clean.result?.ceremonies.damaged, clean.result?.ceremonies.unsealed, clean.errors]).toEqual([[], 0, []]);
    const { checked } = clean.result!.ceremonies;
    expect(checked).toBeGreaterThanOrEqual(ids.length);
    expect(clean.info).toEqual([expect.objectContaining({ event: 'integrity sweep finished', ceremonies: { checked, damaged: 0, unread: 0, unsealed: 0 } })]);

    const items0 = await Promise.all(ids.map(async (id) => (await store.getItem(ceremonyKey(id)))! as Record<string, any>));
    const [, record, reason, unsealed, unsealedChained] = items0;
    await items.putItem({ ...record, data: { ...record!.data, city: 'Forged city' } });
    await items.putItem({ ...reason, corrections: [{ ...reason!.corrections[0], reason: 'Forged reason' }] });
    // A seal removed: an uncorrected ceremony reads as one never sealed (counted); a corrected one, whose entries are chained, as damaged.
    for (const item of [unsealed, unsealedChained]) { const { head: _h, stateHash: _s, ...rest } = item!; await items.putItem(rest); }
    const damaged = await run();
    expect(damaged.result).toMatchObject({ ceremonies: { checked, unread: [], unsealed: 1 }, damaged: [], unread: [], complete: true });
    expect(damaged.result!.ceremonies.damaged.sort()).toEqual(['sw-cer-reason', 'sw-cer-record', 'sw-cer-unsealed-chained']);
    expect(damaged.errors.filter((l) => l.category === 'integrity').map((l) => l.ceremonyId).sort()).toEqual(['sw-cer-reason', 'sw-cer-record', 'sw-cer-unsealed-chained']);
    expect(damaged.info).toEqual([expect.objectContaining({ event: 'integrity sweep finished', ceremonies: { checked, damaged: 3, unread: 0, unsealed: 1 } })]);

    for (const item of items0) await items.putItem(item);
    expect((await run()).result?.ceremonies).toEqual({ checked, damaged: [], unread: [], unsealed: 0 });
  });

  it('checks every party\'s record against the hash its last change wrote, and says which do not match; a signing or an amendment that would copy one is refused (409) until it is restored', async () => {
    const { partyKey } = await import('#shared/store/keys.ts');
    expect((await t.call('POST', '/parties', { body: party('sw-forged') })).status).toBe(201);
    expect((await t.call('PATCH', '/parties/sw-forged', { body: { name: 'Renamed Party', reason: 'typo' }, headers: { 'if-match': '"1"' } })).status).toBe(200);
    const id = (await logSigning(t, cer, agreement(['sw-a', 'sw-b'], { title: 'Before the party was forged' }))).body.id as string;
    const clean = await run();
    expect([clean.result?.parties.damaged, clean.result?.parties.unsealed]).toEqual([[], 0]);
    const item = (await store.getItem(partyKey('sw-forged')))! as Record<string, any>;
    await items.putItem({ ...item, data: { ...item.data, name: 'Forged Party' } });
    const damaged = await run();
    expect(damaged.result?.parties).toMatchObject({ damaged: ['sw-forged'], unread: [], unsealed: 0 });
    expect(damaged.errors.filter((l) => l.category === 'integrity')).toEqual([{ event: 'party record does not match its last change', category: 'integrity', partyId: 'sw-forged' }]);
    // Copied into a signing, or an amendment, the forged name would be signed for good: refused, naming where the body lists it.
    const signing = await logSigning(t, cer, agreement(['sw-a', 'sw-forged'], { title: 'Naming the forged party' }));
    expect([signing.status, signing.body.errors]).toEqual([409, [{ path: '/parties/1/partyId', message: 'names party "sw-forged", changed outside the registry' }]]);
    const amended = await t.call('PATCH', `/agreements/${id}`, { body: { parties: [{ partyId: 'sw-a', signatory: { name: 'A' } }, { partyId: 'sw-forged', signatory: { name: 'F' } }], reason: 'added' }, headers: { 'if-match': '"1"' } });
    expect([amended.status, amended.body.errors]).toEqual([409, [{ path: '/parties/1/partyId', message: 'names party "sw-forged", changed outside the registry' }]]);
    // Nor renamed: the edit would be written in under a new hash.
    const renamed = await t.call('PATCH', '/parties/sw-forged', { body: { name: 'Renamed Again' }, headers: { 'if-match': '"2"' } });
    expect([renamed.status, renamed.body.detail]).toEqual([409, 'Party sw-forged was changed outside the registry (its record is not as its last change wrote it): it is not renamed until it is restored']);
    // The body's own mistakes are told first: the party listed twice (422), the ceremony unknown (404).
    const twice = await logSigning(t, cer, agreement(['sw-forged', 'sw-forged'], { title: 'Twice' }));
    expect([twice.status, twice.body.errors[0].message]).toEqual([422, 'lists party "sw-forged" twice']);
    expect((await logSigning(t, 'no-such-ceremony', agreement(['sw-a', 'sw-forged'], { title: 'Nowhere' }))).status).toBe(404);
    // A party written before parties kept the hash has nothing to check against: counted, and copied.
    const { stateHash: _, ...unsealed } = item;
    await items.putItem(unsealed);
    expect((await run()).result?.parties).toMatchObject({ damaged: [], unsealed: 1 });
    await items.putItem(item);
    expect((await logSigning(t, cer, agreement(['sw-a', 'sw-forged'], { title: 'Naming the restored party' }))).body.parties[1].name).toBe('Renamed Party');
    expect((await run()).result?.parties).toMatchObject({ damaged: [], unsealed: 0 });
  });

  it('says which agreements its printed code or a list entry no longer leads to (an item deleted, changed to name another, or to lack a sector)', async () => {
    const { codeKey, linkKey, partyLinkPk } = await import('#shared/store/keys.ts');
    const { signedKey } = await import('#shared/domain/agreement.ts');
    const [lost, misled, other, unsorted] = await Promise.all(['Link deleted', 'Code taken', 'Other', 'Sector dropped'].map(async (title) => (await logSigning(t, cer, agreement(['sw-a', 'sw-b'], { title }))).body));
    const link = linkKey(partyLinkPk('sw-b'), signedKey(lost));
    const sectorLink = linkKey(partyLinkPk('sw-a'), signedKey(unsorted));
    const claim = (await store.getItem(codeKey(misled.code)))!;
    const linkItem = (await store.getItem(link))!;
    const sectorLinkItem = (await store.getItem(sectorLink))!;
    expect([linkItem.agreementId, claim.agreementId, sectorLinkItem.sectors]).toEqual([lost.id, misled.id, new Set(['digital-economy'])]);
    // Behind the API: one party's entry of an agreement deleted; another's code made to name a third;
    // a third's entry made to carry another sector than its agreement's.
    await items.deleteItem(linkItem);
    await items.putItem({ ...claim, agreementId: other.id });
    await items.putItem({ ...sectorLinkItem, sectors: new Set(['trade']) });
    try {
      const found = await run();
      expect(found.result!.damaged.sort()).toEqual([lost.id, misled.id, unsorted.id].sort());
      expect(found.errors.filter((l) => l.category === 'integrity').sort((a, b) => a.agreementId.localeCompare(b.agreementId))).toEqual([
        { event: 'an agreement\'s printed code or list entries do not lead to it', category: 'integrity', agreementId: lost.id, version: 1, items: [`${link.pk}|${link.sk}`] },
        { event: 'an agreement\'s printed code or list entries do not lead to it', category: 'integrity', agreementId: misled.id, version: 1, items: [`CODE#${misled.code}|CODE`] },
        { event: 'an agreement\'s printed code or list entries do not lead to it', category: 'integrity', agreementId: unsorted.id, version: 1, items: [`${sectorLink.pk}|${sectorLink.sk}`] },
      ].sort((a, b) => a.agreementId.localeCompare(b.agreementId)));
      // The damage, as those it reaches meet it: the partner's list lacks it, the printed link is no
      // certificate's, the party's list of its sector lacks it.
      expect((await t.call('GET', '/agreements?partyId=sw-b&limit=100', { token: t.tokens.partner('sw-b') })).body.items.map((a: { id: string }) => a.id)).not.toContain(lost.id);
      expect((await t.call('GET', `/agreements/${misled.code}`)).body.id).toBe(other.id);
      expect((await t.call('GET', '/agreements?partyId=sw-a&sector=digital-economy&limit=100')).body.items.map((a: { id: string }) => a.id)).not.toContain(unsorted.id);
    } finally {
      await items.putItem(linkItem);
      await items.putItem(claim);
      await items.putItem(sectorLinkItem);
    }
    const mended = await run();
    expect([mended.result!.damaged, mended.errors]).toEqual([[], []]);
  });

  it('finds nothing astray when a change commits between its read of an agreement and its check of the entries (the change removes those its version dropped)', async () => {
    const { beforeCalls } = await import('./support/dynamo-calls.ts');
    const { codeKey, linkKey, partyLinkPk } = await import('#shared/store/keys.ts');
    const { signedKey } = await import('#shared/domain/agreement.ts');
    expect((await t.call('POST', '/parties', { body: party('sw-c') })).status).toBe(201);
    const three = (await logSigning(t, cer, agreement(['sw-a', 'sw-b', 'sw-c'], { title: 'Three parties' }))).body;
    /** Before each of the sweep's first `times` reads of its entries, staff change it (`patch`), from version `from` on. */
    const changingBefore = (times: number, from: number, patch: (n: number) => Record<string, unknown>) => {
      let made = 0;
      const hook = async ({ command, input }: { command: string; input: Record<string, any> }) => {
        if (made >= times || command !== 'BatchGetItemCommand') return;
        const keys = Object.values(input.RequestItems as Record<string, { Keys: { pk: string }[] }>).flatMap((r) => r.Keys.map((k) => k.pk));
        if (!keys.includes(codeKey(three.code).pk)) return;
        made += 1;
        const r = await t.call('PATCH', `/agreements/${three.id}`, { body: { ...patch(made), reason: 'live edits' }, headers: { 'if-match': `"${from + made - 1}"` } });
        expect(r.status).toBe(200);
      };
      return { hook, made: () => made };
    };
    // Staff take sw-c off it just before the sweep reads its entries: sw-c's entry goes once that commits.
    const offC = changingBefore(1, 1, () => ({ parties: agreement(['sw-a', 'sw-b']).parties }));
    const outcome = await beforeCalls(offC.hook, () => run());
    expect([offC.made(), outcome.result!.damaged, outcome.errors]).toEqual([1, [], []]);
    expect((await t.call('GET', '/agreements?partyId=sw-c')).body.items).toEqual([]);

    // Its sw-b entry deleted behind the API, and staff editing it as the sweep checks: the finding
    // names the version it stayed at; one that never stays still is left for the next sweep.
    const entry = (await store.getItem(linkKey(partyLinkPk('sw-b'), signedKey(three))))!;
    await items.deleteItem(entry);
    try {
      const once = changingBefore(1, 2, (n) => ({ summary: `Edit ${n}` }));
      const found = await beforeCalls(once.hook, () => run());
      expect(found.errors.filter((l) => l.category === 'integrity')).toEqual([expect.objectContaining({ agreementId: three.id, version: 3, items: [`${entry.pk}|${entry.sk}`] })]);
      const always = changingBefore(3, 3, (n) => ({ summary: `Edit again ${n}` }));
      const passed = await beforeCalls(always.hook, () => run());
      expect([always.made(), passed.result!.damaged, passed.errors]).toEqual([3, [], []]);
    } finally {
      await items.putItem(entry);
    }
  });

  it('fails, for its errors alarm, when the time runs out before the last agreement, and says how far it got', async () => {
    await logSigning(t, cer, agreement(['sw-a', 'sw-b'], { title: 'Never reached' }));
    const { SWEEP_MARGIN_MS } = sweep;
    const cut = await run(SWEEP_MARGIN_MS);
    expect(cut.error?.message).toMatch(/stopped short after 0 ceremonies, 0 parties and 0 agreements/);
    expect(cut.errors).toEqual([{ event: 'integrity sweep stopped short of the last record', checked: 0, damaged: 0, unread: 0, ceremonies: expect.objectContaining({ damaged: 0, unread: 0 }), parties: expect.objectContaining({ damaged: 0, unread: 0 }), ms: expect.any(Number) }]);
  });

  it('walks the index page by page, checks each agreement once, and goes past one it cannot read, failing at the end', async () => {
    const { sweepIntegrity } = await import('#shared/registry/integrity-sweep.ts');
    const { failingCalls } = await import('./support/dynamo-calls.ts');
    const all = (await t.call('GET', '/agreements?limit=100', { token: t.tokens.auditor })).body.items.map((a: { id: string }) => a.id) as string[];
    expect(all.length).toBeGreaterThanOrEqual(4);
    const quiet = vi.spyOn(console, 'info').mockImplementation(() => {});
    try {
      const paged = await sweepIntegrity({ timeLeft: () => 60_000, marginMs: 0, pageSize: 1 });
      expect(paged).toEqual({ checked: all.length, damaged: [], unread: [], ceremonies: expect.objectContaining({ damaged: [], unread: [] }), parties: expect.objectContaining({ damaged: [], unread: [] }), complete: true });
    } finally {
      quiet.mockRestore();
    }
    // The table fails every read of one agreement's partition: the rest are still checked.
    const [failing] = all.slice(-1) as [string];
    const unreadable = ({ command, input }: { command: string; input: Record<string, any> }) => command === 'QueryCommand' && input.ExpressionAttributeValues?.[':pk'] === store.agreementKey(failing).pk;
    const outcome = await failingCalls(unreadable, () => run());
    expect(outcome.error?.message).toMatch(/could not read 1 agreements/);
    expect(outcome.errors).toContainEqual({ event: 'the integrity sweep could not read an agreement', agreementId: failing, error: { name: 'InternalServerError', message: 'injected fault' } });
    expect(outcome.info).toEqual([{ event: 'integrity sweep finished', checked: all.length - 1, damaged: 0, unread: 1, ceremonies: expect.objectContaining({ damaged: 0, unread: 0 }), parties: expect.objectContaining({ damaged: 0, unread: 0 }), ms: expect.any(Number) }]);
  });

  it('checks an agreement once when an amendment moves its signing time across the walk, into the part still to come', async () => {
    const { sweepIntegrity } = await import('#shared/registry/integrity-sweep.ts');
    const { beforeCalls } = await import('./support/dynamo-calls.ts');
    const { ALL_AGREEMENTS_PK } = await import('#shared/store/keys.ts');
    for (const minute of ['00', '01', '02']) expect((await logSigning(t, cer, agreement(['sw-a', 'sw-b'], { title: `Signed at 15:${minute}`, signedAt: `2021-08-23T15:${minute}:00+08:00` }))).status).toBe(201);
    const all = (await t.call('GET', '/agreements?limit=100', { token: t.tokens.auditor })).body.items as { id: string; title: string; version: number }[];
    // The newest signing, walked first, is amended to before the oldest while the walk asks for its second id.
    const [newest] = all;
    expect(newest!.title).toBe('Signed at 15:02');
    let index = 0;
    let moved = false;
    const amendOnSecondPage = async ({ command, input }: { command: string; input: Record<string, any> }) => {
      if (moved || command !== 'QueryCommand' || input.ExpressionAttributeValues?.[':pk'] !== ALL_AGREEMENTS_PK) return;
      if (++index < 2) return;
      moved = true;
      const amended = await t.call('PATCH', `/agreements/${newest!.id}`, { body: { signedAt: '2021-08-23T14:00:00+08:00', reason: 'signed as the ceremony opened' }, headers: { 'if-match': `"${newest!.version}"` } });
      expect(amended.status).toBe(200);
    };
    const quiet = vi.spyOn(console, 'info').mockImplementation(() => {});
    try {
      const result = await beforeCalls(amendOnSecondPage, () => sweepIntegrity({ timeLeft: () => 60_000, marginMs: 0, pageSize: 1 }));
      expect(moved).toBe(true);
      expect(result).toEqual({ checked: all.length, damaged: [], unread: [], ceremonies: expect.objectContaining({ damaged: [], unread: [] }), parties: expect.objectContaining({ damaged: [], unread: [] }), complete: true });
    } finally {
      quiet.mockRestore();
    }
    // The walk did meet it twice: it is now the oldest signing.
    expect((await t.call('GET', '/agreements?limit=100', { token: t.tokens.auditor })).body.items.at(-1).id).toBe(newest!.id);
  });

  it('is refused on the local server an interval Node cannot keep (it would run every millisecond), before anything starts', async () => {
    const { startRegistry } = await import('#infra/local/server.ts');
    await expect(startRegistry({ dataDir: 'never-made', port: 0, integritySweepEveryMs: 2 ** 31 })).rejects.toThrow(/integritySweepEveryMs must be from 1 to 2147483647/);
    const { existsSync } = await import('node:fs');
    expect(existsSync('never-made')).toBe(false);
  });
});
