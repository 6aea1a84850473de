/** GET /healthz, GET /openapi.json, and what no route matches (404, 405; OPTIONS) */
import { lambdaHandler } from '#shared/http/handler.ts';
import { openApiDocument } from '#shared/http/openapi.ts';
import { browserProblemPage } from '#shared/http/pages.ts';

export const handler = lambdaHandler('meta', {
  'GET /healthz': async () => ({ status: 200, body: { status: 'ok' } }),
  'GET /openapi.json': async () => ({ status: 200, body: openApiDocument(), headers: { 'cache-control': 'public, max-age=300' } }),
}, {
  // A person who types the registry's domain, or a near-miss address, into a browser gets a page that
  // leads to the verification pages, not problem+json (API clients still get that).
  errorPage: browserProblemPage,
});
