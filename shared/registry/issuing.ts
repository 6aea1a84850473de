/**
 * Issuing certificates: GET /agreements/{id}/certificate.pdf. The one place that signs, with the
 * current key of the ring (shared/store/signing-keys.ts): verification (./verification.ts, which
 * re-renders with ./certificates.ts) holds no private key, and the verify function's bundle does
 * not carry this module.
 */
import { NotFound, Unavailable } from '#shared/domain/errors.ts';
import type { Principal } from '#shared/domain/principal.ts';
import { signPayload, type CertificatePayload } from '#shared/certificate/signature.ts';
import { recordIssuedCertificate } from '#shared/store/certificates.ts';
import { isPublished } from '#shared/store/published-keys.ts';
import { signingKeys } from '#shared/store/signing-keys.ts';
import { log } from '#shared/log.ts';
import { entryOf, loadSigned, visibleTo } from './agreements.ts';
import { issue, PUBLIC_BASE_URL, type Signed } from './certificates.ts';

/**
 * Signs with the current key, only while it is published: an instance still holding a ring from
 * before a key was taken out of it (say, one that leaked) would otherwise go on handing out
 * certificates that check as `invalid` until it reads the ring again (5 minutes). Refused, it
 * answers 503 until then. The published keys are read for each signing, not taken from the copy
 * verification keeps a minute (or keeps while reads fail): that copy would still list the key for
 * up to a minute after another instance published the ring without it.
 */
async function signNow(payload: CertificatePayload): Promise<Signed> {
  const key = (await signingKeys())[0]!;
  if (!(await isPublished(key.kid))) {
    log.error('the current signing key is not published: not signing until the key ring is read again', { kid: key.kid });
    throw new Unavailable(`signing key ${key.kid} is not published`);
  }
  return { jws: signPayload(payload, key), kid: key.kid };
}

/** Digests this process has already recorded: a popular certificate costs one write, not one per download. */
const recorded = new Set<string>();

/** Version numbers as ranges: "1-3, 5". */
const ranges = (versions: number[]) => versions
  .reduce<[number, number][]>((runs, v) => { const last = runs.at(-1); if (last && last[1] === v - 1) last[1] = v; else runs.push([v, v]); return runs; }, [])
  .map(([from, to]) => (from === to ? `${from}` : `${from}-${to}`)).join(', ');

export async function certificateFor(id: string, version: number | undefined, principal: Principal) {
  // A partner gets the versions its party is on: not one from before it joined (an earlier
  // version's parties and terms are history, which partners do not read), but those it signed
  // before an amendment took it off.
  const { stored, versions } = await loadSigned(id, principal);
  const v = version ?? stored.agreement.version;
  // The latest version is a party's without a replay of the history. A version whose history does
  // not check out has no parties to tell: issue() refuses it (409), as for staff; one that does not
  // exist, issue() refuses too (404).
  const listed = v === stored.agreement.version && visibleTo(stored.agreement, principal) ? undefined : versions();
  if (listed && !listed.includes(v) && entryOf(stored, v)) {
    const which = version === undefined ? `The latest version (${v})` : `Version ${v}`;
    throw new NotFound(`${which} of agreement ${stored.agreement.code} does not list your party`, [{ path: 'version', message: `must be a version that lists your party (${ranges(listed)})` }]);
  }
  const { bytes, sha256, kid, ceremonyVersion } = await issue(stored, v, { sign: signNow, asked: version !== undefined });
  const { id: agreementId, code } = stored.agreement;
  // On record before it leaves: every file handed out stays verifiable, whatever later renders produce.
  if (!recorded.has(sha256)) {
    await recordIssuedCertificate({ sha256, agreementId, version: v, kid, bytes: bytes.length, firstIssuedAt: new Date().toISOString(), iss: PUBLIC_BASE_URL, ceremonyVersion });
    if (recorded.size >= 1000) recorded.clear();
    recorded.add(sha256);
  }
  return { bytes, etag: sha256, filename: `concord-${code}-v${v}.pdf` };
}
