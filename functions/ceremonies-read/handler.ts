/** GET /ceremonies, GET /ceremonies/{id} */
import { parseInput } from '#shared/domain/validation.ts';
import { ceremonyListQuery } from '#shared/domain/schemas.ts';
import { lambdaHandler } from '#shared/http/handler.ts';
import { listCeremonies, readCeremony } from '#shared/registry/directory.ts';

export const handler = lambdaHandler('ceremonies-read', {
  'GET /ceremonies': async (req) => {
    const { limit = 25, cursor } = parseInput(ceremonyListQuery, req.query, 'query');
    return { status: 200, body: await listCeremonies({ limit, cursor }) };
  },
  'GET /ceremonies/{id}': async (req) => ({ status: 200, body: await readCeremony(req.params.id!) }),
});
