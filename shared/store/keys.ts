/** Every key of the single table is built here, and only here. */
import { ID_PATTERN } from '#shared/domain/formats.ts';
import type { IndexName } from './table.ts';

export interface Key {
  pk: string;
  sk: string;
}

export const partyKey = (id: string): Key => ({ pk: `PARTY#${id}`, sk: 'PARTY' });
export const ceremonyKey = (id: string): Key => ({ pk: `CEREMONY#${id}`, sk: 'CEREMONY' });
export const agreementKey = (id: string): Key => ({ pk: `AGREEMENT#${id}`, sk: 'AGREEMENT' });
export const codeKey = (code: string): Key => ({ pk: `CODE#${code}`, sk: 'CODE' });
/** A signing's claim on its very body at its ceremony (the body's hash): one agreement per body, whatever Idempotency-Key it came with. */
export const signingClaimKey = (ceremonyId: string, requestHash: string): Key => ({ pk: `SIGNING#${ceremonyId}#${requestHash}`, sk: 'SIGNING' });

/**
 * An agreement's history entries: items of their own in its partition, one per entry, named by its
 * version and its hash (so that two changes racing for one version never overwrite each other's).
 * They sort after the agreement item ('AGREEMENT' < 'HISTORY#'), so a read of the partition reads
 * the item first: a change committed meanwhile only adds entries above the version read, which
 * are passed over. Sorted before it, a read could miss the entry of a version committed between
 * the two and report a history that does not check out.
 */
export const HISTORY_PREFIX = 'HISTORY#';
export const historyEntryKey = (agreementId: string, version: number, hash: string): Key =>
  ({ pk: agreementKey(agreementId).pk, sk: `${HISTORY_PREFIX}${String(version).padStart(10, '0')}#${hash}` });

/** Prefix of the records of certificates handed out; it also scopes the IAM grant that writes them. */
export const ISSUED_CERTIFICATE_PREFIX = 'CERTIFICATE#';
/** The files handed out for one version, one item each: found by version (links) and by bytes (uploads). */
export const issuedCertificatesPk = (agreementId: string, version: number) => `${ISSUED_CERTIFICATE_PREFIX}${agreementId}#${version}`;
export const issuedCertificateKey = (agreementId: string, version: number, sha256: string): Key => ({ pk: issuedCertificatesPk(agreementId, version), sk: `FILE#${sha256}` });
/** Where records written before they moved under their version are (read only). */
export const legacyIssuedCertificateKey = (sha256: string): Key => ({ pk: `${ISSUED_CERTIFICATE_PREFIX}${sha256}`, sk: 'CERTIFICATE' });

/**
 * The public keys that check certificates, as published from the signing key ring (one item): the
 * function that signs writes it (and reads it when its own publication is refused), as do the
 * signing-key custom resource and the local server's start; the verify function reads it, and never
 * the ring itself.
 */
export const publishedKeysKey: Key = { pk: 'KEYS', sk: 'PUBLISHED' };

/** Links: pointers from a party or a country to an agreement, sorted by signing time. */
export const partyLinkPk = (partyId: string) => `PARTY#${partyId}`;
export const countryLinkPk = (countryCode: string) => `COUNTRY#${countryCode}`;
export const LINK_PREFIX = 'SIGNED#';
export const linkKey = (pk: string, signedKey: string): Key => ({ pk, sk: `${LINK_PREFIX}${signedKey}` });

/**
 * Index partitions: the index keys below write items into them, and the listings query them, so
 * both sides take them from here (a partition spelt one way on write and another on read lists
 * nothing, and no error says so).
 */
export const ALL_AGREEMENTS_PK = 'AGREEMENTS';
export const ceremonyAgreementsPk = (ceremonyId: string) => `CEREMONY#${ceremonyId}`;
export const ALL_PARTIES_PK = 'PARTIES';
export const partyKindPk = (kind: string) => `PARTY_KIND#${kind}`;
export const partyCountryPk = (countryCode: string) => `PARTY_COUNTRY#${countryCode}`;
export const ALL_CEREMONIES_PK = 'CEREMONIES';

/** Index attributes per item type; the column names come from table.ts (gsiNpk / gsiNsk). */
type IndexKeys = Partial<Record<`${IndexName}pk` | `${IndexName}sk`, string>>;

export function agreementIndexKeys(ceremonyId: string, signedKey: string): IndexKeys {
  return { gsi1pk: ALL_AGREEMENTS_PK, gsi1sk: signedKey, gsi2pk: ceremonyAgreementsPk(ceremonyId), gsi2sk: signedKey };
}

export function partyIndexKeys(p: { id: string; kind: string; countryCode?: string | undefined }): IndexKeys {
  return {
    gsi1pk: ALL_PARTIES_PK,
    gsi1sk: p.id,
    gsi2pk: partyKindPk(p.kind),
    gsi2sk: `${p.countryCode ?? '~'}#${p.id}`,
    ...(p.countryCode && { gsi3pk: partyCountryPk(p.countryCode), gsi3sk: `${p.kind}#${p.id}` }),
  };
}

export function ceremonyIndexKeys(c: { id: string; startsAtUtc: string }): IndexKeys {
  return { gsi1pk: ALL_CEREMONIES_PK, gsi1sk: `${c.startsAtUtc}#${c.id}` };
}

/** Where a query of an index partition resumes (ExclusiveStartKey): the key of the item at `position`, and its index key there. */
export const indexStartKey = (index: IndexName, pk: string, item: Key, position: string): Record<string, string> =>
  ({ ...item, [`${index}pk`]: pk, [`${index}sk`]: position });

/** Cursor positions are sort keys: a UTC instant (as toUtcIso writes it) and/or an id. */
export const ID_SOURCE = ID_PATTERN.source.slice(1, -1);
export const INSTANT_SOURCE = '\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z';

/** The id at the end of any `...#<id>` sort key. */
export const idFromSortKey = (sk: string) => sk.slice(sk.lastIndexOf('#') + 1);
