/**
 * The signing-key secret's value: `{"keys":[{kid, privateKeyPem}]}`, the first key current, the
 * others kept so older certificates still verify. Only the custom resource writes it.
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import * as z from 'zod';

export const keySet = z.object({
  keys: z.array(z.object({ kid: z.string().min(1), privateKeyPem: z.string().startsWith('-----BEGIN PRIVATE KEY-----') })),
});
export type KeySet = z.infer<typeof keySet>;

/** True when the secret still holds the placeholder CloudFormation created (or anything without keys). */
export function holdsNoKeys(secretString: string | undefined): boolean {
  try {
    const parsed = keySet.safeParse(JSON.parse(secretString ?? ''));
    return !parsed.success || parsed.data.keys.length === 0;
  } catch {
    return true;
  }
}

/** A fresh Ed25519 key; the kid is derived from the public key, so it names the key, not a date. */
export function newKeySet(): KeySet {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const kid = `ed25519-${createHash('sha256').update(spki).digest('base64url').slice(0, 16)}`;
  return { keys: [{ kid, privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() }] };
}
