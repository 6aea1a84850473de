/**
 * An agreement's link items (party -> agreement, country -> agreement), by which a party's or a
 * country's agreements are listed: written before the commit of the version that has them, and
 * removed after the commit of one that no longer has them. Read by the lists (agreement-lists.ts),
 * and checked with the printed code's claim by the integrity sweep.
 */
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
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
    // The ceremony (an agreement's own, for good): a ceremony's filter passes over another's links unread.
    Item: { ...key, type: 'link', agreementId: a.id, ceremonyId: a.ceremonyId, version: a.version },
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

/**
 * The items by which `a` is found that do not lead to it, as `pk|sk`: its printed code's claim and
 * the links of its version, each missing or naming another agreement. All are written before the
 * version is committed, and a version's links are removed only once another is committed without
 * them: for a version still current, any is damage (a newer version may have removed some since `a`
 * was read).
 */
export async function itemsNotLeadingTo(a: Agreement): Promise<string[]> {
  const expected = [keys.codeKey(a.code), ...linkKeys(a)];
  const found = await batchGetItems(expected, ['pk', 'sk', 'agreementId']);
  const leading = new Set(found.filter((item) => item.agreementId === a.id).map((item) => `${String(item.pk)}|${String(item.sk)}`));
  return expected.map(keyText).filter((key) => !leading.has(key));
}
