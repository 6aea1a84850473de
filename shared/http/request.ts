/**
 * API Gateway v2 event -> ApiRequest: route, principal (authorized against the routes table),
 * query, headers and JSON body, checked at the edge so handlers only see well-formed input.
 */
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { InvalidInput, NotFound } from '#shared/domain/errors.ts';
import { ID_PATTERN } from '#shared/domain/formats.ts';
import { MAX_FIELD_ERRORS } from '#shared/domain/validation.ts';
import { typedCode } from '#shared/domain/ids.ts';
import type { Principal } from '#shared/domain/principal.ts';
import { principalFrom, type Claims } from './claims.ts';
import { formFile } from './form.ts';
import { HttpError } from './problem.ts';
import { BASE_HEADERS, etag, type ApiResponse } from './response.ts';
import { findRoute, matchRoute, PREFLIGHT_ROUTE_KEY, UNMATCHED_ROUTE_KEY, type Route } from './routes.ts';
import { repeatedMember } from './repeated-member.ts';

export const MAX_BODY_BYTES = 64 * 1024;

/** What an API Gateway v2 event with a JWT authorizer carries, without insisting on the authorizer. */
export type ApiEvent = Omit<APIGatewayProxyEventV2WithJWTAuthorizer, 'requestContext'> & {
  requestContext: Omit<APIGatewayProxyEventV2WithJWTAuthorizer['requestContext'], 'authorizer'> & {
    authorizer?: { jwt?: { claims?: Claims; scopes?: string[] | null } };
  };
};

export interface ApiRequest {
  route: Route;
  params: Record<string, string>;
  query: Record<string, string>;
  /** Lower-cased names, as API Gateway delivers them. */
  headers: Record<string, string>;
  /** Parsed JSON for routes with a body schema, the file's bytes for uploads; raw bytes stay in `rawBody`. */
  body: unknown;
  rawBody: Buffer;
  principal: Principal;
}

const ANONYMOUS: Principal = { actor: 'anonymous', roles: new Set() };

function authorize(route: Route, principal: Principal | undefined): Principal {
  if (route.access === 'public') return principal ?? ANONYMOUS;
  if (!principal) throw new HttpError(401, 'Send a valid bearer token in the Authorization header', [{ path: 'Authorization', message: 'must be a valid bearer token' }], { 'www-authenticate': 'Bearer' });
  const allowed = route.access.filter((role) => principal.roles.has(role));
  if (allowed.length === 0) throw new HttpError(403, `This needs one of the roles: ${route.access.join(', ')}`);
  if (allowed.length === 1 && allowed[0] === 'partner' && !principal.partyId) {
    throw new HttpError(403, 'This partner token names no party (custom:partyId, a party id)');
  }
  return principal;
}

// A byte order mark before the JSON is dropped (RFC 8259 §8.1 lets a parser ignore it): some Windows tools write one.
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Whether a Content-Type is JSON: application/json or a +json type (application/merge-patch+json),
 * with any parameters (RFC 8259 defines none; `foo=bar` and a trailing ";" change nothing), but for
 * a charset other than UTF-8 (`utf-8`, or `utf8` as many clients write it): then 'charset', what is wrong.
 */
function jsonType(type: string | undefined): 'json' | 'charset' | 'other' {
  const [essence, ...parameters] = (type ?? '').split(';');
  if (!/^\s*application\/(?:[\w.+-]+\+)?json\s*$/i.test(essence!)) return 'other';
  const charsets = parameters.map((p) => /^\s*charset\s*=\s*"?([^"]*?)"?\s*$/i.exec(p)?.[1]).filter((c) => c !== undefined);
  return charsets.every((c) => /^utf-?8$/i.test(c)) ? 'json' : 'charset';
}

/** What a form's body may hold besides its file: the boundaries and part headers a browser writes. */
const FORM_OVERHEAD_BYTES = 16 * 1024;

/**
 * A binary upload (a PDF to verify): the body itself in the route's media type, or, where the
 * route takes a form, the file in its field of a multipart/form-data body (what a page without
 * script sends). Not empty, not over the route's limit.
 */
