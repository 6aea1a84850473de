/**
 * The public keys that check certificates, published from the signing key ring into one table item
 * (keys.publishedKeysKey) by whoever loads the ring (./signing-keys.ts), before any of them signs.
 * The verify function, which anyone may call and which parses the files they upload, reads them
 * here and holds no private key: this module reads no secret, and the verify function has neither
 * the ring's ARN nor a grant to read it.
 * The item follows the newest version of the ring that has been loaded: a key taken out of the ring
 * stops verifying once the signing function loads the ring again.
 */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { publicJwk, verifyingKey, type VerifyingKey } from '#shared/certificate/signature.ts';
import { dynamo, tableName } from './client.ts';
import { publishedKeysKey } from './keys.ts';
import { log } from '#shared/log.ts';
import { conditional, parseStored } from './operations.ts';
import type { SecretVersion } from './secrets.ts';

const published = z.object({
  /** Each is read on its own (readPublishedKeys): one that does not load is left out, not the set. */
  keys: z.array(z.unknown()),
  /** The version of the ring they came from: an instance still holding an older one cannot put its keys back. */
  ring: z.object({ versionId: z.string(), createdAt: z.number() }),
  publishedAt: z.string(),
});

/**
 * Publishes the public keys of a ring, unless those of that version of it, or a later one, are
 * published already (versions are ordered by when Secrets Manager made them). `force` publishes
 * them whatever is there: the local server's start says which ring is current (its file's date
 * says little: a copy restored from a backup keeps an old one). True when they were written.
 */
export async function publishKeys(ring: readonly VerifyingKey[], version: SecretVersion, { force = false } = {}): Promise<boolean> {
  const data: z.infer<typeof published> = { keys: ring.map((k) => k.jwk), ring: version, publishedAt: new Date().toISOString() };
  return conditional(dynamo.send(new PutCommand({
    TableName: tableName,
    Item: { ...publishedKeysKey, type: 'published-keys', data },
    ...(!force && {
      ConditionExpression: 'attribute_not_exists(pk) OR #d.#r.#at < :at OR (#d.#r.#at = :at AND #d.#r.#v < :v)',
      ExpressionAttributeNames: { '#d': 'data', '#r': 'ring', '#at': 'createdAt', '#v': 'versionId' },
      ExpressionAttributeValues: { ':at': version.createdAt, ':v': version.versionId },
    }),
  })));
}

/** How long the published keys are used before they are read again. */
export const PUBLISHED_KEYS_REFRESH_MS = 60_000;
/** When no published key checks a signature, they are read again, but no more often than this. */
export const PUBLISHED_KEYS_REREAD_MS = 1000;

/** After a failed read, the keys read before serve this long before the next attempt. */
export const PUBLISHED_KEYS_RETRY_MS = 5000;

/** The keys last read, and when that read began; the read under way; when the last one failed. */
let good: { keys: VerifyingKey[]; at: number } | undefined;
let reading: Promise<VerifyingKey[]> | undefined;
let failedAt = -Infinity;

/** The published keys as they stand (none when none are). */
export async function readPublishedKeys(): Promise<VerifyingKey[]> {
  const item = (await dynamo.send(new GetCommand({ TableName: tableName, Key: publishedKeysKey, ConsistentRead: true }))).Item;
  if (!item) {
    // Nothing verifies until they are: the deploy's custom resource and every function that signs publish them.
    log.integrity('no certificate keys are published');
    return [];
  }
  return parseStored(published, item.data, publishedKeysKey.pk).keys.flatMap((jwk, index) => {
    try {
      return [verifyingKey(publicJwk.parse(jwk))];
    } catch (error) {
      // One key that does not load (an item edited behind the API) takes itself out, not the others.
      log.integrity('a published certificate key does not load: left out', { index, kid: (jwk as { kid?: unknown } | null)?.kid, error: error instanceof Error ? error.message : String(error) });
      return [];
    }
  });
}

/** Whether the key with this id is among the published keys as they stand (read afresh, not the copy verification keeps). */
export const isPublished = async (kid: string): Promise<boolean> => (await readPublishedKeys()).some((k) => k.kid === kid);

/**
 * The published public keys, kept for PUBLISHED_KEYS_REFRESH_MS (none, for PUBLISHED_KEYS_REREAD_MS). `missed`: none of the keys last
 * read checked a signature, so they are read again if that read is over PUBLISHED_KEYS_REREAD_MS
 * old (a key another instance published a moment ago is found at once). One read at a time; when
 * one fails, the keys read before answer, and the next attempt waits PUBLISHED_KEYS_RETRY_MS
 * (without keys read before, the failure is the answer).
 */
export async function verifyingKeys({ missed = false } = {}): Promise<VerifyingKey[]> {
  const now = Date.now();
  // (A clock set back makes every time it took "in the future": then they are read again.)
  const within = (since: number, ms: number) => now >= since && now - since < ms;
  // None published is kept no longer than a miss is: keys published since are served at once.
  const keepFor = missed || good?.keys.length === 0 ? PUBLISHED_KEYS_REREAD_MS : PUBLISHED_KEYS_REFRESH_MS;
  if (good && (within(good.at, keepFor) || within(failedAt, PUBLISHED_KEYS_RETRY_MS))) return good.keys;
  reading ??= readPublishedKeys().then(
    (keys) => {
      good = { keys, at: now };
      return keys;
    },
    (error: unknown) => {
      failedAt = Date.now();
      throw error;
    },
  ).finally(() => { reading = undefined; });
  try {
    return await reading;
  } catch (error) {
    if (!good) throw error;
    // Said, or a verify instance could check with stale keys (one taken out included) for as long as reads fail, unseen.
    log.error('the published keys could not be read again: checking with those read before', { readAt: new Date(good.at).toISOString(), error: error instanceof Error ? error.name : String(error) });
    return good.keys;
  }
}
