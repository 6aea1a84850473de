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

export async function startFakeAws(): Promise<FakeAws> {
  const secrets = new Map<string, string>();
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
      return reply(200, { ARN: SecretId, VersionId: 'v2' });
    }
    if (action === 'GetSecretValue' && secrets.has(SecretId)) return reply(200, { ARN: SecretId, SecretString: secrets.get(SecretId), VersionId: 'v1' });
    return reply(400, { __type: 'ResourceNotFoundException', message: `${action} ${SecretId}: not faked` });
  });
  return { ...(await listenLocally(server)), secrets, cfnResponses };
}
