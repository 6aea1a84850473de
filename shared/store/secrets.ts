/**
 * Secrets from AWS Secrets Manager, named by an environment variable holding the secret's ARN and
 * read at cold start and every few minutes after: never from the environment itself, where anyone who may read a
 * function's configuration would see them. The local server serves the same secrets from its data
 * dir through the SDK's own endpoint override (AWS_ENDPOINT_URL_SECRETS_MANAGER).
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod';

let client: SecretsManagerClient | undefined;

/**
 * How long a secret is used before it is read again: a rotated signing key ring or cursor key
 * reaches warm functions within this, without a redeploy.
 */
export const SECRET_REFRESH_MS = 5 * 60_000;

interface Loaded { value: Promise<unknown>; at: number }
const loaded = new Map<string, Loaded>();

async function read<T>(arnVariable: string, use: (secretString: string) => T): Promise<T> {
  const secretId = z.string().min(1, `${arnVariable} must name a secret`).parse(process.env[arnVariable]);
  const out = await (client ??= new SecretsManagerClient({})).send(new GetSecretValueCommand({ SecretId: secretId }));
  return use(z.string().min(1, `the secret in ${arnVariable} is empty`).parse(out.SecretString));
}

/**
 * The secret whose ARN is in `arnVariable`, read and made usable by `use`, then kept for
 * SECRET_REFRESH_MS. A failed read, or a value `use` refuses (a placeholder not yet filled), is not
 * kept: the next call reads the secret again. While a refresh fails, the last good value serves.
 */
export function secretNamedBy<T>(arnVariable: string, use: (secretString: string) => T): Promise<T> {
  const last = loaded.get(arnVariable);
  if (last && Date.now() - last.at < SECRET_REFRESH_MS) return last.value as Promise<T>;
  const fresh = read(arnVariable, use);
  const entry: Loaded = { value: last ? fresh.catch(() => last.value) : fresh, at: Date.now() };
  loaded.set(arnVariable, entry);
  fresh.catch(() => {
    // Tried again on the next call: the last good value, still due for a refresh, or nothing.
    if (loaded.get(arnVariable) !== entry) return;
    if (last) loaded.set(arnVariable, last);
    else loaded.delete(arnVariable);
  });
  return entry.value as Promise<T>;
}
