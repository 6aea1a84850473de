/**
 * An agreement's link items (party -> agreement, country -> agreement), by which a party's or a
 * country's agreements are listed: written before the commit of the version that has them, and
 * removed after the commit of one that no longer has them. Read by the lists (agreement-lists.ts),
 * and checked with the printed code's claim by the integrity sweep.
 *
 * A link also carries every status and sector its agreement has had since the link was written
 * (`statuses`, `sectors`: string sets that only ever grow, each value added before the version that
 * brings it commits), so that the table can pass over, as it reads a party's or a country's links,
 * those of agreements that cannot match a `status` or `sector` filter. Growing only, the sets need
 * no order among writers: a lost race or a crash leaves a value too many (a record read for
 * nothing, which the listing's own filter refuses), never one too few. A link written before links
 * carried them has neither set, and never gets one: it passes every such filter.
 */
import { DeleteCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { signedKey } from '#shared/domain/agreement.ts';
import type { Agreement } from '#shared/domain/schemas.ts';
import { dynamo, tableName } from './client.ts';
import * as keys from './keys.ts';
import { batchGetItems, conditional } from './operations.ts';

function linkKeys(a: Agreement): keys.Key[] {
  const pks = new Set([
    ...a.parties.map((p) => keys.partyLinkPk(p.partyId)),
    ...a.parties.flatMap((p) => (p.countryCode ? [keys.countryLinkPk(p.countryCode)] : [])),
  ]);
  return [...pks].map((pk) => keys.linkKey(pk, signedKey(a)));
}

const keyText = (k: keys.Key) => `${k.pk}|${k.sk}`;

/** Whether every status and sector of `a` is one `before` had: its links already carry them (or, written before links carried them, carry no sets and pass every filter). */
const carriedBy = (before: Agreement, a: Agreement) => a.status === before.status && a.sectors.every((s) => before.sectors.includes(s));

/** Adds `a`'s status and sectors to a link's sets, if it has them (a link written before links carried them has neither, and passes every filter). */
const addFilterValues = (key: keys.Key, a: Agreement) => conditional(dynamo.send(new UpdateCommand({
  TableName: tableName,
  Key: key,
  UpdateExpression: 'ADD #statuses :statuses, #sectors :sectors',
  ConditionExpression: 'attribute_exists(#statuses) AND attribute_exists(#sectors)',
  ExpressionAttributeNames: { '#statuses': 'statuses', '#sectors': 'sectors' },
  ExpressionAttributeValues: { ':statuses': new Set([a.status]), ':sectors': new Set(a.sectors) },
})));

/**
 * Writes the links of a version about to be committed, but those of `before` (the version it
 * follows) it keeps: an amendment of an 18-party agreement wrote 36 unchanged links again. A link's
 * `version` only ever grows, so a slow writer of an older version can never overwrite the marker a
 * newer version relies on: a link kept keeps the version that wrote it, which is above that of any
 * removal still pending for it (a removal's delete takes only links of its version or older).
 * A kept link gets the version's status and sectors added when `before` lacked one (a void, a new
 * sector), and so does a link another writer of this version or a newer one wrote first.
 */
export async function putLinks(a: Agreement, before?: Agreement): Promise<void> {
  const kept = new Set(before ? linkKeys(before).map(keyText) : []);
  const widen = before !== undefined && !carriedBy(before, a);
  await Promise.all(linkKeys(a).map(async (key) => {
    if (kept.has(keyText(key))) return widen && addFilterValues(key, a);
    const written = await conditional(dynamo.send(new PutCommand({
      TableName: tableName,
      // The ceremony (an agreement's own, for good): a ceremony's filter passes over another's links unread.
      Item: { ...key, type: 'link', agreementId: a.id, ceremonyId: a.ceremonyId, version: a.version, statuses: new Set([a.status]), sectors: new Set(a.sectors) },
      ConditionExpression: 'attribute_not_exists(pk) OR version < :v',
      ExpressionAttributeValues: { ':v': a.version },
    })));
    return written || addFilterValues(key, a);
  }));
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

/**
 * The items by which `a` is found that do not lead to it, as `pk|sk`: its printed code's claim and
 * the links of its version, each missing, naming another agreement, or lacking its status or a
 * sector of it (filtered lists would pass it over). All are written before the version is committed,
 * and a version's links are removed only once another is committed without them: for a version
 * still current, any is damage (a newer version may have removed some since `a` was read; the sets
 * only grow).
 */
export async function itemsNotLeadingTo(a: Agreement): Promise<string[]> {
  const expected = [keys.codeKey(a.code), ...linkKeys(a)];
  const found = await batchGetItems(expected, ['pk', 'sk', 'agreementId', 'statuses', 'sectors']);
  const carries = (values: unknown, wanted: readonly string[]) => values === undefined || (values instanceof Set && wanted.every((v) => values.has(v)));
  const leads = (item: Record<string, unknown>) => item.agreementId === a.id && carries(item.statuses, [a.status]) && carries(item.sectors, a.sectors);
  const leading = new Set(found.filter(leads).map((item) => `${String(item.pk)}|${String(item.sk)}`));
  return expected.map(keyText).filter((key) => !leading.has(key));
}
