/**
 * Certificates: render one for an agreement version (signed by the caller: ./issuing.ts signs with
 * the current key), and keep what was rendered. A certificate is a pure function of (version,
 * ceremony as it stands, signing key): a correction of the ceremony is printed on every certificate
 * after it. Public verification of a link or an uploaded PDF, with the published public keys only,
 * is in ./verification.ts.
 */
import * as z from 'zod';
import { replay, type Agreement } from '#shared/domain/agreement.ts';
import type { Ceremony } from '#shared/domain/ceremony.ts';
import { hashOf, sha256Hex } from '#shared/domain/canonical.ts';
import { log } from '#shared/log.ts';
import { NotFound, RuleViolation, StateConflict } from '#shared/domain/errors.ts';
import { assertPrintable } from '#shared/certificate/wording.ts';
import { renderCertificate } from '#shared/certificate/render.ts';
import {
  certificateLinks, certificatePayloadOf, MAX_CERTIFICATE_BYTES,
  type CertificatePayload,
} from '#shared/certificate/signature.ts';
import * as store from '#shared/store/agreements.ts';
import { ceremonyNotPrinted, committedCeremony } from './directory.ts';
import { entryOf, integrityOf } from './agreements.ts';

export const { PUBLIC_BASE_URL } = z.object({ PUBLIC_BASE_URL: z.url().transform((u) => u.replace(/\/+$/, '')) }).parse(process.env);

/** Rendered certificates by name (their JWS, which pins id, version, state and key, and their ceremony's version), with their SHA-256: rendering is pure. */
const rendered = new Map<string, Promise<{ bytes: Uint8Array; sha256: string }>>();
const CACHE_SIZE = 32;
/**
 * The SHA-256 of every file rendered, by name, long after its bytes have left the cache: an upload
 * that is not on record is compared with a re-render, and anyone can upload; a copied genuine
 * signature in another file costs one render per name and process, not one per upload.
 */
const digests = new Map<string, string>();
const DIGESTS_SIZE = 4096;

/** A signing's ceremony is never deleted: its absence is a broken store, a 500. */
export function ceremonyMissing(agreement: Pick<Agreement, 'id' | 'ceremonyId'>): Error {
  return new Error(`ceremony ${agreement.ceremonyId} of agreement ${agreement.id} is missing`);
}

/** The ceremony an agreement was signed at, as it stands; refused (409) while it is not the state its history committed. */
async function ceremonyNow(agreement: Pick<Agreement, 'id' | 'ceremonyId'>): Promise<Ceremony> {
  const found = await committedCeremony(agreement.ceremonyId);
  if (!found) throw ceremonyMissing(agreement);
  if (!found.committed) throw ceremonyNotPrinted(agreement.ceremonyId);
  return found.record;
}

/**
 * Renders a version, its payload signed by `sign` (issuing/signNow, with the current key; or, to
 * compare a file with, the JWS the registry signed for this very payload before), for the registry
 * at `iss` (default: this one), printing `ceremony` (default: as it stands). The JWS needs only the
 * stored agreement and the version's history entry: with the ceremony's version it names the file,
 * so a cached certificate costs no replay of the history.
 */
export async function issue(stored: store.StoredAgreement, version: number, options: IssueOptions): Promise<{ bytes: Uint8Array; sha256: string; kid: string; ceremonyVersion: number }> {
  const file = await named(stored, version, options);
  return { ...(await renderNamed(stored, version, file)), kid: file.kid, ceremonyVersion: file.printed.version };
}

/** `asked`: the caller named the version (`?version=`), rather than taking the latest: a refusal names what it sent. */
type IssueOptions = { sign: (payload: CertificatePayload) => Promise<Signed>; iss?: string; ceremony?: Ceremony; asked?: boolean };
/** A payload's compact JWS, and the id of the key that signed it. */
export type Signed = { jws: string; kid: string };

