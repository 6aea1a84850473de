/** The OpenAPI 3.1 document, generated from the routes table and the zod schemas it names. */
import * as z from 'zod';
import { ENTITY_TAG_LIST, IDEMPOTENCY_KEY } from './request.ts';
import { MAX_FIELD_ERRORS } from '#shared/domain/validation.ts';
import { readsTable, ROUTES, varies, type Route } from './routes.ts';

const jsonSchema = (schema: z.ZodType, io: 'input' | 'output') => {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as Record<string, unknown>;
  return rest;
};

const problemSchema = {
  type: 'object',
  required: ['type', 'title', 'status', 'detail', 'errors'],
  properties: {
    type: { type: 'string' }, title: { type: 'string' }, status: { type: 'integer' }, detail: { type: 'string' },
    errors: { type: 'array', maxItems: MAX_FIELD_ERRORS, description: `The fields at fault, at most ${MAX_FIELD_ERRORS} (detail says how many more)`, items: { type: 'object', required: ['path', 'message'], properties: { path: { type: 'string' }, message: { type: 'string' } } } },
  },
};

const problemRef = { content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } };

const HEADER_MEANING = {
  ETag: 'A record\'s version ("3"), to send back in If-Match to change it; for a file, the SHA-256 of its bytes, to send back in If-None-Match',
  Location: 'Where the new record is',
  'Idempotent-Replayed': '"true" when this answers a request that was made already (the same Idempotency-Key or id and body; the same change by the same user on the same version, while it is the latest): the record as that first request left it',
  Vary: '"Accept, Accept-Language": JSON or HTML by what the client prefers (on routes that answer in both), and a page Chinese first when it asks for Chinese first',
  'Content-Disposition': 'inline, with a file name: concord-<code>-v<version>.pdf',
} as const;

/** What API Gateway itself answers with (its JWT authorizer, its throttle), ahead of the handlers. */
const gatewayMessage = { content: { 'application/json': { schema: { type: 'object', required: ['message'], properties: { message: { type: 'string' } } } } } };

/** An upload's body: the file itself, or (where the route takes a form) a form with the file in its field. */
function uploadContent({ contentType, formField }: NonNullable<Route['upload']>) {
  const file = { type: 'string', contentMediaType: contentType };
  return {
    [contentType]: { schema: file },
    ...(formField !== undefined && {
      'multipart/form-data': { schema: { type: 'object', required: [formField], properties: { [formField]: file } }, encoding: { [formField]: { contentType: `${contentType}, application/octet-stream` } } },
    }),
  };
}

const pathParameters = (path: string) => [...path.matchAll(/\{(\w+)\}/g)].map((m) => ({
  name: m[1], in: 'path', required: true, schema: { type: 'string' },
  ...(m[1] === 'id' && path.startsWith('/agreements/') && { description: 'The agreement\'s id (ag-…); reads also take its printed code, in any case, with or without its hyphen' }),
}));

