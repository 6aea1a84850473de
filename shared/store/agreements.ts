/**
 * Agreement persistence. Each state change commits with ONE conditional write to the agreement
 * item; its history entry (an item of its own), link items (party -> agreement, country ->
 * agreement) and the code claim are written BEFORE that commit and checked on every read, so a
 * crash in between never shows a phantom agreement or change, and a retry simply completes the work.
 *
 * Here: the agreement item (read whole, as a change needs it, or reused for public verification),
 * its code claim and its commits. Its history entries' items are in history-entries.ts, its link
 * items in agreement-links.ts, and the lists in agreement-lists.ts.
 */
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { previousVersion, recordDisagrees, replay, signedKey, type Versioned } from '#shared/domain/agreement.ts';
import { canonicalJson } from '#shared/domain/canonical.ts';
import { log } from '#shared/log.ts';
import { RuleViolation, StateConflict } from '#shared/domain/errors.ts';
import { agreementRecord, historyEntryRecord, type Agreement, type HistoryEntry } from '#shared/domain/schemas.ts';
import { dynamo, tableName } from './client.ts';
import { committedHistory, entriesIn, entryItemsBetween, putEntries } from './history-entries.ts';
import * as keys from './keys.ts';
import { conditional, getItem, ITEM_LIMIT, itemBytes, parseStored, queryPartition } from './operations.ts';
import { answerBytes, PAGE_BYTES } from './paging.ts';

const storedItem = z.object({
  data: agreementRecord,
  /** The hash of its latest history entry. */
  head: z.string().optional(),
  /** Its whole history, on an item written before entries were items of their own (then no head). */
  history: z.array(historyEntryRecord).optional(),
  /** What its history entries take in an answer (answerBytes): the history route answers with them all. */
  historyBytes: z.number().optional(),
  requestHash: z.string(),
  requestToken: z.string().optional(),
  changeToken: z.string().optional(),
});

/**
 * An agreement item: the record, its history, the hash and token of the request that logged it
 * (the token is absent on older items), and the token of the request that made its latest change
 * (absent until a change, or on older items). `embedded`: the item still holds its history itself
 * (written before entries were items of their own); its next change moves it out.
 */
export type StoredAgreement = {
  agreement: Agreement; history: HistoryEntry[]; requestHash: string; requestToken?: string | undefined; changeToken?: string | undefined; embedded: boolean;
  /** The lowest version whose entry is not the one committed (see committedHistory): null when none is. */
  unanchored: number | null;
  /** What its history takes in an answer (see HISTORY_BYTES). */
  historyBytes: number;
  /** The hash of the latest entry as its commit named it (the item's head; absent on an item that holds its history). */
  head: string | undefined;
};

/** The agreement with its history: its item and its entries' items, one partition read together. */
export async function getAgreement(id: string): Promise<StoredAgreement | undefined> {
  const items = await queryPartition(keys.agreementKey(id).pk);
  const found = items.find((i) => i.sk === keys.agreementKey(id).sk);
  if (!found) return undefined;
  return storedWith(parseStored(storedItem, found, String(found.pk)), items.filter((i) => String(i.sk).startsWith(keys.HISTORY_PREFIX)));
}

/** How long an agreement read whole may be reused (see getAgreementReused), and how much of them a process keeps. */
export const REUSED_FOR_MS = 60_000;
const REUSED_BYTES = 32 * 1024 * 1024;
/** Each kept with when it was read, and its record's canonical JSON (to compare its item's with, without writing it out again). */
const reusable = new Map<string, { stored: StoredAgreement; at: number; record: string }>();
let reusableBytes = 0;

function forget(id: string): void {
  const kept = reusable.get(id);
  if (!kept) return;
  reusable.delete(id);
  reusableBytes -= kept.stored.historyBytes;
}

/**
 * As getAgreement, for reads anyone may repeat at will without a token (public verification): an
 * agreement this process read whole in the last REUSED_FOR_MS is read again only when its item
 * (one GetItem, not its whole partition, which may run to megabytes) names another latest entry or
 * holds another record, so a flood of checks of one certificate costs a partition read a minute,
 * not one per request. The registry never changes an entry once committed; one edited behind the
 * API is seen within REUSED_FOR_MS (downloads and history read afresh). The result is shared:
 * never change it.
 */
export async function getAgreementReused(id: string): Promise<StoredAgreement | undefined> {
  if (keptFor(id)) {
    const found = await getItem(keys.agreementKey(id));
    const kept = keptMatching(id, found && parseStored(storedItem, found, String(found.pk)));
    if (kept) return kept;
  }
  return readAndKeep(id);
}

