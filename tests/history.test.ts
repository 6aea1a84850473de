/**
 * History: every version with who, when, why and what changed, hash-chained so an edit made
 * outside the API (straight into the table) is detected.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { agreement, ceremony, logSigning, party, setup } from './support/fixtures.ts';
import { canonical, expectChain, sha256 } from './support/chain.ts';
import { startTestRegistry, type TestRegistry } from './support/registry.ts';
import { plain } from './support/pages.ts';

let t: TestRegistry;
let cer: string;
let deleteItem: typeof import('./support/history-items.ts').deleteItem;
let entryItemsOf: typeof import('./support/history-items.ts').entryItemsOf;
let putItem: typeof import('./support/history-items.ts').putItem;

beforeAll(async () => {
  t = await startTestRegistry();
  cer = await setup(t, [party('his-a'), party('his-b', { countryCode: 'AM' }), party('his-c', { countryCode: 'NP' })]);
  ({ deleteItem, entryItemsOf, putItem } = await import('./support/history-items.ts')); // the store reads the server's table name
});
afterAll(() => t.close());

async function amendedAndVoided() {
  const created = await logSigning(t, cer, agreement(['his-a', 'his-b'], { title: 'Before', value: { amount: '100.00', currency: 'EUR' } }));
  const id = created.body.id as string;
  await t.call('PATCH', `/agreements/${id}`, {
    body: { title: 'After', parties: [{ partyId: 'his-a', signatory: { name: 'A' } }, { partyId: 'his-c', signatory: { name: 'C' } }], value: null, reason: 'wrong partner logged' },
    headers: { 'if-match': '"1"' },
  });
  await t.call('POST', `/agreements/${id}/void`, { body: { reason: 'signed twice' }, headers: { 'if-match': '"2"' } });
  return { id, created: created.body };
}

describe('history', () => {
  it('records every version with actor, reason and changes, chained by hashes', async () => {
    const { id, created } = await amendedAndVoided();
    const h = await t.call('GET', `/agreements/${id}/history`, { token: t.tokens.auditor });
    expect(h.status).toBe(200);
    const [v1, v2, v3] = h.body.items;
    expect(h.body.items).toHaveLength(3);
    expect(v1).toMatchObject({ version: 1, action: 'created', actor: 'local-staff', reason: null, prevHash: null, at: created.createdAt });
    expect(v1.changes.title).toEqual({ to: 'Before' });
    expect(v2).toMatchObject({ version: 2, action: 'amended', reason: 'wrong partner logged' });
    expect(v2.changes.title).toEqual({ from: 'Before', to: 'After' });
    expect(v2.changes.value).toEqual({ from: { amount: '100.00', currency: 'EUR' } });
    expect(v2.changes.parties.to.map((p: any) => p.partyId)).toEqual(['his-a', 'his-c']);
    expect(Object.keys(v2.changes).sort()).toEqual(['parties', 'title', 'value']);
    expect(v3).toMatchObject({ version: 3, action: 'voided', reason: 'signed twice', changes: { status: { from: 'active', to: 'voided' } } });
    expectChain(h.body.items);
    expect(h.body.integrity).toEqual({ chainValid: true, stateMatches: true, firstBadVersion: null });
    // The state hash of the last entry is the hash of the record the API returns.
    const current = await t.call('GET', `/agreements/${id}`);
    expect(sha256(canonical(current.body))).toBe(v3.stateHash);
    // And every state hash can be recomputed from the history answer alone, as the README says:
    // identity and creation from the answer and version 1, the changes applied in order (no `to`
    // removes the field), then the version and who changed it last.
    let state: Record<string, unknown> = { id, code: h.body.code, ceremonyId: h.body.ceremonyId, createdAt: v1.at, createdBy: v1.actor };
    for (const entry of h.body.items) {
      for (const [field, change] of Object.entries<any>(entry.changes)) {
        if ('to' in change) state[field] = change.to;
        else delete state[field];
      }
      state = { ...state, version: entry.version, updatedAt: entry.at, updatedBy: entry.actor };
      expect(sha256(canonical(state)), `version ${entry.version}`).toBe(entry.stateHash);
    }
  });

  it('an amendment that moves the agreement to other parties moves it in the listings', async () => {
    const { id } = await amendedAndVoided();
    const ids = async (q: string) => (await t.call('GET', `/agreements?${q}&limit=100`)).body.items.map((a: any) => a.id);
    expect(await ids('partyId=his-b')).not.toContain(id);
    expect(await ids('country=AM')).not.toContain(id);
    expect(await ids('partyId=his-c')).toContain(id);
    expect(await ids('country=NP')).toContain(id);
    expect((await t.call('GET', `/agreements/${id}`, { token: t.tokens.partner('his-b') })).status).toBe(404);
    expect((await t.call('GET', `/agreements/${id}`, { token: t.tokens.partner('his-c') })).status).toBe(200);
  });

  it('a rename reaches a signed agreement only through an amendment that refreshes the party, and that amendment answers as made when sent again', async () => {
    expect((await t.call('POST', '/parties', { body: party('his-renamed', { name: 'Misspelt Trading Co.', localName: '错字贸易' }) })).status).toBe(201);
    const id = (await logSigning(t, cer, agreement(['his-a', 'his-renamed'], { title: 'Renamed partner' }))).body.id as string;
    const rename = (body: Record<string, unknown>, version: number) => t.call('PATCH', '/parties/his-renamed', { body, headers: { 'if-match': `"${version}"` } });
    expect((await rename({ name: 'Correct Trading Co.', localName: '正确贸易' }, 1)).status).toBe(200);
    const named = async () => (await t.call('GET', `/agreements/${id}`)).body.parties[1];
    expect(await named()).toMatchObject({ name: 'Misspelt Trading Co.', localName: '错字贸易' });
    const [first, second] = agreement(['his-a', 'his-renamed']).parties;
    const signatories = (refresh?: true) => [first!, { ...second!, ...(refresh && { refresh }) }];
    const amend = (refresh?: true) => t.call('PATCH', `/agreements/${id}`, { body: { parties: signatories(refresh), reason: 'partner name corrected' }, headers: { 'if-match': '"1"' } });
    // The parties as recorded, sent back: nothing changes.
    expect((await amend()).body.version).toBe(1);
    const refreshed = await amend(true);
    expect([refreshed.status, refreshed.body.version, refreshed.headers.get('idempotent-replayed')]).toEqual([200, 2, null]);
    expect(refreshed.body.parties[1]).toEqual({ partyId: 'his-renamed', signatory: second!.signatory, kind: 'enterprise', name: 'Correct Trading Co.', localName: '正确贸易', countryCode: 'CN' });
    const entry = (await t.call('GET', `/agreements/${id}/history`)).body.items[1];
    expect([entry.reason, entry.changes.parties.from[1].name, entry.changes.parties.to[1].name]).toEqual(['partner name corrected', 'Misspelt Trading Co.', 'Correct Trading Co.']);
    // Sent again (a lost answer): the change as it was made. Without the refresh it is another change: stale.
    const again = await amend(true);
    expect([again.status, again.headers.get('idempotent-replayed'), again.body]).toEqual([200, 'true', refreshed.body]);
    expect((await amend()).status).toBe(412);
    // After another rename, the refresh would take another name: it is not the change made (reload, 412).
    expect((await rename({ name: 'Renamed Again Co.' }, 2)).status).toBe(200);
    expect((await amend(true)).status).toBe(412);
    expect(await named()).toMatchObject({ name: 'Correct Trading Co.', localName: '正确贸易' });
    // A change made without the refresh is not answered as one made with it (nor is "refresh": false a refresh).
    const other = (await logSigning(t, cer, agreement(['his-a', 'his-renamed'], { title: 'Renamed since' }))).body.id as string;
    expect((await rename({ name: 'Third Name Co.' }, 3)).status).toBe(200);
    const signatoryFixed = (refresh: boolean) => ({ parties: [first!, { ...second!, signatory: { name: 'Fixed Name' }, refresh }], reason: 'signatory misspelt' });
    const fixed = await t.call('PATCH', `/agreements/${other}`, { body: signatoryFixed(false), headers: { 'if-match': '"1"' } });
    expect([fixed.status, fixed.body.version, fixed.body.parties[1].name]).toEqual([200, 2, 'Renamed Again Co.']);
    expect((await t.call('PATCH', `/agreements/${other}`, { body: signatoryFixed(true), headers: { 'if-match': '"1"' } })).status).toBe(412);
    // A party an amendment adds is taken as the directory has it: "refresh" on it means nothing, and sent again after a rename it is still the change made.
    expect((await t.call('POST', '/parties', { body: party('his-added', { name: 'Added Co.' }) })).status).toBe(201);
    const adding = { parties: [first!, second!, { partyId: 'his-added', signatory: { name: 'C' }, refresh: true }], reason: 'third party' };
    const added = await t.call('PATCH', `/agreements/${other}`, { body: adding, headers: { 'if-match': '"2"' } });
    expect([added.status, added.body.version, added.body.parties[2].name]).toEqual([200, 3, 'Added Co.']);
    expect((await t.call('PATCH', '/parties/his-added', { body: { name: 'Added Renamed Co.' }, headers: { 'if-match': '"1"' } })).status).toBe(200);
    const addedAgain = await t.call('PATCH', `/agreements/${other}`, { body: adding, headers: { 'if-match': '"2"' } });
    expect([addedAgain.status, addedAgain.headers.get('idempotent-replayed'), addedAgain.body]).toEqual([200, 'true', added.body]);
    // A signing takes every party as the directory has it: refresh is an amendment's.
    const logged = await t.call('POST', `/ceremonies/${cer}/agreements`, { body: agreement(['his-a', 'his-renamed']), headers: { 'idempotency-key': 'his-refresh-on-signing' } });
    expect(logged.status).toBe(201);
    const refused = await t.call('POST', `/ceremonies/${cer}/agreements`, { body: { ...agreement(['his-a', 'his-renamed']), parties: signatories(true) }, headers: { 'idempotency-key': 'his-refresh-on-signing-2' } });
    expect([refused.status, refused.body.errors]).toEqual([400, [{ path: '/parties/1/refresh', message: 'is not a known field' }]]);
  });

  it('refuses, before any write, an agreement or a change whose record or history entry would not fit in one item (field limits keep real ones far below it)', async () => {
    const { assertFits } = await import('#shared/store/agreements.ts');
    const created = (await logSigning(t, cer, agreement(['his-a', 'his-b']))).body;
    const [entry] = (await t.call('GET', `/agreements/${created.id}/history`)).body.items;
    const sized = (bytes: number) => ({ ...created, summary: 'x'.repeat(bytes) });
    expect(() => assertFits({ agreement: sized(410_000), entry } as any)).toThrow(/^This agreement is too large to record: its record would pass the 400 KB/);
    expect(() => assertFits({ agreement: sized(390_000), entry } as any)).not.toThrow();
    const change = (bytes: number) => ({ agreement: created, entry: { ...entry, version: 2, changes: { summary: { from: 'x'.repeat(bytes), to: 'y'.repeat(bytes) } } } });
    expect(() => assertFits(change(205_000) as any)).toThrow(/^This change is too large to record: its history entry would pass the 400 KB/);
    expect(() => assertFits(change(195_000) as any)).not.toThrow();
  });

  it('keeps each history entry in an item of its own: an agreement amended past 400 KB of history goes on, and can be voided', async () => {
    const ids = Array.from({ length: 50 }, (_, i) => `big-${i}`);
    for (const id of ids) await t.call('POST', '/parties', { body: party(id, { name: `${id} ${'N'.repeat(190)}`, localName: 'ß'.repeat(200) }) });
    const signers = (round: number) => ids.map((partyId) => ({ partyId, role: `r${round}`.padEnd(100, 'r'), signatory: { name: `${round}`.padEnd(200, 's'), title: 'T'.repeat(200) } }));
    const created = await logSigning(t, cer, agreement(ids, { parties: signers(0) }));
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    // Each amendment's entry holds the fifty parties as they were and as they become (about 110 KB):
    // one item holding them all took four of them at most.
    for (let round = 1; round <= 5; round++) {
      const r = await t.call('PATCH', `/agreements/${id}`, { body: { parties: signers(round), reason: `round ${round}` }, headers: { 'if-match': `"${round}"` } });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
    }
    const voided = await t.call('POST', `/agreements/${id}/void`, { body: { reason: '語'.repeat(1000) }, headers: { 'if-match': '"6"' } });
    expect(voided.status, JSON.stringify(voided.body)).toBe(200);
    const h = await t.call('GET', `/agreements/${id}/history`);
    expect(h.body.items.map((e: any) => e.version)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(Buffer.byteLength(JSON.stringify(h.body.items))).toBeGreaterThan(500_000);
    expectChain(h.body.items);
    expect(h.body.integrity).toEqual({ chainValid: true, stateMatches: true, firstBadVersion: null });
    // The agreement's item holds its record and the hash of its latest entry, not its history.
    const { getItem } = await import('#shared/store/operations.ts');
    const { agreementKey } = await import('#shared/store/keys.ts');
    const item = (await getItem(agreementKey(id)))!;
    expect([item.head, 'history' in item, Buffer.byteLength(JSON.stringify(item)) < 100_000]).toEqual([h.body.items[6].hash, false, true]);
    // And what the history takes in an answer, kept as it grows (the history route answers with all of it).
    const { answerBytes } = await import('#shared/store/paging.ts');
    expect(item.historyBytes).toBe(h.body.items.reduce((n: number, e: unknown) => n + answerBytes(e), 0));
    expect((await entryItemsOf(id)).map((e) => [e.entry.version, e.sk.endsWith(`#${e.entry.hash}`)])).toEqual([1, 2, 3, 4, 5, 6, 7].map((v) => [v, true]));
  });

  it('refuses an amendment that would leave a history no room in one answer for a void (422, nothing written), and takes the void', async () => {
    const id = (await logSigning(t, cer, agreement(['his-a', 'his-b'], { title: 'Long history' }))).body.id as string;
    const { getItem } = await import('#shared/store/operations.ts');
    const { agreementKey } = await import('#shared/store/keys.ts');
    const { HISTORY_BYTES } = await import('#shared/store/agreements.ts');
    // As if amended a thousand times: what the history takes is what the item says it takes.
    const item = (await getItem(agreementKey(id)))!;
    await putItem({ ...item, historyBytes: HISTORY_BYTES - 8 * 1024 - 2000 });
    const refused = await t.call('PATCH', `/agreements/${id}`, { body: { summary: 'x'.repeat(1500), parties: [{ partyId: 'his-a', signatory: { name: 'A' } }, { partyId: 'his-c', signatory: { name: 'C' } }], reason: 'one more' }, headers: { 'if-match': '"1"' } });
    expect([refused.status, refused.body.detail]).toEqual([422, expect.stringMatching(/^This agreement's history is full: .* It can still be voided; nothing was changed$/)]);
    expect((await entryItemsOf(id)).length).toBe(1);
    expect((await t.call('GET', '/agreements?partyId=his-c&limit=100')).body.items.map((a: any) => a.id)).not.toContain(id);
    const { linksOf } = await import('./support/links.ts');
    const { partyLinkPk } = await import('#shared/store/keys.ts');
    expect((await linksOf(partyLinkPk('his-c'))).filter((l) => l.agreementId === id)).toEqual([]);
    const small = await t.call('PATCH', `/agreements/${id}`, { body: { title: 'Shorter', reason: 'fits' }, headers: { 'if-match': '"1"' } });
    expect(small.status).toBe(200);
    const voided = await t.call('POST', `/agreements/${id}/void`, { body: { reason: '"'.repeat(1000) }, headers: { 'if-match': '"2"' } });
    expect(voided.status, JSON.stringify(voided.body)).toBe(200);
    expect((await getItem(agreementKey(id)))!.historyBytes).toBeLessThanOrEqual(HISTORY_BYTES);
  });

  it('a change reads the last two entries of a history, not all of it, and still answers a resent change as made', async () => {
    const id = (await logSigning(t, cer, agreement(['his-a', 'his-b'], { title: 'v1' }))).body.id as string;
    for (let v = 1; v < 8; v++) {
      expect((await t.call('PATCH', `/agreements/${id}`, { body: { title: `v${v + 1}`, reason: 'again' }, headers: { 'if-match': `"${v}"` } })).status).toBe(200);
    }
    const { watchingCalls } = await import('./support/dynamo-calls.ts');
    const read: string[] = [];
    const recordReads = ({ command, output }: { command: string; output: Record<string, any> }) => {
      if (!['QueryCommand', 'GetItemCommand', 'GetCommand'].includes(command)) return;
      for (const item of output.Items ?? (output.Item ? [output.Item] : [])) if (String(item.pk).startsWith('AGREEMENT#')) read.push(String(item.sk).replace(/#[0-9a-f]{64}$/, '').replace(/#0+/, '#'));
    };
    const body = { summary: 'Eighth change', reason: 'lost answer' };
    await watchingCalls(recordReads, async () => {
      const made = await t.call('PATCH', `/agreements/${id}`, { body, headers: { 'if-match': '"8"' } });
      expect(made.status).toBe(200);
      expect(read).toEqual(['AGREEMENT', 'HISTORY#7', 'HISTORY#8']);
      read.length = 0;
      const again = await t.call('PATCH', `/agreements/${id}`, { body, headers: { 'if-match': '"8"' } });
      expect([again.status, again.headers.get('idempotent-replayed'), again.body]).toEqual([200, 'true', made.body]);
      expect(read).toEqual(['AGREEMENT', 'HISTORY#8', 'HISTORY#9']);
    });
    expect((await t.call('GET', `/agreements/${id}/history`)).body.integrity).toEqual({ chainValid: true, stateMatches: true, firstBadVersion: null });
  });

  it('a change that loses its race reads the tip again, not the whole history (the README: whatever the length of its history)', async () => {
    const id = (await logSigning(t, cer, agreement(['his-a', 'his-b'], { title: 'v1' }))).body.id as string;
    for (let v = 1; v < 20; v++) expect((await t.call('PATCH', `/agreements/${id}`, { body: { title: `v${v + 1}`, reason: 'again' }, headers: { 'if-match': `"${v}"` } })).status).toBe(200);
    const { watchingCalls } = await import('./support/dynamo-calls.ts');
    const read: number[] = [];
    await watchingCalls(({ command, output }) => { if (command === 'QueryCommand') read.push((output.Items ?? []).length); }, async () => {
      const outcomes = await Promise.all(['One', 'Two', 'Three'].map((title) => t.call('PATCH', `/agreements/${id}`, { body: { title, reason: 'race' }, headers: { 'if-match': '"20"' } })));
      expect(outcomes.map((r) => r.status).sort()).toEqual([200, 412, 412]);
    });
    // (Each loser read all 20 entries, and every lost race's entry beside them.)
    expect(Math.max(...read)).toBeLessThanOrEqual(4);
  });

  it('a change on a history edited behind the API reads all of it, as it did', async () => {
    const id = (await logSigning(t, cer, agreement(['his-a', 'his-b'], { title: 'v1' }))).body.id as string;
    expect((await t.call('PATCH', `/agreements/${id}`, { body: { title: 'v2', reason: 'r' }, headers: { 'if-match': '"1"' } })).status).toBe(200);
    const [, second] = await entryItemsOf(id);
    await putItem({ ...second, entry: { ...second!.entry, changes: { ...second!.entry.changes, title: { from: 'Tampered', to: 'v2' } } } });
    // The last two entries no longer add up to the record: the change replays the whole history instead.
    const { watchingCalls } = await import('./support/dynamo-calls.ts');
    const queried: string[] = [];
    await watchingCalls(({ command, input }) => { if (command === 'QueryCommand') queried.push(String(input.KeyConditionExpression)); }, async () => {
      const r = await t.call('PATCH', `/agreements/${id}`, { body: { title: 'v3', reason: 'r' }, headers: { 'if-match': '"2"' } });
      expect([r.status, r.body.version, r.body.title]).toEqual([200, 3, 'v3']);
    });
    expect(queried.slice(0, 2)).toEqual(['pk = :pk AND sk BETWEEN :from AND :to', 'pk = :pk']);
    expect((await t.call('GET', `/agreements/${id}/history`)).body.integrity).toMatchObject({ chainValid: false, firstBadVersion: 2 });
  });

  it.each([
    ['the current record', { update: 'SET #data.title = :v' }, { chainValid: true, stateMatches: false, firstBadVersion: null }],
    ['a history entry', { version: 2, update: 'SET #entry.reason = :v' }, { chainValid: false, stateMatches: true, firstBadVersion: 2 }],
    ['a change inside history', { version: 1, update: 'SET #entry.changes.title.#to = :v' }, { chainValid: false, stateMatches: true, firstBadVersion: 1 }],
    // (Its key still has the hash it was committed with.)
    ['an entry\'s hash, rewritten to match its edit', { version: 2, update: 'SET #entry.reason = :v', rehash: true }, { chainValid: false, stateMatches: true, firstBadVersion: 2 }],
    ['the latest entry, removed', { version: 3, remove: true }, { chainValid: false, stateMatches: false, firstBadVersion: 3 }],
    ['an entry, removed', { version: 2, remove: true }, { chainValid: false, stateMatches: false, firstBadVersion: 2 }],
  ] as const)('an edit of %s made behind the API is detected', async (_name, edit: { version?: number; update?: string; remove?: boolean; rehash?: boolean }, integrity) => {
    const { id } = await amendedAndVoided();
    const { dynamo, tableName } = await import('#shared/store/client.ts');
    const { UpdateCommand } = await import('@aws-sdk/lib-dynamodb');
    const target = edit.version === undefined ? { pk: `AGREEMENT#${id}`, sk: 'AGREEMENT' } : (await entryItemsOf(id)).find((e) => e.entry.version === edit.version)!;
    if (edit.remove) await deleteItem(target);
    else {
      await dynamo.send(new UpdateCommand({
        TableName: tableName, Key: { pk: target.pk, sk: target.sk }, UpdateExpression: edit.update,
        ExpressionAttributeNames: Object.fromEntries([['#data', 'data'], ['#entry', 'entry'], ['#to', 'to']].filter(([n]) => edit.update!.includes(n!))),
        ExpressionAttributeValues: { ':v': 'Tampered' },
      }));
    }
    if (edit.rehash) {
      const edited = (await entryItemsOf(id)).find((e) => e.entry.version === edit.version)!;
      const { hash: _, ...body } = edited.entry;
      await putItem({ ...edited, entry: { ...body, hash: sha256(canonical(body)) } });
    }
    const h = await t.call('GET', `/agreements/${id}/history`, { token: t.tokens.auditor });
    expect(h.status).toBe(200);
    expect(h.body.integrity).toEqual(integrity);
  });

  it('reads, certifies and amends an agreement stored before its history entries were items of their own (its next change moves them out)', async () => {
    const id = (await logSigning(t, cer, agreement(['his-a', 'his-b'], { title: 'Stored the old way' }))).body.id as string;
    expect((await t.call('PATCH', `/agreements/${id}`, { body: { title: 'Amended the old way', reason: 'typo' }, headers: { 'if-match': '"1"' } })).status).toBe(200);
    const before = (await t.call('GET', `/agreements/${id}/history`)).body;
    const certificate = await t.call('GET', `/agreements/${id}/certificate.pdf?version=1`);
    // The item as it was written then: its whole history in it, no head, no entry items.
    const { getItem } = await import('#shared/store/operations.ts');
    const { agreementKey } = await import('#shared/store/keys.ts');
    const { head: _, historyBytes: __, ...item } = (await getItem(agreementKey(id)))!;
    for (const entry of await entryItemsOf(id)) await deleteItem(entry);
    await putItem({ ...item, history: before.items });
    expect((await t.call('GET', `/agreements/${id}/history`)).body).toEqual(before);
    const again = await t.call('GET', `/agreements/${id}/certificate.pdf?version=1`);
    expect([again.status, again.headers.get('etag')]).toEqual([200, certificate.headers.get('etag')]);
    expect((await t.call('GET', `/agreements?partyId=his-b&limit=100`)).body.items.map((a: any) => a.id)).toContain(id);
    // Its next change writes out every entry, and the item drops its history.
    const amended = await t.call('PATCH', `/agreements/${id}`, { body: { title: 'Amended the new way', reason: 'typo again' }, headers: { 'if-match': '"2"' } });
    expect(amended.status).toBe(200);
    const after = (await t.call('GET', `/agreements/${id}/history`)).body;
    expect(after.items.slice(0, 2)).toEqual(before.items);
    expect([after.items.length, after.integrity]).toEqual([3, { chainValid: true, stateMatches: true, firstBadVersion: null }]);
    const stored = (await getItem(agreementKey(id)))!;
    expect(['history' in stored, stored.head]).toEqual([false, after.items[2].hash]);
    const { answerBytes } = await import('#shared/store/paging.ts');
    expect(stored.historyBytes).toBe(after.items.reduce((n: number, e: unknown) => n + answerBytes(e), 0));
    expect((await entryItemsOf(id)).map((e) => e.entry.version)).toEqual([1, 2, 3]);
  });

  it('leaves the entry of a change that lost its race out of the history', async () => {
    const id = (await logSigning(t, cer, agreement(['his-a', 'his-b'], { title: 'Raced' }))).body.id as string;
    const amend = (title: string) => t.call('PATCH', `/agreements/${id}`, { body: { title, reason: 'race' }, headers: { 'if-match': '"1"' } });
    const outcomes = await Promise.all(['One', 'Two', 'Three', 'Four'].map(amend));
    const won = outcomes.filter((r) => r.status === 200);
    expect(won).toHaveLength(1);
    const h = (await t.call('GET', `/agreements/${id}/history`)).body;
    expect([h.items.length, h.items[1].changes.title.to, h.integrity.chainValid, h.integrity.stateMatches]).toEqual([2, won[0]!.body.title, true, true]);
    // The losers wrote their entries before their commits failed: beside the chain, never in it.
    const written = (await entryItemsOf(id)).filter((e) => e.entry.version === 2);
    expect(written.length).toBeGreaterThan(1);
    expect(written.filter((e) => e.entry.hash === h.items[1].hash)).toHaveLength(1);
  });
});

describe('ceremony corrections', () => {
  const open = async (id: string, over: Record<string, unknown> = {}) => {
    const r = await t.call('POST', '/ceremonies', { body: { ...ceremony(id), ...over } });
    expect([r.status, r.headers.get('etag')]).toEqual([201, '"1"']);
    return r.body;
  };
  const correct = (id: string, body: unknown, ifMatch: string | null = '"1"') =>
    t.call('PATCH', `/ceremonies/${id}`, { body, headers: ifMatch === null ? {} : { 'if-match': ifMatch } });

  it('corrects a ceremony with a reason, keeps every correction, and certificates print the corrected ceremony', async () => {
    const opened = await open('his-cer-fix');
    const signed = await logSigning(t, 'his-cer-fix', agreement(['his-a', 'his-b'], { title: 'At a mistyped venue' }));
    const before = await t.call('GET', `/agreements/${signed.body.id}/certificate.pdf`);
    const fixed = await correct('his-cer-fix', { venue: 'Chongqing Yuelai International Convention Center', event: null, reason: 'venue moved; no event' });
    expect([fixed.status, fixed.headers.get('etag'), fixed.body.version, fixed.body.venue, 'event' in fixed.body, fixed.body.createdAt]).toEqual([200, '"2"', 2, 'Chongqing Yuelai International Convention Center', false, opened.createdAt]);
    const between = await t.call('GET', `/agreements/${signed.body.id}/certificate.pdf`);
    const again = await correct('his-cer-fix', { startsAt: '2021-08-23T15:00:00+08:00', reason: 'started late' }, '"2"');
    expect(again.status).toBe(200);
    // Corrected, it still knows the request that opened it: that request sent again is a replay, not a clash.
    const reopened = await t.call('POST', '/ceremonies', { body: ceremony('his-cer-fix') });
    expect([reopened.status, reopened.headers.get('idempotent-replayed')]).toEqual([201, 'true']);
    const read = await t.call('GET', '/ceremonies/his-cer-fix', { token: t.tokens.auditor });
    expect([read.headers.get('etag'), read.body]).toEqual(['"3"', again.body]);
    const history = await t.call('GET', '/ceremonies/his-cer-fix/history', { token: t.tokens.auditor });
    // Chained as an agreement's history is: each entry's stateHash is of the ceremony as GET answered it at that version.
    expectChain(history.body.items);
    expect(history.body.items.map((e: { stateHash: string }) => e.stateHash)).toEqual([opened, fixed.body, again.body].map((c) => sha256(canonical(c))));
    expect(history.body.integrity).toEqual({ chainValid: true, stateMatches: true, firstBadVersion: null });
    const unhashed = ({ stateHash: _s, prevHash: _p, hash: _h, ...entry }: Record<string, unknown>) => entry;
    expect({ ...history.body, items: history.body.items.map(unhashed), integrity: undefined }).toEqual({
      ceremonyId: 'his-cer-fix', version: 3,
      items: [
        // The opening lists every field it was opened with, as it was before the corrections.
        { version: 1, action: 'created', at: opened.createdAt, actor: 'local-staff', reason: null, changes: Object.fromEntries(
          (['title', 'event', 'venue', 'city', 'countryCode', 'startsAt', 'endsAt', 'timeZone'] as const).filter((f) => opened[f] !== undefined).map((f) => [f, { from: null, to: opened[f] }]),
        ) },
        { version: 2, action: 'amended', at: fixed.body.updatedAt, actor: 'local-staff', reason: 'venue moved; no event', changes: {
          venue: { from: opened.venue, to: 'Chongqing Yuelai International Convention Center' }, ...(opened.event !== undefined && { event: { from: opened.event, to: null } }),
        } },
        { version: 3, action: 'amended', at: again.body.updatedAt, actor: 'local-staff', reason: 'started late', changes: { startsAt: { from: opened.startsAt, to: '2021-08-23T15:00:00+08:00' } } },
      ],
    });
    const pdf = await t.call('GET', `/agreements/${signed.body.id}/certificate.pdf`);
    expect((await import('./support/pdf-text.ts')).pdfToText(pdf.body).replace(/\s+/g, ' ')).toContain('Chongqing Yuelai International Convention Center');
    expect(pdf.headers.get('etag')).not.toBe(before.headers.get('etag'));
    // A file handed out before the correction is still one the registry issued; it is told what it prints otherwise.
    const upload = async (file: unknown, accept = 'application/json') => t.call('POST', '/verify', { token: null, body: file, headers: { 'content-type': 'application/pdf', accept } });
    const first = await upload(before.body);
    expect([first.status, first.body.status, first.body.agreement.ceremony.correctedAt]).toEqual([200, 'valid', again.body.updatedAt]);
    // Its venue as it was; not its start, which moved within the day it prints.
    expect(first.body.ceremonyAsPrinted).toEqual({ version: 1, correctedAt: fixed.body.updatedAt, fields: { venue: opened.venue } });
    expect(first.body.detail).toBe('This certificate was issued by the registry for the agreement as it stands, but it prints the ceremony as it was before a correction (its venue): download it again for a copy that prints the ceremony as corrected.');
    expect(first.body.detailZh).toBe('此证书由登记系统签发，所载为协议的现行版本，但其中的签约仪式信息为更正前的内容（地点）。请重新下载，以获取载有更正后仪式信息的证书。');
    // One downloaded between the corrections prints what the ceremony prints now (the same bytes as one downloaded now).
    const now = await upload(between.body);
    expect([now.body.status, now.body.detail, 'ceremonyAsPrinted' in now.body, between.headers.get('etag')]).toEqual(['valid', 'This certificate was issued by the registry and describes the agreement as it stands.', false, pdf.headers.get('etag')]);
    // A person holding the first file is told what it prints, on the clock of the page's other days: the ceremony's time zone (Asia/Shanghai), not UTC.
    const day = (at: string) => new Date(Date.parse(at) + 8 * 3600_000);
    const en = (d: Date) => `${d.getUTCDate()} ${d.toLocaleString('en-GB', { month: 'long', timeZone: 'UTC' })} ${d.getUTCFullYear()}`;
    const page = plain((await upload(before.body, 'text/html')).body);
    expect(page).toContain(`This file prints the ceremony as it was before its correction on ${en(day(fixed.body.updatedAt))}: the venue as “<bdi dir="ltr">${opened.venue}, `);
    expect(page).toContain('The details above are as corrected.');
    expect(page).toContain(`此文件所载为${day(fixed.body.updatedAt).getUTCFullYear()}年${day(fixed.body.updatedAt).getUTCMonth() + 1}月${day(fixed.body.updatedAt).getUTCDate()}日更正前的仪式信息：地点为“<bdi dir="ltr">${opened.venue}`);
    // Its printed link cannot tell which file it is on: the page says when the ceremony was corrected.
    const link = /https?:\/\/[^/\s]+(\/verify\/\S+)/.exec((await import('./support/pdf-text.ts')).pdfToText(before.body))![1]!;
    const linkPage = plain((await t.call('GET', link, { token: null, headers: { accept: 'text/html' } })).body);
    expect(linkPage).toContain(`Corrected on ${en(day(again.body.updatedAt))}: a certificate downloaded before then prints the ceremony as it was.`);
    expect(linkPage).toContain(`已于${day(again.body.updatedAt).getUTCFullYear()}年${day(again.body.updatedAt).getUTCMonth() + 1}月${day(again.body.updatedAt).getUTCDate()}日更正`);
    // A ceremony that runs a day longer prints other days: the file from between the corrections now prints them as they were.
    const longer = await correct('his-cer-fix', { endsAt: '2021-08-24T18:00:00+08:00', reason: 'a second day' }, '"3"');
    expect(longer.status).toBe(200);
    const stale = await upload(between.body);
    expect(stale.body.ceremonyAsPrinted).toEqual({ version: 3, correctedAt: longer.body.updatedAt, fields: { endsAt: null } });
    expect(stale.body.detail).toContain('(its end time)');
    expect(plain((await upload(between.body, 'text/html')).body)).toContain(`before its correction on ${en(day(longer.body.updatedAt))}: its days as 23 August 2021. The details above are as corrected.`);
    expect((await upload(before.body)).body.ceremonyAsPrinted.fields).toEqual({ venue: opened.venue, endsAt: null });
  });

  it('tells an uploaded file that it prints the signing time on a clock a correction changed', async () => {
    const upload = async (file: unknown, accept = 'application/json') => t.call('POST', '/verify', { token: null, body: file, headers: { 'content-type': 'application/pdf', accept } });
    const download = async (id: string) => (await t.call('GET', `/agreements/${id}/certificate.pdf`)).body;
    // No time zone, a signing logged in UTC: it prints on the offset the ceremony's start is written in.
    await open('his-cer-printed-clock', { timeZone: undefined });
    const utc = await logSigning(t, 'his-cer-printed-clock', agreement(['his-a', 'his-b'], { title: 'Logged in UTC', signedAt: '2021-08-23T06:30:00Z' }));
    const before = await download(utc.body.id);
    expect((await correct('his-cer-printed-clock', { startsAt: '2021-08-23T13:00:00+07:00', reason: 'the venue\'s clock' })).status).toBe(200);
    const moved = await upload(before);
    expect([moved.body.status, moved.body.ceremonyAsPrinted?.fields]).toEqual(['valid', { startsAt: '2021-08-23T14:00:00+08:00' }]);
    expect(moved.body.detail).toContain('(its start time)');
    const page = plain((await upload(before, 'text/html')).body);
    expect(page).toContain('the signing time as 23 August 2021, 14:30 · UTC+08:00.');
    expect(page).not.toContain('its days as');
    // A time zone renamed, the same offset: the signing time prints under the zone's other name.
    await open('his-cer-printed-zone');
    const zoned = await logSigning(t, 'his-cer-printed-zone', agreement(['his-a', 'his-b'], { title: 'In Shanghai time' }));
    const old = await download(zoned.body.id);
    expect((await correct('his-cer-printed-zone', { timeZone: 'Asia/Hong_Kong', reason: 'the venue\'s zone' })).status).toBe(200);
    const renamed = await upload(old);
    expect(renamed.body.ceremonyAsPrinted?.fields).toEqual({ timeZone: 'Asia/Shanghai' });
    expect(plain((await upload(old, 'text/html')).body)).toMatch(/the signing time as 23 August 2021, \d\d:\d\d · UTC\+08:00 \(Asia\/Shanghai\)\. The details above are as corrected\./);
  });

  it('a file from before files were recorded, of a ceremony corrected since, still checks out (re-rendered as the ceremony stood)', async () => {
    await open('his-cer-legacy');
    const signed = await logSigning(t, 'his-cer-legacy', agreement(['his-a', 'his-b'], { title: 'Handed out long ago' }));
    const file = (await t.call('GET', `/agreements/${signed.body.id}/certificate.pdf`)).body as Buffer;
    const { dynamo, tableName } = await import('#shared/store/client.ts');
    const { DeleteCommand } = await import('@aws-sdk/lib-dynamodb');
    const keys = await import('#shared/store/keys.ts');
    await dynamo.send(new DeleteCommand({ TableName: tableName, Key: keys.issuedCertificateKey(signed.body.id, 1, sha256(file)) }));
    const check = async (pdf: Buffer) => (await t.call('POST', '/verify', { token: null, body: pdf, headers: { 'content-type': 'application/pdf' } })).body.status;
    expect(await check(file)).toBe('valid');
    const title = await correct('his-cer-legacy', { title: 'Corrected title', reason: 'typo' });
    expect(title.status).toBe(200);
    const corrected = await correct('his-cer-legacy', { city: 'Corrected city', reason: 'typo' }, '"2"');
    expect(corrected.status).toBe(200);
    expect(await check(file)).toBe('valid');
    // Its verdict gives the ceremony as it stands, saying when it was corrected.
    const verdict = (await t.call('POST', '/verify', { token: null, body: file, headers: { 'content-type': 'application/pdf' } })).body;
    expect(verdict.agreement.ceremony).toMatchObject({ title: 'Corrected title', city: 'Corrected city', correctedAt: corrected.body.updatedAt });
    // Matched by a re-render of the ceremony as opened: it is told what it prints otherwise.
    expect(verdict.ceremonyAsPrinted).toEqual({ version: 1, correctedAt: title.body.updatedAt, fields: { title: 'Ceremony his-cer-legacy', city: 'Chongqing' } });
    expect(await check(Buffer.concat([file, Buffer.from('% altered\n')]))).toBe('invalid');
  });

  it('refuses, with a 422 and nothing changed, a correction that would outgrow the ceremony\'s item (400 KB)', async () => {
    await open('his-cer-full');
    const { dynamo, tableName } = await import('#shared/store/client.ts');
    const { UpdateCommand } = await import('@aws-sdk/lib-dynamodb');
    const keys = await import('#shared/store/keys.ts');
    // 130 corrections of the longest reason, written straight into the item (through the API they would take hours).
    const corrections = Array.from({ length: 130 }, (_, i) => ({ version: i + 2, action: 'amended', at: '2021-08-23T06:00:00.000Z', actor: 'local-staff', reason: 'r'.repeat(1000) + 'é'.repeat(1000), changes: { title: { from: `T${i}`, to: `T${i + 1}` } } }));
    // (Unchained, as kept before histories were: a correction chains them as they stand.)
    await dynamo.send(new UpdateCommand({ TableName: tableName, Key: keys.ceremonyKey('his-cer-full'), UpdateExpression: 'SET corrections = :c REMOVE head, stateHash', ExpressionAttributeValues: { ':c': corrections } }));
    const full = await correct('his-cer-full', { venue: 'Hall 9', reason: 'é'.repeat(1000) });
    expect([full.status, full.body.errors]).toEqual([422, [{ path: '', message: 'would outgrow the ceremony\'s record' }]]);
    expect((await t.call('GET', '/ceremonies/his-cer-full')).body).toMatchObject({ version: 1, venue: ceremony('x').venue });
  });

  it('shows an edit behind the API (to the record, a correction or the seal) in its history; holds back corrections (409), and certificates and verifications of what it prints; says so to operators; restored, all is as before', async () => {
    await open('his-cer-chain');
    const signed = await logSigning(t, 'his-cer-chain', agreement(['his-a', 'his-b'], { title: 'At a ceremony edited behind the API' }));
    const genuine = await t.call('GET', `/agreements/${signed.body.id}/certificate.pdf`);
    expect((await correct('his-cer-chain', { venue: 'Hall 2', reason: 'moved' })).status).toBe(200);
    const corrected = await t.call('GET', `/agreements/${signed.body.id}/certificate.pdf`);
    const { getItem } = await import('#shared/store/operations.ts');
    const { ceremonyKey, issuedCertificateKey } = await import('#shared/store/keys.ts');
    // The file from before the correction, as one handed out before files were recorded: checked by printing it again.
    await deleteItem(issuedCertificateKey(signed.body.id, 1, sha256(genuine.body)));
    const item = (await getItem(ceremonyKey('his-cer-chain')))! as Record<string, any>;
    const rehashed = ({ hash: _, ...entry }: Record<string, unknown>) => ({ ...entry, hash: sha256(canonical(entry)) });
    const { head: _head, stateHash: _stateHash, ...unsealed } = item;
    const integrity = async () => (await t.call('GET', '/ceremonies/his-cer-chain/history', { token: t.tokens.auditor })).body.integrity;
    const download = () => t.call('GET', `/agreements/${signed.body.id}/certificate.pdf`);
    const verified = async (file: Buffer) => (await t.call('POST', '/verify', { token: null, body: file, headers: { 'content-type': 'application/pdf' } })).body;
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      for (const [edit, found, printed] of [
        // A field no correction touched: the opening, worked out from the record, is not the one committed.
        [{ ...item, data: { ...item.data, city: 'Forged city' } }, { chainValid: false, stateMatches: false, firstBadVersion: 1 }, false],
        // The field the correction set: the state it committed.
        [{ ...item, data: { ...item.data, venue: 'Forged hall' } }, { chainValid: false, stateMatches: false, firstBadVersion: 2 }, false],
        // The seal removed, with the record edited: its chained corrections tell it had one.
        [{ ...unsealed, data: { ...item.data, venue: 'Forged hall' } }, { chainValid: false, stateMatches: false, firstBadVersion: 2 }, false],
        // A correction's reason, its hash left, or recomputed: then it is not the entry the item names as
        // its latest. What certificates print is as committed: they are issued.
        [{ ...item, corrections: [{ ...item.corrections[0], reason: 'Forged reason' }] }, { chainValid: false, stateMatches: true, firstBadVersion: 2 }, true],
        [{ ...item, corrections: [rehashed({ ...item.corrections[0], reason: 'Forged reason' })] }, { chainValid: false, stateMatches: true, firstBadVersion: 2 }, true],
        // What the correction changed from: the opening worked out from it is not the one committed.
        [{ ...item, corrections: [{ ...item.corrections[0], changes: { venue: { from: 'Forged opening hall', to: 'Hall 2' } } }] }, { chainValid: false, stateMatches: true, firstBadVersion: 1 }, true],
      ] as const) {
        await putItem(edit);
        expect(await integrity()).toEqual(found);
        const certificate = await download();
        if (printed) expect([certificate.status, certificate.headers.get('etag')]).toEqual([200, corrected.headers.get('etag')]);
        else expect([certificate.status, certificate.body.detail]).toEqual([409, 'Ceremony his-cer-chain was changed outside the registry (its record no longer matches its history): no certificate of its signings is issued until it is restored']);
        // A file on record is still genuine; its verdict shows the ceremony only as committed.
        const verdict = await verified(corrected.body);
        expect([verdict.status, verdict.agreement.ceremony?.venue]).toEqual(['valid', printed ? 'Hall 2' : undefined]);
        // One not on record cannot be printed again from a history that does not check out to compare with.
        expect([(await verified(genuine.body)).status, (await verified(genuine.body)).reason]).toEqual(['invalid', 'not-comparable']);
        // Not corrected on top, whatever the correction (one that moves its days is refused so too, before its signings are read).
        const refused = await correct('his-cer-chain', { title: 'Corrected on an edited record', reason: 'r' }, '"2"');
        expect([refused.status, refused.body.detail]).toEqual([409, expect.stringMatching(/^Ceremony his-cer-chain was changed outside the registry \(.+\): it is not corrected until it is restored$/)]);
        expect((await correct('his-cer-chain', { startsAt: '2021-08-24T09:00:00+08:00', reason: 'r' }, '"2"')).status).toBe(409);
        // A signing does not copy its ceremony: it is logged, against the ceremony's days as they stand.
        expect((await logSigning(t, 'his-cer-chain', agreement(['his-a', 'his-b'], { title: `Logged meanwhile ${JSON.stringify(found)}${printed}` }))).status).toBe(201);
      }
      expect(logged.mock.calls.map(([line]) => line).filter((l) => l?.category === 'integrity' && l.ceremonyId === 'his-cer-chain')).not.toHaveLength(0);
    } finally {
      logged.mockRestore();
    }
    await putItem(item);
    expect(await integrity()).toEqual({ chainValid: true, stateMatches: true, firstBadVersion: null });
    const restored = await download();
    expect([restored.status, restored.headers.get('etag')]).toEqual([200, corrected.headers.get('etag')]);
    expect(restored.headers.get('etag')).not.toBe(genuine.headers.get('etag')); // it prints the corrected venue
    expect((await verified(genuine.body)).agreement.ceremony.venue).toBe('Hall 2'); // printed again as it was opened: genuine
    expect((await verified(corrected.body)).agreement.ceremony.venue).toBe('Hall 2');
    expect((await correct('his-cer-chain', { title: 'Corrected once restored', reason: 'r' }, '"2"')).status).toBe(200);
    expect(await integrity()).toEqual({ chainValid: true, stateMatches: true, firstBadVersion: null });
  });

  it('refuses a correction that would leave a signing off the ceremony\'s days, naming it; a voided one does not count', async () => {
    await open('his-cer-days');
    const kept = await logSigning(t, 'his-cer-days', agreement(['his-a', 'his-b'], { title: 'Kept', signedAt: '2021-08-23T16:00:00+08:00' }));
    const voided = await logSigning(t, 'his-cer-days', agreement(['his-a', 'his-b'], { title: 'Voided', signedAt: '2021-08-23T17:00:00+08:00' }));
    await t.call('POST', `/agreements/${voided.body.id}/void`, { body: { reason: 'logged twice' }, headers: { 'if-match': '"1"' } });
    const moved = await correct('his-cer-days', { startsAt: '2021-08-25T10:00:00+08:00', reason: 'wrong day' });
    expect([moved.status, moved.body.errors]).toEqual([422, [{ path: '/startsAt', message: 'would leave 1 signing off the ceremony\'s days' }]]);
    expect(moved.body.detail).toContain(`${kept.body.code} (signed 2021-08-23T16:00:00+08:00)`);
    expect(moved.body.detail).not.toContain(voided.body.code);
    // Moved so that its signing still fits: taken.
    expect((await correct('his-cer-days', { startsAt: '2021-08-22T10:00:00+08:00', endsAt: '2021-08-23T18:00:00+08:00', reason: 'two days' })).status).toBe(200);
    // Its certificate, and the answer and page its link gives, print the ceremony's two days.
    const pdf = (await t.call('GET', `/agreements/${kept.body.id}/certificate.pdf`)).body as Buffer;
    const text = (await import('./support/pdf-text.ts')).pdfToText(pdf).replace(/\s+/g, ' ');
    expect(text).toContain('22–23 August 2021 · 2021年8月22日至23日');
    const link = /https?:\/\/\S+(\/verify\/\S+)/.exec(text)![1]!;
    expect((await t.call('GET', link, { token: null })).body.agreement.ceremony).toMatchObject({ startsAt: '2021-08-22T10:00:00+08:00', endsAt: '2021-08-23T18:00:00+08:00' });
    const daysPage = (await t.call('GET', link, { token: null, headers: { accept: 'text/html' } })).body as string;
    for (const kept of ['22–23\u00A0August\u00A02021', '<span class="together">2021年8月22日至23日</span>']) expect(daysPage).toContain(kept); // a range holds together too
    expect(plain(daysPage)).toContain('22–23 August 2021 · <span lang="zh-Hans">2021年8月22日至23日</span>');
    const shorter = await correct('his-cer-days', { endsAt: null, reason: 'one day' }, '"2"');
    expect([shorter.status, shorter.body.errors]).toEqual([422, [{ path: '/endsAt', message: 'would leave 1 signing off the ceremony\'s days' }]]);
    // Of two times corrected at once, the one that leaves the signing off its day is named, not the
    // first: a start an hour later on its day moves no day, an end a day earlier does.
    const both = await correct('his-cer-days', { startsAt: '2021-08-22T11:00:00+08:00', endsAt: '2021-08-22T18:00:00+08:00', reason: 'one day' }, '"2"');
    expect([both.status, both.body.errors]).toEqual([422, [{ path: '/endsAt', message: 'would leave 1 signing off the ceremony\'s days' }]]);
    // Both moved two days later: the start now falls after the signing's day, and is named.
    const later = await correct('his-cer-days', { startsAt: '2021-08-24T10:00:00+08:00', endsAt: '2021-08-25T18:00:00+08:00', reason: 'two days later' }, '"2"');
    expect(later.body.errors.map((e: { path: string }) => e.path)).toEqual(['/startsAt']);
    // Once the signing is amended to the right day, the ceremony can be corrected to it: the first
    // version's (wrong) day cannot be amended, and does not hold the correction back.
    await t.call('PATCH', `/agreements/${kept.body.id}`, { body: { signedAt: '2021-08-22T16:00:00+08:00', reason: 'the day before' }, headers: { 'if-match': '"1"' } });
    expect((await correct('his-cer-days', { endsAt: null, reason: 'one day' }, '"2"')).status).toBe(200);
  });

  it('says when a correction that would leave a signing off the days moves the clock they are read on (a time rewritten in UTC)', async () => {
    await open('his-cer-clock');
    // 01:30 on the 23rd at the venue (UTC+08:00), logged in UTC: the 22nd once the ceremony's times are all written in UTC.
    const early = await logSigning(t, 'his-cer-clock', agreement(['his-a', 'his-b'], { title: 'Early', signedAt: '2021-08-22T17:30:00Z' }));
    expect(early.status).toBe(201);
    const rewritten = await correct('his-cer-clock', { startsAt: '2021-08-23T06:00:00Z', timeZone: null, reason: 'times in UTC' });
    expect(rewritten.status).toBe(422);
    expect(rewritten.body.detail).toContain('(it moves the clock the ceremony\'s days are read on from Asia/Shanghai to each signing\'s own clock (UTC for one logged in UTC))');
  });

  it('reads every signing of a ceremony page by page, without a cursor, for the checks a correction makes', async () => {
    await open('his-cer-pages');
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push((await logSigning(t, 'his-cer-pages', agreement(['his-a', 'his-b'], { title: `Page ${i}` }))).body.id);
    const { agreementsOfCeremony } = await import('#shared/store/agreement-lists.ts');
    const pages: string[][] = [];
    for await (const page of agreementsOfCeremony('his-cer-pages', 2)) pages.push(page.map((a) => a.id));
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    expect(pages.flat().sort()).toEqual(ids.sort());
  });

  it('refuses what an amendment refuses: no If-Match, a stale one, no reason, nothing but a reason, an end before the start', async () => {
    await open('his-cer-bad');
    expect((await correct('his-cer-bad', { venue: 'V2', reason: 'r' }, null)).status).toBe(428);
    expect((await correct('his-cer-bad', { venue: 'V2', reason: 'r' }, '"7"')).status).toBe(412);
    expect((await correct('his-cer-bad', { venue: 'V2' })).body.errors).toEqual([{ path: '/reason', message: 'is required' }]);
    expect((await correct('his-cer-bad', { reason: 'r' })).status).toBe(400);
    const backwards = await correct('his-cer-bad', { endsAt: '2021-08-22T10:00:00+08:00', reason: 'r' });
    expect([backwards.status, backwards.body.errors]).toEqual([422, [{ path: '/endsAt', message: 'must not be before startsAt' }]]);
    // The field the correction sent is the one named.
    expect((await correct('his-cer-bad', { endsAt: '2021-08-24T10:00:00+08:00', reason: 'two days' })).status).toBe(200);
    const late = await correct('his-cer-bad', { startsAt: '2021-08-25T10:00:00+08:00', reason: 'r' }, '"2"');
    expect([late.status, late.body.errors]).toEqual([422, [{ path: '/startsAt', message: 'must not be after endsAt' }]]);
    expect((await correct('his-cer-bad', { endsAt: null, reason: 'one day after all' }, '"2"')).status).toBe(200);
    expect((await correct('his-cer-missing', { venue: 'V2', reason: 'r' })).status).toBe(404);
    // A correction that changes nothing records nothing.
    const same = await correct('his-cer-bad', { venue: ceremony('x').venue, reason: 'no-op' }, '"3"');
    expect([same.status, same.body.version]).toEqual([200, 3]);
    expect((await t.call('GET', '/ceremonies/his-cer-bad/history')).body.items).toHaveLength(3);
  });

  it('a correction sent again while it is the latest change answers as made; copies sent at once make one change', async () => {
    await open('his-cer-retry');
    const body = { city: 'Liangjiang, Chongqing', reason: 'district left out' };
    const copies = await Promise.all(Array.from({ length: 6 }, () => correct('his-cer-retry', body)));
    expect(copies.map((r) => r.status)).toEqual(Array(6).fill(200));
    expect(copies.filter((r) => r.headers.get('idempotent-replayed') === 'true')).toHaveLength(5);
    expect((await t.call('GET', '/ceremonies/his-cer-retry/history')).body.items).toHaveLength(2);
    // Copies stamped in the same millisecond (the clock stopped) too: one is the change, the others replays.
    const { vi } = await import('vitest');
    await open('his-cer-instant');
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now());
    let sameInstant;
    try {
      sameInstant = await Promise.all(Array.from({ length: 3 }, () => correct('his-cer-instant', body)));
    } finally {
      vi.useRealTimers();
    }
    expect(sameInstant.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(sameInstant.filter((r) => r.headers.get('idempotent-replayed') === 'true')).toHaveLength(2);
    // The same fields with another reason is another change: the sender's view is stale.
    expect((await correct('his-cer-retry', { ...body, reason: 'another reason' })).status).toBe(412);
    // So is one the rules would refuse on the version it names: 412, not 422.
    expect((await correct('his-cer-retry', { endsAt: '2021-08-22T10:00:00+08:00', reason: body.reason })).status).toBe(412);
  });

  it('a later start moves the ceremony in the list, which stays newest start first', async () => {
    await open('his-cer-late', { startsAt: '2021-08-20T09:00:00+08:00' });
    await open('his-cer-early', { startsAt: '2021-08-21T09:00:00+08:00' });
    const order = async () => (await t.call('GET', '/ceremonies?limit=100')).body.items.map((c: { id: string }) => c.id).filter((id: string) => ['his-cer-late', 'his-cer-early'].includes(id));
    expect(await order()).toEqual(['his-cer-early', 'his-cer-late']);
    expect((await correct('his-cer-late', { startsAt: '2021-08-22T09:00:00+08:00', reason: 'wrong day' })).status).toBe(200);
    expect(await order()).toEqual(['his-cer-late', 'his-cer-early']);
  });

  it('reads and corrects a ceremony stored before ceremonies had versions, as version 1', async () => {
    const { dynamo, tableName } = await import('#shared/store/client.ts');
    const { PutCommand } = await import('@aws-sdk/lib-dynamodb');
    const keys = await import('#shared/store/keys.ts');
    const data = { ...ceremony('his-cer-old'), createdAt: '2021-08-01T00:00:00.000Z', createdBy: 'early-staff' };
    await dynamo.send(new PutCommand({ TableName: tableName, Item: { ...keys.ceremonyKey('his-cer-old'), ...keys.ceremonyIndexKeys({ id: 'his-cer-old', startsAtUtc: '2021-08-23T06:00:00.000Z' }), type: 'ceremony', data, requestHash: 'h' } }));
    const read = await t.call('GET', '/ceremonies/his-cer-old');
    expect([read.headers.get('etag'), read.body.version, read.body.updatedAt, read.body.updatedBy]).toEqual(['"1"', 1, data.createdAt, 'early-staff']);
    // Kept before histories were chained: nothing to check its history against, and its entries carry no hashes.
    const unchained = (await t.call('GET', '/ceremonies/his-cer-old/history')).body;
    expect([unchained.integrity, unchained.items.map((e: object) => 'hash' in e)]).toEqual([null, [false]]);
    const renamed = await correct('his-cer-old', { title: 'Renamed ceremony', reason: 'title typo' });
    expect(renamed.body).toMatchObject({ version: 2, title: 'Renamed ceremony', createdBy: 'early-staff' });
    // Its next correction chains its history as it stands.
    const chained = (await t.call('GET', '/ceremonies/his-cer-old/history')).body;
    expectChain(chained.items);
    expect(chained.items.map((e: { stateHash: string }) => e.stateHash)).toEqual([read.body, renamed.body].map((c) => sha256(canonical(c))));
    expect(chained.integrity).toEqual({ chainValid: true, stateMatches: true, firstBadVersion: null });
    // Version 1 names only a ceremony that exists: a correction never creates one.
    expect((await correct('his-cer-never', { title: 'X', reason: 'r' })).status).toBe(404);
  });
});
