/**
 * The certificate signing keys: the key ring is the secret SIGNING_KEY_SECRET_ARN names (read as
 * secrets.ts reads every secret), `{"keys":[{"privateKeyPem": "..."}]}`; the first key signs, all of
 * them verify, so certificates stay verifiable across a key rotation. Only the function that signs
 * reads it, and publishes its public keys (./published-keys.ts) before any of them signs.
 */
import { keyRingOf, type SigningKey } from '#shared/certificate/signature.ts';
import { isPublished, publishKeys } from './published-keys.ts';
import { secretNamedBy } from './secrets.ts';

/**
 * All keys, current first, published before they are handed out. A failed first load or
 * publication (or a secret still holding its placeholder) is retried on the next call, not cached;
 * when a reload fails, the ring loaded before stays in use and the reload is tried again
 * SECRET_RETRY_MS later (secrets.ts). A ring older than the one published is not published; it is
 * handed out only if its first key, the one that signs, is among the published keys: a certificate
 * it signed would not verify otherwise.
 */
export const signingKeys = (): Promise<SigningKey[]> => secretNamedBy('SIGNING_KEY_SECRET_ARN', async (value, version) => {
  const ring = keyRingOf(value);
  if (!(await publishKeys(ring, version)) && !(await isPublished(ring[0]!.kid))) {
    throw new Error(`the signing key ${ring[0]!.kid} is not published: a later version of the key ring is (make the ring current as a new version of the secret)`);
  }
  return ring;
});
