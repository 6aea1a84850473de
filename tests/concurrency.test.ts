/**
 * Flaky venue Wi-Fi: retries and concurrent duplicates must never create a second agreement,
 * and concurrent amendments based on one version must let exactly one through.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

  it('the same key in another ceremony is another signing', async () => {
    await t.call('POST', '/ceremonies', { body: { id: 'con-other', title: 'Other', venue: 'V', city: 'C', countryCode: 'CN', startsAt: '2021-08-24T10:00:00+08:00' } });
    const body = agreement(['con-a', 'con-b'], { title: 'Per ceremony' });
    const a = await logSigning(t, cer, body, 'shared-key');
    const b = await logSigning(t, 'con-other', body, 'shared-key');
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(a.body.id).not.toBe(b.body.id);
    expect(a.body.code).not.toBe(b.body.code);
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
