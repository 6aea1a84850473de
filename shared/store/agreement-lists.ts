/**
 * Listing agreements: every one, a ceremony's (both from an index that projects the record), or a
 * party's or a country's (through their link items, each checked against the record it points at),
 * paged with cursors bound to the filter; and a ceremony's agreements read through without a cursor.
 */
import { signedKey } from '#shared/domain/agreement.ts';
import { matchesFilter, signedKeyRange, type AgreementFilter } from '#shared/domain/agreement-filter.ts';
import { agreementRecord, type Agreement } from '#shared/domain/schemas.ts';
import { filterDigest } from './cursor.ts';
import * as keys from './keys.ts';
import { batchGetData, parseStored } from './operations.ts';
import { batchesOf, collectPage, dataSource, FILTERED_BATCH, idsOf, partitionReader, type Page, type PartitionQuery, type Source, type TableFilter } from './paging.ts';

const SIGNED_POSITION = new RegExp(`^${keys.INSTANT_SOURCE}#${keys.ID_SOURCE}$`);
const LINK_POSITION = new RegExp(`^${keys.LINK_PREFIX}${keys.INSTANT_SOURCE}#${keys.ID_SOURCE}$`);

/** Bounds on signing keys (see signedKeyRange). */
type SignedRange = { from?: string | undefined; to?: string | undefined };

/** One index partition of agreements (all, or one ceremony's), newest signing first. */
const indexQuery = (index: 'gsi1' | 'gsi2', pk: string, range: SignedRange): PartitionQuery => ({
  index, pk, range: { from: range.from, to: range.to && `${range.to}#\uffff` }, descending: true,
  positionPattern: SIGNED_POSITION,
  startKey: (pos) => keys.indexStartKey(index, pk, keys.agreementKey(keys.idFromSortKey(pos)), pos),
});

/**
 * The part of a listing's filter the table can apply as it reads (status, sector), so that a page of
 * a rare one is not a page of what it passed over: on an index partition, to the projected record;
 * on a party's or a country's links, to the statuses and sectors each link carries (every one its
 * agreement has had since the link was written; a link written before links carried them passes).
 */
const recordFilter = (f: AgreementFilter) => allOf([
  f.status !== undefined && { expression: '#data.#status = :status', names: { '#data': 'data', '#status': 'status' }, values: { ':status': f.status } },
  f.sector !== undefined && { expression: 'contains(#data.#sectors, :sector)', names: { '#data': 'data', '#sectors': 'sectors' }, values: { ':sector': f.sector } },
]);
const linkFilter = (f: AgreementFilter) => allOf([
  f.status !== undefined && { expression: '(attribute_not_exists(#statuses) OR contains(#statuses, :status))', names: { '#statuses': 'statuses' }, values: { ':status': f.status } },
  f.sector !== undefined && { expression: '(attribute_not_exists(#sectors) OR contains(#sectors, :sector))', names: { '#sectors': 'sectors' }, values: { ':sector': f.sector } },
]);

/** The filters that apply, all of them; none if none does. */
function allOf(filters: (TableFilter | false)[]): TableFilter | undefined {
  const terms = filters.filter((t) => t !== false);
  if (terms.length === 0) return undefined;
  return {
    expression: terms.map((t) => t.expression).join(' AND '),
    names: Object.fromEntries(terms.flatMap((t) => Object.entries(t.names))),
    values: Object.fromEntries(terms.flatMap((t) => Object.entries(t.values))),
  };
}

/** Agreements of one index partition: the index projects the record, which the table may filter. */
const indexSource = (index: 'gsi1' | 'gsi2', pk: string, range: SignedRange, filter?: TableFilter): Source<Agreement> =>
  dataSource({ ...indexQuery(index, pk, range), filter }, (d) => parseStored(agreementRecord, d, 'agreement record'));

/** Every agreement's id, newest signing first (see idsOf). */
export const everyAgreementId = (pageSize = 100) => idsOf(indexQuery('gsi1', keys.ALL_AGREEMENTS_PK, {}), pageSize);

