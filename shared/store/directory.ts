/**
 * Parties and ceremonies: the directory agreements refer to. Creates are conditional on the id
 * being new; party updates are conditional on the version the caller saw.
 */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { toUtcIso } from '#shared/domain/formats.ts';
import type { FieldChanges } from '#shared/domain/changes.ts';
import { hashOf } from '#shared/domain/canonical.ts';
import { sealHistory, type CeremonySeal } from '#shared/domain/ceremony.ts';
import { RuleViolation } from '#shared/domain/errors.ts';
import { RENAMABLE } from '#shared/domain/party.ts';
import { ceremonyEntryRecord, ceremonyRecord, partyEntryRecord, partyRecord, type Ceremony, type CeremonyEntry, type Party, type PartyEntry, type PartyKind } from '#shared/domain/schemas.ts';
import { dynamo, tableName } from './client.ts';
import { filterDigest } from './cursor.ts';
import * as keys from './keys.ts';
import { batchGetItems, conditional, getItem, ITEM_LIMIT, itemBytes, parseStored } from './operations.ts';
import { collectPage, dataSource, idsOf, type Page, type PartitionQuery } from './paging.ts';

const ID = keys.ID_SOURCE;

const putIf = (item: Record<string, unknown>, condition: string, values?: Record<string, unknown>) =>
  conditional(dynamo.send(new PutCommand({ TableName: tableName, Item: item, ConditionExpression: condition, ExpressionAttributeValues: values })));

/**
 * The request that created a record, kept with it for good: its hash (the same body again is a
 * replay) and its token, unique to it (the SDK sending it again after a lost answer is still the
 * request that made the record). Both are absent on records older than them.
 */
export interface Origin { requestHash: string | undefined; requestToken?: string | undefined }

/**
 * A directory record with the request that created it. A changed record also keeps what its
 * latest change did, who made it, why, and which request (its token), so that change sent again is one too.
 */
export interface StoredRecord<T> extends Origin { record: T; change?: LatestChange | undefined }

const originOf = (item: Record<string, unknown>): Origin => ({ requestHash: item.requestHash as string | undefined, requestToken: item.requestToken as string | undefined });
const originItem = ({ requestHash, requestToken }: Origin) => ({ ...(requestHash && { requestHash }), ...(requestToken && { requestToken }) });

/** A record's latest change: what it changed, its actor, its reason (a ceremony's; a party's if given), and the token unique to the request that made it. */
export interface LatestChange { changes: FieldChanges; actor: string; token: string; reason?: string | undefined }

/**
 * The origin stays with the item for good: a rename keeps it, so the creating request still replays.
 * So do the renames (`renames`, oldest first: the party's history), the latest being `change`. With
 * them, the hash of the record as written (`stateHash`), which a signing checks before it copies the
 * party: an edit behind the API would otherwise reach every agreement signed after it.
 */
function partyItem(p: Party, origin: Origin, change?: LatestChange, renames: readonly PartyEntry[] = []) {
  const stored = change && { rename: change.changes, actor: change.actor, token: change.token, ...(change.reason !== undefined && { reason: change.reason }) };
  return {
    ...keys.partyKey(p.id), ...keys.partyIndexKeys(p), type: 'party', version: p.version, data: p, stateHash: hashOf(p), ...originItem(origin),
    ...(stored && { change: stored }), ...(renames.length > 0 && { renames }),
  };
}

/** Refuses (422) a change that would make a record with the changes it keeps (`kept`: renames, corrections) outgrow its item. */
function assertRoomFor(noun: 'party' | 'ceremony', kept: 'renames' | 'corrections', item: Record<string, unknown>): void {
  if (itemBytes(item) <= ITEM_LIMIT) return;
  throw new RuleViolation(`This ${noun}'s record is full: a record holds 400 KB, its ${kept} included. Nothing was changed`, [
    { path: '', message: `would outgrow the ${noun}'s record` },
  ]);
}

/** false if a party with this id exists already. */
export const insertParty = (p: Party, origin: Origin) => putIf(partyItem(p, origin), 'attribute_not_exists(pk)');

/**
 * false unless the stored party is still at `expectedVersion`. `change` is the change that makes
 * `p`, and `renames` end with its entry. A party whose renames would outgrow its item (400 KB: a
 * thousand renames with long reasons) refuses another with a 422, keeping what it has.
 */
export function replaceParty(p: Party, expectedVersion: number, origin: Origin, change: LatestChange, renames: readonly PartyEntry[]): Promise<boolean> {
  assertRoomFor('party', 'renames', { data: p, renames });
  return putIf(partyItem(p, origin, change, renames), 'version = :expected', { ':expected': expectedVersion });
}

