/**
 * The local stand-ins for DynamoDB (dynalite) and Secrets Manager listen on loopback ports that
 * every process on the machine can reach, whoever runs it; unguarded, any local user could read
 * the signing key or the whole database through them, past the data dir's 0600 files. So each
 * server process makes its own credentials, kept only in its environment (which other users cannot
 * read), and both stand-ins answer only requests signed with them, as the SDK signs every request
 * (AWS Signature Version 4), and refuse the rest as the real services do.
 *
 * The signature is checked over the canonical request, the signed x-amz-content-sha256 header
 * standing for the body (the SDK always signs it), so a request is refused before its body is
 * read. Not checked, as nothing here needs them: that the body matches that hash (changing a
 * request on its way over loopback takes root, who can read the key files anyway), and how old
 * the request is (tests fake the clock the SDK signs with).
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';

export interface LocalCredentials { readonly accessKeyId: string; readonly secretAccessKey: string }

/**
 * This process's credentials, made once per process, not per start: the SDK clients keep the
 * credentials they first read from the environment, also across a registry stopped and started
 * again in the same process (as the tests do).
 */
export const LOCAL_CREDENTIALS: LocalCredentials = Object.freeze({
  accessKeyId: `local-${randomBytes(16).toString('hex')}`,
  secretAccessKey: randomBytes(32).toString('hex'),
});

/** Why a request is refused: the real services' error name and message. */
export interface AuthRefusal { type: 'MissingAuthenticationTokenException' | 'IncompleteSignatureException' | 'UnrecognizedClientException' | 'InvalidSignatureException'; message: string }

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest();
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
/** Compares without leaking, through timing, how much of a secret a guess got right. */
const same = (a: string, b: string) => timingSafeEqual(sha256(a), sha256(b));

/** RFC 3986 escaping, as SigV4 (and the SDK's signer) does it. */
const escapeUri = (text: string) => encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** The canonical URI of a path as sent: dot segments resolved, then escaped once more (every service but S3). */
function canonicalPath(path: string): string {
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const normalized = `${path.startsWith('/') ? '/' : ''}${segments.join('/')}${segments.length > 0 && path.endsWith('/') ? '/' : ''}`;
  return escapeUri(normalized).replace(/%2F/g, '/');
}

function canonicalQuery(query: string): string {
  const decode = (text: string) => { try { return decodeURIComponent(text); } catch { return text; } };
  return query.split('&').filter(Boolean)
    .map((pair) => { const at = pair.indexOf('='); return at < 0 ? [decode(pair), ''] : [decode(pair.slice(0, at)), decode(pair.slice(at + 1))]; })
    .filter(([key]) => key!.toLowerCase() !== 'x-amz-signature')
    .map(([key, value]) => [escapeUri(key!), escapeUri(value!)] as const)
    // By name, then by value (SigV4), not as whole "name=value" strings: "a-b=1" sorts before "a=1" so.
    .sort(([k1, v1], [k2, v2]) => (k1 < k2 ? -1 : k1 > k2 ? 1 : v1 < v2 ? -1 : v1 > v2 ? 1 : 0))
    .map(([key, value]) => `${key}=${value}`)
    .join('&');
}

/**
 * Why a request to `service` is refused, or undefined when it is signed (SigV4, in its
 * Authorization header) with `credentials`.
 */
export function authRefusal(req: IncomingMessage, service: string, credentials: LocalCredentials): AuthRefusal | undefined {
  const authorization = req.headers.authorization?.trim();
  if (!authorization?.startsWith('AWS4-')) return { type: 'MissingAuthenticationTokenException', message: 'Request is missing Authentication Token' };
  const fields = /^AWS4-HMAC-SHA256\s+Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})$/.exec(authorization);
  if (!fields) return { type: 'IncompleteSignatureException', message: 'The Authorization header must be AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...' };
  const [, credential, signedHeaderList, signature] = fields as unknown as [string, string, string, string];
  const scope = credential.split('/');
  const [accessKeyId, date, region, scopeService, terminator] = scope;
  if (!same(accessKeyId!, credentials.accessKeyId)) return { type: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' };

  const amzDate = req.headers['x-amz-date'];
  const signedHeaders = signedHeaderList.split(';');
  const missing = ['host', 'x-amz-date', 'x-amz-content-sha256'].filter((name) => !signedHeaders.includes(name));
  if (missing.length > 0) return { type: 'InvalidSignatureException', message: `${missing.join(', ')} must be signed headers (the SDK signs them)` };
  if (typeof amzDate !== 'string' || !/^\d{8}T\d{6}Z$/.test(amzDate)) return { type: 'IncompleteSignatureException', message: 'X-Amz-Date must be an ISO 8601 basic-format date' };
  if (scope.length !== 5 || date !== amzDate.slice(0, 8) || scopeService !== service || terminator !== 'aws4_request') {
    return { type: 'InvalidSignatureException', message: `Credential should be scoped to the date of X-Amz-Date, to service '${service}', with the terminator 'aws4_request'` };
  }

  const headerValues: string[] = [];
  for (const name of signedHeaders) {
    const values = req.headersDistinct[name];
    if (!values) return { type: 'InvalidSignatureException', message: `The signed header ${name} is not in the request` };
    headerValues.push(`${name}:${values.map((v) => v.trim().replace(/\s+/g, ' ')).join(',')}\n`);
  }
  const target = req.url ?? '/';
  const at = target.indexOf('?');
  const canonicalRequest = [
    req.method,
    canonicalPath(at < 0 ? target : target.slice(0, at)),
    canonicalQuery(at < 0 ? '' : target.slice(at + 1)),
    headerValues.join(''),
    signedHeaderList,
    req.headers['x-amz-content-sha256'],
  ].join('\n');
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope.slice(1).join('/'), sha256(canonicalRequest).toString('hex')].join('\n');
  const signingKey = [date!, region!, service, 'aws4_request'].reduce<Buffer | string>((key, part) => hmac(key, part), `AWS4${credentials.secretAccessKey}`);
  if (!timingSafeEqual(hmac(signingKey, stringToSign), Buffer.from(signature, 'hex'))) {
    return { type: 'InvalidSignatureException', message: 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.' };
  }
  return undefined;
}

/**
 * Lets through to `server`'s own request listeners only requests `authRefusal` passes; the rest
 * get a 403 with `body(refusal)` (each service's error shape) and never reach the service. In
 * place, on the server as it is (dynalite hands back a plain http.Server): no proxy hop.
 */
export function requireSignedRequests(server: Server, service: string, credentials: LocalCredentials, answer: (res: ServerResponse, refusal: AuthRefusal) => void): Server {
  const listeners = server.listeners('request') as RequestListener[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    let refusal: AuthRefusal | undefined;
    try {
      refusal = authRefusal(req, service, credentials);
    } catch {
      // Thrown in a listener, it would end the server: whatever this cannot read is no signature.
      refusal = { type: 'IncompleteSignatureException', message: 'The request cannot be read as a signed request' };
    }
    if (!refusal) {
      for (const listener of listeners) listener.call(server, req, res);
      return;
    }
    req.resume(); // unread: the connection can take the next request
    answer(res, refusal);
  });
  return server;
}
