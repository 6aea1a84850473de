/**
 * A DynamoDB endpoint that enforces one function's IAM policy before handing the call to
 * dynalite: some Allow statement must name the action (X-Amz-Target) and every resource the call
 * touches (the table, or `table/<name>/index/<index>` for an index query), and must satisfy its
 * `dynamodb:LeadingKeys` condition for every partition key the call writes or reads. A refused
 * call gets AWS's AccessDeniedException. It also notes every action the function used, so a test
 * can show that no grant is wider than the code needs. A call DynamoDB itself would refuse and
 * dynalite would take (an empty key value) gets DynamoDB's ValidationException.
 *
 * Stricter than AWS in one place: where the proxy cannot see a call's partition keys (a Query's
 * key condition), a LeadingKeys statement does not apply. This project scopes only writes (PutItem,
 * UpdateItem, DeleteItem), whose keys are always visible.
 */
import { createServer, request } from 'node:http';
import { asArray, listenLocally, readAll } from './local-endpoint.ts';
import { dynamoRefusal } from '../support/dynamo-fidelity.ts';

export interface Statement { Effect: string; Action: string | string[]; Resource: unknown; Condition?: Record<string, Record<string, string | string[]>> }

export interface IamProxy {
  url: string;
  /** DynamoDB actions the function called and was allowed, e.g. `dynamodb:PutItem`. */
  used: Set<string>;
  /** Calls refused, as `action resource pk...`. */
  denied: string[];
  close(): Promise<void>;
}

/** IAM's StringLike: `*` any run of characters, `?` one. */
const like = (pattern: string, value: string) =>
  new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`).test(value);

/** A template Resource as an ARN pattern: pseudo parameters (partition, region, account) match anything. */
function resourcePattern(resource: unknown): string {
  if (typeof resource === 'string') return resource;
  const join = (resource as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (join) return join[1].map((part) => (typeof part === 'string' ? part : '*')).join(join[0]);
  throw new Error(`iam-proxy: cannot read resource ${JSON.stringify(resource)}`);
}

interface Call { action: string; resources: string[]; keys: string[] | undefined }

type Body = {
  TableName?: string; IndexName?: string;
  Item?: { pk?: { S?: string } }; Key?: { pk?: { S?: string } };
  RequestItems?: Record<string, { Keys?: { pk?: { S?: string } }[] }>;
};

/** What a call touches: its resources as ARNs, and its partition keys (undefined where not visible). */
function callOf(target: string, body: Body): Call {
  const table = (name: string) => `arn:aws:dynamodb:local:000000000000:table/${name}`;
  const action = `dynamodb:${target.split('.')[1] ?? ''}`;
  if (body.RequestItems) {
    const tables = Object.entries(body.RequestItems);
    return { action, resources: tables.map(([name]) => table(name)), keys: tables.flatMap(([, r]) => (r.Keys ?? []).map((k) => k.pk?.S ?? '')) };
  }
  const name = body.TableName ?? '';
  const pk = body.Item?.pk?.S ?? body.Key?.pk?.S;
  return { action, resources: [body.IndexName ? `${table(name)}/index/${body.IndexName}` : table(name)], keys: pk === undefined ? undefined : [pk] };
}

function allows(statement: Statement, call: Call): boolean {
  if (statement.Effect !== 'Allow' || !asArray(statement.Action).includes(call.action)) return false;
  const patterns = asArray(statement.Resource).map(resourcePattern);
  if (!call.resources.every((r) => patterns.some((p) => like(p, r)))) return false;
  for (const [operator, conditions] of Object.entries(statement.Condition ?? {})) {
    for (const [key, values] of Object.entries(conditions)) {
      // Only the condition this project uses; any other makes the statement not apply.
      if (operator !== 'ForAllValues:StringLike' || key !== 'dynamodb:LeadingKeys' || call.keys === undefined) return false;
      if (!call.keys.every((k) => asArray(values).some((p) => like(p, k)))) return false;
    }
  }
  return true;
}

export async function startIamProxy(dynamoUrl: string, statements: Statement[]): Promise<IamProxy> {
  const target = new URL(dynamoUrl);
  const used = new Set<string>();
  const denied: string[] = [];
  const server = createServer(async (req, res) => {
    const body = await readAll(req);
    let call: Call;
    try {
      call = callOf(String(req.headers['x-amz-target'] ?? ''), JSON.parse(body.toString('utf8') || '{}') as Body);
    } catch {
      return res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' }).end(JSON.stringify({ __type: 'com.amazon.coral.validate#SerializationException' }));
    }
    const { action } = call;
    if (!statements.some((st) => allows(st, call))) {
      denied.push([action, ...call.resources, ...(call.keys ?? [])].join(' '));
      return res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' })
        .end(JSON.stringify({ __type: 'com.amazon.coral.service#AccessDeniedException', message: `not authorized to perform: ${action}` }));
    }
    // What DynamoDB itself refuses and dynalite would take (an empty key value).
    const refusal = dynamoRefusal(`${String(req.headers['x-amz-target']).split('.')[1]}Command`, JSON.parse(body.toString('utf8') || '{}'));
    if (refusal) {
      return res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' })
        .end(JSON.stringify({ __type: 'com.amazon.coral.validate#ValidationException', message: refusal }));
    }
    used.add(action);
    const forward = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (upstream) => {
      res.writeHead(upstream.statusCode ?? 500, upstream.headers);
      upstream.pipe(res);
    });
    forward.on('error', () => res.writeHead(502).end());
    forward.end(body);
  });
  return { ...(await listenLocally(server)), used, denied };
}