/**
 * Every agreement of a ceremony, `pageSize` at a time, read straight from its index partition: for
 * checks across a ceremony's signings, with no cursor to sign (the function checking may not hold
 * the cursor key).
 */
export async function* agreementsOfCeremony(ceremonyId: string, pageSize = 100): AsyncGenerator<Agreement[]> {
  for await (const batch of batchesOf(indexSource('gsi2', keys.ceremonyAgreementsPk(ceremonyId), {}), pageSize)) yield batch.flatMap((c) => (c.item ? [c.item] : []));
}

/** Current records (without history) for many ids; missing ids are simply absent. */
async function getAgreements(ids: readonly string[]): Promise<Map<string, Agreement>> {
  const found = await batchGetData(ids.map(keys.agreementKey), (d) => parseStored(agreementRecord, d, 'agreement record'));
  return new Map(found.map((a) => [a.id, a]));
}

/**
 * Agreements behind a party's or country's links; links that point at nothing are dropped. With
 * `ceremonyId`, a link that names another ceremony is passed over without reading its agreement (a
 * link written before links named theirs is read, and filtered as before). With `filter`, the table
 * passes over links whose statuses or sectors cannot match, as it reads them.
 */
function linkSource(pk: string, range: SignedRange, options: { ceremonyId?: string | undefined; filter?: TableFilter | undefined }): Source<Agreement> {
  const { ceremonyId, filter } = options;
  const reader = partitionReader({
    pk, range: { prefix: keys.LINK_PREFIX, from: range.from, to: range.to && `${range.to}#\uffff` }, descending: true,
    positionPattern: LINK_POSITION,
    startKey: (pos) => ({ pk, sk: pos }),
    filter,
  });
  return {
    holds: reader.holds,
    ...(filter && { filteredBatch: FILTERED_BATCH }),
    async read(after, max, reads = max) {
      const { items: links, positionOf, done, scanned, reached } = await reader.read(after, max);
      // Whether each link names another ceremony (passed over unread).
      const elsewhere = links.map((link) => ceremonyId !== undefined && typeof link.ceremonyId === 'string' && link.ceremonyId !== ceremonyId);
      // No more records read than `reads`: the batch stops after the link that reads the last of them.
      let left = reads;
      const end = links.findIndex((_, i) => !elsewhere[i] && --left < 0);
      const items = end === -1 ? links : links.slice(0, end);
      const found = await getAgreements(items.filter((_, i) => !elsewhere[i]).map((i) => String(i.agreementId)));
      const candidates = items.map((link, i) => {
        const pos = positionOf(link);
        if (elsewhere[i]) return { pos, item: undefined, unread: true };
        const agreement = found.get(String(link.agreementId));
        // A link is only as good as the committed record it points at, at that signing time.
        const live = agreement && `${keys.LINK_PREFIX}${signedKey(agreement)}` === pos ? agreement : undefined;
        return { pos, item: live };
      });
      // What the table passed over, and the position it reached past it (unless the batch stopped short of it).
      const passed = { count: scanned - links.length, to: end === -1 ? reached : undefined };
      return { candidates, done: done && end === -1, ...(filter && { passed }) };
    },
  };
}

export async function listAgreements(filter: AgreementFilter, page: { limit: number; cursor?: string | undefined }): Promise<Page<Agreement>> {
  const range = signedKeyRange(filter);
  // The narrowest partition the filters name: a party's links, a ceremony's signings (one ceremony
  // has far fewer than a country has links), a country's links, else all; the rest filter.
  const source = filter.partyId !== undefined ? linkSource(keys.partyLinkPk(filter.partyId), range, { ceremonyId: filter.ceremonyId, filter: linkFilter(filter) })
    : filter.ceremonyId !== undefined ? indexSource('gsi2', keys.ceremonyAgreementsPk(filter.ceremonyId), range, recordFilter(filter))
    : filter.country !== undefined ? linkSource(keys.countryLinkPk(filter.country), range, { filter: linkFilter(filter) })
    : indexSource('gsi1', keys.ALL_AGREEMENTS_PK, range, recordFilter(filter));
  return collectPage(source, { ...page, digest: filterDigest(['agreements', filter]), accept: matchesFilter(filter) });
}
