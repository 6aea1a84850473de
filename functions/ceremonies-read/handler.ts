/** GET /ceremonies, GET /ceremonies/{id}, GET /ceremonies/{id}/history */
import { parseInput } from '#shared/domain/validation.ts';
import { DEFAULT_LIMIT, ceremonyListQuery } from '#shared/domain/schemas.ts';
import { lambdaHandler } from '#shared/http/handler.ts';
import { versionedRead } from '#shared/http/request.ts';
import { ceremonyHistoryOf, listCeremonies, readCeremony } from '#shared/registry/directory.ts';

export const handler = lambdaHandler('ceremonies-read', {
  'GET /ceremonies': async (req) => {
    const { limit = DEFAULT_LIMIT, cursor } = parseInput(ceremonyListQuery, req.query, 'query');
    return { status: 200, body: await listCeremonies({ limit, cursor }) };
  },
  'GET /ceremonies/{id}': async (req) => {
    const ceremony = await readCeremony(req.params.id!);
    return versionedRead(req, ceremony);
  },
  'GET /ceremonies/{id}/history': async (req) => ({ status: 200, body: await ceremonyHistoryOf(req.params.id!) }),
});
