/**
 * Flaky venue Wi-Fi: retries and concurrent duplicates must never create a second agreement or
 * record a change twice, and concurrent amendments based on one version must let exactly one through.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadSecret, mintToken } from '#infra/local/jwt.ts';
import { agreement, ceremony, logSigning, party, setup } from './support/fixtures.ts';
import { startTestRegistry, type TestRegistry } from './support/registry.ts';

let t: TestRegistry;
let cer: string;

beforeAll(async () => {
  t = await startTestRegistry();
  cer = await setup(t, [party('con-a'), party('con-b', { countryCode: 'KZ' })]);
});
afterAll(() => t.close());

describe('creating parties and ceremonies, safe to retry', () => {
  it('a party sent again, with its id or with an Idempotency-Key instead, is created once and the retry says it is a replay', async () => {
    for (const [body, headers] of [[party('retry-p', { name: 'Retried Ltd' }), {}], [{ kind: 'enterprise', name: 'Keyed Ltd', countryCode: 'CN' }, { 'idempotency-key': 'party-key-1' }]] as const) {
      const replies = await Promise.all(Array.from({ length: 10 }, () => t.call('POST', '/parties', { body, headers })));
      expect(replies.map((r) => r.status)).toEqual(Array(10).fill(201));
      expect(new Set(replies.map((r) => r.body.id)).size).toBe(1);
      expect(replies.filter((r) => r.headers.get('idempotent-replayed') !== 'true')).toHaveLength(1);
      expect((await t.call('GET', '/parties?limit=100')).body.items.filter((p: any) => p.name === body.name)).toHaveLength(1);
    }
    // After a rename the same request still replays, with the party as it is now; another body is refused.
    const again = () => t.call('POST', '/parties', { body: { kind: 'enterprise', name: 'Keyed Ltd', countryCode: 'CN' }, headers: { 'idempotency-key': 'party-key-1' } });
    const id = (await again()).body.id;
    expect((await t.call('PATCH', `/parties/${id}`, { body: { name: 'Keyed Holdings' }, headers: { 'if-match': '"1"' } })).status).toBe(200);
    expect([(await again()).status, (await again()).body.name]).toEqual([201, 'Keyed Holdings']);
    const other = await t.call('POST', '/parties', { body: { kind: 'enterprise', name: 'Other Ltd', countryCode: 'CN' }, headers: { 'idempotency-key': 'party-key-1' } });
    expect([other.status, other.body.errors[0].path]).toEqual([422, 'Idempotency-Key']);
    // An id and a key together: the key would guard nothing, so the request says so.
    const both = await t.call('POST', '/parties', { body: party('both-p'), headers: { 'idempotency-key': 'party-key-2' } });
    expect([both.status, both.body.errors[0].path]).toEqual([400, 'Idempotency-Key']);
    // Without an id or a key every request is a new party, as the README says.
    const plain = { kind: 'enterprise', name: 'Unkeyed Ltd', countryCode: 'CN' };
    const [a, b] = [await t.call('POST', '/parties', { body: plain }), await t.call('POST', '/parties', { body: plain })];
    expect(a.body.id).not.toBe(b.body.id);
  });

  it('a ceremony sent again with an Idempotency-Key is opened once', async () => {
    const { id: _id, ...body } = { ...ceremony('unused'), title: 'Keyed ceremony' };
    const replies = await Promise.all(Array.from({ length: 10 }, () => t.call('POST', '/ceremonies', { body, headers: { 'idempotency-key': 'ceremony-key-1' } })));
    expect(replies.map((r) => r.status)).toEqual(Array(10).fill(201));
    expect(new Set(replies.map((r) => r.body.id)).size).toBe(1);
    expect(replies.filter((r) => r.headers.get('idempotent-replayed') === 'true')).toHaveLength(9);
    expect((await t.call('GET', '/ceremonies?limit=100')).body.items.filter((c: any) => c.title === 'Keyed ceremony')).toHaveLength(1);
  });
});

describe('idempotent logging', () => {
  it('refuses a signing\'s very body sent again under another key (a retry that made a new key), naming the agreement; after a void, logs it again', async () => {
    const body = agreement(['con-a', 'con-b'], { title: 'Logged once', signedAt: '2021-08-23T15:05:00+08:00' });
    const first = await logSigning(t, cer, body, 'body-key-1');
    expect(first.status).toBe(201);
    const twice = await logSigning(t, cer, body, 'body-key-2');
    expect([twice.status, twice.body.errors]).toEqual([409, [{ path: 'Idempotency-Key', message: `is not the key ${first.body.code} was logged with; send that key to get it again` }]]);
    expect(twice.body.detail).toContain(first.body.code);
    // Its own key still replays; another body under a new key is another signing.
    expect((await logSigning(t, cer, body, 'body-key-1')).headers.get('idempotent-replayed')).toBe('true');
    expect((await logSigning(t, cer, { ...body, title: 'Logged once, and a second one' }, 'body-key-3')).status).toBe(201);
    const titled = async (title: string) => (await t.call('GET', `/agreements?ceremonyId=${cer}&limit=100`)).body.items.filter((a: any) => a.title === title).length;
    expect(await titled('Logged once')).toBe(1);
    // Voided, its body may be logged again: by copies of one request sent at once (under one key),
    // which take the claim over once between them and answer as one request does.
    expect((await t.call('POST', `/agreements/${first.body.id}/void`, { body: { reason: 'logged in error' }, headers: { 'if-match': '"1"' } })).status).toBe(200);
    const copies = await Promise.all(Array.from({ length: 8 }, () => logSigning(t, cer, body, 'body-key-4')));
    expect(copies.map((r) => r.status)).toEqual(Array(8).fill(201));
    expect(copies.filter((r) => r.headers.get('idempotent-replayed') !== 'true')).toHaveLength(1);
    expect(await titled('Logged once')).toBe(2);
  });

  it('20 concurrent copies of a body under 20 keys log one agreement; a claim left by a request that stopped holds off another key for a minute', async () => {
    const body = agreement(['con-a', 'con-b'], { title: 'Twenty keys', signedAt: '2021-08-23T15:10:00+08:00' });
    const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => logSigning(t, cer, body, `twenty-${i}`)));
    expect(replies.filter((r) => r.status === 201)).toHaveLength(1);
    expect(replies.filter((r) => r.status === 409)).toHaveLength(19);
    expect((await t.call('GET', `/agreements?ceremonyId=${cer}&limit=100`)).body.items.filter((a: any) => a.title === 'Twenty keys')).toHaveLength(1);
    // A request that claimed a body and stopped before its commit (its agreement never made).
    const { putItem } = await import('./support/history-items.ts');
    const { signingClaimKey } = await import('#shared/store/keys.ts');
    const { hashOf } = await import('#shared/domain/canonical.ts');
    const { agreementInput } = await import('#shared/domain/schemas.ts');
    const stopped = agreement(['con-a', 'con-b'], { title: 'Stopped short', signedAt: '2021-08-23T15:15:00+08:00' });
    const claim = (at: Date) => putItem({ ...signingClaimKey(cer, hashOf(agreementInput.parse(stopped))), type: 'signing-claim', agreementId: 'ag-neverc0mmitted0000000', at: at.toISOString() });
    await claim(new Date());
    const held = await logSigning(t, cer, stopped, 'stopped-2');
    // Staff are told what to do: wait for it, and send theirs again only if it does not come.
    expect([held.status, held.body.detail]).toEqual([409, 'A signing with this very body is being logged right now, under another Idempotency-Key: nothing was logged for this request. The other should appear in the ceremony\'s list in a moment; if it has not within 60 seconds, send this request again']);
    await claim(new Date(Date.now() - 61_000));
    expect((await logSigning(t, cer, stopped, 'stopped-3')).status).toBe(201);
  });

  it('50 concurrent duplicates create exactly one agreement', async () => {
    const body = agreement(['con-a', 'con-b'], { title: 'Fifty retries' });
    const replies = await Promise.all(Array.from({ length: 50 }, () => logSigning(t, cer, body, 'burst-key')));
    expect(replies.map((r) => r.status)).toEqual(Array(50).fill(201));
    expect(new Set(replies.map((r) => r.body.id)).size).toBe(1);
    expect(replies.filter((r) => r.headers.get('idempotent-replayed') !== 'true')).toHaveLength(1);

    const byParty = await t.call('GET', '/agreements?partyId=con-a&limit=100');
    expect(byParty.body.items.filter((a: any) => a.title === 'Fifty retries')).toHaveLength(1);
    const byCeremony = await t.call('GET', `/agreements?ceremonyId=${cer}&limit=100`);
    expect(byCeremony.body.items.filter((a: any) => a.title === 'Fifty retries')).toHaveLength(1);
  });

  it('a retry with the same key and body replays the first response, even after an amendment', async () => {
    const body = agreement(['con-a', 'con-b'], { title: 'Replayed' });
    const first = await logSigning(t, cer, body, 'replay-key');
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    await t.call('PATCH', `/agreements/${first.body.id}`, { body: { title: 'Replayed, amended', summary: 'Added later', reason: 'fix' }, headers: { 'if-match': '"1"' } });

    const retry = await logSigning(t, cer, body, 'replay-key');
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.headers.get('etag')).toBe('"1"');
    expect(retry.body).toEqual(first.body);
  });

  it('the same key with a different body is 422 and changes nothing', async () => {
    const first = await logSigning(t, cer, agreement(['con-a', 'con-b'], { title: 'Original' }), 'conflict-key');
    const other = await logSigning(t, cer, agreement(['con-a', 'con-b'], { title: 'Different' }), 'conflict-key');
    expect(other.status).toBe(422);
    expect(other.body.errors[0].path).toBe('Idempotency-Key');
    expect((await t.call('GET', `/agreements/${first.body.id}`)).body.title).toBe('Original');
  });

  it('the same key sent at once with two bodies logs one, and the other leaves no link behind', async () => {
    for (const id of ['con-x1', 'con-x2', 'con-y1', 'con-y2']) expect((await t.call('POST', '/parties', { body: party(id) })).status).toBe(201);
    const { linksOf } = await import('./support/links.ts');
    const { partyLinkPk } = await import('#shared/store/keys.ts');
    for (let round = 0; round < 5; round++) {
      // Bodies of their own each round: a body logged under one key is refused under another.
      const bodies = [agreement(['con-x1', 'con-x2'], { title: `Body X ${round}` }), agreement(['con-y1', 'con-y2'], { title: `Body Y ${round}` })];
      const replies = await Promise.all(bodies.map((body) => logSigning(t, cer, body, `two-bodies-${round}`)));
      expect(replies.map((r) => r.status).sort()).toEqual([201, 422]);
      const won = replies.find((r) => r.status === 201)!.body;
      const linked = async (partyId: string) => (await linksOf(partyLinkPk(partyId))).some((l) => l.agreementId === won.id);
      const winners = won.parties.map((p: any) => p.partyId as string);
      const losers = ['con-x1', 'con-x2', 'con-y1', 'con-y2'].filter((p) => !winners.includes(p));
      expect([await Promise.all(winners.map(linked)), await Promise.all(losers.map(linked))]).toEqual([[true, true], [false, false]]);
      // The losing body was never logged: under a key of its own it is, though its claim named the winner's id.
      const lost = bodies.find((b) => b.title !== won.title)!;
      expect((await logSigning(t, cer, lost, `two-bodies-${round}-again`)).status).toBe(201);
    }
  });

  it('a key sent twice (a list, as the header arrives) is refused, not taken for a new key', async () => {
    const body = agreement(['con-a', 'con-b'], { title: 'Two keys' });
    for (const key of ['k-one,k-two', 'k-one, k-two']) {
      const r = await logSigning(t, cer, body, key);
      expect([r.status, r.body.errors]).toEqual([400, [{ path: 'Idempotency-Key', message: expect.stringContaining('without spaces or commas') }]]);
    }
    // Each key alone is still new: the refused list recorded nothing.
    expect((await logSigning(t, cer, body, 'k-one')).headers.get('idempotent-replayed')).toBeNull();
  });

  it('the same key in another ceremony is another signing', async () => {
    await t.call('POST', '/ceremonies', { body: { id: 'con-other', title: 'Other', venue: 'V', city: 'C', countryCode: 'CN', startsAt: '2021-08-23T10:00:00+08:00' } });
    const body = agreement(['con-a', 'con-b'], { title: 'Per ceremony' });
    const a = await logSigning(t, cer, body, 'shared-key');
    const b = await logSigning(t, 'con-other', body, 'shared-key');
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(a.body.id).not.toBe(b.body.id);
    expect(a.body.code).not.toBe(b.body.code);
  });
});

describe('changes sent again after their answer was lost', () => {
  const otherStaff = () => mintToken(loadSecret(t.registry.dataDir), 'staff', { sub: 'other-staff' });
  const historyOf = async (id: string) => (await t.call('GET', `/agreements/${id}/history`)).body;
  const signatory = { name: 'N', title: 'T' };
  /** Runs `copies` at once with the clock stopped, so that every copy is stamped the same millisecond. */
  async function atOneInstant<T>(copies: () => Promise<T>[]): Promise<T[]> {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now());
    try {
      return await Promise.all(copies());
    } finally {
      vi.useRealTimers();
    }
  }

  it('an amendment sent again with its If-Match answers as made while it is the latest change; another change, another user, or a change on top is 412', async () => {
    const id = (await logSigning(t, cer, agreement(['con-a', 'con-b'], { title: 'Resent' }))).body.id as string;
    const amend = (body: Record<string, unknown>, token?: string) =>
      t.call('PATCH', `/agreements/${id}`, { body, headers: { 'if-match': '"1"' }, ...(token && { token }) });
    const change = { title: 'Resent, fixed', value: { amount: '100.00', currency: 'USD' }, reason: 'typo' };
    const first = await amend(change);
    expect([first.status, first.headers.get('idempotent-replayed')]).toEqual([200, null]);
    const again = await amend(change);
    expect([again.status, again.headers.get('etag'), again.headers.get('idempotent-replayed')]).toEqual([200, '"2"', 'true']);
    expect(again.body).toEqual(first.body);

    // Not the same change: another reason, another value, a field fewer, another user, or one the
    // rules refuse on that version (stale all the same, not a 422).
    const unknownParty = { parties: ['con-a', 'no-such-party'].map((partyId) => ({ partyId, signatory })) };
    for (const [body, token] of [[{ ...change, reason: 'other' }], [{ ...change, title: 'Resent, fixed again' }], [{ title: change.title, reason: 'typo' }], [change, otherStaff()], [{ ...change, ...unknownParty }]] as const) {
      const stale = await amend(body, token);
      expect([stale.status, stale.body.errors?.[0]?.path]).toEqual([412, 'If-Match']);
    }
    // Once someone changes it on top, the sender's view is stale, whatever it sent before.
    const later = await t.call('PATCH', `/agreements/${id}`, { body: { title: 'Resent, later', reason: 'b' }, headers: { 'if-match': '"2"' }, token: otherStaff() });
    expect(later.status).toBe(200);
    expect((await amend(change)).status).toBe(412);
    const history = await historyOf(id);
    expect(history.items.map((e: any) => [e.version, e.actor])).toEqual([[1, 'local-staff'], [2, 'local-staff'], [3, 'other-staff']]);
    expect(history.integrity.chainValid).toBe(true);
  });

  it('an amendment that added a party answers as made even after that party is renamed', async () => {
    expect((await t.call('POST', '/parties', { body: party('resent-c', { name: 'Added Ltd' }) })).status).toBe(201);
    const id = (await logSigning(t, cer, agreement(['con-a', 'con-b'], { title: 'Party added' }))).body.id as string;
    const change = { parties: ['con-a', 'con-b', 'resent-c'].map((partyId) => ({ partyId, signatory })), reason: 'third signatory' };
    const amend = () => t.call('PATCH', `/agreements/${id}`, { body: change, headers: { 'if-match': '"1"' } });
    const first = await amend();
    expect([first.status, first.body.parties[2].name]).toEqual([200, 'Added Ltd']);
    expect((await t.call('PATCH', '/parties/resent-c', { body: { name: 'Added Holdings' }, headers: { 'if-match': '"1"' } })).status).toBe(200);
    const again = await amend();
    expect([again.status, again.headers.get('idempotent-replayed'), again.body]).toEqual([200, 'true', first.body]);
  });

  it('a void sent again answers as made, not 409; a change from before the void is 409', async () => {
    const id = (await logSigning(t, cer, agreement(['con-a', 'con-b'], { title: 'Void resent' }))).body.id as string;
    const amendment = () => t.call('PATCH', `/agreements/${id}`, { body: { title: 'Void resent, fixed', reason: 'typo' }, headers: { 'if-match': '"1"' } });
    expect((await amendment()).status).toBe(200);
    const voidIt = (reason = 'Logged twice') => t.call('POST', `/agreements/${id}/void`, { body: { reason }, headers: { 'if-match': '"2"' } });
    const first = await voidIt();
    expect([first.status, first.body.status, first.headers.get('idempotent-replayed')]).toEqual([200, 'voided', null]);
    const again = await voidIt();
    expect([again.status, again.headers.get('idempotent-replayed'), again.body]).toEqual([200, 'true', first.body]);
    expect((await amendment()).status).toBe(409);
    const another = await voidIt('Another reason');
    expect([another.status, another.body.errors]).toEqual([409, [{ path: '', message: 'changes an agreement that is voided' }]]);
    expect((await historyOf(id)).items).toHaveLength(3);
  });

  it('ten copies of one change sent at once, stamped the same millisecond, make one change; one answer is the change, nine are replays', async () => {
    const id = (await logSigning(t, cer, agreement(['con-a', 'con-b'], { title: 'Burst' }))).body.id as string;
    const replies = await atOneInstant(() => Array.from({ length: 10 }, () =>
      t.call('PATCH', `/agreements/${id}`, { body: { title: 'Burst, fixed', reason: 'typo' }, headers: { 'if-match': '"1"' } })));
    expect(replies.map((r) => [r.status, r.body.version])).toEqual(Array(10).fill([200, 2]));
    expect(replies.filter((r) => r.headers.get('idempotent-replayed') !== 'true')).toHaveLength(1);
    expect((await historyOf(id)).items).toHaveLength(2);
  });

  it('a rename sent again answers as made while it is the party\'s latest change', async () => {
    expect((await t.call('POST', '/parties', { body: party('resent-p', { name: 'Resent Ltd' }) })).status).toBe(201);
    const rename = (body: Record<string, unknown>, token?: string) =>
      t.call('PATCH', '/parties/resent-p', { body, headers: { 'if-match': '"1"' }, ...(token && { token }) });
    const first = await rename({ name: 'Resent Holdings' });
    expect([first.status, first.headers.get('idempotent-replayed')]).toEqual([200, null]);
    const again = await rename({ name: 'Resent Holdings' });
    expect([again.status, again.headers.get('etag'), again.headers.get('idempotent-replayed'), again.body]).toEqual([200, '"2"', 'true', first.body]);
    // The same change is what it does: removing a local name it never had changes nothing more.
    const sameEffect = await rename({ name: 'Resent Holdings', localName: null });
    expect([sameEffect.status, sameEffect.headers.get('idempotent-replayed')]).toEqual([200, 'true']);
    expect((await rename({ name: 'Resent Holdings' }, otherStaff())).status).toBe(412);
    expect((await rename({ name: 'Resent Holdings', localName: '重发' })).status).toBe(412);
    const copies = await atOneInstant(() => Array.from({ length: 5 }, () =>
      t.call('PATCH', '/parties/resent-p', { body: { localName: '重发控股' }, headers: { 'if-match': '"2"' } })));
    expect(copies.map((r) => [r.status, r.body.version])).toEqual(Array(5).fill([200, 3]));
    expect(copies.filter((r) => r.headers.get('idempotent-replayed') !== 'true')).toHaveLength(1);
    // Once another rename lands on top, a party has no history to tell: the resent one is stale.
    expect((await rename({ name: 'Resent Holdings' })).status).toBe(412);
  });

  it('a change sent again is a replay only with the If-Match it was made on: the same change as the latest, sent with an older ETag, is 412', async () => {
    // The latest change (v3) is this very change by this very user, but made on v2: a sender that
    // names v1 never saw v2, so its request was never made, and it must reload.
    const id = (await logSigning(t, cer, agreement(['con-a', 'con-b'], { title: 'Older ETag' }))).body.id as string;
    const amend = (body: Record<string, unknown>, ifMatch: string) => t.call('PATCH', `/agreements/${id}`, { body, headers: { 'if-match': ifMatch } });
    expect((await amend({ title: 'Older ETag, fixed', reason: 'typo' }, '"1"')).status).toBe(200);
    const change = { summary: 'Added', reason: 'summary left out' };
    expect((await amend(change, '"2"')).status).toBe(200);
    expect((await amend(change, '"2"')).headers.get('idempotent-replayed')).toBe('true');
    const stale = await amend(change, '"1"');
    expect([stale.status, stale.headers.get('idempotent-replayed'), stale.body.errors?.[0]?.path]).toEqual([412, null, 'If-Match']);

    // The same for a party's rename.
    expect((await t.call('POST', '/parties', { body: party('older-etag-p', { name: 'Older Ltd' }) })).status).toBe(201);
    const rename = (body: Record<string, unknown>, ifMatch: string) => t.call('PATCH', '/parties/older-etag-p', { body, headers: { 'if-match': ifMatch } });
    expect((await rename({ name: 'Older Holdings' }, '"1"')).status).toBe(200);
    expect((await rename({ localName: '旧' }, '"2"')).status).toBe(200);
    expect((await rename({ localName: '旧' }, '"2"')).headers.get('idempotent-replayed')).toBe('true');
    const staleRename = await rename({ localName: '旧' }, '"1"');
    expect([staleRename.status, staleRename.headers.get('idempotent-replayed')]).toEqual([412, null]);
  });
});

