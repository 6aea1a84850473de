/**
 * The single list of routes: method, path, the function (capability) that serves it, who may
 * call it, and its schemas. The local server mounts these entries; the CDK stack builds one
 * Lambda per function and one API Gateway route per entry; the OpenAPI document is generated
 * from them. Adding a route is one line here plus its implementation in the function's handler.
 */
import * as z from 'zod';
import type { Role } from '#shared/domain/principal.ts';
import * as s from '#shared/domain/schemas.ts';
import { KEYS_PATH, MAX_CERTIFICATE_BYTES, publicJwk } from '#shared/certificate/signature.ts';
import { agreementKey, ceremonyKey, codeKey, countryLinkPk, ISSUED_CERTIFICATE_PREFIX, partyKey, partyLinkPk, publishedKeysKey, signingClaimKey } from '#shared/store/keys.ts';

/** Every DynamoDB write call the store makes. */
export const TABLE_CALLS = ['PutItem', 'UpdateItem', 'DeleteItem'] as const;
export type TableCall = (typeof TABLE_CALLS)[number];
/**
 * A write call on items whose partition key matches one of `keys` (IAM StringLike patterns). There
 * is no grant of a write on any item: each names the partitions its function writes.
 */
export interface TableWrite { call: TableCall; keys: readonly string[] }

/** Partition keys of each kind of item (IAM StringLike patterns), from the key functions the store uses. */
const ANY = {
  party: partyKey('*').pk,
  ceremony: ceremonyKey('*').pk,
  agreement: agreementKey('*').pk,
  code: codeKey('*').pk,
  signingClaim: signingClaimKey('*', '*').pk,
  // A party's links share its partition: the agreement function writes there too (never the party item itself, but IAM cannot tell).
  links: [partyLinkPk('*'), countryLinkPk('*')],
  certificate: `${ISSUED_CERTIFICATE_PREFIX}*`,
  /** The one item of published public keys (no pattern: exactly its partition). */
  publishedKeys: publishedKeysKey.pk,
};

/**
 * Functions group routes of one capability. Every function but `meta` may read the table
 * (GetItem, BatchGetItem, Query); `writes` lists the write calls its code makes, each limited to
 * the partitions it writes, and its IAM grant holds exactly those (the bundle test runs each
 * function behind that policy and checks both ways). No function can write certificate records
 * but the one that hands certificates out, which `POST /verify` trusts.
 */
export const FUNCTIONS = {
  meta: { reads: false, writes: [], description: 'the registry\'s index, health and API description' },
  'parties-read': { writes: [], description: 'read parties' },
  'parties-write': { writes: [{ call: 'PutItem', keys: [ANY.party] }], description: 'create and edit parties' },
  'ceremonies-read': { writes: [], description: 'read ceremonies' },
  'ceremonies-write': { writes: [{ call: 'PutItem', keys: [ANY.ceremony] }], description: 'open and correct ceremonies' },
  'agreements-read': { writes: [], description: 'read and list agreements and their history' },
  'agreements-write': {
    writes: [
      { call: 'PutItem', keys: [ANY.agreement, ANY.code, ANY.signingClaim, ...ANY.links] },
      // On links: adding a status or sector an amendment or a void brings (shared/store/agreement-links.ts).
      { call: 'UpdateItem', keys: [ANY.agreement, ...ANY.links] },
      { call: 'DeleteItem', keys: ANY.links },
    ],
    description: 'log, amend and void signings',
  },
  // The function that signs publishes the public keys of the ring it signs with (shared/store/signing-keys.ts).
  certificates: { writes: [{ call: 'PutItem', keys: [ANY.certificate, ANY.publishedKeys] }], description: 'render signed PDF certificates' },
  verify: { writes: [], description: 'verify certificates; serve the public keys' },
} as const satisfies Record<string, { reads?: false; writes: readonly TableWrite[]; description: string }>;
export type FunctionName = keyof typeof FUNCTIONS;

/** Whether a function may read the table: all but those FUNCTIONS marks `reads: false`. */
export const readsTable = (fn: FunctionName): boolean => !('reads' in FUNCTIONS[fn]);

export type Method = 'GET' | 'POST' | 'PATCH';

