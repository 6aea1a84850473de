/**
 * The signing-key secret's value: `{"keys":[{kid, privateKeyPem}]}`, the first key current, the
 * others kept so older certificates still verify. Only the custom resource writes it.
 */
import { generateKeyPairSync } from 'node:crypto';
import { signingKey } from '#shared/certificate/signature.ts';
import * as z from 'zod';

export const keySet = z.object({
  keys: z.array(z.object({ kid: z.string().min(1), privateKeyPem: z.string().startsWith('-----BEGIN PRIVATE KEY-----') })),
});
export type KeySet = z.infer<typeof keySet>;

/**
 * True only when the secret holds CloudFormation's placeholder, an object whose `keys` is empty.
 * Anything else is kept as it is, even a value this code cannot read: overwriting a key ring would
 * make every certificate signed with it unverifiable, while a broken one fails loudly at run time.
 */
export function holdsNoKeys(secretString: string | undefined): boolean {
  try {
    const value: unknown = JSON.parse(secretString ?? '');
    return typeof value === 'object' && value !== null && Array.isArray((value as { keys?: unknown }).keys) && (value as { keys: unknown[] }).keys.length === 0;
  } catch {
    return false;
  }
}

/** A fresh Ed25519 key. Its kid is the RFC 7638 thumbprint the JWKS publishes (informational here). */
export function newKeySet(): KeySet {
  const { privateKey } = generateKeyPairSync('ed25519');
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return { keys: [{ kid: signingKey(privateKeyPem).kid, privateKeyPem }] };
}
