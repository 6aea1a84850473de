/**
 * An agreement's history entries as items of their own, in its partition (keyed by version and
 * hash): writing them before the commit that makes them the history, reading those of a range of
 * versions, and rebuilding the committed chain from them (from the head back). The agreement item's
 * reads and commits (agreements.ts) go through these.
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { historyEntryRecord, type HistoryEntry } from '#shared/domain/schemas.ts';
import { dynamo, tableName } from './client.ts';
import * as keys from './keys.ts';
import { conditional, queryRange } from './operations.ts';

const entryItem = z.object({ sk: z.string(), entry: historyEntryRecord });

/** The entry items an agreement's partition holds for versions `from` to `to` (committed or not), in key order. */
export const entryItemsBetween = (id: string, from: number, to: number) =>
  queryRange(keys.agreementKey(id).pk, keys.historyEntryKey(id, from, '').sk, keys.historyEntryKey(id, to, '\uffff').sk);

/** An entry item's key: `HISTORY#<10 digits>#<64 hex>` (see keys.historyEntryKey). */
const ENTRY_KEY = new RegExp(`^${keys.HISTORY_PREFIX}(\\d{10})#([0-9a-f]{64})$`);

/** The entries among `found` whose items are an entry's, each with the version and hash its key was written with (committed or not). */
export function entriesIn(found: readonly Record<string, unknown>[]): { version: number; hash: string; entry: HistoryEntry }[] {
  return found.flatMap((item) => {
    const key = ENTRY_KEY.exec(String(item.sk));
    const parsed = entryItem.safeParse(item);
    return key && parsed.success ? [{ version: Number(key[1]), hash: key[2]!, entry: parsed.data.entry }] : [];
  });
}

/**
 * The entries of the committed versions, oldest first: from the head back, at each version the
 * entry that the one after it names (by the hash its key was written with; the head names the
 * latest). Entries written for a change that lost its race, or that never committed, sit beside
 * them and are left out. After an edit behind the API: an entry edited in place is still taken (its
 * own hash fails the check); where the named one is gone, another of its version stands in (below
 * the head; a history that lacks its latest entry is short), and `unanchored` is the lowest version
 * whose entry is not the one named, or whose hash is not the one its key was written with. Items
 * that are no entry's (a key not so written) are left out.
 */
export function committedHistory(version: number, head: string | undefined, found: readonly Record<string, unknown>[]): { entries: HistoryEntry[]; unanchored: number | null } {
  const byVersion = new Map<number, { hash: string; entry: HistoryEntry }[]>();
  for (const { version: v, hash, entry } of entriesIn(found)) byVersion.set(v, [...(byVersion.get(v) ?? []), { hash, entry }]);
  const entries: HistoryEntry[] = [];
  let unanchored: number | null = null;
  // The hash the version above names; unknown below a gap (the gap is what the check finds).
  let wanted: string | null | undefined = head;
  // Over the versions entries were found at (a record's version edited to a huge number is no loop
  // through every number below it), latest first.
  const versions = [...byVersion.keys()].filter((v) => v >= 1 && v <= version).sort((a, b) => b - a);
  for (const [i, v] of versions.entries()) {
    if (i > 0 ? versions[i - 1]! - 1 !== v : v !== version) wanted = undefined;
    const at = byVersion.get(v)!;
    const named = at.find((e) => e.hash === wanted);
    const taken = named ?? (v === version ? undefined : at[0]);
    if (!taken) {
      wanted = undefined;
      continue;
    }
    if ((wanted !== undefined && !named) || taken.entry.hash !== taken.hash) unanchored = v;
    entries.push(taken.entry);
    wanted = taken.entry.prevHash;
  }
  return { entries: entries.reverse(), unanchored };
}

/** Writes history entries' items: before the commit that makes them the history (as links are). */
export async function putEntries(agreementId: string, entries: readonly HistoryEntry[]): Promise<void> {
  await Promise.all(entries.map((entry) => conditional(dynamo.send(new PutCommand({
    TableName: tableName,
    Item: { ...keys.historyEntryKey(agreementId, entry.version, entry.hash), type: 'history', entry },
  })))));
}
