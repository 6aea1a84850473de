/** The link items (party or country -> agreement) under a partition, read straight from the table. */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo, tableName } from '#shared/store/client.ts';
import { LINK_PREFIX } from '#shared/store/keys.ts';

export async function linksOf(pk: string): Promise<Record<string, unknown>[]> {
  const out = await dynamo.send(new QueryCommand({
    TableName: tableName, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :s)', ExpressionAttributeValues: { ':pk': pk, ':s': LINK_PREFIX },
  }));
  return out.Items ?? [];
}
