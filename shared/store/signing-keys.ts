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

/** All keys, current first. A failed load (or a secret still holding its placeholder) is retried on the next call, not cached. */
export const signingKeys = (): Promise<SigningKey[]> =>
  secretNamedBy('SIGNING_KEY_SECRET_ARN', (value) => secret.parse(JSON.parse(value)).keys.map((k) => signingKey(k.privateKeyPem)));
