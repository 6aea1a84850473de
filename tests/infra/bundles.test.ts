/**
 * The synthesized bundles themselves, run as Lambda would run them: each asset from cdk.out is
 * imported in a fresh Node process with the environment the template gives it, pointed at
 * dynalite and a fake Secrets Manager, and sent API Gateway v2 events. Proves the bundles are
 * self-contained, that the signing-key custom resource works, and records every bundle's size;
 * last, walks a key rotation across several instances at once (see its describe).
 */
import { execFileSync } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { createServer, request, type Server as HttpServer } from 'node:http';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import type { Server } from 'node:net';
import { join } from 'node:path';
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import dynalite from 'dynalite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CERTIFICATE_ASSETS } from '#shared/certificate/assets.ts';
import { signingKey } from '#shared/certificate/signature.ts';
import { FUNCTIONS, matchRoute, routesOf, TABLE_CALLS, UNMATCHED_FUNCTION, UNMATCHED_ROUTE_KEY, type FunctionName, type TableWrite } from '#shared/http/routes.ts';
import { requestTarget, scheduledEvent, toEvent } from '#infra/local/adapter.ts';
import { FUNCTION_SETTINGS } from '#infra/functions.ts';
import { FUNCTION_NAMES } from '#infra/api/registry-functions.ts';
import { agreement, ceremony, party } from '../support/fixtures.ts';
import { startBundle, type BundleProcess } from './bundle-process.ts';
import { startFakeAws, type FakeAws } from './fake-aws.ts';
import { startIamProxy, type IamProxy } from './iam-proxy.ts';
import { asArray, listenLocally, readAll } from './local-endpoint.ts';
import { synthesize, type Synthesized } from './synth.ts';

const MAX_API_BUNDLE_BYTES = 1024 * 1024;
const WRITES: string[] = TABLE_CALLS.map((call) => `dynamodb:${call}`);
const SECRET_ARN = 'arn:aws:secretsmanager:local:000000000000:secret:concord-signing-key';
const CURSOR_SECRET_ARN = 'arn:aws:secretsmanager:local:000000000000:secret:concord-cursor-key';
/** What CloudFormation puts in the signing-key secret before the custom resource fills it. */
const PLACEHOLDER = JSON.stringify({ keys: [], placeholder: 'generated-by-cloudformation' });
const PUBLIC_BASE_URL = 'https://registry.smoke.example';
const ASSET_PATHS = new Set(CERTIFICATE_ASSETS.map((a) => a.bundlePath));

let s: Synthesized;
let db: Server;
let aws: FakeAws;
let baseEnv: Record<string, string>;
/** The table the stateless stack names (the stateful stack's resource, for the custom resource, is a reference). */
let tableName: string | undefined;
const processes = new Map<string, BundleProcess>();
/** Each API function reaches DynamoDB through a proxy that enforces its own IAM policy from the template. */
const iam = new Map<FunctionName, IamProxy>();

interface Bundle { dir: string; env: Record<string, string>; timeoutSeconds: number }

/** A function's asset directory in cdk.out and the environment its template sets. */
function bundleOf(stack: 'stateful$' | 'stateless$', logicalId: string): Bundle {
  const props = s[stack].toJSON().Resources[logicalId].Properties;
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries<unknown>(props.Environment?.Variables ?? {})) {
    // CloudFormation fills these tokens at deploy time; here they name the local stand-ins.
    const local = typeof value === 'string' ? value : { SIGNING_KEY_SECRET_ARN: SECRET_ARN, PUBLIC_BASE_URL, CURSOR_SECRET_ARN, TABLE_NAME: tableName }[name];
    if (!local) throw new Error(`${logicalId}: no local value for the token in ${name}`);
    env[name] = local;
  }
  // CloudFormation's default timeout is 3 s.
  return { dir: join(s.outdir, `asset.${String(props.Code.S3Key).replace(/\.zip$/, '')}`), env, timeoutSeconds: props.Timeout ?? 3 };
}

function functionBundle(fn: FunctionName): Bundle {
  const bundle = bundleOf('stateless$', s.logicalId(s.stateless, s.stateless.functions.byName.get(fn)!));
  const proxy = iam.get(fn);
  return proxy ? { ...bundle, env: { ...bundle.env, AWS_ENDPOINT_URL_DYNAMODB: proxy.url } } : bundle;
}

function run(name: string, bundle: Bundle): BundleProcess {
  if (!processes.has(name)) processes.set(name, startBundle(join(bundle.dir, 'index.mjs'), bundle.dir, { ...baseEnv, ...bundle.env }, bundle.timeoutSeconds));
  return processes.get(name)!;
}

/** The next call to this function starts a new instance of it, with nothing cached (a warm one keeps the published keys a minute). */
function coldStart(name: string): void {
  processes.get(name)?.stop();
  processes.delete(name);
}

const STAFF = { sub: 'smoke-staff', 'cognito:groups': ['staff'] };

/** Sends one request to a function's bundle as API Gateway would, after the JWT authorizer. */
function call(fn: FunctionName, method: string, url: string, body?: unknown, headers: Record<string, string> = {}) {
  return callAt(run(fn, functionBundle(fn)), method, url, body, headers);
}