function uploadedFile(upload: NonNullable<Route['upload']>, headers: Record<string, string>, raw: Buffer): Buffer {
  const { contentType, maxBytes, formField } = upload;
  const tooLarge = (size: number, what: 'file' | 'body') =>
    new HttpError(413, `The ${what} is ${size} bytes; the limit is ${maxBytes}`, [{ path: what === 'file' ? formField! : '', message: `must be at most ${maxBytes} bytes` }]);
  const type = (headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (formField !== undefined && type === 'multipart/form-data') {
    if (raw.length > maxBytes + FORM_OVERHEAD_BYTES) {
      throw new HttpError(413, `The form is ${raw.length} bytes: it can carry a file of at most ${maxBytes} bytes`, [{ path: formField, message: `must be at most ${maxBytes} bytes` }]);
    }
    const file = formFile(raw, headers['content-type']!, formField);
    if (file.length > maxBytes) throw tooLarge(file.length, 'file');
    return file;
  }
  if (raw.length > maxBytes) throw tooLarge(raw.length, 'body');
  if (type !== contentType) {
    const accepted = formField === undefined ? contentType : `${contentType}, or as multipart/form-data with the file in its "${formField}" field`;
    throw new HttpError(415, `Send the file as ${accepted}`, [{ path: 'Content-Type', message: `must be ${contentType}${formField === undefined ? '' : ' or multipart/form-data'}` }]);
  }
  if (raw.length === 0) throw new InvalidInput('This request needs the file as its body', [{ path: '', message: 'is required' }]);
  return raw;
}

/** The body as the route takes it: the uploaded file's bytes for uploads, parsed JSON for JSON routes. */
function parseBody(route: Route, headers: Record<string, string>, raw: Buffer): unknown {
  // A compressed body would be taken for its bytes (RFC 9110 §8.4: 415 for a coding not accepted).
  const coding = headers['content-encoding']?.trim();
  if ((route.body || route.upload) && coding && coding.toLowerCase() !== 'identity') {
    throw new HttpError(415, `Send the body without a Content-Encoding (not ${coding.slice(0, 40)})`, [{ path: 'Content-Encoding', message: 'must be absent or identity' }]);
  }
  if (route.upload) return uploadedFile(route.upload, headers, raw);
  if (!route.body) return undefined;
  if (raw.length === 0) throw new InvalidInput('This request needs a JSON body', [{ path: '', message: 'is required' }]);
  if (raw.length > MAX_BODY_BYTES) throw new HttpError(413, `The body is ${raw.length} bytes; the limit is ${MAX_BODY_BYTES}`, [{ path: '', message: `must be at most ${MAX_BODY_BYTES} bytes` }]);
  const type = headers['content-type'];
  const kind = jsonType(type);
  if (kind !== 'json') {
    // JSON with a charset other than UTF-8 is JSON all the same: the charset is what is wrong.
    throw new HttpError(415, `Send the body as application/json (UTF-8), not ${type ?? 'without a Content-Type'}`, [
      { path: 'Content-Type', message: kind === 'charset' ? 'must name charset=utf-8, or no charset (JSON is UTF-8)' : 'must be application/json' },
    ]);
  }
  let json: string;
  try {
    json = UTF8.decode(raw);
  } catch {
    throw new InvalidInput('The body is not valid UTF-8', [{ path: '', message: 'is not valid UTF-8' }]);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw new InvalidInput(`The body is not valid JSON: ${(error as Error).message}`, [{ path: '', message: 'is not valid JSON' }]);
  }
  const repeated = repeatedMember(json);
  if (repeated !== undefined) throw new InvalidInput(`The body gives ${repeated} more than once: send each field once`, [{ path: repeated, message: 'is given more than once' }]);
  return parsed;
}

/** A path or id as a message shows it: as much as it needs to name it (the request may be megabytes). */
const shownInMessage = (text: string): string => (text.length > 200 ? `${text.slice(0, 200)}…` : text);

/** A request no route matches (API Gateway's `$default` route): 404, or 405 with the methods its path takes. */
function unmatched(event: ApiEvent): HttpError {
  const path = event.rawPath;
  const shown = shownInMessage(path);
  let match;
  try {
    match = matchRoute(event.requestContext.http.method, path);
  } catch {
    return new HttpError(400, `The path ${shown} is not valid percent-encoding`, [{ path: 'path', message: 'is not valid percent-encoding' }]);
  }
  // A path API Gateway matched to no route though the table has one (an encoded slash, say) is still not found.
  if ('status' in match && match.status === 405) return new HttpError(405, `${shown} accepts ${match.allow}`, [], { allow: match.allow });
  return new HttpError(404, `No route for ${shown}`);
}

/**
 * OPTIONS on a path the API has: 204 with the methods it takes (RFC 9110 §9.3.7). A browser asks
 * so before a cross-origin request (CORS preflight); on AWS the `OPTIONS /{proxy+}` route brings it
 * here without a token, and API Gateway adds the CORS headers it is configured with.
 */
export function optionsAnswer(event: ApiEvent): APIGatewayProxyStructuredResultV2 | undefined {
  if (event.requestContext.http.method !== 'OPTIONS') return undefined;
  // No route takes OPTIONS: a path some route has is a 405 with its methods (nothing is decoded).
  const match = matchRoute('OPTIONS', event.rawPath);
  return 'status' in match && match.status === 405 ? { statusCode: 204, headers: { ...BASE_HEADERS, allow: match.allow } } : undefined;
}

/** The event's headers by lower-cased name (as API Gateway delivers them, and as a test might not). */
export const headersOf = (event: ApiEvent): Record<string, string> =>
  Object.fromEntries(Object.entries(event.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v ?? '']));

