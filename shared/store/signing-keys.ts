/**
 * The certificate signing keys, from the secret SIGNING_KEY_SECRET_ARN names (read as secrets.ts
 * reads every secret). It holds `{"keys":[{"privateKeyPem": "..."}]}`: the first key signs, all of
 * them verify, so certificates stay verifiable across a key rotation.
 */
import * as z from 'zod';
import { signingKey, type SigningKey } from '#shared/certificate/signature.ts';
import { secretNamedBy } from './secrets.ts';

const secret = z.object({ keys: z.array(z.object({ privateKeyPem: z.string().min(1) })).min(1) });

/** The keys of a key ring secret's value, current first; throws unless it holds at least one key that loads. */
export const keyRingOf = (value: string): SigningKey[] => secret.parse(JSON.parse(value)).keys.map((k) => signingKey(k.privateKeyPem));

/** All keys, current first. A failed load (or a secret still holding its placeholder) is retried on the next call, not cached. */
export const signingKeys = (): Promise<SigningKey[]> => secretNamedBy('SIGNING_KEY_SECRET_ARN', keyRingOf);