/** Sends one request to a running instance of a function's bundle, as API Gateway would. */
async function callAt(instance: BundleProcess, method: string, url: string, body?: unknown, headers: Record<string, string> = {}) {
  const match = matchRoute(method, requestTarget(url).path);
  if (!('route' in match)) throw new Error(`no route for ${method} ${url}`);
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body === undefined ? '' : JSON.stringify(body));
  const type = body === undefined ? {} : { 'content-type': Buffer.isBuffer(body) ? 'application/pdf' : 'application/json' };
  const event = toEvent(
    { method, url, headers: { host: 'registry.smoke.example', ...type, ...headers }, body: bytes, sourceIp: '127.0.0.1' },
    match,
    match.route.access === 'public' ? undefined : STAFF,
  );
  const result = await instance.invoke(event);
  const text = result.isBase64Encoded ? '' : String(result.body ?? '');
  return { ...result, json: text.startsWith('{') ? JSON.parse(text) : undefined, bytes: Buffer.from(String(result.body ?? ''), result.isBase64Encoded ? 'base64' : 'utf8') };
}

beforeAll(async () => {
  s = synthesize({ bundle: true });
  db = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((ok) => db.listen(0, '127.0.0.1', ok));
  aws = await startFakeAws();
  aws.secrets.set(CURSOR_SECRET_ARN, 'c'.repeat(48));
  baseEnv = {
    PATH: process.env.PATH ?? '',
    AWS_REGION: 'local',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${(db.address() as { port: number }).port}`,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: aws.url,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  for (const fn of FUNCTION_NAMES) iam.set(fn, await startIamProxy(baseEnv.AWS_ENDPOINT_URL_DYNAMODB!, s.allowStatements(fn)));
  // The table the template names, created from the same definition by the store's own setup.
  tableName = functionBundle('agreements-read').env.TABLE_NAME;
  Object.assign(process.env, baseEnv, { TABLE_NAME: tableName });
  const { ensureTable } = await import('#shared/store/setup.ts');
  await ensureTable();
}, 180_000);

afterAll(async () => {
  for (const p of processes.values()) p.stop();
  for (const proxy of iam.values()) await proxy.close();
  for (const proxy of faultProxies.values()) await proxy.close();
  await aws?.close();
  await new Promise<void>((ok) => (db ? db.close(() => ok()) : ok()));
  s?.cleanup();
});

/** CloudFormation's Create of the signing-key custom resource, its reply expected at /cfn/<n>. */
const create = (n: number | string) => ({
  RequestType: 'Create', ResponseURL: `${aws.url}/cfn/${n}`, StackId: 'stack', RequestId: `r${n}`,
  LogicalResourceId: 'SigningKeyValue', ResourceProperties: { ServiceToken: 'x', SecretArn: SECRET_ARN },
});
const keyInit = () => run('signing-key', bundleOf('stateful$', s.logicalId(s.stateful, s.stateful.node.findChild('SigningKeyInit') as never)));

describe('signing-key custom resource bundle', () => {
  /** The kids a fresh verify function serves in its JWKS. */
  const publishedKids = async () => {
    coldStart('verify');
    return ((await call('verify', 'GET', '/.well-known/concord-keys.json')).json.keys as { kid: string }[]).map((k) => k.kid);
  };

  it('fills the placeholder secret with an Ed25519 key once, and keeps it on a second Create; publishes its public key both times', async () => {
    aws.secrets.set(SECRET_ARN, PLACEHOLDER);
    await keyInit().invoke(create(1));
    expect(aws.cfnResponses.get('/cfn/1')).toMatchObject({ Status: 'SUCCESS', Reason: 'generated; 1 public key published', RequestId: 'r1' });
    const first = aws.secrets.get(SECRET_ARN)!;
    const [stored] = JSON.parse(first).keys;
    expect(stored).toEqual({ kid: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), privateKeyPem: expect.stringContaining('BEGIN PRIVATE KEY') });
    // The stored kid is the one the JWKS publishes for this key (RFC 7638 thumbprint), from the first deploy on.
    expect(stored.kid).toBe(signingKey(stored.privateKeyPem).kid);
    expect(await publishedKids()).toEqual([stored.kid]);

    await keyInit().invoke(create(2));
    expect(aws.cfnResponses.get('/cfn/2')).toMatchObject({ Status: 'SUCCESS', Reason: 'kept; the public keys of this version of the key ring, or of a later one, were published already' });
    // A later version of the secret (a rotation, say) is published by the next Create or Update.
    aws.secrets.set(SECRET_ARN, first);
    await keyInit().invoke(create(6));
    expect(aws.cfnResponses.get('/cfn/6')).toMatchObject({ Status: 'SUCCESS', Reason: 'kept; 1 public key published' });
    expect(aws.secrets.get(SECRET_ARN)).toBe(first);
    expect(keyInit().output()).not.toContain('PRIVATE KEY');
  });

  it('fills a replaced secret on Update, and never overwrites a value that is not the placeholder', async () => {
    const update = (n: number) => ({ ...create(n), RequestType: 'Update', PhysicalResourceId: 'signing-key:old', OldResourceProperties: { SecretArn: 'arn:old' } });
    aws.secrets.set(SECRET_ARN, PLACEHOLDER);
    await keyInit().invoke(update(3));
    expect(aws.cfnResponses.get('/cfn/3')).toMatchObject({ Status: 'SUCCESS', Reason: 'generated; 1 public key published' });
    const ring = aws.secrets.get(SECRET_ARN)!; // the functions below sign with it
    const [{ kid }] = JSON.parse(ring).keys;
    expect(await publishedKids()).toEqual([kid]);
    // A ring in the runtime's shape (no kid), a PEM after a newline, or a value no one can read: kept,
    // and, since it does not load, not published (the keys published before stay).
    for (const [n, value] of [[4, { keys: [{ privateKeyPem: '\n-----BEGIN PRIVATE KEY-----\n...' }] }], [5, 'not json']] as const) {
      const stored = typeof value === 'string' ? value : JSON.stringify(value);
      aws.secrets.set(SECRET_ARN, stored);
      await keyInit().invoke(update(n));
      expect(aws.cfnResponses.get(`/cfn/${n}`)).toMatchObject({ Status: 'SUCCESS', Reason: 'kept; the key ring does not load: no keys published' });
      expect(aws.secrets.get(SECRET_ARN)).toBe(stored);
    }
    expect(await publishedKids()).toEqual([kid]);
    aws.secrets.set(SECRET_ARN, ring);
  });
});

describe('function bundles', () => {
  // As a deploy leaves them: the signing-key secret filled and its public key published by the
  // custom resource. The tests above leave them so; run alone, these make them so themselves.
  beforeAll(async () => {
    if (aws.secrets.get(SECRET_ARN) !== undefined) return;
    aws.secrets.set(SECRET_ARN, PLACEHOLDER);
    await keyInit().invoke(create('deploy'));
    expect(aws.cfnResponses.get('/cfn/deploy')).toMatchObject({ Status: 'SUCCESS', Reason: 'generated; 1 public key published' });
  });

  const sizes = () => FUNCTION_NAMES.map((fn) => {
    const { dir } = functionBundle(fn);
    const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((f) => f.isFile())
      .map((f) => ({ path: join(f.parentPath, f.name).slice(dir.length + 1), bytes: statSync(join(f.parentPath, f.name)).size }));
    const sum = (pred: (p: string) => boolean) => files.filter((f) => pred(f.path)).reduce((n, f) => n + f.bytes, 0);
    return { fn, files: files.map((f) => f.path), code: sum((p) => p.endsWith('.mjs')), map: sum((p) => p.endsWith('.map')), assets: sum((p) => ASSET_PATHS.has(p)) };
  });

  it('records every bundle size', () => {
    const kb = (n: number) => `${(n / 1024).toFixed(0)} KB`;
    console.log('Bundle sizes (code = index.mjs, the 1 MB budget; map = source map; assets = fonts + harfbuzz.wasm)');
    console.table(Object.fromEntries(sizes().map((r) => [r.fn, { code: kb(r.code), map: kb(r.map), assets: kb(r.assets) }])));
  });

  it.each(FUNCTION_NAMES)('%s: code within 1 MB, fonts only if its settings ship them', (fn) => {
    const r = sizes().find((x) => x.fn === fn)!;
    expect(r.code, `${fn}: index.mjs bytes (fonts and WASM are not counted)`).toBeLessThanOrEqual(MAX_API_BUNDLE_BYTES);
    const shipped = r.files.filter((p) => ASSET_PATHS.has(p) || /\.(ttf|otf|wasm)$/.test(p)).sort();
    expect(shipped).toEqual(FUNCTION_SETTINGS[fn].assets ? [...ASSET_PATHS].sort() : []);
  });

  it('only the functions that sign carry the code that reads the signing key ring', () => {
    for (const fn of FUNCTION_NAMES) {
      const code = readFileSync(join(functionBundle(fn).dir, 'index.mjs'), 'utf8');
      expect(code.includes('SIGNING_KEY_SECRET_ARN'), fn).toBe(FUNCTION_SETTINGS[fn].signingKey === true);
    }
    expect(FUNCTION_SETTINGS.verify.signingKey).toBeUndefined();
  });

  it('serve a signing end to end, each behind its own IAM policy: parties, ceremony, agreement, amendments, lists, certificate, verification', async () => {
    const ok = (reply: { statusCode?: number; bytes: Buffer }, status: number, fn: FunctionName) =>
      expect(reply.statusCode, `${fn}: ${reply.bytes.toString().slice(0, 300)} ${processes.get(fn)?.output().slice(-500)}`).toBe(status);
    expect((await call('meta', 'GET', '/healthz')).json).toEqual({ status: 'ok' });
    for (const id of ['smoke-a', 'smoke-b', 'smoke-d']) ok(await call('parties-write', 'POST', '/parties', party(id, { countryCode: id === 'smoke-b' ? 'KZ' : 'CN' })), 201, 'parties-write');
    ok(await call('parties-write', 'PATCH', '/parties/smoke-d', { name: 'Party D, renamed' }, { 'if-match': '"1"' }), 200, 'parties-write');
    expect((await call('parties-read', 'GET', '/parties/smoke-a')).json).toMatchObject({ id: 'smoke-a' });
    ok(await call('parties-read', 'GET', '/parties?kind=enterprise'), 200, 'parties-read');
    ok(await call('ceremonies-write', 'POST', '/ceremonies', ceremony('smoke-c')), 201, 'ceremonies-write');
    ok(await call('ceremonies-read', 'GET', '/ceremonies'), 200, 'ceremonies-read');
    const signed = await call('agreements-write', 'POST', '/ceremonies/smoke-c/agreements', agreement(['smoke-a', 'smoke-b']), { 'idempotency-key': 'smoke-1' });
    ok(signed, 201, 'agreements-write');
    const id = signed.json.id as string;
    // Moving the agreement from smoke-b (KZ) to smoke-d (CN) removes links: the one delete there is.
    ok(await call('agreements-write', 'PATCH', `/agreements/${id}`, { parties: agreement(['smoke-a', 'smoke-d']).parties, reason: 'wrong party' }, { 'if-match': '"1"' }), 200, 'agreements-write');
    expect((await call('agreements-read', 'GET', `/agreements/${id}`)).json).toMatchObject({ id, version: 2 });
    expect((await call('agreements-read', 'GET', '/agreements?partyId=smoke-d')).json.items).toHaveLength(1);
    // A correction that moves the ceremony's start and prints new characters reads its signings from the index, behind its own grant.
    const corrected = await call('ceremonies-write', 'PATCH', '/ceremonies/smoke-c', { startsAt: '2021-08-23T09:00:00+08:00', venue: 'Yuelai Hall', reason: 'earlier, elsewhere' }, { 'if-match': '"1"' });
    ok(corrected, 200, 'ceremonies-write');
    expect(corrected.json).toMatchObject({ version: 2, venue: 'Yuelai Hall' });
    expect((await call('ceremonies-read', 'GET', '/ceremonies/smoke-c/history')).json.items).toHaveLength(2);
    // A page and the next: the cursor key comes from its secret (the grant itself is checked in the template test).
    const firstPage = (await call('parties-read', 'GET', '/parties?limit=1')).json;
    expect(firstPage.nextCursor).toEqual(expect.any(String));
    const nextPage = await call('parties-read', 'GET', `/parties?limit=1&cursor=${firstPage.nextCursor}`);
    ok(nextPage, 200, 'parties-read');
    expect(nextPage.json.items[0].id).not.toBe(firstPage.items[0].id);
    ok(await call('agreements-read', 'GET', `/agreements/${id}/history`), 200, 'agreements-read');

    // The signing function reads its key ring again once the secret no longer holds the placeholder.
    const ring = aws.secrets.get(SECRET_ARN)!;
    aws.secrets.set(SECRET_ARN, PLACEHOLDER);
    expect((await call('certificates', 'GET', `/agreements/${id}/certificate.pdf`)).statusCode).toBe(500);
    // Back, with a new key in front (a rollover): the signing function publishes the ring it loads
    // before it signs with it, and the verify function, which holds no key, checks with what was published.
    const added = signingKey(generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
    aws.secrets.set(SECRET_ARN, JSON.stringify({ keys: [{ kid: added.kid, privateKeyPem: added.privateKey.export({ type: 'pkcs8', format: 'pem' }) }, ...JSON.parse(ring).keys] }));
    const pdf = await call('certificates', 'GET', `/agreements/${id}/certificate.pdf`);
    ok(pdf, 200, 'certificates');
    expect(pdf.bytes.toString('latin1')).toContain(Buffer.from(JSON.stringify({ alg: 'EdDSA', kid: added.kid })).toString('base64url'));
    coldStart('verify');
    expect(pdf.bytes.subarray(0, 5).toString()).toBe('%PDF-');
    // API Gateway's "HEAD ..." route key reaches the GET's code, which answers without the content.
    const head = await call('certificates', 'HEAD', `/agreements/${id}/certificate.pdf`);
    expect([head.statusCode, head.headers?.etag, head.headers?.['content-length'], head.bytes.length]).toEqual([200, pdf.headers?.etag, String(pdf.bytes.length), 0]);
    expect((await call('verify', 'POST', '/verify', pdf.bytes)).json).toMatchObject({ status: 'valid', version: 2 });
    // A file off record (as if handed out before records were kept) is rendered again to compare, with
    // the signature it carries: the verify function needs no private key for that either.
    const { dynamo, tableName: table } = await import('#shared/store/client.ts');
    const { issuedCertificateKey } = await import('#shared/store/keys.ts');
    await dynamo.send(new DeleteCommand({ TableName: table, Key: issuedCertificateKey(id, 2, createHash('sha256').update(pdf.bytes).digest('hex')) }));
    expect((await call('verify', 'POST', '/verify', pdf.bytes)).json).toMatchObject({ status: 'valid', version: 2 });
    expect((await call('verify', 'POST', '/verify', Buffer.concat([pdf.bytes, Buffer.from('%\n')]))).json).toMatchObject({ status: 'invalid', reason: 'altered' });
    // A link whose signature checks out under no address: the addresses files were handed out under are queried.
    expect((await call('verify', 'GET', `/verify/${signed.json.code}?v=2&sig=${'A'.repeat(86)}`)).json).toMatchObject({ status: 'invalid' });
    ok(await call('agreements-write', 'POST', `/agreements/${id}/void`, { reason: 'signed twice' }, { 'if-match': '"2"' }), 200, 'agreements-write');
    expect((await call('verify', 'POST', '/verify', pdf.bytes)).json).toMatchObject({ status: 'voided' });
    const keys = await call('verify', 'GET', '/.well-known/concord-keys.json');
    expect(keys.json.keys.map((k: { kid: string }) => k.kid)).toEqual([added.kid, ...JSON.parse(ring).keys.map((k: { kid: string }) => k.kid)]);
    // A newer version of the ring is published than the one an instance loads (AWSCURRENT moved
    // back, or a read just after a rotation), and it took the instance's signing key out: its keys
    // are not put back, and it signs nothing with a key the verify function would not find.
    const { publishKeys } = await import('#shared/store/published-keys.ts');
    const current = JSON.parse(aws.secrets.get(SECRET_ARN)!).keys.map((k: { privateKeyPem: string }) => signingKey(k.privateKeyPem));
    const newer = signingKey(generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
    expect(await publishKeys([newer], { versionId: 'v999999', createdAt: Date.now() + 3_600_000 })).toBe(true);
    coldStart('certificates');
    const unpublished = await call('certificates', 'GET', `/agreements/${id}/certificate.pdf`);
    expect(unpublished.statusCode).toBe(500);
    // Once its ring is the one published again, it signs.
    // (Published as the version the secret holds, as the deploy would: later versions are published after it.)
    const held = (aws.secrets as unknown as { versions: Map<string, { versionId: string; createdAt: number }> }).versions.get(SECRET_ARN)!;
    expect(await publishKeys(current, held, { force: true })).toBe(true);
    ok(await call('certificates', 'GET', `/agreements/${id}/certificate.pdf`), 200, 'certificates');

    // Each policy refused nothing, and every table write it grants was needed on the way.
    for (const fn of FUNCTION_NAMES) {
      const proxy = iam.get(fn)!;
      expect(proxy.denied, fn).toEqual([]);
      const granted = s.allowStatements(fn).flatMap((st) => asArray(st.Action)).filter((a) => WRITES.includes(a));
      expect([...new Set(granted)].filter((action) => !proxy.used.has(action)), `${fn}: granted but never used`).toEqual([]);
      expect((FUNCTIONS[fn].writes as readonly TableWrite[]).map((w) => `dynamodb:${w.call}`).sort(), fn).toEqual([...new Set(granted)].sort());
    }
  }, 60_000);

  it('runs the integrity sweep\'s bundle behind its own IAM policy: every agreement checked, none damaged, nothing refused', async () => {
    const listed = await call('agreements-read', 'GET', '/agreements?limit=100');
    const ceremonies = await call('ceremonies-read', 'GET', '/ceremonies?limit=100');
    const parties = await call('parties-read', 'GET', '/parties?limit=100');
    expect([listed.statusCode, listed.json.nextCursor, ceremonies.statusCode, ceremonies.json.nextCursor, parties.statusCode, parties.json.nextCursor]).toEqual([200, null, 200, null, 200, null]);
    const proxy = await startIamProxy(baseEnv.AWS_ENDPOINT_URL_DYNAMODB!, s.allowStatements('integrity-sweep'));
    try {
      const bundle = bundleOf('stateless$', s.logicalId(s.stateless, s.stateless.sweep.fn));
      const sweep = run('integrity-sweep', { ...bundle, env: { ...bundle.env, AWS_ENDPOINT_URL_DYNAMODB: proxy.url } });
      const result = await sweep.invoke(scheduledEvent());
      expect(result).toEqual({ checked: listed.json.items.length, damaged: [], unread: [], ceremonies: { checked: ceremonies.json.items.length, damaged: [], unread: [], unsealed: 0 }, parties: { checked: parties.json.items.length, damaged: [], unread: [], unsealed: 0 }, complete: true });
      expect(ceremonies.json.items.length).toBeGreaterThan(0);
      expect(proxy.denied).toEqual([]);
      expect(sweep.output()).toContain('"event":"integrity sweep finished"');
    } finally {
      await proxy.close();
    }
  });

  it.each(FUNCTION_NAMES)('%s answers every one of its routes without a 5xx', async (fn) => {
    for (const route of routesOf(fn)) {
      const url = route.path.replace(/\{\w+\}/g, 'no-such-id');
      const reply = await call(fn, route.method, url, route.method === 'GET' ? undefined : {});
      expect(reply.statusCode, `${route.method} ${url}: ${processes.get(fn)?.output().slice(-500)}`).toBeLessThan(500);
    }
    expect(iam.get(fn)!.denied).toEqual([]);
  }, 30_000);

  it('answers API Gateway\'s $default route (what no route matches) with problem+json 404, or 405 with Allow', async () => {
    const unmatched = async (method: string, url: string) => {
      const event = toEvent({ method, url, headers: { host: 'registry.smoke.example' }, body: Buffer.alloc(0), sourceIp: '127.0.0.1' }, { params: {} });
      expect(event.routeKey).toBe(UNMATCHED_ROUTE_KEY);
      const result = await run(UNMATCHED_FUNCTION, functionBundle(UNMATCHED_FUNCTION)).invoke(event);
      return { status: result.statusCode, headers: result.headers ?? {}, body: JSON.parse(String(result.body)) };
    };
    const missing = await unmatched('GET', '/no/such/path');
    expect([missing.status, missing.headers['content-type'], missing.body.detail]).toEqual([404, 'application/problem+json', 'No route for /no/such/path']);
    const wrongMethod = await unmatched('DELETE', '/parties');
    expect([wrongMethod.status, wrongMethod.headers.allow]).toEqual([405, 'POST, GET, HEAD']);
  });
});

/*
 * Key rotation across several instances, each a synthesized bundle in its own Node process: certificates instances holding different versions of the key ring at
 * once, verify instances started cold, the custom resource, walked through the README's procedure
 * ("To roll the key"), a leak, AWSCURRENT moved back, and DynamoDB / Secrets Manager faults. An
 * instance's caches go stale by what it has loaded (stopping its process starts it cold), not by
 * waiting. After each step, what a user relies on:
 * (a) every certificate handed out (200) checks as genuine at a cold verify instance, uploaded and by
 *     the link printed in it;
 * (b) none is signed with a key that is not in the ring the secret holds;
 * (c) the JWKS no longer lists a key taken out once a certificates instance has loaded the ring without it;
 * (d) no 5xx but the README's: 503 from an instance whose signing key is no longer published, 500
 *     while AWSCURRENT names a ring whose signing key is not published, and while a fault is injected.
 */
/** A pass-through endpoint that answers with an AWS error while `fault` says so (X-Amz-Target, body). */
type Fault = ((target: string, body: string) => boolean) | undefined;
interface FaultProxy { url: string; close(): Promise<void> }
async function faultProxy(upstream: string, errorType: string, status: number, fault: () => Fault): Promise<FaultProxy> {
  const target = new URL(upstream);
  const proxy: FaultProxy = { url: '', close: async () => {} };
  const server: HttpServer = createServer(async (req, res) => {
    const body = await readAll(req);
    if (fault()?.(String(req.headers['x-amz-target'] ?? ''), body.toString('utf8'))) {
      return res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' }).end(JSON.stringify({ __type: errorType, message: 'injected fault' }));
    }
    const forward = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 500, up.headers);
      up.pipe(res);
    });
    forward.on('error', () => res.writeHead(502).end());
    forward.end(body);
  });
  Object.assign(proxy, await listenLocally(server));
  return proxy;
}
/** Faults injected: DynamoDB calls of the certificates function, Secrets Manager calls. */
let dynamoFault: Fault;
let secretFault: Fault;
const faultProxies = new Map<string, FaultProxy>();

/** Instance `name` of function `fn` (e.g. 'certificates-2'), started on its first call: the certificates function reaches DynamoDB (and Secrets Manager) through the fault proxies, then its IAM proxy; one attempt per call. */
function instance(name: string, fn: FunctionName): BundleProcess {
  const bundle = functionBundle(fn);
  const faulty = faultProxies.get(fn);
  const env = { ...bundle.env, AWS_MAX_ATTEMPTS: '1', ...(faulty && { AWS_ENDPOINT_URL_DYNAMODB: faulty.url, AWS_ENDPOINT_URL_SECRETS_MANAGER: faultProxies.get('secrets')!.url }) };
  return run(name, { ...bundle, env });
}

const probeCall = async (name: string, fn: FunctionName, method: string, url: string, body?: unknown, headers: Record<string, string> = {}) => {
  const reply = await callAt(instance(name, fn), method, url, body, headers);
  return { ...reply, status: reply.statusCode as number };
};

// ---- the key ring, as the operator edits it ----------------------------------------------

type Key = { kid: string; privateKeyPem: string };
const newKey = (): Key => {
  const pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return { kid: signingKey(pem).kid, privateKeyPem: pem };
};
/** The fake's version of each secret (what GetSecretValue answers with). */
const versionsOf = () => (aws.secrets as unknown as { versions: Map<string, { versionId: string; createdAt: number }> }).versions;
/** Every version put, in order: AWSCURRENT can be moved back to one. */
const versions: { value: string; version: { versionId: string; createdAt: number } }[] = [];
/** put-secret-value: a new version, AWSCURRENT. */
function putRing(keys: Key[]): void {
  const value = JSON.stringify({ keys });
  aws.secrets.set(SECRET_ARN, value);
  versions.push({ value, version: versionsOf().get(SECRET_ARN)! });
}
/** update-secret-version-stage: AWSCURRENT moved back to version `i`, its own id and date. */
function moveCurrentTo(i: number): void {
  Map.prototype.set.call(aws.secrets, SECRET_ARN, versions[i]!.value);
  versionsOf().set(SECRET_ARN, versions[i]!.version);
}
const currentKids = (): string[] => JSON.parse(aws.secrets.get(SECRET_ARN)!).keys.map((k: Key) => k.kid);

// ---- what users hold, and what they are told ---------------------------------------------

interface Handed { id: string; version: number; kid: string; pdf: Buffer; link: string; from: string; step: string }
const handed: Handed[] = [];
/** Agreements as they stand: latest version, voided. */
const standing = new Map<string, { version: number; voided: boolean }>();
/** Every 5xx, with why it was allowed (or not). */
const fiveHundreds: { step: string; from: string; status: number; allowed: string | undefined; detail: string }[] = [];
let step = 'set-up';

const kidOf = (pdf: Buffer) => {
  const jws = /\((eyJ[A-Za-z0-9_-]+)\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\)/.exec(pdf.toString('latin1'))?.[1];
  return JSON.parse(Buffer.from(jws!, 'base64url').toString()).kid as string;
};
const linkOf = (pdf: Buffer) => {
  const text = execFileSync('pdftotext', ['-', '-'], { input: pdf }).toString().replace(/\s+/g, '');
  const link = /https:\/\/registry\.smoke\.example\/verify\/[A-Z0-9-]+\?v=\d+&sig=[A-Za-z0-9_-]+/.exec(text)?.[0];
  if (!link) throw new Error(`no link printed: ${text.slice(0, 400)}`);
  return link.slice(PUBLIC_BASE_URL.length);
};

/**
 * Asks certificates instance `from` for the latest certificate of `id`. `allowed5xx`: why a 5xx
 * would be what the README says here (undefined: none is). A 200 is checked at once: (b) signed
 * with a key of the current ring, (a) genuine at a cold verify instance by upload and by link.
 */
async function download(from: string, id: string, allowed5xx?: string) {
  const reply = await probeCall(from, 'certificates', 'GET', `/agreements/${id}/certificate.pdf`);
  if (reply.status >= 500) {
    fiveHundreds.push({ step, from, status: reply.status, allowed: allowed5xx, detail: String(reply.json?.detail ?? '') });
    return { ...reply, kid: undefined };
  }
  expect(reply.status, `${step} ${from}: ${reply.bytes.toString().slice(0, 300)}`).toBe(200);
  const kid = kidOf(reply.bytes);
  const cert: Handed = { id, version: standing.get(id)!.version, kid, pdf: reply.bytes, link: linkOf(reply.bytes), from, step };
  handed.push(cert);
  expect.soft(currentKids(), `(b) ${step}: ${from} signed with ${kid}, not in the ring the secret holds`).toContain(kid);
  coldStart('verify-cold');
  await expectVerdict(cert, expected(cert), '(a)');
  return { ...reply, kid };
}

const expected = (c: Handed) => {
  const now = standing.get(c.id)!;
  return now.voided ? 'voided' : c.version < now.version ? 'superseded' : 'valid';
};

async function expectVerdict(c: Handed, status: string, label: string) {
  const upload = (await probeCall('verify-cold', 'verify', 'POST', '/verify', c.pdf)).json;
  const link = (await probeCall('verify-cold', 'verify', 'GET', c.link)).json;
  expect.soft([upload.status, link.status], `${label} ${step}: certificate from ${c.from} (${c.step}, kid ${c.kid.slice(0, 8)}) uploaded / by link`).toEqual([status, status]);
}

/** The kids a cold verify instance serves. */
async function jwks(): Promise<string[]> {
  coldStart('verify-cold');
  const reply = await probeCall('verify-cold', 'verify', 'GET', '/.well-known/concord-keys.json');
  expect(reply.status).toBe(200);
  return reply.json.keys.map((k: { kid: string }) => k.kid);
}

/** After a step: everything handed out so far checks as genuine if its key is published, and as invalid if not (a key taken out). */
async function recheckAll(): Promise<string[]> {
  const published = await jwks();
  coldStart('verify-cold');
  for (const c of handed) await expectVerdict(c, published.includes(c.kid) ? expected(c) : 'invalid', '(a, later)');
  return published;
}

let cfnCount = 0;
async function customResource(requestType: 'Create' | 'Update'): Promise<string> {
  const n = ++cfnCount;
  const event = {
    RequestType: requestType, ResponseURL: `${aws.url}/cfn/probe-${n}`, StackId: 'stack', RequestId: `p${n}`, LogicalResourceId: 'SigningKeyValue',
    ResourceProperties: { ServiceToken: 'x', SecretArn: SECRET_ARN },
    ...(requestType === 'Update' && { PhysicalResourceId: `signing-key:${SECRET_ARN}`, OldResourceProperties: { SecretArn: SECRET_ARN } }),
  };
  coldStart('signing-key');
  await run('signing-key', bundleOf('stateful$', s.logicalId(s.stateful, s.stateful.node.findChild('SigningKeyInit') as never))).invoke(event);
  const reply = aws.cfnResponses.get(`/cfn/probe-${n}`) as { Status: string; Reason: string };
  expect(reply.Status).toBe('SUCCESS');
  return reply.Reason;
}

describe('key rotation across instances', () => {
  beforeAll(async () => {
    // The certificates function reaches its IAM proxy through a fault proxy, and Secrets Manager through another.
    faultProxies.set('certificates', await faultProxy(iam.get('certificates')!.url, 'com.amazonaws.dynamodb.v20120810#InternalServerError', 500, () => dynamoFault));
    faultProxies.set('secrets', await faultProxy(aws.url, 'InternalServiceError', 500, () => secretFault));
  });

  it('walks the README procedure, a leak, AWSCURRENT moved back, a custom resource Update and faults', async () => {
    const K1 = newKey();
    const K2 = newKey();
    const K3 = newKey();
    const ok = (r: { status: number; bytes: Buffer }, status: number) => expect(r.status, r.bytes.toString().slice(0, 300)).toBe(status);

    // Set-up: the deploy's Create publishes ring v0 [K1]; two signings, one amended later, one voided later.
    putRing([K1]);
    expect(await customResource('Create')).toBe('kept; 1 public key published');
    for (const id of ['rp-a', 'rp-b']) ok(await probeCall('parties-write', 'parties-write', 'POST', '/parties', party(id)), 201);
    ok(await probeCall('ceremonies-write', 'ceremonies-write', 'POST', '/ceremonies', ceremony('rp-c')), 201);
    const ids: string[] = [];
    for (const key of ['rp-1', 'rp-2']) {
      const made = await probeCall('agreements-write', 'agreements-write', 'POST', '/ceremonies/rp-c/agreements', agreement(['rp-a', 'rp-b']), { 'idempotency-key': key });
      ok(made, 201);
      ids.push(made.json.id);
      standing.set(made.json.id, { version: 1, voided: false });
    }
    const [A, B] = ids as [string, string];
    for (const c of ['certificates-1', 'certificates-2']) {
      expect((await download(c, A)).kid).toBe(K1.kid);
      expect((await download(c, B)).kid).toBe(K1.kid);
    }
    // A warm verify instance, holding [K1] for its minute.
    ok(await probeCall('verify-warm', 'verify', 'POST', '/verify', handed[0]!.pdf), 200);
    expect(await recheckAll()).toEqual([K1.kid]);

    // Step 1: add K2 at the end. certificates-1 still holds [K1]; certificates-2, started cold, loads [K1, K2] and publishes it.
    step = 'step 1 (add K2 at the end)';
    putRing([K1, K2]);
    expect(await jwks()).toEqual([K1.kid]); // not before a certificates instance loads it
    coldStart('certificates-2');
    expect((await download('certificates-2', A)).kid).toBe(K1.kid);
    expect((await download('certificates-1', A)).kid).toBe(K1.kid);
    expect(await recheckAll()).toEqual([K1.kid, K2.kid]);

    // Step 2: move K2 first; a custom resource Update (a deploy) lands before any certificates instance reads it.
    step = 'step 2 (move K2 first; deploy mid-rotation)';
    putRing([K2, K1]);
    expect(await customResource('Update')).toBe('kept; 2 public keys published');
    expect((await download('certificates-1', A)).kid).toBe(K1.kid); // [K1], K1 published
    expect((await download('certificates-2', A)).kid).toBe(K1.kid); // [K1, K2], K1 published
    expect((await download('certificates-3', A)).kid).toBe(K2.kid); // cold: [K2, K1]
    // An amendment: A's version 1 certificates become superseded.
    ok(await probeCall('agreements-write', 'agreements-write', 'PATCH', `/agreements/${A}`, { title: 'Cooperation agreement, amended', reason: 'title' }, { 'if-match': '"1"' }), 200);
    standing.set(A, { version: 2, voided: false });
    expect((await download('certificates-3', A)).kid).toBe(K2.kid);
    expect((await download('certificates-1', A)).kid).toBe(K1.kid);
    expect(await recheckAll()).toEqual([K2.kid, K1.kid]);

    // Leak: K1 taken out. certificates-2 starts cold and publishes [K2]; certificates-1 ([K1]) must
    // not hand out a certificate signed with K1 (README: it answers 503 until it reads the ring again).
    step = 'leak (K1 taken out)';
    putRing([K2]);
    expect(await jwks()).toEqual([K2.kid, K1.kid]); // README: the keys published before stay until a certificates instance loads the ring
    coldStart('certificates-2');
    expect((await download('certificates-2', A)).kid).toBe(K2.kid);
    expect(await jwks()).toEqual([K2.kid]); // (c)
    const stale = await download('certificates-1', A, 'README: an instance still holding a ring whose signing key is no longer published answers 503');
    expect.soft(stale.status, '(b)/(d) leak: the stale instance answers 503').toBe(503);
    expect((await download('certificates-3', B)).kid).toBe(K2.kid); // [K2, K1]: K2 signs
    // A DynamoDB fault on the published keys' read: the stale instance still signs nothing with K1.
    dynamoFault = (target, body) => target.endsWith('GetItem') && body.includes('"KEYS"');
    const faulted = await download('certificates-1', B, 'fault injected (DynamoDB GetItem KEYS)');
    expect.soft(faulted.status, 'leak + DynamoDB fault: nothing signed with K1').not.toBe(200);
    dynamoFault = undefined;
    expect(await recheckAll()).toEqual([K2.kid]);

    // Secrets Manager fails while an instance starts cold: 5xx (a fault), then it signs with K2.
    step = 'Secrets Manager fault';
    secretFault = (target) => target.endsWith('GetSecretValue');
    coldStart('certificates-4');
    await download('certificates-4', B, 'fault injected (Secrets Manager)');
    secretFault = undefined;
    expect((await download('certificates-4', B)).kid).toBe(K2.kid);
    step = 'DynamoDB fault on the publication';
    // DynamoDB refuses the publication (PutItem KEYS) at a cold start: 5xx, then it signs.
    dynamoFault = (target, body) => target.endsWith('PutItem') && body.includes('"KEYS"');
    coldStart('certificates-4');
    await download('certificates-4', B, 'fault injected (DynamoDB PutItem KEYS)');
    dynamoFault = undefined;
    expect((await download('certificates-4', B)).kid).toBe(K2.kid);
    expect(await recheckAll()).toEqual([K2.kid]);

    // AWSCURRENT moved back to [K2, K1] (its signing key, K2, is published): a cold instance signs with K2; K1 is not published again.
    step = 'AWSCURRENT back to [K2, K1]';
    moveCurrentTo(2);
    coldStart('certificates-5');
    expect((await download('certificates-5', B)).kid).toBe(K2.kid);
    expect(await customResource('Update')).toBe('kept; the public keys of this version of the key ring, or of a later one, were published already');
    expect(await recheckAll()).toEqual([K2.kid]);

    // AWSCURRENT moved back to [K1, K2]: README says 500 (its signing key is not published). A void meanwhile.
    step = 'AWSCURRENT back to [K1, K2]';
    moveCurrentTo(1);
    coldStart('certificates-5');
    const refused = await download('certificates-5', B, 'README: AWSCURRENT moved back, the certificates function refuses (500)');
    expect(refused.status).toBe(500);
    ok(await probeCall('agreements-write', 'agreements-write', 'POST', `/agreements/${B}/void`, { reason: 'signed twice' }, { 'if-match': '"1"' }), 200);
    standing.set(B, { version: 1, voided: true });
    expect((await download('certificates-4', B)).kid).toBe(K2.kid); // warm, [K2]
    expect(await jwks()).toEqual([K2.kid]);
    // Made current again the README's way: its value as a new version (here [K2] with a new K3 after it).
    step = 'ring put again as a new version';
    putRing([K2, K3]);
    coldStart('certificates-5');
    expect((await download('certificates-5', B)).kid).toBe(K2.kid);
    expect(await recheckAll()).toEqual([K2.kid, K3.kid]);

    // (d): every 5xx was one the README (or an injected fault) accounts for.
    console.table(fiveHundreds);
    expect(fiveHundreds.filter((f) => !f.allowed)).toEqual([]);
    console.log(`${handed.length} certificates handed out and checked`);
  }, 120_000);
});
