/** GET /agreements, GET /agreements/{id}, GET /agreements/{id}/history */
import { parseInput } from '#shared/domain/validation.ts';
import { DEFAULT_LIMIT, agreementListQuery } from '#shared/domain/schemas.ts';
import { lambdaHandler } from '#shared/http/handler.ts';
import { versionedRead } from '#shared/http/request.ts';
import { history, listAgreements, readAgreement } from '#shared/registry/agreements.ts';

export const handler = lambdaHandler('agreements-read', {
  'GET /agreements': async (req) => {
    const { limit = DEFAULT_LIMIT, cursor, ...filter } = parseInput(agreementListQuery, req.query, 'query');
    return { status: 200, body: await listAgreements(filter, { limit, cursor }, req.principal) };
  },
  'GET /agreements/{id}': async (req) => {
    const agreement = await readAgreement(req.params.id!, req.principal);
    return versionedRead(req, agreement);
  },
  'GET /agreements/{id}/history': async (req) => ({ status: 200, body: await history(req.params.id!, req.principal) }),
});
