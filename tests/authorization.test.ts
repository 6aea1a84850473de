/**
 * The authorization matrix: every endpoint x every kind of caller, one table. Each cell runs a
 * request that is otherwise valid, so only who is asking decides the status.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseGroups, principalFrom } from '#shared/http/claims.ts';
import { ROUTES } from '#shared/http/routes.ts';
import { ISSUER, loadSecret, signToken } from '#infra/local/jwt.ts';
import { agreement, ceremony, logSigning, party, setup } from './support/fixtures.ts';
import { startTestRegistry, type TestRegistry } from './support/registry.ts';

let t: TestRegistry;
let cer: string;
let n = 0;
const next = () => (n += 1);

const CALLERS = ['none', 'forged', 'expired', 'staff', 'auditor', 'partnerOwn', 'partnerOther', 'partnerNoParty'] as const;
type Caller = (typeof CALLERS)[number];

function tokenFor(caller: Caller): string | null {
  const now = Math.floor(Date.now() / 1000);
  switch (caller) {
    case 'none': return null;
    case 'forged': return signToken(Buffer.alloc(32, 7), { iss: ISSUER, sub: 'mallory', 'cognito:groups': ['staff'], exp: now + 600 });
    case 'expired': return signToken(secret, { iss: ISSUER, sub: 'late', 'cognito:groups': ['staff'], exp: now - 1 });
    case 'staff': return t.tokens.staff;
    case 'auditor': return t.tokens.auditor;
    case 'partnerOwn': return t.tokens.partner('auth-a');
    case 'partnerOther': return t.tokens.partner('auth-c');
    case 'partnerNoParty': return t.registry.token('partner');
  }
}
/** The local server's signing secret: an expired token must fail on expiry, not on signature. */
let secret: Buffer;

const anyone = (status: number) => Object.fromEntries(CALLERS.map((c) => [c, status])) as Record<Caller, number>;

interface Call { method: string; path: string; body?: unknown; headers?: Record<string, string> }

/** A fresh agreement between auth-a and auth-b per call, so writes never collide. */
async function freshAgreement(): Promise<string> {
  const r = await logSigning(t, cer, agreement(['auth-a', 'auth-b']));
  return r.body.id;
}