export interface Route {
  method: Method;
  path: string;
  fn: FunctionName;
  access: 'public' | readonly Role[];
  summary: string;
  body?: z.ZodType;
  /**
   * A binary body instead of JSON: its media type and size limit; `formField`: also taken as that
   * field of a multipart/form-data form (what a page without script can send).
   */
  upload?: { contentType: string; maxBytes: number; formField?: string };
  query?: z.ZodType;
  /** Request headers the route requires (documented; enforced by the implementation). */
  headers?: readonly ('If-Match' | 'Idempotency-Key')[];
  /** Request headers the route takes but does not require. */
  optionalHeaders?: readonly 'Idempotency-Key'[];
  response?: z.ZodType;
  /** Media type of a non-JSON success response. */
  produces?: string;
  /** Other media types the success response comes in, chosen by Accept. */
  alsoAs?: readonly string[];
  /** Headers of the success response. */
  sends?: readonly ('ETag' | 'Location' | 'Idempotent-Replayed' | 'Vary' | 'Content-Disposition')[];
  /** Answers a matching If-None-Match with 304 Not Modified. */
  conditional?: true;
  /** Problem statuses beyond those the route's shape implies (see openapi.ts), and what they mean. */
  problems?: Partial<Record<403 | 409 | 422, string>>;
  /** Status of a successful response. */
  status: 200 | 201;
}

const READERS: readonly Role[] = ['staff', 'auditor'];
const EVERYONE: readonly Role[] = ['staff', 'auditor', 'partner'];
const STAFF: readonly Role[] = ['staff'];

const page = <T extends z.ZodType>(item: T) => z.object({
  items: z.array(item).describe('At most `limit`; fewer (even none) when the page stopped after 500 index entries or 4 MB of records'),
  nextCursor: z.string().nullable().describe('Where the next page starts; null when there is no more'),
});

export const historyResponse = z.object({
  agreementId: z.string(),
  code: z.string(),
  /** With id and code, what every stateHash covers besides the changes: enough to recompute them from this answer alone. */
  ceremonyId: z.string(),
  version: z.number().int(),
  items: z.array(s.historyEntryRecord),
  integrity: s.historyCheckRecord,
});

const jwks = z.object({ keys: z.array(publicJwk) });

const ceremonyHistoryResponse = z.object({
  ceremonyId: z.string(), version: z.number().int(), items: z.array(s.ceremonyEntryRecord),
  integrity: s.historyCheckRecord.nullable().describe('Whether the hash chain checks out; null for a ceremony kept before histories were chained and not corrected since (its entries carry no hashes)'),
});
const partyHistoryResponse = z.object({
  partyId: z.string(), version: z.number().int(),
  complete: z.boolean().describe('false for a party renamed before renames were kept: its items are only the renames kept since, without its registration'),
  items: z.array(s.partyEntryRecord),
});

/** Takes any query parameters, and drops them all. */
const ANY_QUERY = z.object({});

/** Whether a route's answers depend on the request's Accept or Accept-Language (and say Vary): it answers in more than one type, or says it sends Vary. */
export const varies = (route: Route): boolean => route.alsoAs !== undefined || route.sends?.includes('Vary') === true;

