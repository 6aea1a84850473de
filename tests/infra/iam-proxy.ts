/**
 * A DynamoDB endpoint that enforces one function's IAM policy, as AWS would, before handing the
 * call to dynalite: the action (X-Amz-Target) must be allowed by a statement, and a statement's
 * `dynamodb:LeadingKeys` condition must hold for the partition key the call writes or reads.
 * A refused call gets AWS's AccessDeniedException. It also notes every action the function
 * used, so a test can show that no grant is wider than the code needs.
 */
import { createServer, request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Statement { Effect: string; Action: string | string[]; Resource: unknown; Condition?: Record<string, Record<string, string[]>> }

export interface IamProxy {
  url: string;
  /** DynamoDB actions the function called and was allowed, e.g. `dynamodb:PutItem`. */
  used: Set<string>;
  /** Calls refused, as `action pk`. */
  denied: string[];
  close(): Promise<void>;
}

const asArray = <T>(x: T | T[]) => (Array.isArray(x) ? x : [x]);

/** IAM's StringLike: `*` any run of characters, `?` one. */
const like = (pattern: string, value: string) =>
  new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`).test(value);

/** The partition key a single-item call touches (undefined for Query and batch calls). */
function partitionKey(body: { Item?: { pk?: { S?: string } }; Key?: { pk?: { S?: string } } }): string | undefined {
  return body.Item?.pk?.S ?? body.Key?.pk?.S;
}

function allows(statement: Statement, action: string, pk: string | undefined): boolean {
  if (statement.Effect !== 'Allow' || !asArray(statement.Action).includes(action)) return false;
  for (const [operator, conditions] of Object.entries(statement.Condition ?? {})) {
    for (const [key, patterns] of Object.entries(conditions)) {
      // Only the condition this project uses; any other makes the statement not apply.
      if (operator !== 'ForAllValues:StringLike' || key !== 'dynamodb:LeadingKeys') return false;
      if (pk === undefined || !patterns.some((p) => like(p, pk))) return false;
    }
  }
  return true;
}

const readAll = async (req: IncomingMessage) => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};

export async function startIamProxy(dynamoUrl: string, statements: Statement[]): Promise<IamProxy> {
  const target = new URL(dynamoUrl);
  const used = new Set<string>();
  const denied: string[] = [];
  const server = createServer(async (req, res) => {
    const body = await readAll(req);
    const action = `dynamodb:${String(req.headers['x-amz-target'] ?? '').split('.')[1]}`;
    const pk = partitionKey(JSON.parse(body.toString('utf8') || '{}'));
    if (!statements.some((st) => allows(st, action, pk))) {
      denied.push(`${action} ${pk ?? ''}`.trim());
      return res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' })
        .end(JSON.stringify({ __type: 'com.amazon.coral.service#AccessDeniedException', message: `not authorized to perform: ${action}` }));
    }
    used.add(action);
    const forward = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (upstream) => {
      res.writeHead(upstream.statusCode ?? 500, upstream.headers);
      upstream.pipe(res);
    });
    forward.on('error', () => res.writeHead(502).end());
    forward.end(body);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    used,
    denied,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}
