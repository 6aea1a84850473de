/** Small builders for valid requests; tests override only what they are about. */
import type { TestRegistry } from './registry.ts';

export const party = (id: string, over: Record<string, unknown> = {}) => ({ id, kind: 'enterprise', name: `Party ${id}`, countryCode: 'CN', ...over });

export const ceremony = (id: string, over: Record<string, unknown> = {}) => ({
  id, title: `Ceremony ${id}`, venue: 'Chongqing International Expo Center', city: 'Chongqing', countryCode: 'CN',
  startsAt: '2021-08-23T14:00:00+08:00', timeZone: 'Asia/Shanghai', ...over,
});

let counter = 0;

/**
 * A signing's body. Each call's is its own (its signing time differs from every other call's in
 * the nanoseconds): the registry refuses a body already logged at the ceremony under another key.
 */
export const agreement = (partyIds: string[], over: Record<string, unknown> = {}) => ({
  title: 'Cooperation agreement',
  kind: 'cooperation',
  parties: partyIds.map((partyId, i) => ({ partyId, signatory: { name: `Signatory ${i + 1}`, title: 'Director' } })),
  sectors: ['digital-economy'],
  signedAt: `2021-08-23T14:30:00.000${String((counter += 1) % 1_000_000).padStart(6, '0')}+08:00`,
  ...over,
});

export const uniqueKey = (prefix = 'key') => `${prefix}-${process.pid}-${(counter += 1)}`;

/** Creates parties (ignoring ones that exist) and a ceremony (`over` changes its fields); returns the ceremony id. */
export async function setup(t: TestRegistry, parties: Record<string, unknown>[], ceremonyId = 'cer-test', over: Record<string, unknown> = {}): Promise<string> {
  for (const p of parties) {
    const r = await t.call('POST', '/parties', { body: p });
    if (r.status !== 201 && r.status !== 409) throw new Error(`setup party: ${r.status} ${JSON.stringify(r.body)}`);
  }
  const c = await t.call('POST', '/ceremonies', { body: ceremony(ceremonyId, over) });
  if (c.status !== 201 && c.status !== 409) throw new Error(`setup ceremony: ${c.status} ${JSON.stringify(c.body)}`);
  return ceremonyId;
}

export async function logSigning(t: TestRegistry, ceremonyId: string, body: unknown, key = uniqueKey()) {
  return t.call('POST', `/ceremonies/${ceremonyId}/agreements`, { body, headers: { 'idempotency-key': key } });
}
