/**
 * Agreement persistence. Each state change commits with ONE conditional write to the agreement
 * item; link items (party -> agreement, country -> agreement) and the code claim are indexes
 * written BEFORE that commit and checked on every read, so a crash in between never shows a
 * phantom agreement and a retry simply completes the work.
 */
import { DeleteCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { signedKey, type Versioned } from '#shared/domain/agreement.ts';
import { matchesFilter, signedKeyRange, type AgreementFilter } from '#shared/domain/agreement-filter.ts';
import { RuleViolation } from '#shared/domain/errors.ts';
import { agreementRecord, historyEntryRecord, type Agreement, type HistoryEntry } from '#shared/domain/schemas.ts';
import { dynamo, tableName } from './client.ts';
import { filterDigest } from './cursor.ts';
import * as keys from './keys.ts';
import { batchGetData, conditional, getItem, ITEM_LIMIT, itemBytes } from './operations.ts';
import { collectPage, dataSource, partitionReader, type Page, type Source } from './paging.ts';

const storedItem = z.object({
  data: agreementRecord,
  history: z.array(historyEntryRecord),
  requestHash: z.string(),
  requestToken: z.string().optional(),
  changeToken: z.string().optional(),
});
/**
 * An agreement item: the record, its history, the hash and token of the request that logged it
 * (the token is absent on older items), and the token of the request that made its latest change
 * (absent until a change, or on older items).
 */
export type StoredAgreement = { agreement: Agreement; history: HistoryEntry[]; requestHash: string; requestToken?: string | undefined; changeToken?: string | undefined };

export async function getAgreement(id: string): Promise<StoredAgreement | undefined> {
  const found = await getItem(keys.agreementKey(id));
  if (!found) return undefined;
  const item = storedItem.parse(found);
  return { agreement: item.data, history: item.history, requestHash: item.requestHash, requestToken: item.requestToken, changeToken: item.changeToken };
}

/** Current records (without history) for many ids; missing ids are simply absent. */
export async function getAgreements(ids: readonly string[]): Promise<Map<string, Agreement>> {
  const found = await batchGetData(ids.map(keys.agreementKey), (d) => agreementRecord.parse(d));
  return new Map(found.map((a) => [a.id, a]));
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

export async function agreementIdByCode(code: string): Promise<string | undefined> {
  const item = await getItem(keys.codeKey(code)); // consistent: a link checked right after its signing finds it
  return typeof item?.agreementId === 'string' ? item.agreementId : undefined;
}

function linkKeys(a: Agreement): keys.Key[] {
  const pks = new Set([
    ...a.parties.map((p) => keys.partyLinkPk(p.partyId)),
    ...a.parties.flatMap((p) => (p.countryCode ? [keys.countryLinkPk(p.countryCode)] : [])),
  ]);
  return [...pks].map((pk) => keys.linkKey(pk, signedKey(a)));
}

const keyText = (k: keys.Key) => `${k.pk}|${k.sk}`;

/**
 * Writes the links of a version about to be committed, but those of `before` (the version it
 * follows) it keeps: an amendment of an 18-party agreement wrote 36 unchanged links again. A link's
 * `version` only ever grows, so a slow writer of an older version can never overwrite the marker a
 * newer version relies on: a link kept keeps the version that wrote it, which is above that of any
 * removal still pending for it (a removal's delete takes only links of its version or older).
 */
export async function putLinks(a: Agreement, before?: Agreement): Promise<void> {
  const kept = new Set(before ? linkKeys(before).map(keyText) : []);
  await Promise.all(linkKeys(a).filter((key) => !kept.has(keyText(key))).map((key) => conditional(dynamo.send(new PutCommand({
    TableName: tableName,
    Item: { ...key, type: 'link', agreementId: a.id, version: a.version },
    ConditionExpression: 'attribute_not_exists(pk) OR version < :v',
    ExpressionAttributeValues: { ':v': a.version },
  })))));
}

/** After a commit: drops links the new version no longer has, unless a newer version re-wrote them. */
export async function removeStaleLinks(before: Agreement, after: Agreement): Promise<void> {
  const keep = new Set(linkKeys(after).map(keyText));
  const stale = linkKeys(before).filter((k) => !keep.has(keyText(k)));
  await Promise.all(stale.map((key) => conditional(dynamo.send(new DeleteCommand({
    TableName: tableName,
    Key: key,
    ConditionExpression: 'version <= :v',
    ExpressionAttributeValues: { ':v': after.version },
  })))));
}

/** The commit of a new agreement, by the request with this hash and (unique) token; false if an item with this id already exists. */
export function insertAgreement(v: Versioned, requestHash: string, requestToken: string): Promise<boolean> {
  const { agreement, entry } = v;
  return conditional(dynamo.send(new PutCommand({
    TableName: tableName,
    Item: {
      ...keys.agreementKey(agreement.id),
      ...keys.agreementIndexKeys(agreement.ceremonyId, signedKey(agreement)),
      type: 'agreement',
      version: agreement.version,
      data: agreement,
      history: [entry],
      requestHash,
      requestToken,
    },
    ConditionExpression: 'attribute_not_exists(pk)',
  })));
}

/**
 * What every agreement item keeps free for its void, so that no number of amendments can leave
 * an agreement that cannot be voided. A void adds one history entry (a reason of at most 1,000
 * UTF-16 units, so at most 3,000 bytes of UTF-8, with hashes and stamps) and changes three fields.
 */
const VOID_ROOM = 8 * 1024;

/** Refuses (422) a new agreement or an amendment that would leave the item (with `history` so far) no room for a void. */
export function assertRoomForVoid(change: Versioned, history: readonly HistoryEntry[]): void {
  if (itemBytes({ data: change.agreement, history: [...history, change.entry] }) <= ITEM_LIMIT - VOID_ROOM) return;
  const [what, outcome] = history.length === 0
    ? ['This agreement is too large to record', 'and room is kept so that it can always be voided. Nothing was recorded']
    : ['This agreement\'s record is full', 'and the rest is kept so that it can always be voided. It can still be voided; nothing was changed'];
  throw new RuleViolation(`${what}: a record holds 400 KB, its history included, ${outcome}`, [
    { path: '', message: 'would leave the record no room to be voided' },
  ]);
}

/**
 * The commit of a new version; false unless the item is still active at `expectedVersion`.
 * `token` (unique to the request) stays on the item until the next change: who made this one.
 */
export function commitVersion(v: Versioned, expectedVersion: number, token: string): Promise<boolean> {
  const { agreement, entry } = v;
  const index = keys.agreementIndexKeys(agreement.ceremonyId, signedKey(agreement));
  return conditional(dynamo.send(new UpdateCommand({
    TableName: tableName,
    Key: keys.agreementKey(agreement.id),
    UpdateExpression: 'SET #data = :data, #version = :next, #history = list_append(#history, :entry), gsi1sk = :g1, gsi2sk = :g2, changeToken = :token',
    ConditionExpression: '#version = :expected AND #data.#status = :active',
    ExpressionAttributeNames: { '#data': 'data', '#version': 'version', '#history': 'history', '#status': 'status' },
    ExpressionAttributeValues: {
      ':data': agreement, ':next': agreement.version, ':entry': [entry], ':expected': expectedVersion,
      ':active': 'active', ':g1': index.gsi1sk, ':g2': index.gsi2sk, ':token': token,
    },
  })));
}

// ---- listing ----------------------------------------------------------------------------

const SIGNED_POSITION = new RegExp(`^${keys.INSTANT_SOURCE}#${keys.ID_SOURCE}$`);
const LINK_POSITION = new RegExp(`^${keys.LINK_PREFIX}${keys.INSTANT_SOURCE}#${keys.ID_SOURCE}$`);

/** Agreements of one index partition (all, or one ceremony's): the index projects the record. */
function indexSource(index: 'gsi1' | 'gsi2', pk: string, range: { from?: string; to?: string }): Source<Agreement> {
  return dataSource({
    index, pk, range: { from: range.from, to: range.to && `${range.to}#\uffff` }, descending: true,
    positionPattern: SIGNED_POSITION,
    startKey: (pos) => ({ ...keys.agreementKey(keys.idFromSortKey(pos)), [`${index}pk`]: pk, [`${index}sk`]: pos }),
  }, (d) => agreementRecord.parse(d));
}

/**
 * Every agreement of a ceremony, `pageSize` at a time, read straight from its index partition: for
 * checks across a ceremony's signings, with no cursor to sign (the function checking may not hold
 * the cursor key).
 */
export async function* agreementsOfCeremony(ceremonyId: string, pageSize = 100): AsyncGenerator<Agreement[]> {
  const source = indexSource('gsi2', `CEREMONY#${ceremonyId}`, {});
  let after: string | undefined;
  for (;;) {
    const { candidates, done } = await source.read(after, pageSize);
    yield candidates.flatMap((c) => (c.item ? [c.item] : []));
    if (done || candidates.length === 0) return;
    after = candidates.at(-1)!.pos;
  }
}

/** Agreements behind a party's or country's links; links that point at nothing are dropped. */
function linkSource(pk: string, range: { from?: string; to?: string }): Source<Agreement> {
  const reader = partitionReader({
    pk, range: { prefix: keys.LINK_PREFIX, from: range.from, to: range.to && `${range.to}#\uffff` }, descending: true,
    positionPattern: LINK_POSITION,
    startKey: (pos) => ({ pk, sk: pos }),
  });
  return {
    holds: reader.holds,
    async read(after, max) {
      const { items, positionOf, done } = await reader.read(after, max);
      const found = await getAgreements(items.map((i) => String(i.agreementId)));
      const candidates = items.map((link) => {
        const pos = positionOf(link);
        const agreement = found.get(String(link.agreementId));
        // A link is only as good as the committed record it points at, at that signing time.
        const live = agreement && `${keys.LINK_PREFIX}${signedKey(agreement)}` === pos ? agreement : undefined;
        return { pos, item: live };
      });
      return { candidates, done };
    },
  };
}

export async function listAgreements(filter: AgreementFilter, page: { limit: number; cursor?: string | undefined }): Promise<Page<Agreement>> {
  const range = signedKeyRange(filter);
  // The narrowest partition the filters name: a party's links, a ceremony's signings (one ceremony
  // has far fewer than a country has links), a country's links, else all; the rest filter.
  const source = filter.partyId !== undefined ? linkSource(keys.partyLinkPk(filter.partyId), range)
    : filter.ceremonyId !== undefined ? indexSource('gsi2', `CEREMONY#${filter.ceremonyId}`, range)
    : filter.country !== undefined ? linkSource(keys.countryLinkPk(filter.country), range)
    : indexSource('gsi1', 'AGREEMENTS', range);
  return collectPage(source, { ...page, digest: filterDigest(['agreements', filter]), accept: matchesFilter(filter) });
}
