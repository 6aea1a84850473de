/**
 * Secrets from AWS Secrets Manager, named by an environment variable holding the secret's ARN and
 * read at cold start and every few minutes after: never from the environment itself, where anyone who may read a
 * function's configuration would see them. The local server serves the same secrets from its data
 * dir through the SDK's own endpoint override (AWS_ENDPOINT_URL_SECRETS_MANAGER).
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod';

// A read that hangs must not hold a request up to the function's timeout: it fails and is tried
// again (socketTimeout: a socket silent that long; requestTimeout would only log a warning).
let client: SecretsManagerClient | undefined;
const secretsManager = () => (client ??= new SecretsManagerClient({ requestHandler: { connectionTimeout: 2000, socketTimeout: 5000 } }));

/**
 * How long a secret is used before it is read again: a rotated signing key ring or cursor key
 * reaches warm functions within this, without a redeploy.
 */
export const SECRET_REFRESH_MS = 5 * 60_000;
/** After a failed refresh, the last good value serves this long before the next attempt. */
export const SECRET_RETRY_MS = 30_000;

interface Loaded { value: Promise<unknown>; at: number; refreshing?: Promise<unknown> }
const loaded = new Map<string, Loaded>();

/** Which version of a secret a value is: Secrets Manager's version id, and when that version was made (ms since the epoch). */
export interface SecretVersion { versionId: string; createdAt: number }

/** What makes a secret's value usable; it may refuse one (throw), and may be async. */
export type SecretUse<T> = (secretString: string, version: SecretVersion) => T | Promise<T>;

/** The secret whose ARN is in `arnVariable`, as it stands now, made usable by `use`. */
async function readSecret<T>(arnVariable: string, use: SecretUse<T>): Promise<T> {
  const secretId = z.string().min(1, `${arnVariable} must name a secret`).parse(process.env[arnVariable]);
  const out = await secretsManager().send(new GetSecretValueCommand({ SecretId: secretId }));
  const value = z.string().min(1, `the secret in ${arnVariable} is empty`).parse(out.SecretString);
  return use(value, { versionId: out.VersionId ?? '', createdAt: out.CreatedDate?.getTime() ?? 0 });
}

/**
 * The secret whose ARN is in `arnVariable`, read and made usable by `use`, then kept for
 * SECRET_REFRESH_MS. The first read is awaited; a failed one, or a value `use` refuses (a
 * placeholder not yet filled), is not kept, so the next call reads again. After that, the last good
 * value answers at once while one refresh runs behind it; a failed refresh keeps it for
 * SECRET_RETRY_MS more.
 */
export function secretNamedBy<T>(arnVariable: string, use: SecretUse<T>): Promise<T> {
  const last = loaded.get(arnVariable);
  if (!last) {
    const entry: Loaded = { value: readSecret(arnVariable, use), at: Date.now() };
    loaded.set(arnVariable, entry);
    entry.value.catch(() => loaded.get(arnVariable) === entry && loaded.delete(arnVariable));
    return entry.value as Promise<T>;
  }
  if (Date.now() - last.at >= SECRET_REFRESH_MS && !last.refreshing) {
    last.refreshing = readSecret(arnVariable, use).then(
      (value) => loaded.set(arnVariable, { value: Promise.resolve(value), at: Date.now() }),
      () => loaded.set(arnVariable, { value: last.value, at: Date.now() - SECRET_REFRESH_MS + SECRET_RETRY_MS }),
    );
  }
  return last.value as Promise<T>;
}
