/** Items read and written straight in the table (behind the API): a partition's items under a prefix, an agreement's history entries. */
import { DeleteCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo, tableName } from '#shared/store/client.ts';
import { agreementKey, HISTORY_PREFIX } from '#shared/store/keys.ts';

export type Item = Record<string, any>;

/** The items of partition `pk` whose sort keys start with `prefix`, in key order. */
export async function itemsUnder(pk: string, prefix: string): Promise<Item[]> {
  const out = await dynamo.send(new QueryCommand({
    TableName: tableName, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :s)', ConsistentRead: true,
    ExpressionAttributeValues: { ':pk': pk, ':s': prefix },
  }));
  return out.Items ?? [];
}

/** The agreement's entry items, in key order (version, then hash). */
export const entryItemsOf = (agreementId: string): Promise<Item[]> => itemsUnder(agreementKey(agreementId).pk, HISTORY_PREFIX);

export const putItem = (item: Item) => dynamo.send(new PutCommand({ TableName: tableName, Item: item }));
export const deleteItem = (item: Item) => dynamo.send(new DeleteCommand({ TableName: tableName, Key: { pk: item.pk, sk: item.sk } }));
