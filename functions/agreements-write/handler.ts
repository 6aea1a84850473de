/** POST /ceremonies/{id}/agreements, PATCH /agreements/{id}, POST /agreements/{id}/void */
import { parseInput } from '#shared/domain/validation.ts';
import { agreementInput, agreementPatch, voidInput } from '#shared/domain/schemas.ts';
import { lambdaHandler } from '#shared/http/handler.ts';
import { expectedVersions, idempotencyKey } from '#shared/http/request.ts';
import { changed, created } from '#shared/http/response.ts';
import { amend, logSigning, voidSigning, type ChangeResult } from '#shared/registry/agreements.ts';

/** A change's answer; a change sent again after it was made answers as it did, marked as a replay. */
const ok = ({ agreement, replayed }: ChangeResult) => changed(agreement, replayed);

export const handler = lambdaHandler('agreements-write', {
  'POST /ceremonies/{id}/agreements': async (req) => {
    const key = idempotencyKey(req);
    const input = parseInput(agreementInput, req.body, 'body');
    const { agreement, replayed } = await logSigning(req.params.id!, key, input, req.principal);
    return created(agreement, `/agreements/${agreement.id}`, replayed);
  },
  'PATCH /agreements/{id}': async (req) => {
    const version = expectedVersions(req);
    return ok(await amend(req.params.id!, version, parseInput(agreementPatch, req.body, 'body'), req.principal));
  },
  'POST /agreements/{id}/void': async (req) => {
    const version = expectedVersions(req);
    const { reason } = parseInput(voidInput, req.body, 'body');
    return ok(await voidSigning(req.params.id!, version, reason, req.principal));
  },
});