/**
 * As getAgreementReused, for a check of a signature on one version (a link): read whole only when
 * one of the entries stored for that version carries it (`carried`; committed or not: a signature
 * none of them carries is no certificate's), else undefined. The whole history may run to megabytes,
 * a read long enough to tell an issued code apart by its time; those entries are a few kilobytes.
 * An item that still holds its history itself is the agreement whole: nothing more is read.
 */
export async function getAgreementToCheck(id: string, version: number, carried: (agreement: Agreement, entries: readonly HistoryEntry[]) => Promise<boolean>): Promise<StoredAgreement | undefined> {
  const found = await getItem(keys.agreementKey(id));
  if (!found) return undefined;
  const item = parseStored(storedItem, found, String(found.pk));
  const kept = keptMatching(id, item);
  if (kept) return kept;
  // An item that still holds its history itself is the agreement whole (storedWith takes no entry
  // item beside it). Read again with its partition, up to 400 KB twice (at the 2.2 MB in 620 ms
  // measured, some 230 ms), a forged signature's answer could outlast the floor. Such an item is
  // never kept (see readAndKeep): nothing kept of it stays.
  if (item.history) {
    forget(id);
    return storedWith(item, []);
  }
  const stored = version >= 1 && version <= item.data.version
    ? await entryItemsBetween(id, version, version)
    : [];
  if (!(await carried(item.data, entriesIn(stored).map((e) => e.entry)))) return undefined;
  return readAndKeep(id);
}

/** What is kept of an agreement, if read in the last REUSED_FOR_MS (a clock set back makes it read "in the future": then it is read again, as published keys are). */
function keptFor(id: string) {
  const kept = reusable.get(id);
  const now = Date.now();
  return kept && now >= kept.at && now - kept.at < REUSED_FOR_MS ? kept : undefined;
}

/** The agreement kept, if `item` (its item, read just now) still names its latest entry and holds its record; made the most recently used. */
function keptMatching(id: string, item: z.infer<typeof storedItem> | undefined): StoredAgreement | undefined {
  // Looked up after the item's read: one dropped or replaced meanwhile is not put back uncounted
  // (the bound on what a process keeps would no longer hold).
  const kept = keptFor(id);
  if (!kept || !item || item.head !== kept.stored.head || canonicalJson(item.data) !== kept.record) return undefined;
  reusable.delete(id);
  reusable.set(id, kept);
  return kept.stored;
}

/** The agreement read whole, and kept for REUSED_FOR_MS unless it is too large to keep. */
async function readAndKeep(id: string): Promise<StoredAgreement | undefined> {
  forget(id);
  const stored = await getAgreement(id);
  // Only what a change cannot move under it: an item that holds its history itself is read whole anyway.
  if (stored && !stored.embedded && stored.historyBytes <= REUSED_BYTES / 4) {
    forget(id); // read meanwhile by another request
    reusable.set(id, { stored, at: Date.now(), record: canonicalJson(stored.agreement) });
    reusableBytes += stored.historyBytes;
    while (reusableBytes > REUSED_BYTES) forget(reusable.keys().next().value!);
  }
  return stored;
}

/** The stored agreement of an item, with its history from `entryItems` (unless the item holds it). */
function storedWith(item: z.infer<typeof storedItem>, entryItems: readonly Record<string, unknown>[]): StoredAgreement {
  const { entries: history, unanchored } = item.history ? { entries: item.history, unanchored: null } : committedHistory(item.data.version, item.head, entryItems);
  return {
    agreement: item.data, history, requestHash: item.requestHash, requestToken: item.requestToken, changeToken: item.changeToken, embedded: item.history !== undefined, unanchored,
    historyBytes: item.historyBytes ?? history.reduce((bytes, entry) => bytes + answerBytes(entry), 0),
    head: item.head,
  };
}

/**
 * An agreement as a change needs it: the record, its latest history entry, the version before it
 * (none at version 1), the token of its latest change, and its whole history only on an item that
 * still holds it (`historyToMove`; see StoredAgreement's `embedded`), which the change writes out.
 */
export interface AgreementTip {
  agreement: Agreement;
  /** Its latest entry as read: none, or another version's, where an edit behind the API removed it. */
  latest: HistoryEntry | undefined;
  /**
   * The hash the next change's entry links to: the item's head, the latest entry as its commit named
   * it, not the one read (an edit behind the API may have removed or re-hashed that, and a change
   * linked to it stayed broken once the entry was put back).
   */
  head: string;
  previous: Agreement | undefined;
  changeToken?: string | undefined;
  historyToMove: HistoryEntry[] | undefined;
  historyBytes: number;
}

