/**
 * Cursor-paged reads over one sorted partition (an index partition or a link partition), with
 * an optional filter applied after the read (and, on an index partition, part of it applied by the
 * table as it reads). Pages stop at `limit` matches, after examining MAX_EXAMINED candidates or
 * looking at MAX_SCANNED entries (or MAX_FILTERED_READS reads the table filtered), or at PAGE_BYTES
 * of records, whichever comes first, so a selective filter never makes one request unbounded and a
 * page of large records still fits in a Lambda's answer; the cursor then resumes exactly where the
 * page stopped.
 */
import { QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { dynamo, tableName } from './client.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import { idFromSortKey } from './keys.ts';
import type { IndexName } from './table.ts';

/** The most records one page reads and filters. */
const MAX_EXAMINED = 500;
/**
 * The most index entries one page looks at, counting those passed over on the entry alone (a
 * party's link to another ceremony's signing, for a ceremony's filter) and those the table's own
 * filter leaves out (an agreement of another status or sector), which read no record here.
 */
const MAX_SCANNED = 5000;
/** The most entries one read looks at, unless its source says otherwise. */
const BATCH = 100;
/**
 * The most reads of one page that the table filters: each looks at up to 1 MB of records, however
 * few it returns (a hundred large agreements are more than that), so that the bytes a page makes
 * the table read stay bounded.
 */
const MAX_FILTERED_READS = 20;
/**
 * Once a page's filter has passed over something, the fewest entries one read of a source the table
 * does not filter asks for, and the fewest records any read may read (unless fewer are left): a
 * page that lacks one result after a read should not take another round trip for one entry, nor
 * read a hundred records to find it.
 */
const MIN_BATCH = 10;
/** The most entries one read the table filters looks at: it returns only those that pass. */
export const FILTERED_BATCH = 500;
/**
 * The most bytes of records one page holds, as they sit in the function's answer: a Lambda's answer
 * may take 6 MB, and a hundred agreements of up to 130 KB each (fifty parties, long texts) would
 * take 13, or twice that if their texts are quotes.
 */
export const PAGE_BYTES = 4 * 1024 * 1024;

/**
 * Bytes of a record as it sits in the function's answer: its JSON, inside the body's JSON string,
 * where each quote and backslash is escaped once more (a name of quotes takes twice its size there;
 * JSON holds no raw control character to escape). Counted, not built: the page is serialized later.
 */
export function answerBytes(record: unknown): number {
  const json = JSON.stringify(record);
  let escapes = 0;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c === 0x22 || c === 0x5c) escapes += 1;
  }
  return Buffer.byteLength(json) + 2 + escapes;
}
const HIGHEST = '\uffff';

export interface Candidate<T> {
  /** The candidate's sort key in its partition: where a cursor resumes. */
  pos: string;
  /** undefined when the candidate turned out not to be a record (a dangling or stale link), or was passed over unread. */
  item: T | undefined;
  /** Passed over on its index entry alone, without reading its record: it counts against MAX_SCANNED only. */
  unread?: boolean;
}

/**
 * Index entries a read looked at and the table's filter left out: how many, and the position the
 * read reached past them (absent once the partition is done).
 */
export interface PassedOver { count: number; to?: string | undefined }

