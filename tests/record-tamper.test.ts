/**
 * A change on an agreement whose record was edited behind the API (its history untouched): made on
 * the edited record, its entry's stateHash took the edit in, and the history stayed broken from that
 * version on however the record was restored. It is refused (409) until the record is restored.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { agreement, logSigning, party, setup } from './support/fixtures.ts';
import { startTestRegistry, type TestRegistry } from './support/registry.ts';

let t: TestRegistry;
let cer: string;
let items: typeof import('./support/history-items.ts');
let getItem: typeof import('#shared/store/operations.ts').getItem;
let agreementKey: typeof import('#shared/store/keys.ts').agreementKey;

beforeAll(async () => {
  t = await startTestRegistry();
  cer = await setup(t, [party('rt-a'), party('rt-b')]);
  items = await import('./support/history-items.ts');
  ({ getItem } = await import('#shared/store/operations.ts'));
  ({ agreementKey } = await import('#shared/store/keys.ts'));
});
afterAll(() => t.close());

describe('a change on a record edited behind the API', () => {
  it.each([
    ['at version 1, a field no change touched', 1, 'title'],
    ['at version 3, a field no change touched', 3, 'title'],
    ['at version 3, the field its latest change set', 3, 'summary'],
  ] as const)('%s: refused (409) while edited, made once restored, and the history checks out', async (_name, versions, field) => {
    const id = (await logSigning(t, cer, agreement(['rt-a', 'rt-b'], { title: 'Genuine', summary: 's1' }))).body.id as string;
    for (let v = 1; v < versions; v += 1) {
      expect((await t.call('PATCH', `/agreements/${id}`, { body: { summary: `s${v + 1}`, reason: 'r' }, headers: { 'if-match': `"${v}"` } })).status).toBe(200);
    }
    const item = (await getItem(agreementKey(id)))! as { data: Record<string, unknown> } & Record<string, unknown>;
    await items.putItem({ ...item, data: { ...item.data, [field]: 'Forged' } });
    const refused = await t.call('PATCH', `/agreements/${id}`, { body: { place: 'Hall 1', reason: 'r' }, headers: { 'if-match': `"${versions}"` } });
    expect(refused.status).toBe(409);
    const voided = await t.call('POST', `/agreements/${id}/void`, { body: { reason: 'r' }, headers: { 'if-match': `"${versions}"` } });
    expect(voided.status).toBe(409);
    await items.putItem(item);
    const made = await t.call('PATCH', `/agreements/${id}`, { body: { place: 'Hall 1', reason: 'r' }, headers: { 'if-match': `"${versions}"` } });
    expect([made.status, made.body.version, made.body[field]]).toEqual([200, versions + 1, item.data[field]]);
    const h = await t.call('GET', `/agreements/${id}/history`, { token: t.tokens.auditor });
    expect(h.body.integrity).toEqual({ chainValid: true, stateMatches: true, firstBadVersion: null });
  });

  it('tells operators of a record edited into a shape the registry cannot read: a 500 to the caller, an integrity event in the log', async () => {
    const id = (await logSigning(t, cer, agreement(['rt-a', 'rt-b'], { title: 'Readable' }))).body.id as string;
    const item = (await getItem(agreementKey(id)))! as { data: Record<string, unknown> } & Record<string, unknown>;
    await items.putItem({ ...item, data: { ...item.data, title: 42 } });
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const read = await t.call('GET', `/agreements/${id}`, { token: t.tokens.auditor });
      const listed = await t.call('GET', `/agreements?ceremonyId=${cer}&limit=100`, { token: t.tokens.auditor });
      expect([read.status, listed.status]).toEqual([500, 500]);
      const integrity = logged.mock.calls.map(([line]) => line).filter((line) => line?.category === 'integrity');
      expect(integrity).toEqual([
        { event: 'a stored item does not fit its schema', category: 'integrity', item: `AGREEMENT#${id}`, fields: ['title'] },
        { event: 'a stored item does not fit its schema', category: 'integrity', item: 'agreement record', fields: ['title'] },
      ]);
    } finally {
      logged.mockRestore();
      await items.putItem(item);
    }
  });
});
