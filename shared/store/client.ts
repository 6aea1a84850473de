/**
 * The one DynamoDB document client, created at module load and reused by every invocation.
 * Configuration comes from the environment, parsed once: a bad config fails the cold start.
 * The endpoint is the SDK's own AWS_ENDPOINT_URL_DYNAMODB, so the local server points this
 * same code at dynalite without any branch here.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';

const env = z
  .object({ TABLE_NAME: z.string().min(1, 'TABLE_NAME must name the registry table') })
  .parse(process.env);

export const tableName = env.TABLE_NAME;

/**
 * A connection that hangs must not hold a request up to the function's timeout (10 s, 28 s): a
 * connect that takes over `connectionTimeout`, or a socket silent for `socketTimeout` once it has
 * one (DynamoDB answers in milliseconds, and a large answer streams), fails, and the SDK tries it
 * again, three attempts in all, most often all within a 10 s function. A write retried after its
 * first attempt did land is safe: it then fails its condition, and the registry recognises its own
 * write by the token it wrote with (shared/registry) and answers as if the first attempt had.
 * `connectionTimeout` runs from the call's start, its wait for a free socket of the pool (50)
 * included: at 1 s, a burst of calls in one process (the local server; a 50-party agreement's links)
 * failed as 503s while queued. `requestTimeout` is not used: without throwOnRequestTimeout it only
 * logs a warning. (Locally, a process busy for longer than `socketTimeout`, rendering a large
 * certificate cold, can time out a call whose answer already arrived: the SDK sends it again.)
 */
const DYNAMO_HTTP = { connectionTimeout: 5000, socketTimeout: 3000 } as const;

export const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient({ requestHandler: DYNAMO_HTTP }), {
  marshallOptions: { removeUndefinedValues: true },
});