export const ROUTES = [
  // Someone who types only the registry's domain: a page for a browser, where the API and the verification pages are for a program.
  { method: 'GET', path: '/', fn: 'meta', access: 'public', status: 200, summary: 'The registry: where its verification pages, public keys and API description are (JSON, or a page for browsers)', query: ANY_QUERY, response: s.registryIndex, alsoAs: ['text/html'], sends: ['Vary'] },
  { method: 'GET', path: '/healthz', fn: 'meta', access: 'public', status: 200, summary: 'Liveness check', response: z.object({ status: z.literal('ok') }) },
  { method: 'GET', path: '/openapi.json', fn: 'meta', access: 'public', status: 200, summary: 'This API, as OpenAPI 3.1', response: z.looseObject({ openapi: z.literal('3.1.0') }) },
  { method: 'POST', path: '/parties', fn: 'parties-write', access: STAFF, status: 201, summary: 'Register a party (idempotent with an id or an Idempotency-Key; both at once is a 400)', body: s.partyInput, optionalHeaders: ['Idempotency-Key'], response: s.partyRecord, sends: ['Location', 'ETag', 'Idempotent-Replayed'], problems: { 409: 'The id is taken by another request', 422: 'The Idempotency-Key was used with a different body' } },
  { method: 'GET', path: '/parties', fn: 'parties-read', access: READERS, status: 200, summary: 'List parties: by id; with kind, by country code, then id (organizations without a country last); with country alone, by kind (alphabetically), then id', query: s.partyListQuery, response: page(s.partyRecord) },
  { method: 'GET', path: '/parties/{id}', fn: 'parties-read', access: EVERYONE, status: 200, summary: 'Read a party (partners: their own)', response: s.partyRecord, sends: ['ETag'], conditional: true },
  { method: 'GET', path: '/parties/{id}/history', fn: 'parties-read', access: READERS, status: 200, summary: 'Every version of a party: its registration and each rename, with who made it, when and why', response: partyHistoryResponse },
  { method: 'PATCH', path: '/parties/{id}', fn: 'parties-write', access: STAFF, status: 200, summary: 'Rename a party, with a reason if given, kept in its history (the same rename sent again, while it is the latest change: 200, Idempotent-Replayed)', body: s.partyPatch, headers: ['If-Match'], response: s.partyRecord, sends: ['ETag', 'Idempotent-Replayed'], problems: { 409: 'The party\'s record is not as its last change wrote it (changed outside the registry)' } },
  { method: 'POST', path: '/ceremonies', fn: 'ceremonies-write', access: STAFF, status: 201, summary: 'Open a signing ceremony (idempotent with an id or an Idempotency-Key; both at once is a 400)', body: s.ceremonyInput, optionalHeaders: ['Idempotency-Key'], response: s.ceremonyRecord, sends: ['Location', 'ETag', 'Idempotent-Replayed'], problems: { 409: 'The id is taken by another request', 422: 'The Idempotency-Key was used with a different body, or the ceremony ends before it starts, or its time zone disagrees with the offsets its times are written in' } },
  { method: 'GET', path: '/ceremonies', fn: 'ceremonies-read', access: READERS, status: 200, summary: 'List ceremonies, latest start first', query: s.ceremonyListQuery, response: page(s.ceremonyRecord) },
  { method: 'GET', path: '/ceremonies/{id}', fn: 'ceremonies-read', access: READERS, status: 200, summary: 'Read a ceremony', response: s.ceremonyRecord, sends: ['ETag'], conditional: true },
  { method: 'PATCH', path: '/ceremonies/{id}', fn: 'ceremonies-write', access: STAFF, status: 200, summary: 'Correct a ceremony, with a reason (every certificate of its signings prints it; the same correction sent again, while it is the latest change: 200, Idempotent-Replayed)', body: s.ceremonyPatch, headers: ['If-Match'], response: s.ceremonyRecord, sends: ['ETag', 'Idempotent-Replayed'], problems: { 409: 'The ceremony\'s history does not check out (changed outside the registry)', 422: 'The ceremony would end before it starts, its time zone would disagree with the offsets its times are written in, it would leave one of its signings off its days or with a certificate it cannot print, or its record would outgrow 400 KB' } },
  { method: 'GET', path: '/ceremonies/{id}/history', fn: 'ceremonies-read', access: READERS, status: 200, summary: 'Every version of a ceremony: its opening and each correction, with who made it, when and why', response: ceremonyHistoryResponse },
  { method: 'POST', path: '/ceremonies/{id}/agreements', fn: 'agreements-write', access: STAFF, status: 201, summary: 'Log a signing (idempotent)', body: s.agreementInput, headers: ['Idempotency-Key'], response: s.agreementRecord, sends: ['Location', 'ETag', 'Idempotent-Replayed'], problems: { 409: 'A signing with this very body is already logged at this ceremony, or being logged, under another Idempotency-Key; or a party it names was changed outside the registry' } },
  { method: 'GET', path: '/agreements', fn: 'agreements-read', access: EVERYONE, status: 200, summary: 'List agreements, newest signing first (partners: their own)', query: s.agreementListQuery, response: page(s.agreementRecord), problems: { 403: 'Role not allowed, or (partners) a filter on another party', 422: 'signedFrom is after signedTo, or (on an empty first page) ceremonyId or partyId names nothing registered' } },
  { method: 'GET', path: '/agreements/{id}', fn: 'agreements-read', access: EVERYONE, status: 200, summary: 'Read an agreement (partners: if a party)', response: s.agreementRecord, sends: ['ETag'], conditional: true },
  { method: 'PATCH', path: '/agreements/{id}', fn: 'agreements-write', access: STAFF, status: 200, summary: 'Amend an agreement, with a reason (the same amendment sent again, while it is the latest change: 200, Idempotent-Replayed)', body: s.agreementPatch, headers: ['If-Match'], response: s.agreementRecord, sends: ['ETag', 'Idempotent-Replayed'], problems: { 409: 'The agreement is voided, or its item no longer names its latest history entry, or its record no longer matches that entry (changed outside the registry), or a party it adds or refreshes was changed outside the registry' } },
  { method: 'POST', path: '/agreements/{id}/void', fn: 'agreements-write', access: STAFF, status: 200, summary: 'Void an agreement, with a reason (the same void sent again, while it is the latest change: 200, Idempotent-Replayed)', body: s.voidInput, headers: ['If-Match'], response: s.agreementRecord, sends: ['ETag', 'Idempotent-Replayed'], problems: { 409: 'The agreement is voided, or its item no longer names its latest history entry, or its record no longer matches that entry (changed outside the registry)' } },
  { method: 'GET', path: '/agreements/{id}/history', fn: 'agreements-read', access: READERS, status: 200, summary: 'Every version, hash-chained', response: historyResponse },
  { method: 'GET', path: '/agreements/{id}/certificate.pdf', fn: 'certificates', access: EVERYONE, status: 200, summary: 'The signed PDF certificate of a version (default: the latest)', query: s.certificateQuery, produces: 'application/pdf', sends: ['ETag', 'Content-Disposition'], conditional: true, problems: { 409: 'The agreement\'s history does not check out from this version on, or its ceremony\'s record does not match its history (changed outside the registry)', 422: 'The certificate would embed too many distinct characters, or be too large to hand out' } },
  { method: 'GET', path: '/verify/{code}', fn: 'verify', access: 'public', status: 200, summary: 'Check a certificate link (JSON, or HTML for browsers)', query: s.verifyLinkQuery, response: s.verificationRecord, alsoAs: ['text/html'], sends: ['Vary'] },
  // The page and its form take (and ignore) any query string: messengers add utm_source and the like, and the form posts to the page's own address.
  { method: 'GET', path: '/verify', fn: 'verify', access: 'public', status: 200, summary: 'A page for people to check a certificate file they hold: it uploads the file to POST /verify as a form', query: ANY_QUERY, produces: 'text/html', sends: ['Vary'] },
  { method: 'POST', path: '/verify', fn: 'verify', access: 'public', status: 200, summary: 'Check that a PDF file is a certificate the registry issued (the file as the body, or in the "file" field of a form)', upload: { contentType: 'application/pdf', maxBytes: MAX_CERTIFICATE_BYTES, formField: 'file' }, query: ANY_QUERY, response: s.verificationRecord, alsoAs: ['text/html'], sends: ['Vary'] },
  { method: 'GET', path: KEYS_PATH, fn: 'verify', access: 'public', status: 200, summary: 'Public keys (JWKS) that sign certificates', response: jwks },
] as const satisfies readonly Route[];