function operation(route: Route) {
  const pathParams = pathParameters(route.path);
  const query = route.query ? jsonSchema(route.query, 'input') : undefined;
  const requiredQuery = new Set((query?.required ?? []) as string[]);
  const queryParams = Object.entries((query?.properties ?? {}) as Record<string, { description?: string }>).map(([name, { description, ...schema }]) => ({
    name, in: 'query', required: requiredQuery.has(name), ...(description && { description }), schema,
  }));
  const headerParams: { name: string; in: 'header'; required: boolean; schema: object }[] = [
    ...(route.headers ?? []).map((name) => ({ name, required: true })), ...(route.optionalHeaders ?? []).map((name) => ({ name, required: false })),
  ].map(({ name, required }) => ({
    name, in: 'header', required,
    schema: name === 'Idempotency-Key' ? { type: 'string', pattern: IDEMPOTENCY_KEY.source, maxLength: 255 } : { type: 'string', pattern: ENTITY_TAG_LIST.source },
    ...(name === 'If-Match' && { description: 'The ETag of the version being changed, as received ("3"); a list matches when any of its tags names the current version (compared strongly: W/"3" names none); * is refused' }),
  }));
  if (route.conditional) headerParams.push({ name: 'If-None-Match', in: 'header', required: false, schema: { type: 'string' } });
  const errors: Record<string, object> = { 400: { description: 'Invalid request', ...problemRef } };
  if (route.access !== 'public') {
    Object.assign(errors, {
      401: {
        description: 'No valid token (on AWS the gateway\'s JWT authorizer answers first, with {"message":"Unauthorized"})',
        headers: { 'WWW-Authenticate': { description: '"Bearer" (in the registry\'s own answer): the scheme a token is sent in', schema: { type: 'string' } } },
        content: { ...problemRef.content, ...gatewayMessage.content },
      },
      403: { description: 'Role not allowed', ...problemRef },
    });
  }
  if (route.path.includes('{id}')) errors[404] = { description: 'Not found', ...problemRef };
  if (route.body) Object.assign(errors, { 413: { description: 'Body over 64 KB', ...problemRef }, 415: { description: 'Not JSON, or sent with a Content-Encoding', ...problemRef }, 422: { description: 'Rule violated', ...problemRef } });
  if (route.upload) {
    const { contentType, maxBytes, formField } = route.upload;
    const form = formField === undefined ? '' : ` (in a form: its file, or the form over ${maxBytes} bytes and its boundaries)`;
    Object.assign(errors, { 413: { description: `Body${form} over ${maxBytes} bytes`, ...problemRef }, 415: { description: `Not ${contentType}${formField === undefined ? '' : ' or multipart/form-data'}, or sent with a Content-Encoding`, ...problemRef } });
  }
  if (route.headers?.includes('If-Match')) Object.assign(errors, { 412: { description: 'Stale If-Match', ...problemRef }, 428: { description: 'If-Match missing', ...problemRef } });
  for (const [status, description] of Object.entries(route.problems ?? {})) errors[status] = { description, ...problemRef };
  errors[429] = { description: 'Too many requests: the gateway\'s throttle, {"message":"Too Many Requests"}', ...gatewayMessage };
  if (readsTable(route.fn)) {
    errors[503] = {
      description: 'The database is busy: try again after Retry-After seconds (the same request again is safe)',
      headers: { 'Retry-After': { description: 'Seconds to wait before sending the same request again', schema: { type: 'integer', minimum: 1 } } },
      ...problemRef,
    };
  }
  errors.default = { description: 'A fault on the server\'s side (a bug)', ...problemRef };
  // Where browsers get pages, they get a page for a problem too (as Accept prefers); an answer that varies does so errors included.
  for (const error of Object.values(errors) as { content?: Record<string, object>; headers?: object }[]) {
    if (!error.content?.['application/problem+json']) continue;
    if (route.alsoAs?.includes('text/html')) error.content = { ...error.content, 'text/html': { schema: { type: 'string', contentMediaType: 'text/html' } } };
    if (varies(route)) error.headers = { ...error.headers, Vary: { description: HEADER_MEANING.Vary, schema: { type: 'string' } } };
  }
  const success = route.response ? jsonSchema(route.response, 'output') : undefined;
  return {
    summary: route.summary,
    'x-roles': route.access,
    ...(route.access !== 'public' && { security: [{ bearer: [] }] }),
    parameters: [...pathParams, ...queryParams, ...headerParams],
    ...(route.body && { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(route.body, 'input') } } } }),
    ...(route.upload && { requestBody: { required: true, content: uploadContent(route.upload) } }),
    responses: {
      [route.status]: {
        description: 'OK',
        // Each is on every success, but for Idempotent-Replayed, which only a replay carries.
        ...(route.sends && { headers: Object.fromEntries(route.sends.map((name) => [name, { description: HEADER_MEANING[name], required: name !== 'Idempotent-Replayed', schema: { type: 'string' } }])) }),
        content: {
          ...(success && { 'application/json': { schema: success } }),
          ...(route.produces && { [route.produces]: { schema: { type: 'string', contentMediaType: route.produces } } }),
          ...Object.fromEntries((route.alsoAs ?? []).map((type) => [type, { schema: { type: 'string', contentMediaType: type } }])),
        },
      },
      ...(route.conditional && { 304: { description: 'Not modified: If-None-Match names the current ETag', headers: { ETag: { description: HEADER_MEANING.ETag, schema: { type: 'string' } } } } }),
      ...errors,
    },
  };
}

/** OPTIONS on a path (a browser's CORS preflight): the methods it takes, without a token. */
const optionsOperation = (path: string) => ({
  summary: 'The methods this path takes, in Allow (no token needed)',
  'x-roles': 'public',
  parameters: pathParameters(path),
  responses: { 204: { description: 'No content', headers: { Allow: { description: 'The methods this path takes: "GET, HEAD", say', schema: { type: 'string' } } } } },
});

/** A GET's HEAD twin: the same parameters, statuses and headers, no content (RFC 9110 §9.3.2). */
function headOperation(get: ReturnType<typeof operation>) {
  const responses = Object.fromEntries(Object.entries(get.responses).map(([status, response]) => {
    const { content: _none, ...rest } = response as { content?: unknown };
    return [status, rest];
  }));
  return { ...get, summary: `${get.summary} (headers only)`, responses };
}

/**
 * An operation's id, for the method names a generated client gives it: the method, then the path's
 * segments in PascalCase, a parameter as "By" it ("GET /parties/{id}/history": getPartiesByIdHistory;
 * "GET /": getRoot). Unique, as method and path together are.
 */
function operationId(method: string, path: string): string {
  const pascal = (part: string) => part.split(/[^A-Za-z0-9]+/).filter(Boolean).map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
  const segments = path.split('/').filter(Boolean).map((segment) => {
    const parameter = /^\{(\w+)\}$/.exec(segment);
    return parameter ? `By${pascal(parameter[1]!)}` : pascal(segment);
  });
  return `${method.toLowerCase()}${segments.join('') || 'Root'}`;
}

let cached: object | undefined;

export function openApiDocument(): object {
  cached ??= {
    openapi: '3.1.0',
    info: { title: 'Concord registry API', version: '1.0.0', description: 'Cooperation agreements signed at expo ceremonies: parties, ceremonies, agreements and their hash-chained history. Every GET also answers HEAD: its status and headers, without the content. Every path answers OPTIONS; a method a path does not take is a 405 (problem+json) with Allow. A query parameter sent blank counts as not sent; a list filter, limit, cursor or version sent twice is a 400. A route refuses query parameters it does not describe (a 400 naming them), but for GET /, the verification link and page and POST /verify, which ignore them (messengers add utm_source and the like).' },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } }, schemas: { Problem: problemSchema } },
    paths: ROUTES.reduce<Record<string, Record<string, object>>>((paths, route) => {
      const op = { operationId: operationId(route.method, route.path), ...operation(route) };
      const path = (paths[route.path] ??= { options: { operationId: operationId('OPTIONS', route.path), ...optionsOperation(route.path) } });
      path[route.method.toLowerCase()] = op;
      if (route.method === 'GET') path.head = { ...headOperation(op), operationId: operationId('HEAD', route.path) };
      return paths;
    }, {}),
  };
  return cached;
}
