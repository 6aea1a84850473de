/**
 * Key rotation across several instances, each a synthesized bundle in its own Node process (as
 * bundles.test.ts runs them): certificates instances holding different versions of the key ring at
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
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { createServer, request, type Server as HttpServer } from 'node:http';
import type { Server } from 'node:net';
import { join } from 'node:path';
import dynalite from 'dynalite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signingKey } from '#shared/certificate/signature.ts';
import { matchRoute, type FunctionName } from '#shared/http/routes.ts';
import { requestTarget, toEvent } from '#infra/local/adapter.ts';
import { FUNCTION_NAMES } from '#infra/api/registry-functions.ts';
import { agreement, ceremony, party } from '../support/fixtures.ts';
import { startBundle, type BundleProcess } from './bundle-process.ts';
import { startFakeAws, type FakeAws } from './fake-aws.ts';
import { startIamProxy, type IamProxy } from './iam-proxy.ts';
import { listenLocally, readAll } from './local-endpoint.ts';
import { synthesize, type Synthesized } from './synth.ts';

const SECRET_ARN = 'arn:aws:secretsmanager:local:000000000000:secret:concord-signing-key';
const CURSOR_SECRET_ARN = 'arn:aws:secretsmanager:local:000000000000:secret:concord-cursor-key';
const PUBLIC_BASE_URL = 'https://registry.smoke.example';

let s: Synthesized;
let db: Server;
let aws: FakeAws;
let baseEnv: Record<string, string>;
let tableName: string | undefined;
const processes = new Map<string, BundleProcess>();
const iam = new Map<FunctionName, IamProxy>();

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

interface Bundle { dir: string; env: Record<string, string>; timeoutSeconds: number }

function bundleOf(stack: 'stateful$' | 'stateless$', logicalId: string): Bundle {
  const props = s[stack].toJSON().Resources[logicalId].Properties;
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries<unknown>(props.Environment?.Variables ?? {})) {
    const local = typeof value === 'string' ? value : { SIGNING_KEY_SECRET_ARN: SECRET_ARN, PUBLIC_BASE_URL, CURSOR_SECRET_ARN, TABLE_NAME: tableName }[name];
    if (!local) throw new Error(`${logicalId}: no local value for the token in ${name}`);
    env[name] = local;
  }
  return { dir: join(s.outdir, `asset.${String(props.Code.S3Key).replace(/\.zip$/, '')}`), env, timeoutSeconds: props.Timeout ?? 3 };
}

/** The certificates function reaches DynamoDB (and Secrets Manager) through the fault proxies, then its IAM proxy. */
function functionBundle(fn: FunctionName): Bundle {
  const bundle = bundleOf('stateless$', s.logicalId(s.stateless, s.stateless.functions.byName.get(fn)!));
  const faulty = faultProxies.get(fn);
  return { ...bundle, env: { ...bundle.env, AWS_ENDPOINT_URL_DYNAMODB: (faulty ?? iam.get(fn)!).url, ...(faulty && { AWS_ENDPOINT_URL_SECRETS_MANAGER: faultProxies.get('secrets')!.url }) } };
}

/** Instance `name` of function `fn` (e.g. 'certificates-2'), started on its first call. */
function instance(name: string, fn: FunctionName): BundleProcess {
  if (!processes.has(name)) {
    const bundle = functionBundle(fn);
    processes.set(name, startBundle(join(bundle.dir, 'index.mjs'), bundle.dir, { ...baseEnv, ...bundle.env }, bundle.timeoutSeconds));
  }
  return processes.get(name)!;
}

function coldStart(name: string): void {
  processes.get(name)?.stop();
  processes.delete(name);
}

const STAFF = { sub: 'smoke-staff', 'cognito:groups': ['staff'] };

