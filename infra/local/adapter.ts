/**
 * HTTP -> API Gateway v2 event, the way an HTTP API with a JWT authorizer builds it, and the
 * structured Lambda result back to HTTP. This is all the local server does besides hosting
 * dynalite: the handlers are the same modules Lambda runs.
 */
import { isUtf8 } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyStructuredResultV2, Context, ScheduledEvent } from 'aws-lambda';
import type { ApiEvent } from '#shared/http/request.ts';
import { UNMATCHED_ROUTE_KEY, type Route } from '#shared/http/routes.ts';

/** API Gateway passes every claim as a string; arrays become "[a b]". */
export function flattenClaims(claims: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(claims).map(([k, v]) => [k, Array.isArray(v) ? `[${v.join(' ')}]` : typeof v === 'string' ? v : JSON.stringify(v)]),
  );
}

const TEXT_TYPE = /^(text\/|application\/([\w.+-]*\+)?(json|xml)|application\/x-www-form-urlencoded)/i;

export interface HttpInput {
  method: string;
  url: string;
  /** Node's headersDistinct (every value of a repeated header), or one value each. */
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  sourceIp: string;
  /** The gateway's id for the request (the server sends it back as `apigw-requestid`); made up when absent. */
  requestId?: string;
}

/**
 * A request target's path and query string exactly as sent, as API Gateway passes them (rawPath,
 * rawQueryString): no dot segment is resolved ("/agreements/%2e%2e/parties" is not /parties) and
 * "//x/parties" is not host x. An absolute-form target ("http://host/path?q") gives its path.
 */
export function requestTarget(target: string): { path: string; query: string } {
  const origin = target.replace(/^[a-z][a-z\d+.-]*:\/\/[^/?#]*/i, '');
  const [pathAndQuery = ''] = origin.split('#', 1);
  const at = pathAndQuery.indexOf('?');
  const path = at < 0 ? pathAndQuery : pathAndQuery.slice(0, at);
  return { path: path || '/', query: at < 0 ? '' : pathAndQuery.slice(at + 1) };
}

/**
 * Headers as API Gateway (payload 2.0) passes them: names in lower case, the values of a repeated
 * header joined by commas (two Authorization headers make one that no authorizer accepts, where
 * Node would keep the first), cookies aside.
 */
export function gatewayHeaders(headers: HttpInput['headers']): Map<string, string> {
  const joined = new Map<string, string>();
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const key = name.toLowerCase();
    const values = Array.isArray(value) ? value : [value];
    joined.set(key, joined.has(key) ? [joined.get(key)!, ...values].join(',') : values.join(','));
  }
  return joined;
}

/**
 * The event for a matched route, or (no `route`) for the API Gateway route that takes what none of
 * the table matches: `gatewayRoute`, by default `$default`.
 */
export function toEvent(input: HttpInput, match: { route?: Route; params: Record<string, string>; gatewayRoute?: string }, claims?: Record<string, unknown>): ApiEvent {
  const target = requestTarget(input.url);
  // Built in Maps, then made objects with own properties only: a name like __proto__ stays a name
  // (as in the JSON event Lambda parses), instead of reaching the object's prototype.
  const headerMap = gatewayHeaders(input.headers);
  const cookie = headerMap.get('cookie');
  headerMap.delete('cookie');
  const headers = Object.fromEntries(headerMap);
  const queryMap = new Map<string, string>();
  for (const [name, value] of new URLSearchParams(target.query)) queryMap.set(name, queryMap.has(name) ? `${queryMap.get(name)},${value}` : value);
  const query = Object.fromEntries(queryMap);
  // The matched route's key for the method asked: a HEAD reaches a GET route by its "HEAD ..." key, as on API Gateway.
  const routeKey = match.route ? `${input.method} ${match.route.path}` : match.gatewayRoute ?? UNMATCHED_ROUTE_KEY;
  // Text goes as text, unless it is not UTF-8: then its bytes go base64, so that no replacement
  // character hides the damage from the handler.
  const binary = input.body.length > 0 && (!TEXT_TYPE.test(headerMap.get('content-type') ?? '') || !isUtf8(input.body));
  const now = new Date();
  return {
    version: '2.0',
    routeKey,
    rawPath: target.path,
    rawQueryString: target.query,
    headers,
    ...(cookie && { cookies: cookie.split(/[;,]\s*/) }),
    ...(queryMap.size > 0 && { queryStringParameters: query }),
    ...(Object.keys(match.params).length > 0 && { pathParameters: match.params }),
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'localhost',
      http: { method: input.method, path: target.path, protocol: 'HTTP/1.1', sourceIp: input.sourceIp, userAgent: headers['user-agent'] ?? '' },
      requestId: input.requestId ?? randomUUID(),
      routeKey,
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
      ...(claims && { authorizer: { jwt: { claims: flattenClaims(claims), scopes: null } } }),
    },
    ...(input.body.length > 0 && { body: input.body.toString(binary ? 'base64' : 'utf8') }),
    isBase64Encoded: binary,
  };
}

/** `timeoutMs`: the function's timeout; by default API Gateway's integration timeout, which cuts an API function's shorter. */
export function lambdaContext(functionName: string, timeoutMs = 29_000): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** The event an EventBridge schedule invokes a function with. */
export function scheduledEvent(now = new Date()): ScheduledEvent {
  return { version: '0', id: randomUUID(), 'detail-type': 'Scheduled Event', source: 'aws.events', account: '000000000000', time: now.toISOString(), region: 'local', resources: [], detail: {} };
}

/** What a synchronous Lambda may answer (its whole JSON result); past it, API Gateway answers a 5xx. */
export const LAMBDA_RESPONSE_BYTES = 6 * 1024 * 1024;

/** Whether a function's result is over what Lambda would hand back. */
export const overLambdaLimit = (result: APIGatewayProxyStructuredResultV2) => Buffer.byteLength(JSON.stringify(result)) > LAMBDA_RESPONSE_BYTES;

export function toHttp(result: APIGatewayProxyStructuredResultV2): { status: number; headers: Record<string, string>; body: Buffer } {
  const headers = Object.fromEntries(Object.entries(result.headers ?? {}).map(([k, v]) => [k, String(v)]));
  const body = Buffer.from(result.body ?? '', result.isBase64Encoded ? 'base64' : 'utf8');
  return { status: result.statusCode ?? 200, headers, body };
}