export function toApiRequest(event: ApiEvent): ApiRequest {
  // What no route of the table matches: API Gateway's $default, or OPTIONS (preflight) on a path no route has.
  if (event.routeKey === UNMATCHED_ROUTE_KEY || event.routeKey === PREFLIGHT_ROUTE_KEY) throw unmatched(event);
  const route = findRoute(event.routeKey);
  if (!route) throw new Error(`no route for ${event.routeKey}`);
  const principal = authorize(route, principalFrom(event.requestContext.authorizer?.jwt?.claims));
  const headers = headersOf(event);
  const rawBody = event.body === undefined ? Buffer.alloc(0) : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
  const query = Object.fromEntries(Object.entries(event.queryStringParameters ?? {}).map(([k, v]) => [k, v ?? '']));
  // Routes with a query schema name unknown parameters when they parse it; the others take none.
  const unknown = route.query ? [] : Object.keys(query);
  if (unknown.length > 0) {
    // Named as a body's fields are, at most MAX_FIELD_ERRORS of them: a query string of thousands would answer megabytes.
    const more = unknown.length > MAX_FIELD_ERRORS ? ` (${unknown.length} were sent; the first ${MAX_FIELD_ERRORS} are named)` : '';
    throw new InvalidInput(`This request takes no query parameters${more}`, unknown.slice(0, MAX_FIELD_ERRORS).map((name) => ({ path: name, message: 'is not a known field' })));
  }
  const params = Object.fromEntries(Object.entries(event.pathParameters ?? {}).map(([k, v]) => [k, v ?? '']));
  // An id that cannot exist is simply not found (and never reaches a key: keys have size limits);
  // an agreement's code, typed as people type it, reads it too, and goes on as printed ("ABCD-EFGH").
  if (params.id !== undefined && !ID_PATTERN.test(params.id)) {
    const code = typedCode(params.id);
    // Ids are lower case: one typed with capitals is told so, not only that it is unknown.
    const lower = params.id.toLowerCase();
    const hint = lower !== params.id && ID_PATTERN.test(lower) ? ` (ids are lower case: "${lower}")` : '';
    if (!code) throw new NotFound(`Nothing is registered under "${shownInMessage(params.id)}"${hint}`);
    params.id = code;
  }
  return { route, params, query, headers, rawBody, principal, body: parseBody(route, headers, rawBody) };
}

const ENTITY_TAG = '(W\\/)?"([\\x21\\x23-\\x7e]*)"';
// Empty elements are allowed (RFC 9110 §5.6.1): "a", , "b" and a header sent twice, once empty, joined.
export const ENTITY_TAG_LIST = new RegExp(`^[\\s,]*${ENTITY_TAG}(?:\\s*,[\\s,]*${ENTITY_TAG})*[\\s,]*$`);

/** The entity-tags of a list (RFC 9110 §8.8.3: "x" or W/"x", comma-separated), or undefined if `value` is not one. */
function entityTags(value: string): { weak: boolean; opaque: string }[] | undefined {
  if (!ENTITY_TAG_LIST.test(value)) return undefined;
  return [...value.matchAll(new RegExp(ENTITY_TAG, 'g'))].map((m) => ({ weak: m[1] !== undefined, opaque: m[2]! }));
}

/**
 * The versions If-Match names (one ETag, or a list of them), undefined if the header is absent.
 * If-Match compares strongly (RFC 9110 §13.1.1): only the exact tag the registry sends ("3") names
 * version 3; any other entity-tag ("03", W/"3") names no version, and a change it guards meets a
 * 412. "*" (whatever version is current) is refused: a change says which version it was based on.
 */
export function expectedVersions(req: ApiRequest): number[] | undefined {
  const value = req.headers['if-match']?.trim();
  if (value === undefined) return undefined;
  if (value === '*') {
    throw new InvalidInput('If-Match: * would change whatever version is current: send the ETag of the version you are changing, like "3"', [{ path: 'If-Match', message: 'must be an ETag like "3", not *' }]);
  }
  const tags = entityTags(value);
  if (!tags) throw new InvalidInput('If-Match must be the ETag you received, like "3"', [{ path: 'If-Match', message: 'must be an ETag like "3"' }]);
  return [...new Set(tags.filter((tag) => !tag.weak && /^[1-9]\d{0,8}$/.test(tag.opaque)).map((tag) => Number(tag.opaque)))];
}

/**
 * 304 Not Modified with `headers` (its ETag, its type) when If-None-Match names their ETag, else
 * undefined. The 304 names its type too: API Gateway would otherwise give it one (text/plain).
 */
