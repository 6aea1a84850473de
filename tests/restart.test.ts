/**
 * `npm start` twice on the same data dir, as separate processes: everything written before the
 * restart is there after it, the demo data is not seeded twice, history hashes still verify, and
 * certificates come out byte-identical; after a key rollover, certificates signed with the old key
 * still verify.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { once } from 'node:events';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { expectChain, sha256 } from './support/chain.ts';
import { pdfToText } from './support/pdf-text.ts';

const scratch = mkdtempSync(join(tmpdir(), 'concord-restart-'));
const dataDir = join(scratch, 'data');
// Made beforehand, readable by all (`mkdir .data` under a usual umask): the first start makes it its owner's alone.
mkdirSync(dataDir, { mode: 0o755 });
chmodSync(dataDir, 0o755);
const children: ChildProcess[] = [];

/** Starts the real `npm start` entry point on a free port; resolves with its URL and tokens. */
function start(publicBaseUrl = 'https://concord.example'): Promise<{ url: string; staff: string; partner: string; output: () => string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'infra/local/main.ts'], {
    env: { ...process.env, PORT: '0', DATA_DIR: dataDir, PUBLIC_BASE_URL: publicBaseUrl },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (d) => { out += d; });
    child.stdout!.on('data', (d) => {
      out += d;
      const url = /running at (http:\S+)/.exec(out)?.[1];
      const staff = /STAFF=(\S+)/.exec(out)?.[1];
      const partner = /PARTNER=(\S+)/.exec(out)?.[1];
      if (url && staff && partner) {
        resolve({ url, staff, partner, output: () => out, stop: () => new Promise((done) => { child.once('exit', () => done()); child.kill('SIGTERM'); }) });
      }
    });
    // 'close', not 'exit': by then its output has been read to the end.
    child.once('close', (code) => reject(new Error(`server exited with ${code}: ${out}`)));
  });
}

afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(scratch, { recursive: true, force: true });
});