function tipOf(stored: StoredAgreement): AgreementTip {
  const { agreement, history, changeToken } = stored;
  const previous = agreement.version > 1 ? replay(agreement, history, agreement.version - 1) : undefined;
  const latest = history.at(-1);
  // The item's head; an item that still holds its history names none, and its latest entry is it.
  // An item of neither (its head or its every entry removed behind the API) has no entry a change
  // can link to: linked to the latest entry found instead (one below the head), the history stayed
  // broken from there on once the item was restored.
  const head = stored.embedded ? latest?.hash : stored.head;
  if (head === undefined) {
    log.integrity('agreement item names no latest history entry', { agreementId: agreement.id });
    throw new StateConflict(`Agreement ${agreement.code} no longer names its latest history entry (it was changed outside the registry): it cannot be changed until it is restored`, [
      { path: '', message: 'changes an agreement whose latest history entry is unknown' },
    ]);
  }
  if (latest && latest.hash === head && recordDisagrees(agreement, latest)) {
    log.integrity('agreement record does not match its latest history entry', { agreementId: agreement.id });
    throw new StateConflict(`Agreement ${agreement.code} no longer matches its latest history entry (its record was changed outside the registry): it cannot be changed until it is restored`, [
      { path: '', message: 'changes an agreement whose record does not match its history' },
    ]);
  }
  return { agreement, latest, head, previous, changeToken, historyToMove: stored.embedded ? history : undefined, historyBytes: stored.historyBytes };
}

/**
 * The agreement as a change needs it (AgreementTip): its item, then the entries of its last two
 * versions, not its whole history (which a change read again and again as it grew). Should those
 * two not add up to the record (an edit behind the API), the whole history is read and replayed.
 */
export async function getAgreementTip(id: string): Promise<AgreementTip | undefined> {
  const found = await getItem(keys.agreementKey(id));
  if (!found) return undefined;
  const item = parseStored(storedItem, found, String(found.pk));
  const { version } = item.data;
  if (item.history) return tipOf(storedWith(item, []));
  const last = await entryItemsBetween(id, Math.max(version - 1, 1), version);
  const { entries: chain, unanchored } = committedHistory(version, item.head, last);
  const [latest, before] = [chain.at(-1), chain.at(-2)];
  const previous = version > 1 && latest && before ? previousVersion(item.data, latest, before) : undefined;
  // (An item without historyBytes, written before it was kept, has it counted from its whole history.)
  const { historyBytes } = item;
  if (unanchored === null && historyBytes !== undefined && latest?.version === version && (version === 1 || previous) && !recordDisagrees(item.data, latest)) {
    return { agreement: item.data, latest, head: latest.hash, previous, changeToken: item.changeToken, historyToMove: undefined, historyBytes };
  }
  const stored = await getAgreement(id);
  return stored && tipOf(stored);
}

/** The agreement's current record alone, without reading its history; and the hash of the request that logged it. */
export async function getCurrentAgreement(id: string): Promise<{ agreement: Agreement; requestHash: string | undefined } | undefined> {
  const found = await getItem(keys.agreementKey(id), ['data', 'requestHash']);
  return found && { agreement: parseStored(agreementRecord, found.data, keys.agreementKey(id).pk), requestHash: found.requestHash as string | undefined };
}

/** Claims a code for an agreement; true if it is (now or already) this agreement's. */
export async function claimCode(code: string, agreementId: string): Promise<boolean> {
  return conditional(dynamo.send(new PutCommand({
    TableName: tableName,
    Item: { ...keys.codeKey(code), type: 'code', agreementId },
    ConditionExpression: 'attribute_not_exists(pk) OR agreementId = :id',
    ExpressionAttributeValues: { ':id': agreementId },
  })));
}

/** A signing's claim on its body at its ceremony: the agreement that holds it, and since when. */
export interface SigningClaim { agreementId: string; at: string }

/**
 * Claims the body `requestHash` at `ceremonyId` for `agreementId` (or takes over `from`, a claim
 * found before, if it is still that one). `true` when claimed; else the claim in its way, if any
 * (none: it went meanwhile, and the claim may be tried again).
 */
export async function claimSigning(ceremonyId: string, requestHash: string, agreementId: string, at: string, from?: SigningClaim): Promise<true | SigningClaim | undefined> {
  const key = keys.signingClaimKey(ceremonyId, requestHash);
  const claimed = await conditional(dynamo.send(new PutCommand({
    TableName: tableName,
    Item: { ...key, type: 'signing-claim', agreementId, at },
    ConditionExpression: from ? 'agreementId = :from AND #at = :fromAt' : 'attribute_not_exists(pk) OR agreementId = :id',
    ...(from && { ExpressionAttributeNames: { '#at': 'at' } }),
    ExpressionAttributeValues: from ? { ':from': from.agreementId, ':fromAt': from.at } : { ':id': agreementId },
  })));
  if (claimed) return true;
  const item = await getItem(key);
  return item ? { agreementId: String(item.agreementId), at: String(item.at) } : undefined;
}

