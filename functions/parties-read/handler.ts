/** GET /parties, GET /parties/{id}, GET /parties/{id}/history */
import { parseInput } from '#shared/domain/validation.ts';
import { DEFAULT_LIMIT, partyListQuery } from '#shared/domain/schemas.ts';
import { lambdaHandler } from '#shared/http/handler.ts';
import { versionedRead } from '#shared/http/request.ts';
import { listParties, partyHistoryOf, readParty } from '#shared/registry/directory.ts';

export const handler = lambdaHandler('parties-read', {
  'GET /parties': async (req) => {
    const { limit = DEFAULT_LIMIT, cursor, ...filter } = parseInput(partyListQuery, req.query, 'query');
    return { status: 200, body: await listParties(filter, { limit, cursor }) };
  },
  'GET /parties/{id}': async (req) => {
    const party = await readParty(req.params.id!, req.principal);
    return versionedRead(req, party);
  },
  'GET /parties/{id}/history': async (req) => ({ status: 200, body: await partyHistoryOf(req.params.id!) }),
});
