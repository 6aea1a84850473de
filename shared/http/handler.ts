/**
 * The one Lambda handler factory. Every function is a middy chain: problem+json error mapping,
 * then request parsing and authorization, then the route implementation for event.routeKey.
 */
import middy from '@middy/core';
import type { APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { toProblem } from './problem.ts';
import { toApiRequest, type ApiEvent, type ApiRequest } from './request.ts';
import { render, type ApiResponse } from './response.ts';
import { findRoute, routesOf, routeKey, type FunctionName, type Route, type RouteKey } from './routes.ts';

export type RouteImpl = (req: ApiRequest) => Promise<ApiResponse>;
type Result = APIGatewayProxyStructuredResultV2;
type ApiContext = Context & { api?: ApiRequest };

/** A route whose answers depend on Accept says so on every response, errors included, so caches keep them apart. */
const negotiated = (route: Route | undefined, response: Result): Result =>
  route?.alsoAs ? { ...response, headers: { ...response.headers, vary: 'Accept' } } : response;

const problemResponses = (): middy.MiddlewareObj<ApiEvent, Result, Error, ApiContext> => ({
  onError: (request) => {
    request.response = negotiated(findRoute(request.event.routeKey), toProblem(request.error));
  },
});

const apiRequest = (): middy.MiddlewareObj<ApiEvent, Result, Error, ApiContext> => ({
  before: (request) => {
    request.context.api = toApiRequest(request.event);
  },
});

/** Builds the handler of one function; it must implement exactly the routes the table gives it. */
export function lambdaHandler(fn: FunctionName, impls: Partial<Record<RouteKey, RouteImpl>>) {
  const expected = routesOf(fn).map(routeKey).sort();
  const given = Object.keys(impls).sort();
  if (expected.join() !== given.join()) throw new Error(`${fn} implements [${given}] but the routes table gives it [${expected}]`);

  return middy<ApiEvent, Result, Error, ApiContext>()
    .use(problemResponses())
    .use(apiRequest())
    .handler(async (_event, context) => {
      const req = context.api!;
      const impl = impls[routeKey(req.route)]!;
      return negotiated(req.route, render(await impl(req)));
    });
}
