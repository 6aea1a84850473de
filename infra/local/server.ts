/**
 * The whole registry on one machine: dynalite on disk, the table from the shared definition,
 * demo data on first start, and an HTTP server that hands each request to the real Lambda
 * handler as an API Gateway v2 event (after checking the bearer token as the JWT authorizer would).
 */
import { randomUUID } from 'node:crypto';
import { accessSync, chmodSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import dynalite from 'dynalite';
import type { APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { FieldError } from '#shared/domain/errors.ts';
import type { Role } from '#shared/domain/principal.ts';
import type { ApiEvent } from '#shared/http/request.ts';
import { matchRoute, PREFLIGHT_ROUTE_KEY, UNMATCHED_FUNCTION, type FunctionName } from '#shared/http/routes.ts';
import { problem } from '#shared/http/problem.ts';
import { keyRingOf } from '#shared/certificate/signature.ts';
import { SWEEP_TIMEOUT_SECONDS } from '#functions/integrity-sweep/settings.ts';
import { gatewayHeaders, LAMBDA_RESPONSE_BYTES, lambdaContext, overLambdaLimit, requestTarget, scheduledEvent, toEvent, toHttp, type HttpInput } from './adapter.ts';
import { LOCAL_CREDENTIALS, requireSignedRequests } from './aws-auth.ts';
import { createOnce, DataDirInUse, DataDirUnusable } from './data-files.ts';
import { closeDynaliteIterators } from './dynalite-iterators.ts';
import { loadSecret, mintToken, verifyToken } from './jwt.ts';
import { CURSOR_KEY_SECRET_ARN, loadLocalSecrets, SIGNING_KEY_SECRET_ARN, startSecretsStub } from './secrets.ts';

export const TABLE_NAME = 'concord';
/**
 * The most a request body can be on AWS and still reach a function: Lambda takes events of 6 MB,
 * and API Gateway base64-encodes a binary body (4/3), so about 4 MB of body, headers aside.
 * Larger bodies fail in front of the function there; here they get a 413. The handlers enforce
 * the registry's own, lower limits (64 KB of JSON, a 2 MB PDF).
 */
const MAX_REQUEST_BYTES = 4 * 1024 * 1024;

export interface RegistryOptions {
  dataDir: string;
  port?: number;
  host?: string;
  seed?: boolean;
  /** Base of the verification URLs printed on certificates (default: this server's URL). */
  publicBaseUrl?: string;
  /** Runs the integrity sweep as its schedule does on AWS: once just after the start, then every so many ms. */
  integritySweepEveryMs?: number;
  log?: (line: string) => void;
}

export interface Registry {
  url: string;
  dataDir: string;
  token(role: Role, partyId?: string): string;
  /** Sends one request through the same path as HTTP (used for seeding). */
  invoke(input: HttpInput): Promise<{ status: number; headers: Record<string, string>; body: Buffer }>;
  close(): Promise<void>;
}

type LambdaHandler = (event: ApiEvent, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

const listen = (server: Server, port: number, host: string) =>
  new Promise<number>((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => ok((server.address() as AddressInfo).port));
  });

const closeServer = (server: Server) =>
  new Promise<void>((ok) => {
    server.close(() => ok());
    server.closeAllConnections?.();
  });

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((ok, fail) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_REQUEST_BYTES) chunks.push(chunk);
    });
    req.on('end', () => ok(size > MAX_REQUEST_BYTES ? undefined : Buffer.concat(chunks)));
    req.on('error', fail);
  });
}

/** dynalite fails on a database it cannot write with an uncaught "Database is closed"; say why first. */
function assertDatabaseWritable(dir: string): void {
  if (!existsSync(dir)) return;
  for (const entry of [dir, ...readdirSync(dir).map((name) => join(dir, name))]) {
    try {
      accessSync(entry, constants.W_OK);
    } catch {
      throw new DataDirUnusable(`${entry} cannot be written by this user (left by another user, e.g. root?); fix its owner, or set DATA_DIR to another directory`);
    }
  }
}