export async function agreementIdByCode(code: string): Promise<string | undefined> {
  const item = await getItem(keys.codeKey(code)); // consistent: a link checked right after its signing finds it
  return typeof item?.agreementId === 'string' ? item.agreementId : undefined;
}

/** The commit of a new agreement, by the request with this hash and (unique) token; false if an item with this id already exists. */
export async function insertAgreement(v: Versioned, requestHash: string, requestToken: string): Promise<boolean> {
  const { agreement, entry } = v;
  await putEntries(agreement.id, [entry]);
  return conditional(dynamo.send(new PutCommand({
    TableName: tableName,
    Item: {
      ...keys.agreementKey(agreement.id),
      ...keys.agreementIndexKeys(agreement.ceremonyId, signedKey(agreement)),
      type: 'agreement',
      version: agreement.version,
      data: agreement,
      head: entry.hash,
      historyBytes: answerBytes(entry),
      requestHash,
      requestToken,
    },
    ConditionExpression: 'attribute_not_exists(pk)',
  })));
}

/**
 * What an agreement's history may take in an answer: the history route answers with every entry,
 * and a Lambda function's answer takes 6 MB (as a list page may): over a thousand amendments of an
 * ordinary agreement, a few dozen of one with fifty parties at every field's longest.
 */
export const HISTORY_BYTES = PAGE_BYTES;
/**
 * What every history keeps free for its void, so that no number of amendments can leave an
 * agreement that cannot be voided. A void's entry holds a reason of at most 1,000 UTF-16 units (at
 * most 4,000 bytes in an answer, each a quote escaped twice), hashes, stamps and a status.
 */
const VOID_ROOM = 8 * 1024;

/**
 * Refuses (422), before any write, a new agreement or a change whose record or history entry would
 * not fit in one item (the field limits keep real ones far below it: a record of fifty parties with
 * every text at its longest is about 130 KB, and an entry holds a field as it was and as it becomes),
 * or an amendment that would leave its history (`historyBytes` so far) no room for a void.
 */
export function assertFits(change: Versioned, historyBytes = 0): void {
  const { entry } = change;
  const part = itemBytes({ data: change.agreement }) > ITEM_LIMIT ? 'record' : itemBytes({ entry }) > ITEM_LIMIT ? 'history entry' : undefined;
  if (part !== undefined) {
    const what = entry.version === 1 ? 'agreement' : 'change';
    throw new RuleViolation(`This ${what} is too large to record: its ${part} would pass the 400 KB one item holds. Nothing was recorded`, [
      { path: '', message: `would make its ${part} larger than 400 KB` },
    ]);
  }
  if (entry.action === 'voided' || historyBytes + answerBytes(entry) <= HISTORY_BYTES - VOID_ROOM) return;
  throw new RuleViolation(`This agreement's history is full: it may take ${HISTORY_BYTES / 1024 / 1024} MB, what one answer carries, and the rest is kept so that it can always be voided. It can still be voided; nothing was changed`, [
    { path: '', message: 'would leave the history no room for a void' },
  ]);
}

/**
 * The commit of a new version on `base`; false unless the item is still active at base's version.
 * Its entry's item is written first; an item that still holds its history (`historyToMove`) has every
 * entry written out, and drops it with this change. `token` (unique to the request) stays on the
 * item until the next change: who made this one.
 */
export async function commitVersion(v: Versioned, base: Pick<AgreementTip, 'agreement' | 'historyToMove' | 'historyBytes'>, token: string): Promise<boolean> {
  const { agreement, entry } = v;
  await putEntries(agreement.id, [...(base.historyToMove ?? []), entry]);
  const index = keys.agreementIndexKeys(agreement.ceremonyId, signedKey(agreement));
  return conditional(dynamo.send(new UpdateCommand({
    TableName: tableName,
    Key: keys.agreementKey(agreement.id),
    UpdateExpression: 'SET #data = :data, #version = :next, head = :head, historyBytes = :bytes, gsi1sk = :g1, gsi2sk = :g2, changeToken = :token REMOVE #history',
    ConditionExpression: '#version = :expected AND #data.#status = :active',
    ExpressionAttributeNames: { '#data': 'data', '#version': 'version', '#history': 'history', '#status': 'status' },
    ExpressionAttributeValues: {
      ':data': agreement, ':next': agreement.version, ':head': entry.hash, ':bytes': base.historyBytes + answerBytes(entry), ':expected': base.agreement.version,
      ':active': 'active', ':g1': index.gsi1sk, ':g2': index.gsi2sk, ':token': token,
    },
  })));
}
