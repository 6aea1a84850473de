/** GET /agreements, GET /agreements/{id}, GET /agreements/{id}/history */
import { parseInput } from '#shared/domain/validation.ts';
import { DEFAULT_LIMIT, agreementListQuery } from '#shared/domain/schemas.ts';
import { lambdaHandler } from '#shared/http/handler.ts';
import { etag } from '#shared/http/response.ts';
import { history, listAgreements, readAgreement } from '#shared/registry/agreements.ts';

export const handler = lambdaHandler('agreements-read', {
  'GET /agreements': async (req) => {
    const { limit = DEFAULT_LIMIT, cursor, ...filter } = parseInput(agreementListQuery, req.query, 'query');
    return { status: 200, body: await listAgreements(filter, { limit, cursor }, req.principal) };
  },
  'GET /agreements/{id}': async (req) => {
    const agreement = await readAgreement(req.params.id!, req.principal);
    return { status: 200, body: agreement, headers: { etag: etag(agreement.version) } };
  },
  'GET /agreements/{id}/history': async (req) => ({ status: 200, body: await history(req.params.id!, req.principal) }),
});
