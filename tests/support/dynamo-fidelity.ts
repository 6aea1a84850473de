/**
 * What DynamoDB refuses and dynalite lets through, refused in the tests too: a key attribute
 * (of the table or of an index) may not be an empty string or binary, whether in an item, in a
 * key, or as a value a Query's key condition compares with ("The AttributeValue for a key
 * attribute cannot contain an empty string value"). Installed on the one client the handlers
 * use, and in the IAM proxy the synthesized bundles reach dynalite through, so every test request
 * is checked as real DynamoDB would check it.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { TABLE_DEFINITION } from '#shared/store/table.ts';

const KEY_ATTRIBUTES = new Set<string>([
  TABLE_DEFINITION.partitionKey, TABLE_DEFINITION.sortKey,
  ...TABLE_DEFINITION.indexes.flatMap((i) => [i.partitionKey, i.sortKey]),
]);

type Item = Record<string, AttributeValue>;
const empty = (v: AttributeValue | undefined) => v !== undefined && ((v.S !== undefined && v.S === '') || (v.B !== undefined && v.B.length === 0));

/** Why DynamoDB would refuse this (marshalled) input, or undefined. */
export function dynamoRefusal(command: string, input: Record<string, any>): string | undefined {
  const emptyKey = (item: Item | undefined, names: Iterable<string> = Object.keys(item ?? {})) =>
    [...names].find((name) => KEY_ATTRIBUTES.has(name) && empty(item?.[name]));
  const refuse = (name: string) => `One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: ${name}`;
  if (command === 'QueryCommand') {
    const placeholders = String(input.KeyConditionExpression ?? '').match(/:[\w]+/g) ?? [];
    const bad = placeholders.find((p) => empty(input.ExpressionAttributeValues?.[p])) ?? emptyKey(input.ExclusiveStartKey);
    return bad && refuse(bad);
  }
  if (command === 'PutItemCommand') return (emptyKey(input.Item) && refuse(emptyKey(input.Item)!));
  if (command === 'UpdateItemCommand') {
    // An index key the update sets ("SET #k = :v", the name maybe behind a placeholder) is checked like one in an item.
    const sets = [...String(input.UpdateExpression ?? '').matchAll(/([#\w]+)\s*=\s*(:\w+)/g)]
      .map(([, name, value]) => [name!.startsWith('#') ? input.ExpressionAttributeNames?.[name!] : name, input.ExpressionAttributeValues?.[value!]] as const);
    const set = sets.find(([name, value]) => KEY_ATTRIBUTES.has(name) && empty(value));
    return emptyKey(input.Key) ? refuse(emptyKey(input.Key)!) : set && refuse(set[0]);
  }
  if (['GetItemCommand', 'DeleteItemCommand'].includes(command)) return emptyKey(input.Key) && refuse(emptyKey(input.Key)!);
  if (command === 'BatchGetItemCommand') {
    for (const { Keys = [] } of Object.values(input.RequestItems ?? {}) as { Keys?: Item[] }[]) for (const key of Keys) if (emptyKey(key)) return refuse(emptyKey(key)!);
  }
  return undefined;
}

let installed = false;
/** Installs the check on the handlers' client (loaded only now: it reads TABLE_NAME, which the server sets). */
export async function checkLikeDynamoDB(): Promise<void> {
  if (installed) return;
  installed = true;
  const { dynamo } = await import('#shared/store/client.ts');
  dynamo.middlewareStack.add((next, context) => async (args) => {
    const refusal = dynamoRefusal(String(context.commandName), args.input as Record<string, any>);
    if (refusal) throw Object.assign(new Error(refusal), { name: 'ValidationException' });
    return next(args);
  }, { step: 'build', name: 'dynamoFidelity' });
}
