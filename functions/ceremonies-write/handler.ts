/** POST /ceremonies, PATCH /ceremonies/{id} */
import { parseInput } from '#shared/domain/validation.ts';
import { ceremonyInput, ceremonyPatch } from '#shared/domain/schemas.ts';
import { lambdaHandler } from '#shared/http/handler.ts';
import { expectedVersions, optionalIdempotencyKey } from '#shared/http/request.ts';
import { changed, created } from '#shared/http/response.ts';
import { updateCeremony, createCeremony } from '#shared/registry/directory.ts';

export const handler = lambdaHandler('ceremonies-write', {
  'POST /ceremonies': async (req) => {
    const key = optionalIdempotencyKey(req);
    const { record: ceremony, replayed } = await createCeremony(parseInput(ceremonyInput, req.body, 'body'), key, req.principal);
    return created(ceremony, `/ceremonies/${ceremony.id}`, replayed);
  },
  'PATCH /ceremonies/{id}': async (req) => {
    const version = expectedVersions(req);
    const patch = parseInput(ceremonyPatch, req.body, 'body');
    const { record, replayed } = await updateCeremony(req.params.id!, version, patch, req.principal);
    return changed(record, replayed);
  },
});