/** Makes the data dir, or says in a DataDirUnusable why it cannot be one. */
function makeDataDir(dataDir: string): void {
  try {
    // Its owner's alone: the database's files are made readable by all (the umask's), the secrets
    // 0600. A dir made beforehand (`mkdir .data`), or by an earlier version, is made so too.
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    chmodSync(dataDir, 0o700);
    writeFileSync(join(dataDir, '.writable'), '');
    rmSync(join(dataDir, '.writable'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR') throw new DataDirUnusable(`DATA_DIR=${dataDir} is not a directory (a file is in the way); set DATA_DIR to a directory`);
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') throw new DataDirUnusable(`DATA_DIR=${dataDir} cannot be written (${code}); set DATA_DIR to a directory you can write`);
    throw error;
  }
}

/**
 * Claims the data dir for this process with a pid file, before dynalite opens it (whose own lock
 * error surfaces asynchronously, as a crash). The file appears whole or not at all (written
 * aside, then linked into place); one left by a process that is gone is taken over. Returns the
 * release, which removes the file only while it is still this process's, and whether the last
 * server on this dir stopped without releasing it (killed, or the machine lost power).
 */
function claimDataDir(dataDir: string): { release: () => void; unclean: boolean } {
  const file = join(dataDir, 'server.pid');
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'EPERM';
    }
    // A process killed but not yet reaped by its parent (a zombie: a server the instant after a
    // SIGKILL) still answers signal 0, yet holds nothing any more. Where there is no /proc to say
    // so, it counts as alive: refused with a message, as before.
    try {
      // The state follows the name in brackets, which may itself hold ") Z": read after the last ")".
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return !/^ [ZX]/.test(stat.slice(stat.lastIndexOf(')') + 1));
    } catch {
      return !existsSync('/proc/self/stat'); // with a /proc, a pid that has none has gone meanwhile
    }
  };
  let unclean = false;
  for (let attempt = 0; !createOnce(file, String(process.pid)); attempt++) {
    let holder: number;
    try {
      holder = Number(readFileSync(file, 'utf8'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue; // released meanwhile: once more
      throw error;
    }
    // Once more only once: a second holder is a process that claimed the dir meanwhile.
    if (attempt > 0 || (holder !== process.pid && (!Number.isInteger(holder) || holder <= 0 || alive(holder)))) {
      throw new DataDirInUse(`${dataDir} is in use by another Concord process (pid ${holder || 'unknown'}, in ${file}); stop it, or set DATA_DIR to another directory (delete ${file} if no such process runs)`);
    }
    rmSync(file, { force: true }); // left by a process that is gone (or by this one): once more
    unclean = true;
  }
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    try {
      if (Number(readFileSync(file, 'utf8')) === process.pid) rmSync(file, { force: true });
    } catch {
      // Already gone.
    }
  };
  return { release, unclean };
}

/** The gateway's own refusals, in the same problem+json the handlers answer with. */
const refuse = (status: number, detail: string, headers: Record<string, string> = {}, errors: FieldError[] = []) => toHttp(problem(status, detail, errors, headers));
// The head of every answer: as API Gateway's do, it names the request's id, which a 500 names as
// its reference and the functions' log lines carry. A 304 has no content, and no Content-Length: it
// would have to be the length of the 200. An answer to HEAD has no content either, and the
// Content-Length its function gave (the GET's).
const headOf = (out: ReturnType<typeof refuse>, requestId: string, extra: Record<string, string> = {}) => ({
  ...(!hasNoContent(out) && { 'content-length': String(out.body.length) }), ...out.headers, ...extra, 'apigw-requestid': requestId,
});
const hasNoContent = (out: ReturnType<typeof refuse>) => out.status === 304 || out.status === 204;
const tooLarge = () =>
  refuse(413, 'The request body is over the 4 MB a request can carry to a function', {}, [{ path: '', message: `must be at most ${MAX_REQUEST_BYTES} bytes` }]);

export async function startRegistry(options: RegistryOptions): Promise<Registry> {
  // (Node runs a longer interval every millisecond.)
  const every = options.integritySweepEveryMs;
  if (every !== undefined && !(every >= 1 && every <= 2 ** 31 - 1)) throw new Error(`integritySweepEveryMs must be from 1 to ${2 ** 31 - 1}`);
  const dataDir = resolve(options.dataDir);
  makeDataDir(dataDir);
  // Checked (and made, whole) before the dir is claimed: a damaged one is refused with a message.
  const secret = loadSecret(dataDir);
  const localSecrets = loadLocalSecrets(dataDir);
  assertDatabaseWritable(join(dataDir, 'dynamodb'));
  const { release, unclean } = claimDataDir(dataDir);
  // dynalite never closes the iterator of a Query or Scan (./dynalite-iterators.ts): each would keep its items.
  closeDynaliteIterators();
  // dynalite answers anyone who reaches its port; this one only requests signed with this process's
  // credentials (./aws-auth.ts), others getting a 403 in DynamoDB's error shape.
  const database = () => requireSignedRequests(
    dynalite({ path: join(dataDir, 'dynamodb'), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 }),
    'dynamodb', LOCAL_CREDENTIALS,
    (res, { type, message }) => res.writeHead(403, { 'content-type': 'application/x-amz-json-1.0' }).end(JSON.stringify({ __type: `com.amazon.coral.service#${type}`, message })),
  );
  let db = database();
  const dbPort = await listen(db, 0, '127.0.0.1');
  const secrets = await startSecretsStub(localSecrets, LOCAL_CREDENTIALS);

  // The handlers read these at module load, exactly as on Lambda (where CDK sets TABLE_NAME).
  Object.assign(process.env, {
    TABLE_NAME,
    AWS_REGION: 'local',
    // The stand-ins answer only requests signed with these, which no other user can read.
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${dbPort}`,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
    SIGNING_KEY_SECRET_ARN,
    CURSOR_SECRET_ARN: CURSOR_KEY_SECRET_ARN,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });
  const { ensureTable } = await import('#shared/store/setup.ts');
  if ((await ensureTable()) !== 'ACTIVE') {
    // A process that ended while it made the table (a kill in the first start's first moments)
    // leaves it CREATING for good, and dynalite refuses every call to it. Such a table never took a
    // record: the database starts afresh, on the same port (the client already points there).
    options.log?.(`The database in ${join(dataDir, 'dynamodb')} was left half-made by an earlier start; it held no records, and starts afresh`);
    await closeServer(db);
    rmSync(join(dataDir, 'dynamodb'), { recursive: true, force: true });
    db = database();
    await listen(db, dbPort, '127.0.0.1');
    const status = await ensureTable();
    if (status !== 'ACTIVE') throw new DataDirUnusable(`The database in ${join(dataDir, 'dynamodb')} does not become ready (${status}); delete that directory and start again`);
  } else if (unclean) {
    // Killed mid-write, dynalite may have left index entries of a write it never finished.
    const removed = await (await import('./repair.ts')).repairIndexes(join(dataDir, 'index-repair.json'));
    options.log?.(`The last server on ${dataDir} did not stop cleanly: its indexes were checked${removed ? `, and ${removed} entries of unfinished writes removed` : ''}`);
  }

  // As the deploy's custom resource does on AWS: the ring in the data dir is the current one, and
  // its public keys are what the verify function checks with.
  const { publishKeys } = await import('#shared/store/published-keys.ts');
  await publishKeys(keyRingOf(localSecrets.keyRing.value), localSecrets.keyRing.version, { force: true });

  const handlers = new Map<FunctionName, Promise<LambdaHandler>>();
  const handlerOf = (fn: FunctionName) => {
    if (!handlers.has(fn)) handlers.set(fn, import(`#functions/${fn}/handler.ts`).then((m: { handler: LambdaHandler }) => m.handler));
    return handlers.get(fn)!;
  };

  async function invoke(input: HttpInput) {
    const { path } = requestTarget(input.url);
    let match;
    try {
      match = matchRoute(input.method, path);
    } catch {
      match = undefined; // a path that is not valid percent-encoding: the meta function says so, as it answers any path it cannot match
    }
    // What no route matches goes where API Gateway sends it, to the meta function: OPTIONS on a path
    // below the root by the preflight route (OPTIONS /{proxy+}), anything else by $default.
    if (!match || 'status' in match) {
      const preflight = input.method === 'OPTIONS' && path !== '/';
      const event = toEvent(input, preflight ? { params: { proxy: path.slice(1) }, gatewayRoute: PREFLIGHT_ROUTE_KEY } : { params: {} });
      return toHttp(await (await handlerOf(UNMATCHED_FUNCTION))(event, lambdaContext(`concord-${UNMATCHED_FUNCTION}`)));
    }
    let claims: Record<string, unknown> | undefined;
    const bearer = /^Bearer\s+(\S+)$/i.exec(gatewayHeaders(input.headers).get('authorization') ?? '')?.[1];
    if (match.route.access !== 'public') {
      claims = bearer ? verifyToken(secret, bearer) : undefined;
      if (!claims) return refuse(401, 'Send a valid, unexpired bearer token (npm run token -- staff)', { 'www-authenticate': 'Bearer' }, [{ path: 'Authorization', message: 'must be a valid, unexpired bearer token' }]);
    }
    const handler = await handlerOf(match.route.fn);
    const result = await handler(toEvent(input, match, claims), lambdaContext(`concord-${match.route.fn}`));
    // As on AWS: an answer Lambda would not hand back is a 5xx here too, so tests see it.
    if (overLambdaLimit(result)) {
      console.error(`${match.route.fn} answered ${input.method} ${path} with over the ${LAMBDA_RESPONSE_BYTES} bytes Lambda hands back`);
      return refuse(502, 'The function\'s answer is over the 6 MB a Lambda function may answer with (on AWS, API Gateway answers 5xx)');
    }
    return toHttp(result);
  }

  const token = (role: Role, partyId?: string) => mintToken(secret, role, partyId ? { partyId } : {});
  // Seeded through the handlers before the port opens: once /healthz answers, the demo is there.
  if (options.seed) {
    const { seedDemoData } = await import('./seed.ts');
    await seedDemoData({ dataDir, token, invoke });
  }

  const logLine = (method: string | undefined, url: string | undefined, status: number, started: number) =>
    options.log?.(`${method} ${url} ${status} ${(performance.now() - started).toFixed(0)}ms`);

  // Missing Host and unknown Expect are answered below, as problem+json, not by Node's bare status line.
  const http = createServer({ requireHostHeader: false }, async (req, res) => {
    const started = performance.now();
    const requestId = randomUUID();
    const send = (out: ReturnType<typeof refuse>, extra: Record<string, string> = {}) => {
      if (!res.headersSent) res.writeHead(out.status, headOf(out, requestId, extra));
      res.end(hasNoContent(out) ? undefined : out.body);
      logLine(req.method, req.url, out.status, started);
    };
    try {
      if (!req.headers.host) return send(refuse(400, 'Send a Host header (HTTP/1.1 requires one)', {}, [{ path: 'Host', message: 'is required' }]), { connection: 'close' });
      // Bodies come whole (Content-Length) or chunked: another transfer coding would reach the handler still coded.
      const coding = req.headers['transfer-encoding'];
      if (coding !== undefined && coding.trim().toLowerCase() !== 'chunked') {
        return send(refuse(400, `Transfer-Encoding ${coding.slice(0, 40)} is not supported: send the body as it is, chunked or with a Content-Length`, {}, [{ path: 'Transfer-Encoding', message: 'must be chunked, or absent' }]), { connection: 'close' });
      }
      // Like the gateway, refuse a body declared too large before waiting for it.
      if (Number(req.headers['content-length']) > MAX_REQUEST_BYTES) return send(tooLarge(), { connection: 'close' });
      const body = await readBody(req);
      send(body === undefined
        ? tooLarge()
        : await invoke({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headersDistinct, body, sourceIp: req.socket.remoteAddress ?? '127.0.0.1', requestId }));
    } catch (error) {
      // A client that went away mid-body (or sent a malformed chunk, which clientError answers) is
      // no failure of the server's: a 500 in the log would set off whoever watches for them. (Not
      // req.destroyed: a request whose body was read whole is destroyed too.)
      if (!req.complete) return void options.log?.(`${req.method} ${req.url} abandoned by the client (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
      console.error(error);
      send(refuse(500, 'The local server failed; see its console'));
    }
  });
  http.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
    const out = refuse(417, `Expect: ${String(req.headers.expect).slice(0, 40)} is not supported (only 100-continue is)`, { connection: 'close' }, [{ path: 'Expect', message: 'must be 100-continue, or absent' }]);
    res.writeHead(out.status, headOf(out, randomUUID())).end(out.body);
    logLine(req.method, req.url, out.status, performance.now());
  });
  // Requests Node's parser refuses (a request line or headers over its limits, a malformed header
  // or chunk) get problem+json too, instead of a bare status line; unless a response on this
  // connection is already under way (pipelining), which only closing can end cleanly.
  http.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    const inFlight = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent;
    if (!socket.writable || inFlight || error.code === 'ECONNRESET') return void socket.destroy();
    const [status, detail] = error.code === 'HPE_HEADER_OVERFLOW' ? [431, 'The request line or headers are too large']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'The request did not arrive in time']
      : [400, `The request is not valid HTTP/1.1 (${error.code ?? 'parse error'})`];
    const out = refuse(status, detail);
    const head = Object.entries(headOf(out, randomUUID(), { connection: 'close' })).map(([k, v]) => `${k}: ${v}`).join('\r\n');
    socket.end(Buffer.concat([Buffer.from(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${head}\r\n\r\n`), out.body]));
    logLine('-', '(unparsed request)', status, performance.now());
  });
  // Idle keep-alive sockets outlive clients' own idle timeouts (undici: 4 s), so a client never
  // reuses a socket the server is just closing.
  http.keepAliveTimeout = 65_000;
  http.headersTimeout = 66_000;
  const port = await listen(http, options.port ?? 3000, options.host ?? '127.0.0.1');
  // Listening on every interface (0.0.0.0, ::) is reached here through the loopback address.
  const host = options.host && !['0.0.0.0', '::', '[::]'].includes(options.host) ? options.host : '127.0.0.1';
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  // Read by the certificate functions when they first load (after this point).
  process.env.PUBLIC_BASE_URL = options.publicBaseUrl ?? url;
  // The integrity sweep, invoked as EventBridge invokes it. One at a time; a failure is printed, as
  // Lambda would log it. Closing runs its time out, so that it stops before its next batch.
  let sweeping: Promise<void> | undefined;
  let closing = false;
  const sweep = () => {
    const context = lambdaContext('concord-integrity-sweep', SWEEP_TIMEOUT_SECONDS * 1000);
    const timed = { ...context, getRemainingTimeInMillis: () => (closing ? 0 : context.getRemainingTimeInMillis()) };
    sweeping ??= import('#functions/integrity-sweep/handler.ts')
      .then(({ handler }) => handler(scheduledEvent(), timed))
      .then(() => undefined, (error: unknown) => { if (!closing) console.error(error); })
      .finally(() => { sweeping = undefined; });
  };
  const sweepTimer = every === undefined ? undefined : setInterval(sweep, every).unref();
  if (sweepTimer) sweep();
  const registry: Registry = {
    url,
    dataDir,
    token,
    invoke,
    close: async () => {
      clearInterval(sweepTimer);
      closing = true;
      await sweeping; // stopped before its next batch, and before the database it reads closes
      await closeServer(http);
      await closeServer(secrets.server);
      await closeServer(db);
      release();
    },
  };
  return registry;
}
