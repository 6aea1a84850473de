/** An agreement's history entry items, read and written straight in the table (behind the API). */
import { DeleteCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo, tableName } from '#shared/store/client.ts';
import { agreementKey, HISTORY_PREFIX } from '#shared/store/keys.ts';

export type Item = Record<string, any>;

/** The agreement's entry items, in key order (version, then hash). */
export async function entryItemsOf(agreementId: string): Promise<Item[]> {
  const out = await dynamo.send(new QueryCommand({
    TableName: tableName, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :s)', ConsistentRead: true,
    ExpressionAttributeValues: { ':pk': agreementKey(agreementId).pk, ':s': HISTORY_PREFIX },
  }));
  return out.Items ?? [];
}

export const putItem = (item: Item) => dynamo.send(new PutCommand({ TableName: tableName, Item: item }));
export const deleteItem = (item: Item) => dynamo.send(new DeleteCommand({ TableName: tableName, Key: { pk: item.pk, sk: item.sk } }));
