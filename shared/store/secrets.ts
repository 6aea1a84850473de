/**
 * Secrets from AWS Secrets Manager, named by an environment variable holding the secret's ARN and
 * read once per cold start: never from the environment itself, where anyone who may read a
 * function's configuration would see them. The local server serves the same secrets from its data
 * dir through the SDK's own endpoint override (AWS_ENDPOINT_URL_SECRETS_MANAGER).
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod';

let client: SecretsManagerClient | undefined;
const loaded = new Map<string, Promise<unknown>>();

/**
 * The secret whose ARN is in `arnVariable`, read and made usable by `use` once per cold start.
 * A failed read, or a value `use` refuses (a placeholder not yet filled), is not kept: the next
 * call reads the secret again.
 */
export function secretNamedBy<T>(arnVariable: string, use: (secretString: string) => T): Promise<T> {
  let value = loaded.get(arnVariable) as Promise<T> | undefined;
  if (!value) {
    value = (async () => {
      const secretId = z.string().min(1, `${arnVariable} must name a secret`).parse(process.env[arnVariable]);
      const out = await (client ??= new SecretsManagerClient({})).send(new GetSecretValueCommand({ SecretId: secretId }));
      return use(z.string().min(1, `the secret in ${arnVariable} is empty`).parse(out.SecretString));
    })();
    loaded.set(arnVariable, value);
    value.catch(() => loaded.delete(arnVariable));
  }
  return value;
}
