/**
 * The certificate signing keys, from AWS Secrets Manager (SIGNING_KEY_SECRET_ARN), read once per
 * cold start. The secret holds `{"keys":[{"privateKeyPem": "..."}]}`: the first key signs, all of
 * them verify (so certificates stay verifiable across a key rotation). The private key never sits
 * in code, in the template or in the environment. The local server serves the same secret from
 * its data dir through the SDK's own endpoint override (AWS_ENDPOINT_URL_SECRETS_MANAGER).
 */
import * as z from 'zod';
import { signingKey, type SigningKey } from '#shared/certificate/signature.ts';
import { secretNamedBy } from './secrets.ts';

const secret = z.object({ keys: z.array(z.object({ privateKeyPem: z.string().min(1) })).min(1) });

let ring: Promise<SigningKey[]> | undefined;

async function load(): Promise<SigningKey[]> {
  return secret.parse(JSON.parse(await secretNamedBy('SIGNING_KEY_SECRET_ARN'))).keys.map((k) => signingKey(k.privateKeyPem));
}

/** All keys, current first. A failed load is retried on the next call, not cached. */
export function signingKeys(): Promise<SigningKey[]> {
  ring ??= load().catch((error: unknown) => {
    ring = undefined;
    throw error;
  });
  return ring;
}