export type RouteKey = `${(typeof ROUTES)[number]['method']} ${(typeof ROUTES)[number]['path']}`;

export const routeKey = (r: Pick<Route, 'method' | 'path'>) => `${r.method} ${r.path}` as RouteKey;

/**
 * The methods a route answers: a GET route answers HEAD too (RFC 9110 §9.3.2), with the status and
 * headers of the GET and no content, for link checkers, `curl -I` and caches that ask before fetching.
 */
export const methodsOf = (r: Pick<Route, 'method'>): (Method | 'HEAD')[] => (r.method === 'GET' ? ['GET', 'HEAD'] : [r.method]);

/** The route keys API Gateway has for a route: one per method it answers ("HEAD /verify/{code}"). */
export const gatewayRouteKeys = (r: Pick<Route, 'method' | 'path'>): string[] => methodsOf(r).map((method) => `${method} ${r.path}`);

const byKey = new Map<string, Route>(ROUTES.flatMap((r) => gatewayRouteKeys(r).map((key) => [key, r] as const)));
/** The route an API Gateway route key names ("HEAD /x" names the GET route). */
export const findRoute = (key: string): Route | undefined => byKey.get(key);

/** Route keys served by one function, in table order. */
export const routesOf = (fn: FunctionName): Route[] => ROUTES.filter((r) => r.fn === fn);

/**
 * The route key API Gateway gives a request no route matches. The stack sends it to `meta`, and
 * the local server does the same: both answer 404, or 405 with Allow, in problem+json.
 */
export const UNMATCHED_ROUTE_KEY = '$default';
export const UNMATCHED_FUNCTION: FunctionName = 'meta';
/** OPTIONS on any path (a browser's CORS preflight, without a token), also to `meta`: 204 with Allow. */
export const PREFLIGHT_ROUTE_KEY = 'OPTIONS /{proxy+}';

const compiled = ROUTES.map((route) => ({
  route: route as Route,
  pattern: new RegExp(`^${route.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, '(?<$1>[^/]+)')}$`),
}));

export type Match = { route: Route; params: Record<string, string> } | { status: 404 } | { status: 405; allow: string };

/** The route for a method and path, as API Gateway routes them; throws URIError on a path that is not valid percent-encoding. */
export function matchRoute(method: string, path: string): Match {
  const onPath = compiled.filter((c) => c.pattern.test(path));
  if (onPath.length === 0) return { status: 404 };
  const hit = onPath.find((c) => methodsOf(c.route).some((m) => m === method));
  if (!hit) return { status: 405, allow: onPath.flatMap((c) => methodsOf(c.route)).join(', ') };
  const groups = hit.pattern.exec(path)?.groups ?? {};
  return { route: hit.route, params: Object.fromEntries(Object.entries(groups).map(([k, v]) => [k, decodeURIComponent(v)])) };
}
