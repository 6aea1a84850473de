/** POST /ceremonies */
import { parseInput } from '#shared/domain/validation.ts';
import { ceremonyInput } from '#shared/domain/schemas.ts';
import { lambdaHandler } from '#shared/http/handler.ts';
import { optionalIdempotencyKey } from '#shared/http/request.ts';
import { replayedHeader } from '#shared/http/response.ts';
import { createCeremony } from '#shared/registry/directory.ts';

export const handler = lambdaHandler('ceremonies-write', {
  'POST /ceremonies': async (req) => {
    const key = optionalIdempotencyKey(req);
    const { record: ceremony, replayed } = await createCeremony(parseInput(ceremonyInput, req.body, 'body'), key, req.principal);
    return { status: 201, body: ceremony, headers: { location: `/ceremonies/${ceremony.id}`, ...replayedHeader(replayed) } };
  },
});
