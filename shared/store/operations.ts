/** Building blocks every store module uses: conditional writes and batched reads. */
import { setTimeout as delay } from 'node:timers/promises';
import { ConditionalCheckFailedException, DynamoDBServiceException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, GetCommand, QueryCommand, type BatchGetCommandOutput } from '@aws-sdk/lib-dynamodb';
import type * as z from 'zod';
import { RuleViolation, Unavailable } from '#shared/domain/errors.ts';
import { log } from '#shared/log.ts';
import { dynamo, tableName } from './client.ts';
import type { Key } from './keys.ts';

/** DynamoDB's 400 KB item limit (no modeled error class: a ValidationException with this message). */
const ITEM_TOO_LARGE = /size .*exceeded the maximum allowed size/i;

/** DynamoDB's limit on one item. */
export const ITEM_LIMIT = 400 * 1024;
/** Keys, type, version, request hash, tokens and a ceremony's seal (about 650 bytes): what an item holds besides its record and history. */
const ITEM_OVERHEAD = 1024;

/**
 * An upper estimate of the size of an item holding `attributes` (with ITEM_OVERHEAD for the rest):
 * their JSON, which spends more bytes than DynamoDB on every named attribute and list element
 * (DynamoDB counts a byte or so more only for a one-digit number or an empty container, far fewer
 * than the quotes, colons and commas JSON adds).
 */
export const itemBytes = (attributes: Record<string, unknown>) => Buffer.byteLength(JSON.stringify(attributes)) + ITEM_OVERHEAD;

/** A stored item that does not fit its schema (see parseStored): a 500 to the caller. */
export class DamagedItem extends Error {
  override name = 'DamagedItem';
}

/**
 * What an item holds, read by its schema (`what`: its key, or its kind where the read returns no
 * key). One that does not fit was changed outside the registry, or restored wrong: said as an
 * integrity event naming the fields at fault (not their values), then thrown.
 */
export function parseStored<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const fields = [...new Set(parsed.error.issues.map((i) => i.path.join('.')))].slice(0, 20);
  log.integrity('a stored item does not fit its schema', { item: what, fields });
  throw new DamagedItem(`${what} does not fit its schema (${fields.join(', ')})`, { cause: parsed.error });
}

/**
 * Resolves a conditional write to true, or to false when its condition did not hold. A write
 * that would outgrow one item is the caller's rule to break (422), not a server fault.
 */
export function conditional(write: Promise<unknown>): Promise<boolean> {
  return write.then(() => true, (error: unknown) => {
    if (error instanceof ConditionalCheckFailedException) return false;
    if (error instanceof DynamoDBServiceException && ITEM_TOO_LARGE.test(error.message)) {
      throw new RuleViolation('This record has reached the 400 KB a record may hold (its history included); nothing was changed', [
        { path: '', message: 'would make the record larger than 400 KB' },
      ]);
    }
    throw error;
  });
}

/** A read's projection of these top-level attributes (by placeholder: `data` is a reserved word). */
const projectionOf = (attributes: readonly string[]) => ({
  ProjectionExpression: attributes.map((_, i) => `#a${i}`).join(', '),
  ExpressionAttributeNames: Object.fromEntries(attributes.map((a, i) => [`#a${i}`, a])),
});

/** One item (strongly consistent), if it exists; only its `attributes` if named (top-level names). */
export const getItem = async (key: Key, attributes?: readonly string[]): Promise<Record<string, unknown> | undefined> =>
  (await dynamo.send(new GetCommand({ TableName: tableName, Key: { pk: key.pk, sk: key.sk }, ConsistentRead: true, ...(attributes && projectionOf(attributes)) }))).Item;

/** Every item of a partition (strongly consistent), in sort-key order. */
export const queryPartition = (pk: string): Promise<Record<string, unknown>[]> => queryAll('pk = :pk', { ':pk': pk });

/** The items of a partition whose sort keys are from `from` to `to` (strongly consistent), in order. */
export const queryRange = (pk: string, from: string, to: string): Promise<Record<string, unknown>[]> =>
  queryAll('pk = :pk AND sk BETWEEN :from AND :to', { ':pk': pk, ':from': from, ':to': to });

async function queryAll(condition: string, values: Record<string, string>): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await dynamo.send(new QueryCommand({
      TableName: tableName, KeyConditionExpression: condition, ExpressionAttributeValues: values, ConsistentRead: true, ExclusiveStartKey: start,
    }));
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}

/**
 * What one batch read may spend waiting on keys DynamoDB leaves unprocessed, in all: a list page
 * makes up to five batch reads, and the function has 10 s.
 */
const UNPROCESSED_WAIT_MS = 1000;

/** The `data` of each item that exists (strongly consistent), parsed; see batchGetItems. */
export const batchGetData = async <T>(keys: readonly Key[], parse: (data: unknown) => T): Promise<T[]> =>
  (await batchGetItems(keys, ['data'])).map((item) => parse(item.data));

/**
 * Each item that exists (strongly consistent), with only the top-level `attributes` named; missing
 * keys are skipped, repeated ones read once (BatchGetItem rejects duplicates). Keys DynamoDB leaves
 * unprocessed are asked again after a jittered wait, as AWS advises: a short one after a round that
 * answered some (a response stops at 16 MB, dynalite's at 1 MB), a doubling one after each that
 * answered none. Past the wait budget the read gives up as Unavailable (503, try again).
 */
export async function batchGetItems(keys: readonly Key[], attributes: readonly string[]): Promise<Record<string, unknown>[]> {
  const found: Record<string, unknown>[] = [];
  const projection = projectionOf(attributes);
  const unique = [...new Map(keys.map((k) => [`${k.pk}\u0000${k.sk}`, { pk: k.pk, sk: k.sk }])).values()];
  let waited = 0;
  for (let i = 0; i < unique.length; i += 100) {
    let request: Record<string, unknown>[] | undefined = unique.slice(i, i + 100);
    for (let empty = -1; request && request.length > 0;) {
      if (empty >= 0) {
        const wait = Math.random() * 10 * 2 ** Math.min(empty, 10);
        if (waited + wait > UNPROCESSED_WAIT_MS) throw new Unavailable(`DynamoDB left ${request.length} keys of a batch read unprocessed for ${Math.round(waited)} ms`);
        await delay(wait);
        waited += wait;
      }
      const out: BatchGetCommandOutput = await dynamo.send(new BatchGetCommand({
        RequestItems: { [tableName]: { Keys: request, ConsistentRead: true, ...projection } },
      }));
      const answered = out.Responses?.[tableName] ?? [];
      found.push(...answered);
      request = out.UnprocessedKeys?.[tableName]?.Keys;
      empty = answered.length > 0 ? 0 : empty + 1;
    }
  }
  return found;
}
