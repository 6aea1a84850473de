/** GET /healthz, GET /openapi.json */
import { lambdaHandler } from '#shared/http/handler.ts';
import { openApiDocument } from '#shared/http/openapi.ts';

export const handler = lambdaHandler('meta', {
  'GET /healthz': async () => ({ status: 200, body: { status: 'ok' } }),
  'GET /openapi.json': async () => ({ status: 200, body: openApiDocument(), headers: { 'cache-control': 'public, max-age=300' } }),
});
