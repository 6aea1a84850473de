/** GET /agreements/{id}/certificate.pdf */
import { parseInput } from '#shared/domain/validation.ts';
import { certificateQuery } from '#shared/domain/schemas.ts';
import { lambdaHandler } from '#shared/http/handler.ts';
import { noneMatchHits } from '#shared/http/request.ts';
import { etag } from '#shared/http/response.ts';
import { certificateFor } from '#shared/registry/issuing.ts';

export const handler = lambdaHandler('certificates', {
  'GET /agreements/{id}/certificate.pdf': async (req) => {
    const { version } = parseInput(certificateQuery, req.query, 'query');
    const { bytes, etag: sha256, filename } = await certificateFor(req.params.id!, version, req.principal);
    // The 304 names its type too: API Gateway would otherwise give it one (text/plain).
    const headers = { etag: etag(sha256), 'cache-control': 'private, no-cache', 'content-type': 'application/pdf' };
    if (noneMatchHits(req, headers.etag)) return { status: 304, headers };
    return { status: 200, body: bytes, headers: { ...headers, 'content-disposition': `inline; filename="${filename}"` } };
  },
});
