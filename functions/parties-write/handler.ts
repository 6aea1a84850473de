/** POST /parties, PATCH /parties/{id} */
import { parseInput } from '#shared/domain/validation.ts';
import { partyInput, partyPatch } from '#shared/domain/schemas.ts';
import { lambdaHandler } from '#shared/http/handler.ts';
import { expectedVersions, optionalIdempotencyKey } from '#shared/http/request.ts';
import { changed, created } from '#shared/http/response.ts';
import { createParty, updateParty } from '#shared/registry/directory.ts';

export const handler = lambdaHandler('parties-write', {
  'POST /parties': async (req) => {
    const key = optionalIdempotencyKey(req);
    const { record: party, replayed } = await createParty(parseInput(partyInput, req.body, 'body'), key, req.principal);
    return created(party, `/parties/${party.id}`, replayed);
  },
  'PATCH /parties/{id}': async (req) => {
    const version = expectedVersions(req);
    const patch = parseInput(partyPatch, req.body, 'body');
    const { record, replayed } = await updateParty(req.params.id!, version, patch, req.principal);
    return changed(record, replayed);
  },
});
