/**
 * Stand-ins for the two AWS endpoints the bundles talk to besides DynamoDB (dynalite): Secrets
 * Manager (GetSecretValue / PutSecretValue, in memory) and CloudFormation's pre-signed response
 * URL for custom resources. Enough protocol for the SDK's awsJson1_1 client, nothing more.
 */
import { createServer } from 'node:http';
import { listenLocally, readAll } from './local-endpoint.ts';

export interface FakeAws {
  url: string;
  secrets: Map<string, string>;
  /** Bodies CloudFormation would have received, by request path. */
  cfnResponses: Map<string, unknown>;
  close(): Promise<void>;
}

/** Secrets by id; each value set is a new version, made later than the one before (as Secrets Manager's CreatedDate orders them). */
class Secrets extends Map<string, string> {
  readonly versions = new Map<string, { versionId: string; createdAt: number }>();
  private made = 0;
  private last = 0;

  override set(id: string, value: string): this {
    this.last = Math.max(Date.now(), this.last + 1);
    this.versions?.set(id, { versionId: `v${String(++this.made).padStart(6, '0')}`, createdAt: this.last });
    return super.set(id, value);
  }
}

export async function startFakeAws(): Promise<FakeAws> {
  const secrets = new Secrets();
  const cfnResponses = new Map<string, unknown>();
  const server = createServer(async (req, res) => {
    const body = (await readAll(req)).toString('utf8');
    if (req.method === 'PUT') {
      cfnResponses.set(req.url ?? '/', JSON.parse(body));
      return res.writeHead(200).end();
    }
    const action = String(req.headers['x-amz-target'] ?? '').replace('secretsmanager.', '');
    const { SecretId, SecretString } = JSON.parse(body || '{}') as { SecretId: string; SecretString?: string };
    const reply = (status: number, json: object) => res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(json));
    if (action === 'PutSecretValue') {
      secrets.set(SecretId, SecretString ?? '');
      return reply(200, { ARN: SecretId, VersionId: secrets.versions.get(SecretId)!.versionId });
    }
    if (action === 'GetSecretValue' && secrets.has(SecretId)) {
      const { versionId, createdAt } = secrets.versions.get(SecretId)!;
      return reply(200, { ARN: SecretId, SecretString: secrets.get(SecretId), VersionId: versionId, CreatedDate: createdAt / 1000 });
    }
    return reply(400, { __type: 'ResourceNotFoundException', message: `${action} ${SecretId}: not faked` });
  });
  return { ...(await listenLocally(server)), secrets, cfnResponses };
}