const storedChange = z.object({
  rename: z.partialRecord(z.enum(RENAMABLE), z.object({ from: z.string().nullable(), to: z.string().nullable() })),
  actor: z.string(),
  token: z.string(),
  reason: z.string().optional(),
});
const storedRenames = z.array(partyEntryRecord);

/** A party with the renames it keeps (oldest first; none kept for a rename made before renames were kept), and the hash of its record as last written (none before parties kept one). */
export type StoredParty = StoredRecord<Party> & { renames: PartyEntry[]; stateHash: string | undefined };

/** The hash a party's item keeps of its record: absent on an item written before parties kept one. */
const stateHashOf = (item: Record<string, unknown>) => (item.stateHash === undefined ? undefined : String(item.stateHash));

export async function getPartyStored(id: string): Promise<StoredParty | undefined> {
  const item = await getItem(keys.partyKey(id));
  if (!item) return undefined;
  // A change of another shape (none, or written before changes were kept this way) is simply not known.
  const stored = storedChange.safeParse(item.change).data;
  const change = stored && { changes: stored.rename, actor: stored.actor, token: stored.token, reason: stored.reason };
  const renames = item.renames === undefined ? [] : parseStored(storedRenames, item.renames, keys.partyKey(id).pk);
  return { record: parseStored(partyRecord, item.data, keys.partyKey(id).pk), ...originOf(item), change, renames, stateHash: stateHashOf(item) };
}

export const getParty = async (id: string): Promise<Party | undefined> => (await getPartyStored(id))?.record;

/** Parties by id, each with the hash its item keeps of its record (see partyItem). */
export async function getParties(ids: readonly string[]): Promise<Map<string, { record: Party; stateHash: string | undefined }>> {
  const found = await batchGetItems(ids.map(keys.partyKey), ['data', 'stateHash']);
  return new Map(found.map((item) => {
    const record = parseStored(partyRecord, item.data, 'party record');
    return [record.id, { record, stateHash: stateHashOf(item) }];
  }));
}

export async function listParties(
  filter: { kind?: PartyKind | undefined; country?: string | undefined },
  page: { limit: number; cursor?: string | undefined },
): Promise<Page<Party>> {
  const { kind, country } = filter;
  const query = kind !== undefined ? partyPartition('gsi2', keys.partyKindPk(kind), `([A-Z]{2}|~)#${ID}`, { prefix: country ? `${country}#` : '' })
    : country !== undefined ? partyPartition('gsi3', keys.partyCountryPk(country), `[a-z]+#${ID}`)
    : partyPartition('gsi1', keys.ALL_PARTIES_PK, ID);
  return collectPage(dataSource(query, (d) => parseStored(partyRecord, d, 'party record')), { ...page, digest: filterDigest(['parties', filter]) });
}

/** Parties in one index partition, in sort key order (`position`: the shape of that index's sort keys). */
const partyPartition = (index: 'gsi1' | 'gsi2' | 'gsi3', pk: string, position: string, range: PartitionQuery['range'] = {}): PartitionQuery => ({
  index, pk, range, descending: false, positionPattern: new RegExp(`^${position}$`),
  startKey: (pos) => keys.indexStartKey(index, pk, keys.partyKey(keys.idFromSortKey(pos)), pos),
});

/** Every party's id, by id (see idsOf). */
export const everyPartyId = (pageSize = 100) => idsOf(partyPartition('gsi1', keys.ALL_PARTIES_PK, ID), pageSize);

// ---- ceremonies -------------------------------------------------------------------------

/** A ceremony as stored: one opened before ceremonies had versions is at version 1, unchanged since. */
const storedCeremony = ceremonyRecord.extend({ version: z.number().int().optional(), updatedAt: z.string().optional(), updatedBy: z.string().optional() });

function ceremonyOf(data: unknown): Ceremony {
  const c = parseStored(storedCeremony, data, 'ceremony record');
  return { ...c, version: c.version ?? 1, updatedAt: c.updatedAt ?? c.createdAt, updatedBy: c.updatedBy ?? c.createdBy };
}

/**
 * A ceremony with its corrections, the latest of them made by the request with `token`, and what
 * commits its history (`head`, `stateHash`: see CeremonySeal).
 */
function ceremonyItem(c: Ceremony, origin: Origin, seal: CeremonySeal, corrections: readonly CeremonyEntry[] = [], token?: string) {
  const index = keys.ceremonyIndexKeys({ id: c.id, startsAtUtc: toUtcIso(c.startsAt) });
  return {
    ...keys.ceremonyKey(c.id), ...index, type: 'ceremony', version: c.version, data: c, ...seal,
    ...originItem(origin), ...(corrections.length > 0 && { corrections }), ...(token && { changeToken: token }),
  };
}

