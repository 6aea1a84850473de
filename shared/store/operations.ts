/** Building blocks every store module uses: conditional writes and batched reads of `data`. */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, type BatchGetCommandOutput } from '@aws-sdk/lib-dynamodb';
import { dynamo, tableName } from './client.ts';
import type { Key } from './keys.ts';

/** Resolves a conditional write to true, or to false when its condition did not hold. */
export function conditional(write: Promise<unknown>): Promise<boolean> {
  return write.then(() => true, (error: unknown) => {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  });
}

/** The `data` of each item that exists (strongly consistent), parsed; missing keys are skipped. */
export async function batchGetData<T>(keys: readonly Key[], parse: (data: unknown) => T): Promise<T[]> {
  const found: T[] = [];
  for (let i = 0; i < keys.length; i += 100) {
    let request: Record<string, unknown>[] | undefined = keys.slice(i, i + 100).map((k) => ({ pk: k.pk, sk: k.sk }));
    while (request && request.length > 0) {
      const out: BatchGetCommandOutput = await dynamo.send(new BatchGetCommand({
        RequestItems: { [tableName]: { Keys: request, ConsistentRead: true, ProjectionExpression: '#data', ExpressionAttributeNames: { '#data': 'data' } } },
      }));
      for (const item of out.Responses?.[tableName] ?? []) found.push(parse(item.data));
      request = out.UnprocessedKeys?.[tableName]?.Keys;
    }
  }
  return found;
}
