/** POST /ceremonies, PATCH /ceremonies/{id} */
import { parseInput } from '#shared/domain/validation.ts';
import { ceremonyInput, ceremonyPatch } from '#shared/domain/schemas.ts';
import { lambdaHandler } from '#shared/http/handler.ts';
import { expectedVersions, optionalIdempotencyKey } from '#shared/http/request.ts';
import { changed, etag, replayedHeader } from '#shared/http/response.ts';
import { updateCeremony, createCeremony } from '#shared/registry/directory.ts';

export const handler = lambdaHandler('ceremonies-write', {
  'POST /ceremonies': async (req) => {
    const key = optionalIdempotencyKey(req);
    const { record: ceremony, replayed } = await createCeremony(parseInput(ceremonyInput, req.body, 'body'), key, req.principal);
    return { status: 201, body: ceremony, headers: { location: `/ceremonies/${ceremony.id}`, etag: etag(ceremony.version), ...replayedHeader(replayed) } };
  },
  'PATCH /ceremonies/{id}': async (req) => {
    const version = expectedVersions(req);
    const patch = parseInput(ceremonyPatch, req.body, 'body');
    const { record, replayed } = await updateCeremony(req.params.id!, version, patch, req.principal);
    return changed(record, replayed);
  },
});
