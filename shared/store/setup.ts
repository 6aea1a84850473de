/**
 * Creates the registry table from TABLE_DEFINITION where nothing else does (the local server and
 * tests; on AWS the CDK stack owns the table). Idempotent: an existing table is left alone.
 */
import { CreateTableCommand, DescribeTableCommand, ResourceInUseException, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { dynamo, tableName } from './client.ts';
import { TABLE_DEFINITION as T } from './table.ts';

export async function ensureTable(): Promise<void> {
  try {
    await dynamo.send(new DescribeTableCommand({ TableName: tableName }));
    return;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  const keyNames = [T.partitionKey, T.sortKey, ...T.indexes.flatMap((i) => [i.partitionKey, i.sortKey])];
  await dynamo
    .send(new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: keyNames.map((name) => ({ AttributeName: name, AttributeType: 'S' })),
      KeySchema: [{ AttributeName: T.partitionKey, KeyType: 'HASH' }, { AttributeName: T.sortKey, KeyType: 'RANGE' }],
      GlobalSecondaryIndexes: T.indexes.map((i) => ({
        IndexName: i.indexName,
        KeySchema: [{ AttributeName: i.partitionKey, KeyType: 'HASH' }, { AttributeName: i.sortKey, KeyType: 'RANGE' }],
        Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [...T.projectedAttributes] },
      })),
    }))
    .catch((error: unknown) => {
      if (!(error instanceof ResourceInUseException)) throw error;
    });
}
