/**
 * Stand-ins for the two AWS endpoints the bundles talk to besides DynamoDB (dynalite): Secrets
 * Manager (GetSecretValue / PutSecretValue, in memory) and CloudFormation's pre-signed response
 * URL for custom resources. Enough protocol for the SDK's awsJson1_1 client, nothing more.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeAws {
  url: string;
  secrets: Map<string, string>;
  /** Bodies CloudFormation would have received, by request path. */
  cfnResponses: Map<string, unknown>;
  close(): Promise<void>;
}

const readAll = async (req: IncomingMessage) => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

export async function startFakeAws(): Promise<FakeAws> {
  const secrets = new Map<string, string>();
  const cfnResponses = new Map<string, unknown>();
  const server = createServer(async (req, res) => {
    const body = await readAll(req);
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
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    secrets,
    cfnResponses,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}