const ROWS: [string, () => Promise<Call>, Partial<Record<Caller, number>>][] = [
  ['GET /', async () => ({ method: 'GET', path: '/' }), anyone(200)],
  ['GET /healthz', async () => ({ method: 'GET', path: '/healthz' }), anyone(200)],
  ['GET /openapi.json', async () => ({ method: 'GET', path: '/openapi.json' }), anyone(200)],
  ['POST /parties', async () => ({ method: 'POST', path: '/parties', body: party(`auth-new-${next()}`) }), { staff: 201, auditor: 403, partnerOwn: 403, partnerOther: 403 }],
  ['GET /parties', async () => ({ method: 'GET', path: '/parties' }), { staff: 200, auditor: 200, partnerOwn: 403, partnerOther: 403 }],
  ['GET /parties/{id}', async () => ({ method: 'GET', path: '/parties/auth-a' }), { staff: 200, auditor: 200, partnerOwn: 200, partnerOther: 404, partnerNoParty: 403 }],
  ['PATCH /parties/{id}', async () => {
    const id = `auth-patch-${next()}`;
    await t.call('POST', '/parties', { body: party(id) });
    return { method: 'PATCH', path: `/parties/${id}`, body: { name: 'Renamed' }, headers: { 'if-match': '"1"' } };
  }, { staff: 200, auditor: 403, partnerOwn: 403, partnerOther: 403 }],
  ['GET /parties/{id}/history', async () => ({ method: 'GET', path: '/parties/auth-a/history' }), { staff: 200, auditor: 200, partnerOwn: 403, partnerOther: 403 }],
  ['POST /ceremonies', async () => ({ method: 'POST', path: '/ceremonies', body: ceremony(`auth-cer-${next()}`) }), { staff: 201, auditor: 403, partnerOwn: 403 }],
  ['GET /ceremonies', async () => ({ method: 'GET', path: '/ceremonies' }), { staff: 200, auditor: 200, partnerOwn: 403, partnerOther: 403 }],
  ['GET /ceremonies/{id}', async () => ({ method: 'GET', path: `/ceremonies/${cer}` }), { staff: 200, auditor: 200, partnerOwn: 403, partnerOther: 403 }],
  ['PATCH /ceremonies/{id}', async () => {
    const id = `auth-fix-${next()}`;
    await t.call('POST', '/ceremonies', { body: ceremony(id) });
    return { method: 'PATCH', path: `/ceremonies/${id}`, body: { venue: 'Hall 3', reason: 'moved' }, headers: { 'if-match': '"1"' } };
  }, { staff: 200, auditor: 403, partnerOwn: 403, partnerOther: 403 }],
  ['GET /ceremonies/{id}/history', async () => ({ method: 'GET', path: `/ceremonies/${cer}/history` }), { staff: 200, auditor: 200, partnerOwn: 403, partnerOther: 403 }],
  ['POST /ceremonies/{id}/agreements', async () => ({
    method: 'POST', path: `/ceremonies/${cer}/agreements`, body: agreement(['auth-a', 'auth-b']), headers: { 'idempotency-key': `auth-${next()}` },
  }), { staff: 201, auditor: 403, partnerOwn: 403, partnerOther: 403 }],
  ['GET /agreements', async () => ({ method: 'GET', path: '/agreements' }), { staff: 200, auditor: 200, partnerOwn: 200, partnerOther: 200, partnerNoParty: 403 }],
  ['GET /agreements?partyId=auth-a', async () => ({ method: 'GET', path: '/agreements?partyId=auth-a' }), { staff: 200, auditor: 200, partnerOwn: 200, partnerOther: 403 }],
  ['GET /agreements/{id}', async () => ({ method: 'GET', path: `/agreements/${await freshAgreement()}` }), { staff: 200, auditor: 200, partnerOwn: 200, partnerOther: 404, partnerNoParty: 403 }],
  ['PATCH /agreements/{id}', async () => ({
    method: 'PATCH', path: `/agreements/${await freshAgreement()}`, body: { title: 'Amended', reason: 'fix' }, headers: { 'if-match': '"1"' },
  }), { staff: 200, auditor: 403, partnerOwn: 403, partnerOther: 403 }],
  ['POST /agreements/{id}/void', async () => ({
    method: 'POST', path: `/agreements/${await freshAgreement()}/void`, body: { reason: 'error' }, headers: { 'if-match': '"1"' },
  }), { staff: 200, auditor: 403, partnerOwn: 403, partnerOther: 403 }],
  ['GET /agreements/{id}/history', async () => ({ method: 'GET', path: `/agreements/${await freshAgreement()}/history` }), { staff: 200, auditor: 200, partnerOwn: 403, partnerOther: 403 }],
  ['GET /agreements/{id}/certificate.pdf', async () => ({ method: 'GET', path: `/agreements/${sharedAgreement}/certificate.pdf` }), { staff: 200, auditor: 200, partnerOwn: 200, partnerOther: 404, partnerNoParty: 403 }],
  ['GET /verify/{code}', async () => ({ method: 'GET', path: '/verify/ABCD-EFGH?v=1&sig=x' }), anyone(200)],
  ['GET /verify', async () => ({ method: 'GET', path: '/verify' }), anyone(200)],
  ['POST /verify', async () => ({ method: 'POST', path: '/verify', body: '%PDF-1.7 not really', headers: { 'content-type': 'application/pdf' } }), anyone(200)],
  ['GET /.well-known/concord-keys.json', async () => ({ method: 'GET', path: '/.well-known/concord-keys.json' }), anyone(200)],
];

/** One agreement for read-only rows that render (certificates): rendering once keeps the matrix quick. */
let sharedAgreement = '';

/** Anything a row does not list: no valid token is 401; a valid one is judged per row. */
const expected = (row: Partial<Record<Caller, number>>, caller: Caller) =>
  row[caller] ?? (caller === 'none' || caller === 'forged' || caller === 'expired' ? 401 : 403);

beforeAll(async () => {
  t = await startTestRegistry();
  secret = loadSecret(t.registry.dataDir);
  cer = await setup(t, [party('auth-a'), party('auth-b'), party('auth-c')]);
  sharedAgreement = await freshAgreement();
});
afterAll(() => t.close());

describe('authorization matrix', () => {
  it('has a row for every route of the routes table', () => {
    const covered = new Set(ROWS.map(([name]) => name.split('?')[0]));
    expect([...covered].sort()).toEqual(ROUTES.map((r) => `${r.method} ${r.path}`).sort());
  });

  const cells = ROWS.flatMap(([name, make, row]) => CALLERS.map((caller) => [name, caller, expected(row, caller), make] as const));
  it.each(cells)('%s as %s -> %i', async (_name, caller, status, make) => {
    const call = await make();
    const r = await t.call(call.method, call.path, { token: tokenFor(caller), body: call.body, headers: call.headers ?? {} });
    expect(r.status, JSON.stringify(r.body).slice(0, 300)).toBe(status);
    if (status >= 400) expect(r.headers.get('content-type')).toBe('application/problem+json');
    if (status === 401) expect([r.headers.get('www-authenticate'), r.body.errors[0]?.path]).toEqual(['Bearer', 'Authorization']);
  });

  it('a partner listing sees only agreements their party signed', async () => {
    await logSigning(t, cer, agreement(['auth-b', 'auth-c']));
    const own = await t.call('GET', '/agreements?limit=100', { token: t.tokens.partner('auth-a') });
    expect(own.body.items.length).toBeGreaterThan(0);
    expect(own.body.items.every((a: any) => a.parties.some((p: any) => p.partyId === 'auth-a'))).toBe(true);
    const other = await t.call('GET', '/agreements?limit=100', { token: t.tokens.partner('auth-c') });
    expect(other.body.items.length).toBeGreaterThan(0);
    expect(other.body.items.every((a: any) => a.parties.some((p: any) => p.partyId === 'auth-c'))).toBe(true);
  });
});