export interface Source<T> {
  /**
   * Up to `max` candidates after `after`, of which at most `reads` read a record (not `unread`): the
   * candidates stop after the one that reads the last of them (and the batch is then not `done`).
   * A source the table filters looks at up to `max` entries and returns those that pass, and says
   * what it passed over.
   */
  read(after: string | undefined, max: number, reads?: number): Promise<{ candidates: Candidate<T>[]; done: boolean; passed?: PassedOver }>;
  /** Whether a position could have come from this source (cursor validation). */
  holds(position: string): boolean;
  /** The most entries one read may look at, when the table filters them (BATCH otherwise). */
  filteredBatch?: number;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export async function collectPage<T>(
  source: Source<T>,
  options: { limit: number; cursor?: string | undefined; digest: string; accept?: (item: T) => boolean },
): Promise<Page<T>> {
  const { limit, digest, accept = () => true } = options;
  let after = options.cursor === undefined ? undefined : await decodeCursor(options.cursor, digest, (p) => source.holds(p));
  const found: Candidate<T>[] = [];
  let examined = 0;
  let scanned = 0;
  let bytes = 0;
  let filteredReads = 0;
  let done = false;
  while (!done && found.length <= limit && examined < MAX_EXAMINED && scanned < MAX_SCANNED && filteredReads < MAX_FILTERED_READS) {
    // Only what the page still lacks while everything read was shown. Once the filter has passed over
    // something, as many entries as should hold what the page lacks at the rate they have passed so
    // far (a whole batch before any has): asking for the few still missing made a narrow filter's
    // page a hundred round trips of three items each, and whole batches made a common filter's page
    // read a hundred records for its last result, which the next page read again.
    // The records still to be read bound the batch through `reads`, not its size: sized by them, a
    // batch of entries mostly passed over unread shrank to one entry a query near MAX_EXAMINED.
    const lacking = limit + 1 - found.length;
    const want = scanned > found.length ? MAX_SCANNED - scanned : lacking;
    const atRate = found.length === 0 ? Infinity : Math.ceil((lacking * scanned) / found.length);
    // A source the table filters returns only what passes: its reads look at as many as may hold
    // what is lacking, up to its own batch, and never fewer than a whole batch (looking costs little:
    // what it returns is bounded below). Other sources return every entry they look at: twice as
    // many as the rate says (so that a page seldom needs a third read), at least MIN_BATCH.
    const size = scanned === found.length ? Math.min(BATCH, want)
      : source.filteredBatch === undefined ? Math.min(BATCH, want, Math.max(MIN_BATCH, 2 * atRate))
      : Math.min(source.filteredBatch, want, Math.max(BATCH, atRate));
    // And no more records read than twice what the page lacks at the rate the records read so far
    // passed the listing's filter, at least MIN_BATCH (all it may, before any has): what the table
    // passes on, the listing may still refuse (a link carries every status its agreement has had),
    // and records read past the page's last are read again by the next.
    const atReadRate = found.length === 0 ? Infinity : Math.max(MIN_BATCH, Math.ceil((2 * lacking * examined) / found.length));
    const batch = await source.read(after, size, Math.min(MAX_EXAMINED - examined, atReadRate));
    for (const candidate of batch.candidates) {
      const accepted = candidate.item !== undefined && accept(candidate.item);
      if (accepted && found.length < limit) {
        const size = answerBytes(candidate.item);
        // Full before this record (a page always holds one): the next page starts with it.
        if (found.length > 0 && bytes + size > PAGE_BYTES) return { items: found.map((c) => c.item as T), nextCursor: await encodeCursor(found.at(-1)!.pos, digest) };
        bytes += size;
      }
      if (!candidate.unread) examined += 1;
      scanned += 1;
      after = candidate.pos;
      if (accepted) found.push(candidate);
      if (found.length > limit) break;
    }
    // What the table looked at and left out counts as scanned, and the page goes on past it.
    if (batch.passed && found.length <= limit) {
      filteredReads += 1;
      scanned += batch.passed.count;
      if (batch.passed.to !== undefined) after = batch.passed.to;
    }
    done = batch.done && found.length <= limit;
  }
  const items = found.slice(0, limit).map((c) => c.item as T);
  if (found.length > limit) return { items, nextCursor: await encodeCursor(found[limit - 1]!.pos, digest) };
  return { items, nextCursor: done || after === undefined ? null : await encodeCursor(after, digest) };
}

/**
 * The ids an index partition lists, `pageSize` at a time, from its keys alone, straight through: for
 * the integrity sweep, which reads each record whole (and must not stop at one that no longer
 * parses), and holds no cursor key.
 */
export async function* idsOf(query: PartitionQuery, pageSize: number): AsyncGenerator<string[]> {
  for await (const batch of batchesOf(dataSource(query, () => undefined), pageSize)) yield batch.map((c) => idFromSortKey(c.pos));
}

/** Every candidate of a source, `size` at a time, straight through: no filter, no cursor to sign. */
export async function* batchesOf<T>(source: Source<T>, size: number): AsyncGenerator<Candidate<T>[]> {
  let after: string | undefined;
  for (;;) {
    const { candidates, done } = await source.read(after, size);
    yield candidates;
    if (done || candidates.length === 0) return;
    after = candidates.at(-1)!.pos;
  }
}

/** Inclusive bounds on a sort key; `prefix` is prepended to both. */
export interface Range {
  prefix?: string;
  from?: string | undefined;
  to?: string | undefined;
}

function bounds({ prefix = '', from, to }: Range): [string, string] {
  return [`${prefix}${from ?? ''}`, `${prefix}${to ?? HIGHEST}`];
}

/**
 * A condition the table applies to what a query looks at before answering (a FilterExpression): it
 * may only leave out entries the listing's own filter would refuse, which still has the last word.
 */
export interface TableFilter {
  expression: string;
  names: Record<string, string>;
  values: Record<string, unknown>;
}

export interface PartitionQuery {
  index?: IndexName;
  pk: string;
  range: Range;
  descending: boolean;
  /** The full primary key (and index key) of the item at a position, for ExclusiveStartKey. */
  startKey: (position: string) => Record<string, string>;
  positionPattern: RegExp;
  filter?: TableFilter | undefined;
}

/** Reads raw items of one partition between the range bounds, in order, after a position. */
export function partitionReader(q: PartitionQuery) {
  const [lo, hi] = bounds(q.range);
  const pkName = q.index ? `${q.index}pk` : 'pk';
  const skName = q.index ? `${q.index}sk` : 'sk';
  return {
    holds: (p: string) => q.positionPattern.test(p) && p >= lo && p <= hi,
    async read(after: string | undefined, max: number) {
      const input: QueryCommandInput = {
        TableName: tableName,
        IndexName: q.index,
        // DynamoDB refuses an empty string as a key value, even as a bound (dynalite takes it):
        // no lower bound is then written as none.
        KeyConditionExpression: lo === '' ? '#pk = :pk AND #sk <= :hi' : '#pk = :pk AND #sk BETWEEN :lo AND :hi',
        ExpressionAttributeNames: { '#pk': pkName, '#sk': skName, ...q.filter?.names },
        ExpressionAttributeValues: { ':pk': q.pk, ':hi': hi, ...(lo !== '' && { ':lo': lo }), ...q.filter?.values },
        ...(q.filter && { FilterExpression: q.filter.expression }),
        ScanIndexForward: !q.descending,
        Limit: max,
        ExclusiveStartKey: after === undefined ? undefined : q.startKey(after),
      };
      const out = await dynamo.send(new QueryCommand(input));
      const items = out.Items ?? [];
      const last = out.LastEvaluatedKey?.[skName];
      return {
        items, positionOf: (item: Record<string, unknown>) => String(item[skName]), done: out.LastEvaluatedKey === undefined,
        /** Entries looked at (with a filter, more than it returned), and the position reached. */
        scanned: out.ScannedCount ?? items.length, reached: last === undefined ? undefined : String(last),
      };
    },
  };
}

/** A source over one index partition whose items carry their record in `data` (the GSI projection). */
export function dataSource<T>(q: PartitionQuery, parse: (data: unknown) => T): Source<T> {
  const reader = partitionReader(q);
  const candidatesOf = (items: Record<string, unknown>[], positionOf: (item: Record<string, unknown>) => string) =>
    items.map((i) => ({ pos: positionOf(i), item: parse(i.data) }));
  return {
    holds: reader.holds,
    ...(q.filter && { filteredBatch: FILTERED_BATCH }),
    async read(after, max, reads = max) {
      // Every candidate here is a record read and filtered.
      if (!q.filter) {
        const { items, positionOf, done } = await reader.read(after, Math.min(max, reads));
        return { candidates: candidatesOf(items, positionOf), done };
      }
      // The table looks at `max` entries and returns those that pass its filter: no more than
      // `reads` of them are kept, the read then ending at the last kept (the rest are read again).
      const { items, positionOf, done, scanned, reached } = await reader.read(after, max);
      const kept = items.slice(0, reads);
      const passed = { count: scanned - items.length, to: kept.length < items.length ? undefined : reached };
      return { candidates: candidatesOf(kept, positionOf), done: done && kept.length === items.length, passed };
    },
  };
}