/** Polls (every 5 ms, at most 1,000 times) until `done`: for a state another process reaches. */
async function until(done: () => boolean, what: string): Promise<void> {
  for (let polls = 0; !done(); polls++) {
    if (polls > 1000) throw new Error(`${what} did not happen`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * The pid of a process that has exited but is not reaped: a shell starts `head` in the background,
 * reading a pipe, then becomes `sleep`, which never waits for it; `head` ends when the pipe closes,
 * only once the shell is `sleep` (a shell may reap a child that ends before). Resolves once /proc
 * shows it a zombie.
 */
async function zombie(): Promise<number> {
  const parent = spawn('sh', ['-c', 'head -c 1 <&3 >/dev/null & echo $!; exec sleep 600 3<&-'], { stdio: ['ignore', 'pipe', 'ignore', 'pipe'] });
  children.push(parent);
  const [line] = (await once(parent.stdout!, 'data')) as [Buffer];
  const pid = Number(line.toString().trim());
  const read = (file: string) => { try { return readFileSync(file, 'utf8'); } catch { return ''; } };
  await until(() => read(`/proc/${parent.pid}/comm`).trim() === 'sleep', 'the shell becoming sleep');
  (parent.stdio[3] as Writable).end();
  await until(() => /^\d+ \(.*\) Z/s.test(read(`/proc/${pid}/stat`)), `process ${pid} becoming a zombie`);
  return pid;
}

const get = async (url: string, token: string) => (await fetch(url, { headers: { authorization: `Bearer ${token}` } })).json() as Promise<any>;

describe('restart on the same data dir', () => {
  it('keeps every record, seeds demo data once, and history still verifies', async () => {
    const first = await start();
    // Only its owner may read the database (the secrets in it are 0600 too): another account on a shared venue laptop may not.
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    const seeded = await get(`${first.url}/agreements?limit=100`, first.staff);
    expect(seeded.items).toHaveLength(6);
    // `npm start` runs the integrity sweep just after the start, as the schedule does on AWS.
    const swept = () => /^\{"level":"info","event":"integrity sweep finished".*\}$/m.exec(first.output())?.[0];
    await until(() => swept() !== undefined, 'the first integrity sweep');
    expect(JSON.parse(swept()!)).toEqual({ level: 'info', event: 'integrity sweep finished', checked: 6, damaged: 0, unread: 0, ceremonies: { checked: 1, damaged: 0, unread: 0, unsealed: 0 }, parties: { checked: expect.any(Number), damaged: 0, unread: 0, unsealed: 0 }, ms: expect.any(Number) });
    const parties = (await get(`${first.url}/parties?limit=100`, first.staff)).items.length;
    const [target] = seeded.items;
    const amend = await fetch(`${first.url}/agreements/${target.id}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${first.staff}`, 'content-type': 'application/json', 'if-match': `"${target.version}"` },
      body: JSON.stringify({ summary: 'Amended before the restart', reason: 'restart test' }),
    });
    expect(amend.status).toBe(200);
    const before = await get(`${first.url}/agreements/${target.id}/history`, first.staff);
    const certificate = (url: string, token: string) =>
      fetch(`${url}/agreements/${target.id}/certificate.pdf`, { headers: { authorization: `Bearer ${token}` } }).then(async (r) => Buffer.from(await r.arrayBuffer()));
    const pdfBefore = await certificate(first.url, first.staff);
    expect(pdfBefore.subarray(0, 5).toString()).toBe('%PDF-');
    // A second server on the same data dir is refused with a message, and the first one keeps going.
    const refused = await start().then(() => 'started', (error: Error) => error.message);
    expect(refused).toMatch(/^server exited with 1: .*is in use by another Concord process \(pid \d+, in \S+server\.pid\)/s);
    expect(refused).not.toMatch(/\n\s+at /); // a message, not a stack trace
    expect((await get(`${first.url}/agreements/${target.id}/history`, first.staff)).items).toHaveLength(2);
    await first.stop();

    // A live process whose name reads like a zombie's state (") Z") still holds its claim.
    const oddName = join(dataDir, 'x) Z x');
    copyFileSync('/bin/sleep', oddName);
    chmodSync(oddName, 0o755);
    const odd = spawn(oddName, ['600'], { stdio: 'ignore' });
    children.push(odd);
    await until(() => existsSync(`/proc/${odd.pid}/stat`) && readFileSync(`/proc/${odd.pid}/stat`, 'utf8').includes('(x) Z x)'), 'the oddly named process starting');
    writeFileSync(join(dataDir, 'server.pid'), String(odd.pid));
    expect(await start().then(() => 'started', (error: Error) => error.message)).toMatch(/is in use by another Concord process/);
    odd.kill('SIGKILL');
    await once(odd, 'exit');
    rmSync(oddName);

    // Even without the seed marker, re-seeding must not duplicate anything; a claim left by a
    // process that is gone (killed, its pid file kept) is taken over.
    unlinkSync(join(dataDir, 'demo-seeded'));
    writeFileSync(join(dataDir, 'server.pid'), String(spawnSync('true').pid));
    const second = await start();
    // Stopped uncleanly, the last server may have left index entries of an unfinished write: checked.
    expect(first.output()).not.toMatch(/did not stop cleanly/);
    expect(second.output()).toMatch(/did not stop cleanly: its indexes were checked\n/);
    const after = await get(`${second.url}/agreements?limit=100`, second.staff);
    expect(after.items.map((a: any) => a.id).sort()).toEqual(seeded.items.map((a: any) => a.id).sort());
    expect((await get(`${second.url}/parties?limit=100`, second.staff)).items).toHaveLength(parties);
    const history = await get(`${second.url}/agreements/${target.id}/history`, second.staff);
    expect(history).toEqual(before);
    expect(history.items).toHaveLength(2);
    expectChain(history.items);
    expect(history.integrity).toEqual({ chainValid: true, stateMatches: true, firstBadVersion: null });
    // The certificate is a pure function of the version and the key (kept in the data dir).
    expect(sha256(await certificate(second.url, second.staff))).toBe(sha256(pdfBefore));
    // A token minted before the restart still works: the secret lives in the data dir.
    expect((await fetch(`${second.url}/agreements`, { headers: { authorization: `Bearer ${first.partner}` } })).status).toBe(200);
    await second.stop();

    // A key rollover (a new key signs from now on, the old one stays in the ring to verify) and a
    // move of the registry to another address: files issued before both still verify.
    const ringFile = join(dataDir, 'signing-keys.json');
    const ring = JSON.parse(readFileSync(ringFile, 'utf8')) as { keys: { privateKeyPem: string }[] };
    const fresh = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    writeFileSync(ringFile, JSON.stringify({ keys: [{ privateKeyPem: fresh }, ...ring.keys] }));
    // Dated long ago, as a copy restored from a backup may be: the ring in the data dir at start is the
    // current one, whatever its date, and its public keys are what verification checks with.
    utimesSync(ringFile, new Date('2001-01-01T00:00:00Z'), new Date('2001-01-01T00:00:00Z'));
    // The last server was SIGKILLed the instant before, and its parent has not reaped it yet (a
    // zombie, which still answers signal 0): it holds nothing, and its claim is taken over.
    writeFileSync(join(dataDir, 'server.pid'), String(await zombie()));
    const third = await start('https://registry.example.org');
    expect(third.output()).toMatch(/did not stop cleanly: its indexes were checked\n/);
    const upload = (pdf: Buffer) =>
      fetch(`${third.url}/verify`, { method: 'POST', headers: { 'content-type': 'application/pdf' }, body: pdf }).then((r) => r.json() as Promise<any>);
    expect((await upload(pdfBefore)).status).toBe('valid');
    // The link the old file prints (the old address, and signed for it) still checks out at the new one.
    const printedLink = /\/verify\/\S+/.exec(pdfToText(pdfBefore))![0];
    expect(((await get(`${third.url}${printedLink}`, third.staff)) as { status: string }).status).toBe('valid');
    const reissued = await certificate(third.url, third.staff);
    expect(sha256(reissued)).not.toBe(sha256(pdfBefore));
    expect((await upload(reissued)).status).toBe('valid');
    expect(pdfToText(reissued)).toContain('https://registry.example.org/verify/');
    expect((await get(`${third.url}/.well-known/concord-keys.json`, third.staff)).keys).toHaveLength(2);
    await third.stop();
  }, 120_000); // three real `npm start` processes: a budget for a busy 2-core machine, not a speed check
});

describe('local tools refuse a data dir they cannot use, with a message', () => {
  const run = (script: string, env: Record<string, string>, args: string[] = []) =>
    spawnSync(process.execPath, ['--import', 'tsx', script, ...args], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 30_000 });

  it('the token tool will not mint against a data dir no registry has used (its token would be refused)', () => {
    const missing = join(tmpdir(), `concord-missing-${process.pid}`);
    const r = run('infra/local/token-cli.ts', { DATA_DIR: missing }, ['staff']);
    expect([r.status, r.stdout]).toEqual([1, '']);
    expect(r.stderr).toMatch(/local-jwt-secret does not exist: start the registry first/);
    expect(existsSync(missing)).toBe(false);
  });

  it.each([
    // A disk that filled up while the secret was first written left it empty: anyone could sign tokens with an empty key.
    ['an empty token secret', 'local-jwt-secret', '', /local-jwt-secret is damaged \(it must hold 64 hexadecimal digits\)/],
    ['a token secret that is not hex', 'local-jwt-secret', 'not-hex-at-all', /local-jwt-secret is damaged/],
    ['an empty signing key ring', 'signing-keys.json', '', /signing-keys.json is damaged \(it must hold a key ring/],
  ])('npm start refuses a data dir with %s, and says what to do', (_name, file, contents, message) => {
    const dir = join(scratch, `damaged-${file}-${contents.length}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, file), contents);
    const r = run('infra/local/main.ts', { DATA_DIR: dir, PORT: '0' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/delete it and start again/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it.each([
    ['HOST set to nothing: the default, not every interface', { HOST: '' }, { HOST: '127.0.0.1' }],
    ['PORT set to nothing: the default', { PORT: '' }, { PORT: 3000 }],
    ['PORT in hex', { PORT: '0x0c22' }, /^PORT: must be a port number/],
    ['a base URL with a fragment, which would swallow the verification path', { PUBLIC_BASE_URL: 'http://reg.example/#qr' }, /^PUBLIC_BASE_URL: must be an http\(s\) address without a query, fragment/],
    ['a base URL that is not http(s)', { PUBLIC_BASE_URL: 'javascript:alert(1)' }, /^PUBLIC_BASE_URL: must be an http\(s\) address/],
    ['a base URL with a bare "?", whose query is empty but still swallows the path', { PUBLIC_BASE_URL: 'http://reg.example/?' }, /^PUBLIC_BASE_URL: must be an http\(s\) address without a query/],
    ['a base URL with empty credentials', { PUBLIC_BASE_URL: 'http://@reg.example' }, /^PUBLIC_BASE_URL: must be an http\(s\) address without a query/],
    ['a LAN base URL with a port and a path', { PUBLIC_BASE_URL: 'http://192.168.1.20:3000/concord' }, { PUBLIC_BASE_URL: 'http://192.168.1.20:3000/concord' }],
  ])('local settings: %s', async (_name, env, expected) => {
    const { parseLocalConfig } = await import('../infra/local/config.ts');
    const parsed = parseLocalConfig({ HOST: '', PORT: '', PUBLIC_BASE_URL: '', ...env });
    if (expected instanceof RegExp) expect(parsed).toEqual({ errors: [expect.stringMatching(expected)] });
    else expect(parsed).toMatchObject({ config: expected });
  });

  it('npm start with a wrong setting says which, and exits 2', () => {
    const r = run('infra/local/main.ts', { PORT: '0x0c22', DATA_DIR: join(scratch, 'never-made') });
    expect([r.status, r.stderr]).toEqual([2, 'PORT: must be a port number from 0 to 65535\n']);
    expect(existsSync(join(scratch, 'never-made'))).toBe(false);
  });

  it.each([
    ['a file', (file: string) => file, /is not a directory/],
    ['empty', () => '', /^DATA_DIR: must name a directory/m],
  ])('npm start with DATA_DIR %s', (_name, dir, message) => {
    const file = join(scratch, 'not-a-dir');
    writeFileSync(file, '');
    const r = run('infra/local/main.ts', { DATA_DIR: dir(file), PORT: '0' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('a first start killed while it made the table', () => {
  it('leaves a table CREATING for good, which the next start replaces (it held no records) instead of failing for ever', async () => {
    const dir = join(scratch, 'half-made');
    // What such a kill leaves: a table saved as CREATING, whose switch to ACTIVE never came.
    const { default: dynalite } = await import('dynalite');
    const { CreateTableCommand, DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
    const stuck = dynalite({ path: join(dir, 'dynamodb'), createTableMs: 3_600_000 });
    await new Promise<void>((ok) => stuck.listen(0, '127.0.0.1', () => ok()));
    const client = new DynamoDBClient({ endpoint: `http://127.0.0.1:${(stuck.address() as { port: number }).port}`, region: 'local', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    const { TABLE_NAME } = await import('#infra/local/server.ts');
    await client.send(new CreateTableCommand({
      TableName: TABLE_NAME, BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    }));
    client.destroy();
    await new Promise((ok) => stuck.close(ok));

    const lines: string[] = [];
    const { startTestRegistry } = await import('./support/registry.ts');
    const t = await startTestRegistry({ dataDir: dir, log: (line) => lines.push(line) });
    try {
      expect(lines).toContainEqual(expect.stringMatching(/was left half-made by an earlier start; it held no records, and starts afresh$/));
      expect((await t.call('POST', '/parties', { body: { kind: 'city', name: 'Chongqing', countryCode: 'CN', id: 'half-made-city' } })).status).toBe(201);
      expect((await t.call('GET', '/parties?limit=5')).body.items.map((p: any) => p.id)).toEqual(['half-made-city']);
    } finally {
      await t.close();
    }
  });
});
