/**
 * The one Lambda handler factory. Every function is a middy chain: problem+json error mapping,
 * then request parsing and authorization, then the route implementation for event.routeKey.
 */
import middy from '@middy/core';
import type { APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { problemOf, problemResponse, type Problem, type Resend } from './problem.ts';
import { headersOf, optionsAnswer, prefersPage, toApiRequest, type ApiEvent, type ApiRequest } from './request.ts';
import { render, type ApiResponse } from './response.ts';
import { findRoute, routesOf, routeKey, varies, type FunctionName, type Route, type RouteKey } from './routes.ts';

export type RouteImpl = (req: ApiRequest) => Promise<ApiResponse>;
type Result = APIGatewayProxyStructuredResultV2;
type ApiContext = Context & { api?: ApiRequest };

/** A GET (or HEAD) no route matches: someone typed an address. */
const unmatchedRead = (route: Route | undefined, event: ApiEvent) => route === undefined && ['GET', 'HEAD'].includes(event.requestContext.http.method);

/**
 * An answer that depends on Accept (and, for a page, on Accept-Language) says so, errors included,
 * so caches keep them apart: every answer of a route that answers in more than one type or says it
 * sends Vary (a page in the reader's language order), and of a function that shows pages, its
 * answer to an address no route has.
 */
function negotiated(route: Route | undefined, event: ApiEvent, response: Result, errorPage?: ErrorPage): Result {
  const answersVary = route ? varies(route) : errorPage !== undefined && unmatchedRead(route, event);
  return answersVary ? { ...response, headers: { ...response.headers, vary: 'Accept, Accept-Language' } } : response;
}

/**
 * A HEAD request gets the answer a GET would, without its content (RFC 9110 §9.3.2); its
 * Content-Length is that of the content a GET would carry.
 */
function asAsked(event: ApiEvent, response: Result): Result {
  if (event.requestContext.http.method !== 'HEAD' || !response.body) return response;
  const length = Buffer.byteLength(response.body, response.isBase64Encoded ? 'base64' : 'utf8');
  return { ...response, headers: { ...response.headers, 'content-length': String(length) }, body: '', isBase64Encoded: false };
}

/** How a function shows a problem to a browser, on routes that answer browsers with pages (`headers`: the request's, by lower-cased name). */
export type ErrorPage = (status: number, detail: string, headers: Record<string, string>) => { body: string; headers: Record<string, string> };

/**
 * The problem as a page, when the client prefers HTML (a browser) and the route answers in HTML too,
 * or no route matches a GET (someone typed an address); else as problem+json.
 */
function answer(route: Route | undefined, event: ApiEvent, found: Problem, errorPage: ErrorPage | undefined): Result {
  const response = problemResponse(found);
  if (!errorPage || !(route?.alsoAs?.includes('text/html') || unmatchedRead(route, event))) return response;
  const headers = headersOf(event);
  if (!prefersPage(headers)) return response;
  const page = errorPage(found.status, found.detail, headers);
  return { ...response, headers: { ...response.headers, ...page.headers }, body: page.body };
}

/** Whether sending this request again is safe: see `Resend`. A request not yet parsed has written nothing. */
function resendOf(req: ApiRequest | undefined): Resend {
  const named = req?.route.optionalHeaders?.includes('Idempotency-Key') !== true || req.headers['idempotency-key'] !== undefined
    || (typeof req.body === 'object' && req.body !== null && 'id' in req.body);
  return named ? 'safe' : 'may-duplicate';
}

const problemResponses = (errorPage: ErrorPage | undefined): middy.MiddlewareObj<ApiEvent, Result, Error, ApiContext> => ({
  onError: (request) => {
    const route = findRoute(request.event.routeKey);
    const found = problemOf(request.error, resendOf(request.context.api), request.event.requestContext.requestId);
    request.response = asAsked(request.event, negotiated(route, request.event, answer(route, request.event, found, errorPage), errorPage));
  },
});

const apiRequest = (): middy.MiddlewareObj<ApiEvent, Result, Error, ApiContext> => ({
  before: (request) => {
    const options = optionsAnswer(request.event);
    if (options) return options; // answered: middy returns it
    request.context.api = toApiRequest(request.event);
    return undefined;
  },
});

/**
 * Builds the handler of one function; it must implement exactly the routes the table gives it.
 * `errorPage`: how its routes that also answer in HTML show a problem to a browser.
 */
export function lambdaHandler(fn: FunctionName, impls: Partial<Record<RouteKey, RouteImpl>>, { errorPage }: { errorPage?: ErrorPage } = {}) {
  const expected = routesOf(fn).map(routeKey).sort();
  const given = Object.keys(impls).sort();
  if (expected.join() !== given.join()) throw new Error(`${fn} implements [${given}] but the routes table gives it [${expected}]`);

  return middy<ApiEvent, Result, Error, ApiContext>()
    .use(problemResponses(errorPage))
    .use(apiRequest())
    .handler(async (event, context) => {
      const req = context.api!;
      const impl = impls[routeKey(req.route)]!;
      return asAsked(event, negotiated(req.route, event, render(await impl(req))));
    });
}
