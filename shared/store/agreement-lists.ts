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
import { batchesOf, collectPage, dataSource, partitionReader, type Page, type PartitionQuery, type Source, type TableFilter } from './paging.ts';

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
 * The part of a listing's filter the table can apply to an index partition's projected records as
 * it reads them (status, sector), so that a page of a rare one is not a page of what it passed over.
 */
function tableFilter(f: AgreementFilter): TableFilter | undefined {
  const terms: string[] = [];
  const names: Record<string, string> = { '#data': 'data' };
  const values: Record<string, unknown> = {};
  if (f.status !== undefined) {
    terms.push('#data.#status = :status');
    names['#status'] = 'status';
    values[':status'] = f.status;
  }
  if (f.sector !== undefined) {
    terms.push('contains(#data.#sectors, :sector)');
    names['#sectors'] = 'sectors';
    values[':sector'] = f.sector;
  }
  return terms.length === 0 ? undefined : { expression: terms.join(' AND '), names, values };
}

/** Agreements of one index partition: the index projects the record, which the table may filter. */
const indexSource = (index: 'gsi1' | 'gsi2', pk: string, range: SignedRange, filter?: TableFilter): Source<Agreement> =>
  dataSource({ ...indexQuery(index, pk, range), filter }, (d) => parseStored(agreementRecord, d, 'agreement record'));

/**
 * Every agreement's id, `pageSize` at a time, newest signing first, from the index's keys alone:
 * for the integrity sweep, which reads each agreement whole, and must not stop at one whose
 * record no longer parses.
 */
export async function* everyAgreementId(pageSize = 100): AsyncGenerator<string[]> {
  const keysOnly = dataSource(indexQuery('gsi1', keys.ALL_AGREEMENTS_PK, {}), () => undefined);
  for await (const batch of batchesOf(keysOnly, pageSize)) yield batch.map((c) => keys.idFromSortKey(c.pos));
}

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
 * link written before links named theirs is read, and filtered as before).
 */
function linkSource(pk: string, range: SignedRange, ceremonyId?: string): Source<Agreement> {
  const reader = partitionReader({
    pk, range: { prefix: keys.LINK_PREFIX, from: range.from, to: range.to && `${range.to}#\uffff` }, descending: true,
    positionPattern: LINK_POSITION,
    startKey: (pos) => ({ pk, sk: pos }),
  });
  return {
    holds: reader.holds,
    async read(after, max, reads = max) {
      const { items: links, positionOf, done } = await reader.read(after, max);
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
      return { candidates, done: done && end === -1 };
    },
  };
}

export async function listAgreements(filter: AgreementFilter, page: { limit: number; cursor?: string | undefined }): Promise<Page<Agreement>> {
  const range = signedKeyRange(filter);
  // The narrowest partition the filters name: a party's links, a ceremony's signings (one ceremony
  // has far fewer than a country has links), a country's links, else all; the rest filter.
  const source = filter.partyId !== undefined ? linkSource(keys.partyLinkPk(filter.partyId), range, filter.ceremonyId)
    : filter.ceremonyId !== undefined ? indexSource('gsi2', keys.ceremonyAgreementsPk(filter.ceremonyId), range, tableFilter(filter))
    : filter.country !== undefined ? linkSource(keys.countryLinkPk(filter.country), range)
    : indexSource('gsi1', keys.ALL_AGREEMENTS_PK, range, tableFilter(filter));
  return collectPage(source, { ...page, digest: filterDigest(['agreements', filter]), accept: matchesFilter(filter) });
}
