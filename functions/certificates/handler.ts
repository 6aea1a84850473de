/** GET /agreements/{id}/certificate.pdf */
import { parseInput } from '#shared/domain/validation.ts';
import { certificateQuery } from '#shared/domain/schemas.ts';
import { lambdaHandler } from '#shared/http/handler.ts';
import { notModified } from '#shared/http/request.ts';
import { etag } from '#shared/http/response.ts';
import { certificateFor } from '#shared/registry/issuing.ts';

export const handler = lambdaHandler('certificates', {
  'GET /agreements/{id}/certificate.pdf': async (req) => {
    const { version } = parseInput(certificateQuery, req.query, 'query');
    const { bytes, etag: sha256, filename } = await certificateFor(req.params.id!, version, req.principal);
    const headers = { etag: etag(sha256), 'cache-control': 'private, no-cache', 'content-type': 'application/pdf' };
    return notModified(req, headers) ?? { status: 200, body: bytes, headers: { ...headers, 'content-disposition': `inline; filename="${filename}"` } };
  },
});
