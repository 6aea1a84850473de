/** GET /verify/{code}, POST /verify, GET /.well-known/concord-keys.json (all public) */
import { parseInput } from '#shared/domain/validation.ts';
import { verifyLinkQuery, type Verification } from '#shared/domain/schemas.ts';
import { incompleteLinkPage, verificationPage } from '#shared/certificate/verify-page.ts';
import { lambdaHandler } from '#shared/http/handler.ts';
import { preferredType, type ApiRequest } from '#shared/http/request.ts';
import type { ApiResponse } from '#shared/http/response.ts';
import { publicKeys, verifyDocument, verifyLink } from '#shared/registry/certificates.ts';

const wantsPage = (req: ApiRequest) => preferredType(req, ['application/json', 'text/html']) === 'text/html';

/** Browsers (whose Accept prefers text/html) get a page; everyone else JSON (Vary: Accept comes with the route). */
function answer(req: ApiRequest, result: Verification): ApiResponse {
  return wantsPage(req)
    ? { status: 200, body: verificationPage(result), headers: { 'content-type': 'text/html; charset=utf-8' } }
    : { status: 200, body: result };
}

export const handler = lambdaHandler('verify', {
  'GET /verify/{code}': async (req) => {
    // Someone who typed only the code into a browser gets a page that says what is missing; API
    // clients get the usual problem+json naming the fields.
    if (wantsPage(req) && !verifyLinkQuery.safeParse(req.query).success) {
      return { status: 400, body: incompleteLinkPage(), headers: { 'content-type': 'text/html; charset=utf-8' } };
    }
    const { v, sig } = parseInput(verifyLinkQuery, req.query, 'query');
    return answer(req, await verifyLink(req.params.code!, v, sig));
  },
  'POST /verify': async (req) => answer(req, await verifyDocument(req.rawBody)),
  'GET /.well-known/concord-keys.json': async () => ({ status: 200, body: await publicKeys(), headers: { 'cache-control': 'public, max-age=3600' } }),
});