describe('optimistic concurrency', () => {
  it('10 concurrent PATCHes with one If-Match: exactly one 200, the rest 412', async () => {
    const created = await logSigning(t, cer, agreement(['con-a', 'con-b'], { title: 'Contended' }));
    const replies = await Promise.all(Array.from({ length: 10 }, (_, i) =>
      t.call('PATCH', `/agreements/${created.body.id}`, { body: { title: `Edit ${i}`, reason: `editor ${i}` }, headers: { 'if-match': '"1"' } })));
    expect(replies.filter((r) => r.status === 200)).toHaveLength(1);
    expect(replies.filter((r) => r.status === 412)).toHaveLength(9);

    const winner = replies.find((r) => r.status === 200)!;
    const now = await t.call('GET', `/agreements/${created.body.id}`);
    expect(now.body).toMatchObject({ version: 2, title: winner.body.title });
    const history = await t.call('GET', `/agreements/${created.body.id}/history`);
    expect(history.body.items.map((e: any) => e.version)).toEqual([1, 2]);
    expect(history.body.integrity).toEqual({ chainValid: true, stateMatches: true, firstBadVersion: null });
  });

  it('concurrent PATCHes whose If-Match lists the versions they accept ("1", "2"): a loser is made on the version the winner left, if listed', async () => {
    const created = await logSigning(t, cer, agreement(['con-a', 'con-b'], { title: 'Listed' }));
    const replies = await Promise.all([0, 1].map((i) =>
      t.call('PATCH', `/agreements/${created.body.id}`, { body: { summary: `Summary ${i}`, reason: `editor ${i}` }, headers: { 'if-match': '"1", "2"' } })));
    // Before, the loser got 412 "The agreement is at version 2, not 1 or 2".
    expect(replies.map((r) => r.status)).toEqual([200, 200]);
    expect(replies.map((r) => r.body.version).sort()).toEqual([2, 3]);
    const history = await t.call('GET', `/agreements/${created.body.id}/history`);
    expect(history.body.items.map((e: any) => [e.version, e.reason ?? null])).toEqual([
      [1, null], [2, replies.find((r) => r.body.version === 2)!.body.summary.replace('Summary', 'editor')], [3, replies.find((r) => r.body.version === 3)!.body.summary.replace('Summary', 'editor')],
    ]);
    expect(history.body.integrity).toEqual({ chainValid: true, stateMatches: true, firstBadVersion: null });
    // A third, naming only those two, is refused as stale as before: the agreement is at version 3.
    const late = await t.call('PATCH', `/agreements/${created.body.id}`, { body: { summary: 'Late', reason: 'late' }, headers: { 'if-match': '"1", "2"' } });
    expect([late.status, late.body.detail]).toEqual([412, 'The agreement is at version 3, not 1 or 2']);
  });

  it('a ceremony\'s and a party\'s corrections race the same way: a loser is made on the version a winner left, if its If-Match lists it', async () => {
    const ceremonyId = (await t.call('POST', '/ceremonies', { body: ceremony('con-listed') })).body.id;
    await t.call('POST', '/parties', { body: party('con-listed-party') });
    const fields = ['title', 'event', 'venue'] as const;
    const corrections = await Promise.all(fields.map((field) =>
      t.call('PATCH', `/ceremonies/${ceremonyId}`, { body: { [field]: `Corrected ${field}`, reason: `the ${field} was wrong` }, headers: { 'if-match': '"1", "2", "3"' } })));
    const renames = await Promise.all(['name', 'localName'].map((field) =>
      t.call('PATCH', '/parties/con-listed-party', { body: { [field]: `Renamed ${field}`, reason: `the ${field} was wrong` }, headers: { 'if-match': '"1", "2"' } })));
    // Before, a loser got 412 "The ceremony was changed by someone else meanwhile", though it named the winner's version.
    expect(corrections.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(corrections.map((r) => r.body.version).sort()).toEqual([2, 3, 4]);
    expect(renames.map((r) => r.status)).toEqual([200, 200]);
    expect(renames.map((r) => r.body.version).sort()).toEqual([2, 3]);
    // Each made once, on top of the others.
    const now = (await t.call('GET', `/ceremonies/${ceremonyId}`)).body;
    expect([now.version, now.title, now.event, now.venue]).toEqual([4, 'Corrected title', 'Corrected event', 'Corrected venue']);
    const history = (await t.call('GET', `/ceremonies/${ceremonyId}/history`)).body;
    expect(history.items.map((e: any) => e.reason).slice(1).sort()).toEqual(['the event was wrong', 'the title was wrong', 'the venue was wrong']);
    const renamed = (await t.call('GET', '/parties/con-listed-party/history')).body;
    expect(renamed.items.map((e: any) => e.reason).slice(1).sort()).toEqual(['the localName was wrong', 'the name was wrong']);
    // One that names only versions now past is stale, and says which version the record is at.
    const late = await t.call('PATCH', `/ceremonies/${ceremonyId}`, { body: { city: 'Late', reason: 'late' }, headers: { 'if-match': '"1", "2"' } });
    expect([late.status, late.body.detail]).toEqual([412, 'The ceremony is at version 4, not 1 or 2']);
  });

  it('a rename whose copy went in on a winner\'s version, while its own write waited, answers as a replay, not 412', async () => {
    const { beforeCalls } = await import('./support/dynamo-calls.ts');
    await t.call('POST', '/parties', { body: party('con-copy-party') });
    const rename = { name: 'Renamed once', reason: 'typo' };
    let armed = true;
    // Just before this request's write goes out: another change makes version 2, and a copy of this
    // very rename (its retry, on another connection) is made on it, as version 3.
    const copy = beforeCalls(async (call) => {
      if (!armed || call.command !== 'PutItemCommand' || call.input.Item?.data?.id !== 'con-copy-party') return;
      armed = false;
      expect((await t.call('PATCH', '/parties/con-copy-party', { body: { localName: 'Другое', reason: 'other' }, headers: { 'if-match': '"1"' } })).status).toBe(200);
      expect((await t.call('PATCH', '/parties/con-copy-party', { body: rename, headers: { 'if-match': '"1", "2"' } })).body.version).toBe(3);
    }, () => t.call('PATCH', '/parties/con-copy-party', { body: rename, headers: { 'if-match': '"1", "2"' } }));
    const answer = await copy;
    expect(armed).toBe(false);
    // Before, "The party is at version 3, not 1 or 2": the same request sent a moment later was a replay.
    expect([answer.status, answer.headers.get('idempotent-replayed'), answer.body.version, answer.body.name]).toEqual([200, 'true', 3, 'Renamed once']);
    expect((await t.call('GET', '/parties/con-copy-party/history')).body.items.map((e: any) => e.reason ?? null)).toEqual([null, 'other', 'typo']);
  });

  it('a rename that loses its race three times over, on versions its If-Match names, is a 412 to send it again, and changes nothing', async () => {
    const { beforeCalls } = await import('./support/dynamo-calls.ts');
    await t.call('POST', '/parties', { body: party('con-raced-party') });
    let others = 0;
    let inside = false;
    // Before each of this request's writes, another change gets in first (on the version it read).
    const raced = await beforeCalls(async (call) => {
      if (inside || call.command !== 'PutItemCommand' || call.input.Item?.data?.id !== 'con-raced-party') return;
      inside = true;
      others += 1;
      if (others > 5) throw new Error('the rename was made again past its three attempts');
      const version = (await t.call('GET', '/parties/con-raced-party')).body.version;
      expect((await t.call('PATCH', '/parties/con-raced-party', { body: { localName: `Other ${others}`, reason: `other ${others}` }, headers: { 'if-match': `"${version}"` } })).status).toBe(200);
      inside = false;
    }, () => t.call('PATCH', '/parties/con-raced-party', { body: { name: 'Raced', reason: 'raced' }, headers: { 'if-match': '"1", "2", "3", "4", "5"' } }));
    expect(others).toBe(3);
    expect([raced.status, raced.body.detail]).toEqual([412, 'The party was changed by others 3 times while this change was made: send it again']);
    const now = (await t.call('GET', '/parties/con-raced-party')).body;
    expect([now.version, now.name, now.localName]).toEqual([4, party('con-raced-party').name, 'Other 3']);
  });

  it('a void racing an amendment: one wins, the other is told why', async () => {
    const created = await logSigning(t, cer, agreement(['con-a', 'con-b'], { title: 'Race' }));
    const path = `/agreements/${created.body.id}`;
    const [amend, voided] = await Promise.all([
      t.call('PATCH', path, { body: { title: 'Race, amended', reason: 'fix' }, headers: { 'if-match': '"1"' } }),
      t.call('POST', `${path}/void`, { body: { reason: 'duplicate' }, headers: { 'if-match': '"1"' } }),
    ]);
    expect([amend.status, voided.status].filter((s) => s === 200)).toHaveLength(1);
    expect([409, 412]).toContain(amend.status === 200 ? voided.status : amend.status);
  });
});
