/** GET /verify/{code}, GET /verify, POST /verify, GET /.well-known/concord-keys.json (all public) */
import { InvalidInput } from '#shared/domain/errors.ts';
import { parseInput } from '#shared/domain/validation.ts';
import { verifyLinkQuery, type Verification } from '#shared/domain/schemas.ts';
import { browserProblemPage, FORM_PAGE_HEADERS, incompleteLinkPage, PAGE_HEADERS, pageOrder, uploadPage, verificationPage, type Order } from '#shared/http/pages.ts';
import { lambdaHandler } from '#shared/http/handler.ts';
import { prefersPage } from '#shared/http/request.ts';
import type { ApiResponse } from '#shared/http/response.ts';
import { cutShort, KEYS_PATH, MAX_CERTIFICATE_BYTES } from '#shared/certificate/signature.ts';
import { publicKeys, verifyDocument, verifyLink } from '#shared/registry/verification.ts';

/** Browsers (whose Accept prefers text/html) get a page; everyone else JSON (Vary: Accept comes with the route). */
const answer = (page: boolean, result: Verification, uploaded: boolean, order: Order): ApiResponse =>
  page ? { status: 200, body: verificationPage(result, uploaded, order), headers: PAGE_HEADERS } : { status: 200, body: result };

export const handler = lambdaHandler('verify', {
  'GET /verify/{code}': async (req) => {
    const page = prefersPage(req.headers);
    let query;
    try {
      query = parseInput(verifyLinkQuery, req.query, 'query');
    } catch (error) {
      // Someone who typed only the code into a browser gets a page that says what is missing (or,
      // for a link with both parts, that one of them is not as printed); API clients get the usual
      // problem+json naming the fields.
      const why = !req.query.v || !req.query.sig ? 'missing' : 'not-as-printed';
      if (page && error instanceof InvalidInput) return { status: 400, body: incompleteLinkPage(why, pageOrder(req.headers)), headers: PAGE_HEADERS };
      throw error;
    }
    const result = await verifyLink(req.params.code!, query.v, query.sig);
    // A browser whose link lost the end of its signature gets the page for an incomplete address:
    // the certificate may well be genuine (told from the signature's length alone, whatever the
    // code). API clients get the verdict (invalid, saying why).
    const cut = page && result.status === 'invalid' && result.reason === 'cut-short' ? cutShort(query.sig) : undefined;
    if (cut) return { status: 400, body: incompleteLinkPage(cut, pageOrder(req.headers)), headers: PAGE_HEADERS };
    return answer(page, result, false, pageOrder(req.headers));
  },
  'GET /verify': async (req) => ({ status: 200, body: uploadPage(MAX_CERTIFICATE_BYTES, pageOrder(req.headers)), headers: FORM_PAGE_HEADERS }),
  'POST /verify': async (req) => answer(prefersPage(req.headers), await verifyDocument(req.body as Buffer), true, pageOrder(req.headers)),
  [`GET ${KEYS_PATH}`]: async () => {
    const jwks = await publicKeys();
    // None published (yet): a verifier must not keep that for an hour.
    return { status: 200, body: jwks, headers: { 'cache-control': jwks.keys.length > 0 ? 'public, max-age=3600' : 'no-store' } };
  },
}, {
  // A browser that sent something the pages cannot take gets a page saying so, not problem+json.
  errorPage: browserProblemPage,
});