/** false if a ceremony with this id exists already. */
export const insertCeremony = (c: Ceremony, origin: Origin) => putIf(ceremonyItem(c, origin, sealHistory(c, []).seal), 'attribute_not_exists(pk)');

/**
 * false unless the stored ceremony is still at `expectedVersion`; `corrections` (chained) ends with
 * the one that makes `c`, whose hash is `head`. A ceremony whose corrections would outgrow its item (400 KB: about a hundred of
 * the longest, many more short ones) refuses another with a 422, keeping what it has.
 */
export function replaceCeremony(c: Ceremony, expectedVersion: number, origin: Origin, corrections: readonly CeremonyEntry[], head: string, token: string): Promise<boolean> {
  assertRoomFor('ceremony', 'corrections', { data: c, corrections });
  // A ceremony opened before ceremonies had versions has no version attribute: it is at 1.
  const condition = expectedVersion === 1 ? 'attribute_exists(pk) AND (version = :expected OR attribute_not_exists(version))' : 'version = :expected';
  return putIf(ceremonyItem(c, origin, { head, stateHash: hashOf(c) }, corrections, token), condition, { ':expected': expectedVersion });
}

const storedCorrections = z.array(ceremonyEntryRecord);

/**
 * A ceremony with the corrections it keeps (oldest first), the latest one as its change, and what
 * commits its history (none for a ceremony last written before histories were chained).
 */
export type StoredCeremony = StoredRecord<Ceremony> & { corrections: CeremonyEntry[]; seal: CeremonySeal | undefined };

/** The item's seal; one that lost either part (behind the API) matches nothing, rather than pass for a ceremony never sealed. */
const sealOf = (item: Record<string, unknown>): CeremonySeal | undefined =>
  item.head === undefined && item.stateHash === undefined ? undefined : { head: String(item.head ?? ''), stateHash: String(item.stateHash ?? '') };

export async function getCeremonyStored(id: string): Promise<StoredCeremony | undefined> {
  const item = await getItem(keys.ceremonyKey(id));
  if (!item) return undefined;
  const corrections = item.corrections === undefined ? [] : parseStored(storedCorrections, item.corrections, keys.ceremonyKey(id).pk);
  const latest = corrections.at(-1);
  const token = item.changeToken as string | undefined;
  const change = latest && token ? { changes: latest.changes, actor: latest.actor, token, reason: latest.reason ?? undefined } : undefined;
  return { record: ceremonyOf(item.data), ...originOf(item), change, corrections, seal: sealOf(item) };
}

/** A ceremony as it stands, without the corrections its item keeps (up to 400 KB of them): what signings read. */
export async function getCeremony(id: string): Promise<Ceremony | undefined> {
  const item = await getItem(keys.ceremonyKey(id), ['data']);
  return item && ceremonyOf(item.data);
}

/**
 * A ceremony as it stands with its seal, without its corrections (only whether the first is chained):
 * what certificates print and verifications show, checked against the seal. A ceremony whose seal
 * is gone but whose corrections are chained had it removed behind the API: `sealRemoved`.
 */
export async function getCeremonySealed(id: string): Promise<{ record: Ceremony; seal: CeremonySeal | undefined; sealRemoved: boolean } | undefined> {
  const { Item: item } = await dynamo.send(new GetCommand({
    TableName: tableName, Key: keys.ceremonyKey(id), ConsistentRead: true,
    ProjectionExpression: '#data, #head, #stateHash, #corrections[0].#hash',
    ExpressionAttributeNames: { '#data': 'data', '#head': 'head', '#stateHash': 'stateHash', '#corrections': 'corrections', '#hash': 'hash' },
  }));
  if (!item) return undefined;
  const seal = sealOf(item);
  const firstChained = Array.isArray(item.corrections) && (item.corrections[0] as { hash?: unknown } | undefined)?.hash !== undefined;
  return { record: ceremonyOf(item.data), seal, sealRemoved: !seal && firstChained };
}

/** Every ceremony, latest start first, in the index. */
const allCeremonies: PartitionQuery = {
  index: 'gsi1', pk: keys.ALL_CEREMONIES_PK, range: {}, descending: true,
  startKey: (pos) => keys.indexStartKey('gsi1', keys.ALL_CEREMONIES_PK, keys.ceremonyKey(keys.idFromSortKey(pos)), pos),
  positionPattern: new RegExp(`^${keys.INSTANT_SOURCE}#${ID}$`),
};

/** Newest ceremony first. */
export function listCeremonies(page: { limit: number; cursor?: string | undefined }): Promise<Page<Ceremony>> {
  return collectPage(dataSource(allCeremonies, ceremonyOf), { ...page, digest: filterDigest(['ceremonies']) });
}

/** Every ceremony's id, latest start first (see idsOf). */
export const everyCeremonyId = (pageSize = 100) => idsOf(allCeremonies, pageSize);