export const notModified = (req: ApiRequest, headers: { etag: string; 'content-type': string } & Record<string, string>): ApiResponse | undefined =>
  (noneMatchHits(req, headers.etag) ? { status: 304, headers } : undefined);

/**
 * The answer to a read of a versioned record: 200 with it and its ETag, or 304 when If-None-Match
 * names its version (a client that keeps the ETag, polling for a change, gets it or nothing; the
 * answers stay `no-store`, out of shared and browser caches).
 */
export function versionedRead(req: ApiRequest, record: { version: number }): ApiResponse {
  const headers = { etag: etag(record.version), 'content-type': 'application/json' };
  return notModified(req, headers) ?? { status: 200, body: record, headers };
}

/**
 * Whether If-None-Match matches the current ETag: "*" does, as does any tag in the list, compared
 * weakly (RFC 9110 §13.1.2: W/"x" matches "x").
 */
function noneMatchHits(req: ApiRequest, current: string): boolean {
  const value = req.headers['if-none-match']?.trim();
  if (!value) return false;
  if (value === '*') return true;
  const opaque = entityTags(current)?.[0]?.opaque;
  return entityTags(value)?.some((tag) => tag.opaque === opaque) ?? false;
}

/**
 * The one of `offered` media types that Accept prefers (RFC 9110 §12.5.1): each takes the q of the
 * most specific range covering it (the type itself, else its type's wildcard, else the full
 * wildcard); names compare without case. Ties, an absent Accept, and nothing acceptable all give
 * the first offered.
 */
export function preferredType<T extends string>(headers: Record<string, string | undefined>, offered: readonly [T, ...T[]]): T {
  const ranges = weightedRanges(headers.accept);
  const quality = (type: string) => {
    for (const range of [type, `${type.split('/')[0]}/*`, '*/*']) {
      const hits = ranges.filter((r) => r.range === range);
      if (hits.length > 0) return Math.max(...hits.map((r) => r.q));
    }
    return 0;
  };
  let best = offered[0];
  let bestQ = 0;
  for (const type of offered) {
    const q = quality(type);
    if (q > bestQ) [best, bestQ] = [type, q];
  }
  return best;
}

/**
 * Whether the client asks for Chinese before English (Accept-Language, RFC 9110 §12.5.4): its
 * ranges by weight, then by their order, the first that names either language ("zh-CN", "zh",
 * "en-GB"...) deciding. A phone set to Chinese sends "zh-CN,zh;q=0.9,en;q=0.8".
 */
export function prefersChinese(headers: Record<string, string | undefined>): boolean {
  const ranges = weightedRanges(headers['accept-language']).map(({ range, q }, at) => ({ language: range.split('-')[0], q, at }));
  const first = ranges.filter((r) => r.q > 0 && (r.language === 'zh' || r.language === 'en')).sort((a, b) => b.q - a.q || a.at - b.at)[0];
  return first?.language === 'zh';
}

/** The ranges of an Accept or Accept-Language header, in its order, lower-cased, each with its weight. */
function weightedRanges(header: string | undefined): { range: string; q: number }[] {
  return (header ?? '').split(',').map((part) => {
    const [range = '', ...params] = part.split(';').map((p) => p.trim().toLowerCase());
    const q = params.find((p) => /^q\s*=/.test(p))?.replace(/^q\s*=\s*/, '');
    // qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ); anything else counts as 0.
    return { range, q: q === undefined ? 1 : /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/.test(q) ? Number(q) : 0 };
  });
}

/** Whether the client prefers a page to JSON (a browser's Accept does). */
export const prefersPage = (headers: Record<string, string | undefined>): boolean =>
  preferredType(headers, ['application/json', 'text/html']) === 'text/html';

/**
 * An Idempotency-Key: 1-255 visible ASCII characters, without spaces or commas, so that a list
 * cannot pass for a key: a header sent twice arrives joined by a comma, and two keys joined would
 * be a new key (a second signing when one of them is sent again alone).
 */
export const IDEMPOTENCY_KEY = /^[\x21-\x2b\x2d-\x7e]{1,255}$/;
const KEY_RULE = 'must be 1-255 visible ASCII characters, without spaces or commas (sent twice, a header arrives as a list)';

/** The request's Idempotency-Key, if it sent one. */
export function optionalIdempotencyKey(req: ApiRequest): string | undefined {
  const key = req.headers['idempotency-key'];
  if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) throw new InvalidInput(`Idempotency-Key ${KEY_RULE}`, [{ path: 'Idempotency-Key', message: KEY_RULE }]);
  return key;
}

export function idempotencyKey(req: ApiRequest): string {
  const key = optionalIdempotencyKey(req);
  if (key === undefined) throw new InvalidInput('Idempotency-Key is required: 1-255 visible ASCII characters, unique per signing, reused on retries', [{ path: 'Idempotency-Key', message: 'is required' }]);
  return key;
}
