/**
 * Index repair after an unclean stop of the local server. dynalite writes an item's index entries
 * before the item itself, each a separate write: a process killed in between leaves entries for a
 * version that was never committed (a listed agreement that GET does not find, an amendment that
 * lists but never happened), and entries that no later write removes. DynamoDB writes an item and
 * its indexes as one; this is the local database's flaw, mended here, never in the registry's code.
 *
 * Every item is written again as it is (its index entries follow it), then every index entry whose
 * item is gone, or now has other index keys, is removed: dynalite removes an entry only when the
 * item it was made from changes, so the item is briefly given the stray entry's keys and then its
 * own back (or, if it is gone, made and deleted). A journal in the data dir names the item (or the
 * key) each such pair of writes must end with, so that a repair killed between the two is finished
 * by the next. A maintenance scan of the whole local table; the registry's own code never scans.
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { DeleteCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo, tableName } from '#shared/store/client.ts';
import { TABLE_DEFINITION } from '#shared/store/table.ts';

type Item = Record<string, unknown>;
const keyOf = (item: Item) => `${String(item.pk)}\u0000${String(item.sk)}`;

async function scanAll(indexName?: string): Promise<Item[]> {
  const items: Item[] = [];
  let start: Item | undefined;
  do {
    const out = await dynamo.send(new ScanCommand({ TableName: tableName, IndexName: indexName, ExclusiveStartKey: start }));
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}

const put = (item: Item) => dynamo.send(new PutCommand({ TableName: tableName, Item: item }));
const remove = (key: Item) => dynamo.send(new DeleteCommand({ TableName: tableName, Key: { pk: key.pk, sk: key.sk } }));

/** What a pair of writes must end with: the item as it was, or no item at this key. */
type Ending = { restore: Item } | { remove: Item };

/** Ends the pair of writes a killed repair left half done, if any. */
async function finishJournal(journal: string): Promise<void> {
  if (!existsSync(journal)) return;
  const ending = JSON.parse(readFileSync(journal, 'utf8')) as Ending;
  await ('restore' in ending ? put(ending.restore) : remove(ending.remove));
  rmSync(journal);
}

/** Runs a pair of writes with its ending in the journal (written aside and renamed: whole or not at all). */
async function journaled(journal: string, ending: Ending, writes: () => Promise<unknown>): Promise<void> {
  writeFileSync(`${journal}.new`, JSON.stringify(ending));
  renameSync(`${journal}.new`, journal);
  await writes();
  rmSync(journal);
}

/** Mends the indexes, keeping its journal in `journal`; answers how many stray entries it removed. */
export async function repairIndexes(journal: string): Promise<number> {
  await finishJournal(journal);
  const items = new Map((await scanAll()).map((item) => [keyOf(item), item]));
  for (const item of items.values()) await put(item);
  let removed = 0;
  for (const { indexName, partitionKey, sortKey } of TABLE_DEFINITION.indexes) {
    for (const entry of await scanAll(indexName)) {
      const item = items.get(keyOf(entry));
      if (item && item[partitionKey] === entry[partitionKey] && item[sortKey] === entry[sortKey]) continue;
      const stray = { [partitionKey]: entry[partitionKey], [sortKey]: entry[sortKey] };
      if (item) {
        await journaled(journal, { restore: item }, async () => { await put({ ...item, ...stray }); await put(item); });
      } else {
        const key = { pk: entry.pk, sk: entry.sk };
        await journaled(journal, { remove: key }, async () => { await put({ ...key, ...stray }); await remove(key); });
      }
      removed += 1;
    }
  }
  return removed;
}
