/**
 * Certificates the registry has handed out, one item per file, under its agreement version and
 * keyed by the SHA-256 of its bytes. Re-rendering reproduces a file only while fonts, shaper,
 * layout and the registry's address stay exactly as they were; this record keeps every file ever
 * handed out verifiable after any of them changes, by its bytes and by its printed link.
 */
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { dynamo, tableName } from './client.ts';
import * as keys from './keys.ts';
import { batchGetData, conditional, parseStored } from './operations.ts';

export const issuedCertificate = z.object({
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  agreementId: z.string(),
  version: z.number().int().positive(),
  /** The key id (RFC 7638 thumbprint) of the key that signed it. */
  kid: z.string(),
  /** Size of the file, for auditors. */
  bytes: z.number().int().positive(),
  /** When this file was first handed out. */
  firstIssuedAt: z.string(),
  /** The registry's base URL the file prints (and its signed payload names); unknown for records written before it was kept. */
  iss: z.string().optional(),
  /** The version of the ceremony the file prints; unknown for records written before it was kept. */
  ceremonyVersion: z.number().int().positive().optional(),
});
export type IssuedCertificate = z.infer<typeof issuedCertificate>;

/** Records a file as handed out; a second record of the same bytes keeps the first (same facts, earlier time). */
export async function recordIssuedCertificate(record: IssuedCertificate): Promise<void> {
  await conditional(dynamo.send(new PutCommand({
    TableName: tableName,
    Item: { ...keys.issuedCertificateKey(record.agreementId, record.version, record.sha256), type: 'certificate', data: record },
    ConditionExpression: 'attribute_not_exists(pk)',
  })));
}

/** The record of these bytes as a file of this version; records from before they moved under their version are found too. */
export async function getIssuedCertificate(agreementId: string, version: number, sha256: string): Promise<IssuedCertificate | undefined> {
  // Both places in one round trip: a file off record (altered, or from before records) misses both.
  const found = await batchGetData([keys.issuedCertificateKey(agreementId, version, sha256), keys.legacyIssuedCertificateKey(sha256)], (d) => parseStored(issuedCertificate, d, 'issued certificate record'));
  return found.find((record) => record.agreementId === agreementId && record.version === version);
}

/** The base URLs that files of this version were handed out under (usually one; more after a move). */
export async function issuersOf(agreementId: string, version: number): Promise<string[]> {
  const issuers = new Set<string>();
  let startKey: Record<string, unknown> | undefined;
  do {
    const out = await dynamo.send(new QueryCommand({
      TableName: tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': keys.issuedCertificatesPk(agreementId, version) },
      ProjectionExpression: '#data.iss', ExpressionAttributeNames: { '#data': 'data' }, ExclusiveStartKey: startKey,
    }));
    for (const item of out.Items ?? []) if (typeof item.data?.iss === 'string') issuers.add(item.data.iss);
    startKey = out.LastEvaluatedKey;
  } while (startKey);
  return [...issuers];
}