async function call(name: string, fn: FunctionName, method: string, url: string, body?: unknown, headers: Record<string, string> = {}) {
  const match = matchRoute(method, requestTarget(url).path);
  if (!('route' in match)) throw new Error(`no route for ${method} ${url}`);
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body === undefined ? '' : JSON.stringify(body));
  const type = body === undefined ? {} : { 'content-type': Buffer.isBuffer(body) ? 'application/pdf' : 'application/json' };
  const event = toEvent(
    { method, url, headers: { host: 'registry.smoke.example', ...type, ...headers }, body: bytes, sourceIp: '127.0.0.1' },
    match,
    match.route.access === 'public' ? undefined : STAFF,
  );
  const result = await instance(name, fn).invoke(event);
  const text = result.isBase64Encoded ? '' : String(result.body ?? '');
  return { status: result.statusCode as number, json: text.startsWith('{') ? JSON.parse(text) : undefined, bytes: Buffer.from(String(result.body ?? ''), result.isBase64Encoded ? 'base64' : 'utf8') };
}

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
  const reply = await call(from, 'certificates', 'GET', `/agreements/${id}/certificate.pdf`);
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
  const upload = (await call('verify-cold', 'verify', 'POST', '/verify', c.pdf)).json;
  const link = (await call('verify-cold', 'verify', 'GET', c.link)).json;
  expect.soft([upload.status, link.status], `${label} ${step}: certificate from ${c.from} (${c.step}, kid ${c.kid.slice(0, 8)}) uploaded / by link`).toEqual([status, status]);
}

/** The kids a cold verify instance serves. */
async function jwks(): Promise<string[]> {
  coldStart('verify-cold');
  const reply = await call('verify-cold', 'verify', 'GET', '/.well-known/concord-keys.json');
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
  const bundle = bundleOf('stateful$', s.logicalId(s.stateful, s.stateful.node.findChild('SigningKeyInit') as never));
  processes.set('signing-key', startBundle(join(bundle.dir, 'index.mjs'), bundle.dir, { ...baseEnv, ...bundle.env }, bundle.timeoutSeconds));
  await processes.get('signing-key')!.invoke(event);
  const reply = aws.cfnResponses.get(`/cfn/probe-${n}`) as { Status: string; Reason: string };
  expect(reply.Status).toBe('SUCCESS');
  return reply.Reason;
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
    // One attempt: an injected fault is the answer, not a retry after a back-off.
    AWS_MAX_ATTEMPTS: '1',
  };
  for (const fn of FUNCTION_NAMES) iam.set(fn, await startIamProxy(baseEnv.AWS_ENDPOINT_URL_DYNAMODB!, s.allowStatements(fn)));
  // The certificates function reaches its IAM proxy through a fault proxy, and Secrets Manager through another.
  faultProxies.set('certificates', await faultProxy(iam.get('certificates')!.url, 'com.amazonaws.dynamodb.v20120810#InternalServerError', 500, () => dynamoFault));
  faultProxies.set('secrets', await faultProxy(aws.url, 'InternalServiceError', 500, () => secretFault));
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

describe('key rotation across instances', () => {
  it('walks the README procedure, a leak, AWSCURRENT moved back, a custom resource Update and faults', async () => {
    const K1 = newKey();
    const K2 = newKey();
    const K3 = newKey();
    const ok = (r: { status: number; bytes: Buffer }, status: number) => expect(r.status, r.bytes.toString().slice(0, 300)).toBe(status);

    // Set-up: the deploy's Create publishes ring v0 [K1]; two signings, one amended later, one voided later.
    putRing([K1]);
    expect(await customResource('Create')).toBe('kept; 1 public key published');
    for (const id of ['rp-a', 'rp-b']) ok(await call('parties-write', 'parties-write', 'POST', '/parties', party(id)), 201);
    ok(await call('ceremonies-write', 'ceremonies-write', 'POST', '/ceremonies', ceremony('rp-c')), 201);
    const ids: string[] = [];
    for (const key of ['rp-1', 'rp-2']) {
      const made = await call('agreements-write', 'agreements-write', 'POST', '/ceremonies/rp-c/agreements', agreement(['rp-a', 'rp-b']), { 'idempotency-key': key });
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
    ok(await call('verify-warm', 'verify', 'POST', '/verify', handed[0]!.pdf), 200);
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
    ok(await call('agreements-write', 'agreements-write', 'PATCH', `/agreements/${A}`, { title: 'Cooperation agreement, amended', reason: 'title' }, { 'if-match': '"1"' }), 200);
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
    ok(await call('agreements-write', 'agreements-write', 'POST', `/agreements/${B}/void`, { reason: 'signed twice' }, { 'if-match': '"1"' }), 200);
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
