/**
 * A local stand-in for AWS Secrets Manager's GetSecretValue, serving the certificate signing key
 * ring and the list-cursor key from the data dir (generated on first start, mode 0600). The
 * handlers use the real SDK client, pointed here by AWS_ENDPOINT_URL_SECRETS_MANAGER, exactly as
 * they read the real secrets on AWS; like it, this answers only requests signed with the
 * server's credentials (./aws-auth.ts).
 */
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { SecretVersion } from '#shared/store/secrets.ts';
import { keyRingOf } from '#shared/certificate/signature.ts';
import { newKeySet } from '../signing-key/key-set.ts';
import { requireSignedRequests, type LocalCredentials } from './aws-auth.ts';
import { createOnce, readChecked } from './data-files.ts';
import { loadSecret } from './jwt.ts';

export const SIGNING_KEY_SECRET_ARN = 'arn:aws:secretsmanager:local:000000000000:secret:concord/signing-key';
export const CURSOR_KEY_SECRET_ARN = 'arn:aws:secretsmanager:local:000000000000:secret:concord/cursor-key';

/** A secret as the stand-in serves it: its value, and which version that is (its digest, and when its file last changed). */
export interface LocalSecret { value: string; version: SecretVersion }
const localSecret = (value: string, file: string): LocalSecret =>
  ({ value, version: { versionId: createHash('sha256').update(value).digest('hex').slice(0, 32), createdAt: Math.floor(statSync(file).mtimeMs) } });

/** The key ring file, the secret's own format (`{"keys":[{kid, privateKeyPem}]}`), created once with a new Ed25519 key. */
export function loadKeyRing(dataDir: string): LocalSecret {
  const file = join(dataDir, 'signing-keys.json');
  if (!existsSync(file)) createOnce(file, `${JSON.stringify(newKeySet(), null, 2)}\n`);
  // As the functions read it: a ring they could not sign with is refused here, with a message.
  const loads = (text: string) => { try { return keyRingOf(text).length > 0; } catch { return false; } };
  return localSecret(readChecked(file, (text) => (loads(text) ? text : undefined), 'a key ring: {"keys":[{"kid", "privateKeyPem"}]}'), file);
}

/** The data dir's secrets, read (and made, whole, when missing) once: the signing key ring and the list-cursor key. */
export interface LocalSecrets { keyRing: LocalSecret; cursorKey: LocalSecret }
export const loadLocalSecrets = (dataDir: string): LocalSecrets =>
  ({ keyRing: loadKeyRing(dataDir), cursorKey: localSecret(loadSecret(dataDir, 'cursor-secret').toString('hex'), join(dataDir, 'cursor-secret')) });

export async function startSecretsStub({ keyRing, cursorKey }: LocalSecrets, credentials: LocalCredentials): Promise<{ endpoint: string; server: Server }> {
  // By ARN, and by name (the ARN's last part), as Secrets Manager finds them.
  const secrets = new Map<string, LocalSecret>();
  for (const [arn, secret] of [[SIGNING_KEY_SECRET_ARN, keyRing], [CURSOR_KEY_SECRET_ARN, cursorKey]] as const) {
    secrets.set(arn, secret).set(arn.slice(arn.lastIndexOf(':') + 1), secret);
  }
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const reply = (status: number, body: object) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(body));
      };
      let secretId: unknown;
      try {
        secretId = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { SecretId?: unknown }).SecretId;
      } catch {
        secretId = undefined;
      }
      if (req.headers['x-amz-target'] !== 'secretsmanager.GetSecretValue') {
        return reply(400, { __type: 'UnknownOperationException', message: 'Only GetSecretValue is served locally' });
      }
      const secret = typeof secretId === 'string' ? secrets.get(secretId) : undefined;
      if (secret === undefined) {
        return reply(400, { __type: 'ResourceNotFoundException', message: `Secrets Manager can't find the specified secret: ${String(secretId)}` });
      }
      // CreatedDate in seconds, as Secrets Manager's JSON protocol sends timestamps.
      const { value, version } = secret;
      return reply(200, { ARN: secretId, Name: secretId, SecretString: value, VersionId: version.versionId, VersionStages: ['AWSCURRENT'], CreatedDate: version.createdAt / 1000 });
    });
  });
  // Others are refused with a 403, in Secrets Manager's error shape.
  requireSignedRequests(server, 'secretsmanager', credentials, (res, { type, message }) => {
    res.writeHead(403, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify({ __type: type, message }));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}
