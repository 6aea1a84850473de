/**
 * Parties and ceremonies: the directory agreements refer to. Creates are conditional on the id
 * being new; party updates are conditional on the version the caller saw.
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { toUtcIso } from '#shared/domain/formats.ts';
import { RENAMABLE, type Rename } from '#shared/domain/party.ts';
import { ceremonyRecord, partyRecord, type Ceremony, type Party, type PartyKind } from '#shared/domain/schemas.ts';
import { dynamo, tableName } from './client.ts';
import { filterDigest } from './cursor.ts';
import * as keys from './keys.ts';
import { batchGetData, conditional, getItem } from './operations.ts';
import { collectPage, dataSource, type Page, type PartitionQuery } from './paging.ts';

const ID = keys.ID_SOURCE;

const putIf = (item: Record<string, unknown>, condition: string, values?: Record<string, unknown>) =>
  conditional(dynamo.send(new PutCommand({ TableName: tableName, Item: item, ConditionExpression: condition, ExpressionAttributeValues: values })));

/**
 * A directory record with the hash of the request that created it (absent on records older than
 * it): the same request again is a replay. A renamed party also keeps what its latest change did,
 * who made it and which request (its token), so that change sent again is one too.
 */
export interface Created<T> { record: T; requestHash: string | undefined; change?: Change | undefined }

/** A party's latest change: what it changed, its actor, and the token unique to the request that made it. */
export interface Change { rename: Rename; actor: string; token: string }

/** `requestHash` stays with the item for good: a rename keeps it, so the creating request still replays. */
function partyItem(p: Party, requestHash: string | undefined, change?: Change) {
  return { ...keys.partyKey(p.id), ...keys.partyIndexKeys(p), type: 'party', version: p.version, data: p, ...(requestHash && { requestHash }), ...(change && { change }) };
}

/** false if a party with this id exists already. */
export const insertParty = (p: Party, requestHash: string) => putIf(partyItem(p, requestHash), 'attribute_not_exists(pk)');

/** false unless the stored party is still at `expectedVersion`. `change` is the change that makes `p`. */
export const replaceParty = (p: Party, expectedVersion: number, requestHash: string | undefined, change: Change) =>
  putIf(partyItem(p, requestHash, change), 'version = :expected', { ':expected': expectedVersion });

const storedChange = z.object({
  rename: z.partialRecord(z.enum(RENAMABLE), z.object({ from: z.string().nullable(), to: z.string().nullable() })),
  actor: z.string(),
  token: z.string(),
});

async function getCreated<T>(key: keys.Key, schema: { parse: (data: unknown) => T }): Promise<Created<T> | undefined> {
  const item = await getItem(key);
  // A change of another shape (none, or written before changes were kept this way) is simply not known.
  return item && { record: schema.parse(item.data), requestHash: item.requestHash as string | undefined, change: storedChange.safeParse(item.change).data };
}

export const getPartyCreated = (id: string) => getCreated(keys.partyKey(id), partyRecord);

export const getParty = async (id: string): Promise<Party | undefined> => (await getPartyCreated(id))?.record;

export async function getParties(ids: readonly string[]): Promise<Map<string, Party>> {
  const found = await batchGetData(ids.map(keys.partyKey), (d) => partyRecord.parse(d));
  return new Map(found.map((p) => [p.id, p]));
}

export async function listParties(
  filter: { kind?: PartyKind | undefined; country?: string | undefined },
  page: { limit: number; cursor?: string | undefined },
): Promise<Page<Party>> {
  const { kind, country } = filter;
  const startKey = (index: 'gsi1' | 'gsi2' | 'gsi3', pk: string) => (pos: string) =>
    ({ ...keys.partyKey(keys.idFromSortKey(pos)), [`${index}pk`]: pk, [`${index}sk`]: pos });
  const query: PartitionQuery =
    kind !== undefined
      ? { index: 'gsi2', pk: `PARTY_KIND#${kind}`, range: { prefix: country ? `${country}#` : '' }, descending: false, startKey: startKey('gsi2', `PARTY_KIND#${kind}`), positionPattern: new RegExp(`^([A-Z]{2}|~)#${ID}$`) }
      : country !== undefined
        ? { index: 'gsi3', pk: `PARTY_COUNTRY#${country}`, range: {}, descending: false, startKey: startKey('gsi3', `PARTY_COUNTRY#${country}`), positionPattern: new RegExp(`^[a-z]+#${ID}$`) }
        : { index: 'gsi1', pk: 'PARTIES', range: {}, descending: false, startKey: startKey('gsi1', 'PARTIES'), positionPattern: new RegExp(`^${ID}$`) };
  return collectPage(dataSource(query, (d) => partyRecord.parse(d)), { ...page, digest: filterDigest(['parties', filter]) });
}

// ---- ceremonies -------------------------------------------------------------------------

/** false if a ceremony with this id exists already. */
export function insertCeremony(c: Ceremony, requestHash: string): Promise<boolean> {
  const index = keys.ceremonyIndexKeys({ id: c.id, startsAtUtc: toUtcIso(c.startsAt) });
  return putIf({ ...keys.ceremonyKey(c.id), ...index, type: 'ceremony', data: c, requestHash }, 'attribute_not_exists(pk)');
}

export const getCeremonyCreated = (id: string) => getCreated(keys.ceremonyKey(id), ceremonyRecord);

export const getCeremony = async (id: string): Promise<Ceremony | undefined> => (await getCeremonyCreated(id))?.record;

/** Newest ceremony first. */
export function listCeremonies(page: { limit: number; cursor?: string | undefined }): Promise<Page<Ceremony>> {
  const query: PartitionQuery = {
    index: 'gsi1', pk: 'CEREMONIES', range: {}, descending: true,
    startKey: (pos) => ({ ...keys.ceremonyKey(keys.idFromSortKey(pos)), gsi1pk: 'CEREMONIES', gsi1sk: pos }),
    positionPattern: new RegExp(`^${keys.INSTANT_SOURCE}#${ID}$`),
  };
  return collectPage(dataSource(query, (d) => ceremonyRecord.parse(d)), { ...page, digest: filterDigest(['ceremonies']) });
}