/** The SHA-256 of the file issue() gives for these arguments: rendered only when this process has not rendered it before. */
export async function issuedDigest(stored: store.StoredAgreement, version: number, options: IssueOptions): Promise<string> {
  const file = await named(stored, version, options);
  return digests.get(file.name) ?? (await renderNamed(stored, version, file)).sha256;
}

/** What names a version's file (see issue()), and what it is made of. */
async function named(stored: store.StoredAgreement, version: number, { sign, iss = PUBLIC_BASE_URL, ceremony, asked = true }: IssueOptions) {
  const entry = entryOf(stored, version);
  if (!entry) {
    const { code, version: latest } = stored.agreement;
    if (version < 1 || version > latest) throw new NotFound(`Agreement ${code} has no version ${version}`, [{ path: 'version', message: `must be from 1 to ${latest}` }]);
    const bad = integrityOf(stored).firstBadVersion;
    throw new StateConflict(`The history of agreement ${code} does not check out from version ${bad} on (it was changed outside the registry): no certificate of version ${bad} or later is issued until it is restored`, [
      asked
        ? { path: 'version', message: bad === 1 ? 'names no version that can be certified while the history does not check out' : `must be below ${bad} while the history does not check out` }
        : { path: '', message: `names an agreement whose latest version, ${version}, cannot be certified while its history does not check out from version ${bad} on` },
    ]);
  }
  const printed = ceremony ?? (await ceremonyNow(stored.agreement));
  const payload = certificatePayloadOf(stored.agreement, entry, iss);
  const { jws, kid } = await sign(payload);
  // Named by what it prints: the ceremony's state, not only its version (a file rendered of a
  // ceremony edited behind the API must not stand for the genuine one once it is restored).
  return { name: `${jws}#${hashOf(printed)}`, kid, printed, payload, jws };
}

function renderNamed(stored: store.StoredAgreement, version: number, { name, printed, payload, jws }: Awaited<ReturnType<typeof named>>) {
  let file = rendered.get(name);
  if (!file) {
    file = render(stored, version, printed, jws, certificateLinks(payload, jws));
    rendered.set(name, file);
    file.then(({ sha256 }) => {
      digests.set(name, sha256);
      if (digests.size > DIGESTS_SIZE) digests.delete(digests.keys().next().value!);
    }, () => rendered.delete(name));
    if (rendered.size > CACHE_SIZE) rendered.delete(rendered.keys().next().value!);
  }
  return file;
}

/** Refuses (422) a certificate too large to hand out, instead of a gateway error. */
export function assertServable(bytes: Uint8Array, code: string): void {
  if (bytes.length <= MAX_CERTIFICATE_BYTES) return;
  throw new RuleViolation(`The certificate of ${code} would be ${(bytes.length / 1024 / 1024).toFixed(1)} MB, more than the ${MAX_CERTIFICATE_BYTES / 1024 / 1024} MB a certificate may take: its names and titles use too many distinct characters to embed`, [
    { path: '', message: `must render to at most ${MAX_CERTIFICATE_BYTES} bytes` },
  ]);
}

async function render(stored: store.StoredAgreement, version: number, ceremony: Ceremony, jws: string, links: ReturnType<typeof certificateLinks>): Promise<{ bytes: Uint8Array; sha256: string }> {
  const agreement = replay(stored.agreement, stored.history, version)!;
  assertPrintable(agreement, ceremony);
  const bytes = await renderCertificate({ agreement, ceremony, jws, ...links }, ({ undrawable }) => {
    // Still a valid certificate, but with empty boxes where those characters go: tell operators.
    if (undrawable.length > 0) {
      log.warn('certificate has characters no bundled font can draw', { agreementId: agreement.id, version, count: undrawable.length, characters: undrawable.slice(0, 100) });
    }
  });
  assertServable(bytes, agreement.code);
  return { bytes, sha256: sha256Hex(bytes) };
}
