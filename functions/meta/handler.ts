/** GET /, GET /healthz, GET /openapi.json, and what no route matches (404, 405; OPTIONS) */
import { KEYS_PATH } from '#shared/certificate/signature.ts';
import type { RegistryIndex } from '#shared/domain/schemas.ts';
import { lambdaHandler } from '#shared/http/handler.ts';
import { openApiDocument } from '#shared/http/openapi.ts';
import { browserProblemPage, homePage, PAGE_HEADERS, pageOrder } from '#shared/http/pages.ts';
import { prefersPage } from '#shared/http/request.ts';

const INDEX: RegistryIndex = { name: 'Concord registry', verify: '/verify', keys: KEYS_PATH, openapi: '/openapi.json' };

export const handler = lambdaHandler('meta', {
  // A browser gets a page that leads to the verification pages; a program, where things are.
  'GET /': async (req) => (prefersPage(req.headers) ? { status: 200, body: homePage(pageOrder(req.headers)), headers: PAGE_HEADERS } : { status: 200, body: INDEX }),
  'GET /healthz': async () => ({ status: 200, body: { status: 'ok' } }),
  'GET /openapi.json': async () => ({ status: 200, body: openApiDocument(), headers: { 'cache-control': 'public, max-age=300' } }),
}, {
  // A person who types the registry's domain, or a near-miss address, into a browser gets a page that
  // leads to the verification pages, not problem+json (API clients still get that).
  errorPage: browserProblemPage,
});