describe('claims', () => {
  it.each([
    ['a JSON array', ['staff', 'auditor'], ['staff', 'auditor']],
    ['API Gateway\'s string form', '[staff auditor]', ['staff', 'auditor']],
    // Cognito allows quotes in a group's name: flattened, one group named "partner" in quotes is this.
    ['one group whose name is in quotes, which is no other group', '["partner"]', ['"partner"']],
    ['a single bracketed group', '[staff]', ['staff']],
    ['a group whose name holds a comma, which Cognito allows: one group, not two', '[x,staff auditor]', ['x,staff', 'auditor']],
    ['a list nested in the list, which names no group', [['staff'], 'auditor'], ['auditor']],
    ['a group named with brackets and quotes', '[["staff"]]', ['["staff"]']],
    ['nothing', undefined, []],
  ])('parses groups given as %s', (_name, value, groups) => {
    expect(parseGroups(value)).toEqual(groups);
  });

  it.each([
    ['not valid before an hour from now (nbf)', { nbf: 3600 }],
    ['issued a year from now (iat)', { iat: 365 * 24 * 3600 }],
  ])('refuses a correctly signed token that is %s, as API Gateway would', async (_name, offsets) => {
    const now = Math.floor(Date.now() / 1000);
    const claims = { iss: ISSUER, sub: 'early', 'cognito:groups': ['staff'], exp: now + 7200, ...Object.fromEntries(Object.entries(offsets).map(([k, v]) => [k, now + v])) };
    expect((await t.call('GET', '/agreements', { token: signToken(secret, claims) })).status).toBe(401);
    expect((await t.call('GET', '/agreements', { token: signToken(secret, { ...claims, nbf: now - 5, iat: now - 5 }) })).status).toBe(200);
  });

  it('refuses a signature in any encoding but base64url (padding, "+/")', async () => {
    const good = t.tokens.staff;
    const signature = good.slice(good.lastIndexOf('.') + 1);
    const standard = Buffer.from(signature, 'base64url').toString('base64');
    expect(standard).not.toBe(signature);
    for (const token of [`${good}=`, `${good.slice(0, good.lastIndexOf('.') + 1)}${standard}`]) {
      expect((await t.call('GET', '/agreements', { token })).status).toBe(401);
    }
    expect((await t.call('GET', '/agreements', { token: good })).status).toBe(200);
  });

  it('ignores unknown groups and reads the partner party', () => {
    const p = principalFrom({ sub: 'u1', 'cognito:groups': '[partner admins]', 'custom:partyId': 'city-chongqing' });
    expect(p).toEqual({ actor: 'u1', roles: new Set(['partner']), partyId: 'city-chongqing' });
    expect(principalFrom({ 'cognito:groups': '[staff]' })).toBeUndefined();
    // The subject is recorded as the actor in history: it must be text fit for that.
    for (const sub of ['', 'a\u202Eb', 'a\u0000b', 'two words', 'x'.repeat(257), '\uD800', 'a\uFFFFb', 'a\u{10FFFE}b']) {
      expect(principalFrom({ sub, 'cognito:groups': '[staff]' }), JSON.stringify(sub)).toBeUndefined();
    }
    expect(principalFrom({ sub: '7d3f9a2e-1c4b-4e8a-9f6d-2b5c8e1a0f37', 'cognito:groups': '[staff]' })?.actor).toBe('7d3f9a2e-1c4b-4e8a-9f6d-2b5c8e1a0f37');
    // A partyId that is no party id names no party (it would otherwise reach the store's keys).
    for (const partyId of ['', 'a'.repeat(3000), 'city-chongqing#SIGNED#x', '\u0000', 'City-Chongqing', 'x']) {
      expect(principalFrom({ sub: 'u1', 'cognito:groups': '[partner]', 'custom:partyId': partyId }), JSON.stringify(partyId)).toEqual({ actor: 'u1', roles: new Set(['partner']) });
    }
  });

  it('refuses a partner token whose partyId is no party id (403), as one without any', async () => {
    const now = Math.floor(Date.now() / 1000);
    for (const partyId of ['a'.repeat(3000), 'city-chongqing#SIGNED#x']) {
      const r = await t.call('GET', '/agreements', { token: signToken(secret, { iss: ISSUER, sub: 'p1', 'cognito:groups': ['partner'], 'custom:partyId': partyId, exp: now + 600 }) });
      expect([r.status, r.body.detail]).toEqual([403, 'This partner token names no party (custom:partyId, a party id)']);
    }
  });
});
