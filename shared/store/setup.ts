/**
 * Creates the registry table from TABLE_DEFINITION where nothing else does (the local server and
 * tests; on AWS the CDK stack owns the table). Idempotent: an existing table is left alone.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { CreateTableCommand, DescribeTableCommand, ResourceInUseException, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { dynamo, tableName } from './client.ts';
import { TABLE_DEFINITION as T } from './table.ts';

/** The table's status, waiting up to about a second for it to leave CREATING; undefined if there is none. */
async function tableStatus(): Promise<string | undefined> {
  for (let tries = 0; ; tries++) {
    let status: string | undefined;
    try {
      status = (await dynamo.send(new DescribeTableCommand({ TableName: tableName }))).Table?.TableStatus;
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return undefined;
      throw error;
    }
    if (status !== 'CREATING' || tries === 50) return status;
    await delay(20);
  }
}

/**
 * Makes the table, if there is none, and answers its status: ACTIVE when it is ready. A table
 * still CREATING after a second was left so by a process that ended while it made it.
 */
export async function ensureTable(): Promise<string | undefined> {
  const status = await tableStatus();
  if (status !== undefined) return status;
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
  return tableStatus();
}
