/**
 * The single list of routes: method, path, the function (capability) that serves it, who may
 * call it, and its schemas. The local server mounts these entries; the CDK stack builds one
 * Lambda per function and one API Gateway route per entry; the OpenAPI document is generated
 * from them. Adding a route is one line here plus its implementation in the function's handler.
 */
import { z } from 'zod';
import type { Role } from '#shared/domain/principal.ts';
import * as s from '#shared/domain/schemas.ts';

/** Functions group routes of one capability; `writes: false` functions get read-only table access. */
export const FUNCTIONS = {
  meta: { writes: false, description: 'health and API description' },
  'parties-read': { writes: false, description: 'read parties' },
  'parties-write': { writes: true, description: 'create and edit parties' },
  'ceremonies-read': { writes: false, description: 'read ceremonies' },
  'ceremonies-write': { writes: true, description: 'create ceremonies' },
  'agreements-read': { writes: false, description: 'read and list agreements and their history' },
  'agreements-write': { writes: true, description: 'log, amend and void signings' },
} as const;
export type FunctionName = keyof typeof FUNCTIONS;

export type Method = 'GET' | 'POST' | 'PATCH';

export interface Route {
  method: Method;
  path: string;
  fn: FunctionName;
  access: 'public' | readonly Role[];
  summary: string;
  body?: z.ZodType;
  query?: z.ZodType;
  /** Request headers the route requires (documented; enforced by the implementation). */
  headers?: readonly ('If-Match' | 'Idempotency-Key')[];
  response?: z.ZodType;
  /** Status of a successful response. */
  status: 200 | 201;
}

const READERS: readonly Role[] = ['staff', 'auditor'];
const EVERYONE: readonly Role[] = ['staff', 'auditor', 'partner'];
const STAFF: readonly Role[] = ['staff'];

const page = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), nextCursor: z.string().nullable() });

export const historyResponse = z.object({
  agreementId: z.string(),
  code: z.string(),
  version: z.number().int(),
  items: z.array(s.historyEntryRecord),
  integrity: z.object({ chainValid: z.boolean(), stateMatches: z.boolean(), firstBadVersion: z.number().int().nullable() }),
});

export const ROUTES = [
  { method: 'GET', path: '/healthz', fn: 'meta', access: 'public', status: 200, summary: 'Liveness check', response: z.object({ status: z.literal('ok') }) },
  { method: 'GET', path: '/openapi.json', fn: 'meta', access: 'public', status: 200, summary: 'This API, as OpenAPI 3.1' },
  { method: 'POST', path: '/parties', fn: 'parties-write', access: STAFF, status: 201, summary: 'Register a party', body: s.partyInput, response: s.partyRecord },
  { method: 'GET', path: '/parties', fn: 'parties-read', access: READERS, status: 200, summary: 'List parties', query: s.partyListQuery, response: page(s.partyRecord) },
  { method: 'GET', path: '/parties/{id}', fn: 'parties-read', access: EVERYONE, status: 200, summary: 'Read a party (partners: their own)', response: s.partyRecord },
  { method: 'PATCH', path: '/parties/{id}', fn: 'parties-write', access: STAFF, status: 200, summary: 'Rename a party', body: s.partyPatch, headers: ['If-Match'], response: s.partyRecord },
  { method: 'POST', path: '/ceremonies', fn: 'ceremonies-write', access: STAFF, status: 201, summary: 'Open a signing ceremony', body: s.ceremonyInput, response: s.ceremonyRecord },
  { method: 'GET', path: '/ceremonies', fn: 'ceremonies-read', access: READERS, status: 200, summary: 'List ceremonies, newest first', query: s.ceremonyListQuery, response: page(s.ceremonyRecord) },
  { method: 'GET', path: '/ceremonies/{id}', fn: 'ceremonies-read', access: READERS, status: 200, summary: 'Read a ceremony', response: s.ceremonyRecord },
  { method: 'POST', path: '/ceremonies/{id}/agreements', fn: 'agreements-write', access: STAFF, status: 201, summary: 'Log a signing (idempotent)', body: s.agreementInput, headers: ['Idempotency-Key'], response: s.agreementRecord },
  { method: 'GET', path: '/agreements', fn: 'agreements-read', access: EVERYONE, status: 200, summary: 'List agreements, newest signing first (partners: their own)', query: s.agreementListQuery, response: page(s.agreementRecord) },
  { method: 'GET', path: '/agreements/{id}', fn: 'agreements-read', access: EVERYONE, status: 200, summary: 'Read an agreement (partners: if a party)', response: s.agreementRecord },
  { method: 'PATCH', path: '/agreements/{id}', fn: 'agreements-write', access: STAFF, status: 200, summary: 'Amend an agreement, with a reason', body: s.agreementPatch, headers: ['If-Match'], response: s.agreementRecord },
  { method: 'POST', path: '/agreements/{id}/void', fn: 'agreements-write', access: STAFF, status: 200, summary: 'Void an agreement, with a reason', body: s.voidInput, headers: ['If-Match'], response: s.agreementRecord },
  { method: 'GET', path: '/agreements/{id}/history', fn: 'agreements-read', access: READERS, status: 200, summary: 'Every version, hash-chained', response: historyResponse },
] as const satisfies readonly Route[];

export type RouteKey = `${(typeof ROUTES)[number]['method']} ${(typeof ROUTES)[number]['path']}`;

export const routeKey = (r: Pick<Route, 'method' | 'path'>) => `${r.method} ${r.path}` as RouteKey;

const byKey = new Map<string, Route>(ROUTES.map((r) => [routeKey(r), r]));
export const findRoute = (key: string): Route | undefined => byKey.get(key);

/** Route keys served by one function, in table order. */
export const routesOf = (fn: FunctionName): Route[] => ROUTES.filter((r) => r.fn === fn);
