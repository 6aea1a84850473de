/**
 * Public verification of certificates, which anyone may ask for without a token: a link (code +
 * version + signature, printed under and encoded in the QR code) or an uploaded PDF, checked with the
 * published public keys only, and those keys themselves. Every file handed out is recorded by its
 * SHA-256: verifying a file means finding exactly those bytes on record (or, for files from before
 * records were kept, rendering it again with the signature it carries and comparing bytes), so any
 * edit makes it `invalid`, and a new font or layout never does. Rendering and its cache are in
 * ./certificates.ts (a file not on record is compared with a re-render), signing in ./issuing.ts.
 */
import { setTimeout } from 'node:timers/promises';
import { replay, type Agreement, type HistoryEntry } from '#shared/domain/agreement.ts';
import { ceremonyVersions, type Ceremony } from '#shared/domain/ceremony.ts';
import { canonicalJson, sha256Hex } from '#shared/domain/canonical.ts';
import { RuleViolation, Unavailable } from '#shared/domain/errors.ts';
import { CEREMONY_LINES, NOT_A_PDF } from '#shared/certificate/wording.ts';
import { typedCode } from '#shared/domain/ids.ts';
import { JWS_INFO_KEY } from '#shared/certificate/render.ts';
import {
  certificatePayloadOf, cutShort, keyThatSigned, SIGNATURE_CHARACTERS, signatureAsPrinted, verifiedPayload, wellFormedSignature,
  type VerifyingKey,
} from '#shared/certificate/signature.ts';
import * as store from '#shared/store/agreements.ts';
import { getIssuedCertificate, issuersOf } from '#shared/store/certificates.ts';
import { getCeremonyStored } from '#shared/store/directory.ts';
import { PUBLIC_CEREMONY_FIELDS, type GenuineVerification, type InvalidReason, type Verification, type VerificationStatus } from '#shared/domain/schemas.ts';
import { verifyingKeys } from '#shared/store/published-keys.ts';
import { entryOf } from './agreements.ts';
import { ceremonyMissing, issuedDigest, PUBLIC_BASE_URL } from './certificates.ts';
import { ceremonyIntegrity, committedCeremony } from './directory.ts';

/**
 * The ceremony an agreement was signed at, as it stands (the latest of its versions first) and as it
 * stood before each correction; undefined while its history does not check out (its earlier versions
 * are worked out from its corrections, which may then not be the ones made).
 */
async function ceremonyVersionsOf(agreement: Pick<Agreement, 'id' | 'ceremonyId'>): Promise<Ceremony[] | undefined> {
  const found = await getCeremonyStored(agreement.ceremonyId);
  if (!found) throw ceremonyMissing(agreement);
  const check = ceremonyIntegrity(found);
  return check && !(check.chainValid && check.stateMatches) ? undefined : ceremonyVersions(found.record, found.corrections);
}

const invalid = (reason: InvalidReason, detail: string, detailZh: string): Verification => ({ status: 'invalid', reason, detail, detailZh });
/**
 * A well-formed link that no certificate of its code and version carries, whether or not that code
 * and version exist: a public link check says nothing about agreements it cannot show. (Codes derive
 * from ceremony ids and Idempotency-Keys, which can be guessed: said apart, answers for made-up codes
 * would tell which signings exist, and how many versions each has.)
 */
/** What a link that does not check out tells whoever typed it (the page's advice goes on from it). */
const IF_TYPED = ['If you typed it, compare it with the printed address, or scan the QR code.', '如为手动输入，请与证书上印制的网址核对，或直接扫描二维码。'] as const;

const NO_SUCH_LINK = [
  `No certificate with this code and version carries this signature: this link was not issued by the registry. ${IF_TYPED[0]}`,
  `登记系统未签发过此编号、此版本并带有此签名的证书，此链接并非登记系统生成。${IF_TYPED[1]}`,
] as const;

/** The ceremony's public facts by name, in English and Chinese, as a verdict names those a file prints otherwise. */
const CEREMONY_FACT_NAMES: Record<(typeof PUBLIC_CEREMONY_FIELDS)[number], [string, string]> = {
  title: ['title', '仪式名称'], event: ['event', '所属活动'], venue: ['venue', '地点'], city: ['city', '城市'], countryCode: ['country', '国家'],
  startsAt: ['start time', '开始时间'], endsAt: ['end time', '结束时间'], timeZone: ['time zone', '时区'],
};

/**
 * How a file of `certified` printing version `printed` of its ceremony differs from the ceremony as
 * it stands (`standing`): the facts whose change changed what the file prints, as the file has
 * them, from the first correction that changed it on (`version` is the last it prints as it was).
 * Undefined if none did (a correction may have been corrected back), or if the ceremony's earlier
 * versions cannot be told.
 */
async function ceremonyAsPrinted(certified: Agreement, standing: Ceremony, printed: number): Promise<GenuineVerification['ceremonyAsPrinted']> {
  if (printed >= standing.version) return undefined;
  // Oldest first, from the one the file was recorded with.
  const versions = (await ceremonyVersionsOf(certified))?.filter((c) => c.version >= printed).reverse();
  if (versions?.[0]?.version !== printed) return undefined;
  const changed = (from: Ceremony, to: Ceremony) => CEREMONY_LINES.filter(({ line }) => line(from, certified) !== line(to, certified));
  // The last version printed as the file prints it, and the correction after it.
  const k = versions.findIndex((c) => changed(versions[0]!, c).length > 0);
  if (k < 0) return undefined;
  const [then, next] = [versions[k - 1]!, versions[k]!];
  // Of each line printed otherwise, the facts that alone print it otherwise (its start moved within
  // the day does not, its end moved does); all it differs in where none does alone.
  const told = changed(then, standing).flatMap(({ fields, line }) => {
    const differ = fields.filter((f) => then[f] !== standing[f]);
    const alone = differ.filter((f) => line({ ...standing, [f]: then[f] }, certified) !== line(standing, certified));
    return alone.length > 0 ? alone : differ;
  });
  const fields = Object.fromEntries(PUBLIC_CEREMONY_FIELDS.filter((f) => told.includes(f)).map((f) => [f, then[f] ?? null]));
  return Object.keys(fields).length > 0 ? { version: then.version, correctedAt: next.updatedAt, fields } : undefined;
}

/**
 * The verdict on a genuine certificate of `version`, with its public facts; `standing` is its
 * ceremony as it stands, when already read. A ceremony changed outside the registry (its record not
 * the state its history committed) is left out: the registry cannot vouch for it. `printed`: the
 * version of the ceremony an uploaded file prints, where known.
 */
async function verdict(stored: store.StoredAgreement, version: number, standing?: Ceremony, printed?: number): Promise<Verification> {
  const certified = replay(stored.agreement, stored.history, version)!;
  const current = stored.agreement;
  const ceremony = standing ?? (await committedCeremony(certified.ceremonyId).then((found) => (found?.committed ? found.record : undefined)));
  const status: Exclude<VerificationStatus, 'invalid'> = current.status === 'voided' ? 'voided' : version < current.version ? 'superseded' : 'valid';
  const asPrinted = ceremony && printed !== undefined ? await ceremonyAsPrinted(certified, ceremony, printed) : undefined;
  const otherwise = Object.keys(asPrinted?.fields ?? {}).map((f) => CEREMONY_FACT_NAMES[f as keyof typeof CEREMONY_FACT_NAMES]);
  const [detail, detailZh]: readonly [string, string] = {
    valid: asPrinted
      ? [`This certificate was issued by the registry for the agreement as it stands, but it prints the ceremony as it was before a correction (its ${new Intl.ListFormat('en').format(otherwise.map(([en]) => en))}): download it again for a copy that prints the ceremony as corrected.`,
        `此证书由登记系统签发，所载为协议的现行版本，但其中的签约仪式信息为更正前的内容（${otherwise.map(([, zh]) => zh).join('、')}）。请重新下载，以获取载有更正后仪式信息的证书。`]
      : ['This certificate was issued by the registry and describes the agreement as it stands.', '此证书由登记系统签发，所载为协议的现行版本。'],
    superseded: [`Genuine, but the agreement has since been amended: version ${current.version} is current.`, `证书真实，但协议此后已修订：现行版本为第${current.version}版。`],
    voided: ['Genuine, but the agreement has been voided and is no longer in force.', '证书真实，但协议已作废，不再有效。'],
  }[status] as [string, string];
  const head = { detail, detailZh, code: current.code, version, currentVersion: current.version, ...(asPrinted && { ceremonyAsPrinted: asPrinted }) };
  const agreement: GenuineVerification['agreement'] = {
    title: certified.title,
    ...(certified.titleZh && { titleZh: certified.titleZh }),
    signedAt: certified.signedAt,
    parties: certified.parties.map((p) => ({ name: p.name, ...(p.localName && { localName: p.localName, ...(p.lang && { lang: p.lang }) }) })),
    ...(ceremony && { ceremony: {
      title: ceremony.title, ...(ceremony.event && { event: ceremony.event }), venue: ceremony.venue, city: ceremony.city, countryCode: ceremony.countryCode, startsAt: ceremony.startsAt,
      ...(ceremony.endsAt && { endsAt: ceremony.endsAt }),
      ...(ceremony.timeZone && { timeZone: ceremony.timeZone }), ...(ceremony.version > 1 && { correctedAt: ceremony.updatedAt }),
    } }),
  };
  switch (status) {
    case 'voided': return { status, ...head, voidedAt: current.updatedAt, agreement };
    // The next version's entry: the amendment this certificate's version gave way to.
    case 'superseded': return { status, ...head, supersededAt: stored.history.find((e) => e.version === version + 1)?.at ?? current.updatedAt, agreement };
    case 'valid': return { status, ...head, agreement };
  }
}

/**
 * A link no certificate carries is answered no sooner than this after the check began: the reads
 * behind that answer differ (none for a code never issued; the agreement's item for another version;
 * its item, that version's entries, its issuers and the signature check for another signature), and
 * a public caller timing them would learn which signings exist, and how many versions each has. Above
 * what those reads take: none of them reads a whole history (see store.getAgreementToCheck).
 * `wait` is how it waits (tests count the waits rather than time them).
 */
export const UNMATCHED_LINK = { floorMs: 200, wait: (ms: number) => setTimeout(ms) };

const NO_KEYS = 'No certificate keys are published: no signature can be checked now';

/**
 * The published keys to check with (`read`, when already read): read again at once (at most once a
 * second) when there were none; with none at all, "cannot check now" (503), whatever is checked.
 */
async function keysToCheckWith(read?: VerifyingKey[]): Promise<VerifyingKey[]> {
  const keys = read ?? (await verifyingKeys());
  const known = keys.length > 0 ? keys : await verifyingKeys({ missed: true });
  if (known.length === 0) throw new Unavailable(NO_KEYS);
  return known;
}

/**
 * What `find` finds with the published keys; when it finds nothing, what it finds with the keys read
 * again (at most once a second): a certificate signed with a key another instance published a
 * moment ago checks out at once. `keys` are the published keys when already read.
 */
async function withPublishedKeys<T>(find: (keys: readonly VerifyingKey[]) => T | undefined | Promise<T | undefined>, keys?: VerifyingKey[]): Promise<T | undefined> {
  const known = keys ?? (await keysToCheckWith());
  const found = await find(known);
  if (found !== undefined) return found;
  const again = await verifyingKeys({ missed: true });
  // With no key to check with, a genuine certificate cannot be told from a forged one: the
  // registry says it cannot check now (503) rather than call every certificate invalid.
  if (again.length === 0) throw new Unavailable(NO_KEYS);
  return again === known ? undefined : find(again);
}

/** GET /verify/{code}?v=N&sig=...: the link printed under (and encoded in) the QR code. */
export async function verifyLink(typed: string, version: number, copied: string): Promise<Verification> {
  const started = performance.now();
  const noSuchLink = async () => {
    await UNMATCHED_LINK.wait(Math.max(0, started + UNMATCHED_LINK.floorMs - performance.now()));
    return invalid('signature-mismatch', ...NO_SUCH_LINK);
  };
  const code = typedCode(typed);
  // Everything a link can be told without the registry's records comes first, the same for any
  // code: what it reads there is told only as "no certificate carries this signature" (NO_SUCH_LINK).
  if (!code) return invalid('unknown-code', `This is not a certificate code: a code has 8 letters and digits, printed as "ABCD-EFGH". ${IF_TYPED[0]}`, `这不是证书编号：证书编号由8位字母和数字组成，印制格式为“ABCD-EFGH”。${IF_TYPED[1]}`);
  const signature = signatureAsPrinted(copied);
  const cut = cutShort(copied);
  if (cut) {
    return invalid(
      'cut-short',
      `The signature in this address is ${cut.signatureLength} character${cut.signatureLength === 1 ? '' : 's'} long; a certificate's is ${cut.expected}, so the address was probably cut short when it was copied. Scan the QR code, or type the whole printed address.`,
      `此网址中的签名只有${cut.signatureLength}个字符，证书的签名应有${cut.expected}个字符，网址可能在复制时被截断。请扫描二维码，或输入二维码下方印制的完整网址。`,
    );
  }
  if (signature.length > SIGNATURE_CHARACTERS) {
    // Most often a character typed after it: said as for one cut short, though it is still no match.
    return invalid(
      'signature-mismatch',
      `The signature in this address is ${signature.length} characters long; a certificate's is ${SIGNATURE_CHARACTERS}, so it does not match. If you typed the address, look for characters typed after the signature, or scan the QR code.`,
      `此网址中的签名有${signature.length}个字符，证书的签名应有${SIGNATURE_CHARACTERS}个字符，签名不符。如为手动输入，请检查签名后是否多输入了字符，或直接扫描二维码。`,
    );
  }
  if (!wellFormedSignature(signature)) return invalid('signature-mismatch', ...NO_SUCH_LINK);
  // The keys are read whatever the code: on a cold start their first read is slow, and read only for
  // an issued code, it would tell that code apart past the floor.
  const [read, agreementId] = await Promise.all([verifyingKeys(), store.agreementIdByCode(code)]);
  // With none published, every link is "cannot check now" (503) before its code is looked at: only
  // an issued code's reached withPublishedKeys, and the 503 told which codes and versions exist.
  const keys = await keysToCheckWith(read);
  // The link was printed under the registry's address at the time: this one, or (after a move)
  // another that files of this version were handed out under.
  let issuers: Promise<string[]> | undefined;
  const signedBy = async (agreement: Agreement, entry: HistoryEntry, known: readonly VerifyingKey[]) => {
    const signedUnder = (iss: string) => keyThatSigned(certificatePayloadOf(agreement, entry, iss), signature, known);
    return signedUnder(PUBLIC_BASE_URL) ?? (await (issuers ??= issuersOf(agreement.id, version))).map((iss) => (iss === PUBLIC_BASE_URL ? undefined : signedUnder(iss))).find(Boolean);
  };
  // First against this version's stored entries alone (unless the agreement is kept): a signature
  // none of them carries is no certificate's, told without reading the whole history (megabytes for
  // a large agreement, a read that outlasted the floor and so told an issued code apart). One that
  // does is checked again, and judged, on the history read whole (its chain decides which entry
  // was committed).
  const carried = (record: Agreement, entries: readonly HistoryEntry[]) => withPublishedKeys(async (known) => {
    for (const entry of entries) if (await signedBy(record, entry, known)) return true;
    return undefined;
  }, keys).then(Boolean);
  const stored = agreementId ? await store.getAgreementToCheck(agreementId, version, carried) : undefined;
  const entry = stored && entryOf(stored, version);
  if (!stored || !entry) return noSuchLink();
  const signer = await withPublishedKeys((known) => signedBy(stored.agreement, entry, known), keys);
  return signer ? verdict(stored, version) : noSuchLink();
}

/** PDF's white-space characters (ISO 32000 §7.2.3): NUL, tab, line feed, form feed, carriage return, space. */
const PDF_WHITE_SPACE = new Set([0x00, 0x09, 0x0a, 0x0c, 0x0d, 0x20]);

const JWS_IN_PDF = new RegExp(`/${JWS_INFO_KEY}\\s*\\(([A-Za-z0-9_.-]{1,4000})\\)`);

/** POST /verify: are these exact bytes a certificate the registry issued, and what is its status? */
export async function verifyDocument(pdf: Buffer): Promise<Verification> {
  // A PDF says so in its first bytes (readers look as far as 1 KB in); a photo of the paper does not.
  if (!pdf.subarray(0, 1024 + 4).includes('%PDF-')) return invalid('not-a-pdf', ...NOT_A_PDF); // a header starting in the first 1,024 bytes
  // A PDF ends with %%EOF (a certificate once, at its end; an appended update after it again): a
  // file without one was cut short, most often by an interrupted download. It is not verified (it
  // is not what the registry issued), but is told so rather than called altered.
  if (!pdf.includes('%%EOF')) {
    return invalid(
      'incomplete',
      'This file ends before a PDF file\'s end, so it is not the certificate as issued: its download or copy was probably cut short.',
      '此文件不完整（缺少 PDF 文件结尾），并非签发时的原始证书，可能是下载或复制中断所致。',
    );
  }
  const jws = JWS_IN_PDF.exec(pdf.toString('latin1'))?.[1];
  // Where the registry writes it, readable in the bytes; a program that re-saves the file (compressing its objects) hides it, and alters the file anyway.
  if (!jws) {
    return invalid(
      'no-signature',
      'No Concord certificate signature can be read in this file: it is not a certificate the registry issued, or one re-saved by another program, which alters it.',
      '无法读取此文件中的 Concord 证书签名：该文件可能并非登记系统签发的证书，也可能已被其他程序重新保存（重新保存会改动文件）。',
    );
  }
  const verified = await withPublishedKeys((keys) => verifiedPayload(jws, keys));
  if (!verified) return invalid('bad-signature', 'The signature in this file is not valid: the file was not issued by the registry.', '此文件中的签名核验未通过：该文件并非由登记系统签发。');
  const { payload, key } = verified;
  const stored = await store.getAgreementReused(payload.id);
  const entry = stored && entryOf(stored, payload.version);
  if (!stored || !entry || canonicalJson(certificatePayloadOf(stored.agreement, entry, payload.iss)) !== canonicalJson(payload)) {
    return invalid('unknown-payload', 'The signed payload does not match any agreement version in the registry.', '经签名的内容与登记系统中的任何协议版本均不相符。');
  }
  const digest = sha256Hex(pdf);
  const onRecord = await getIssuedCertificate(payload.id, payload.version, digest);
  if (onRecord?.kid === key.kid) return verdict(stored, payload.version, undefined, onRecord.ceremonyVersion);
  // A file on record with blank bytes added after its end (a line break, as some mail and transfer
  // programs add): no reader shows them, but they are not the bytes issued.
  let end = pdf.length;
  while (end > 0 && PDF_WHITE_SPACE.has(pdf[end - 1]!)) end -= 1;
  const issued = pdf.subarray(0, end);
  if (issued.length < pdf.length && (await getIssuedCertificate(payload.id, payload.version, sha256Hex(issued)))?.kid === key.kid) {
    const added = pdf.length - issued.length;
    return invalid(
      'padded',
      `This is a file the registry issued with ${added} blank byte${added === 1 ? '' : 's'} (spaces, line breaks or the like) added after its end, as some mail and file-transfer programs add them: it shows what the registry issued, but it is not the issued file, byte for byte.`,
      `此文件为登记系统签发的证书，但文件末尾被添加了${added}个空白字节（空格、换行等，部分邮件或文件传输程序会添加）：其显示内容与签发时一致，但并非逐字节相同的原始文件。`,
    );
  }
  // Not on record (handed out before records were kept): re-render it with the JWS it carries (the
  // one the registry signed for this payload, whichever key signed it: Ed25519 signs
  // deterministically) and compare the bytes. No private key is needed. Such a file
  // printed the ceremony as it was opened (corrections came after records); it is tried after the
  // ceremony as it stands, which is most often the same and already rendered. Two renders at most.
  const versions = await ceremonyVersionsOf(stored.agreement);
  // A ceremony changed outside the registry cannot be printed again to compare with.
  if (!versions) {
    return invalid(
      'not-comparable',
      'These exact bytes are not on record, and the history of this agreement\'s ceremony does not check out (it was changed outside the registry), so the file cannot be re-rendered to compare them.',
      '登记系统中没有与此文件完全相同的记录，且此协议的签约仪式历史记录未通过完整性核验（已在登记系统之外被改动），无法重新生成文件以作比对。',
    );
  }
  let unprintable: RuleViolation | undefined;
  for (const ceremony of new Set([versions[0]!, versions.at(-1)!])) {
    try {
      if ((await issuedDigest(stored, payload.version, { sign: async () => ({ jws, kid: key.kid }), iss: payload.iss, ceremony })) === digest) return verdict(stored, payload.version, versions[0], ceremony.version);
      unprintable = undefined;
    } catch (error) {
      // A version too large to render now (see the limits above) cannot be compared byte for byte.
      if (!(error instanceof RuleViolation)) throw error;
      unprintable ??= error;
    }
  }
  if (unprintable) {
    return invalid(
      'not-comparable',
      `These exact bytes are not on record, and this version cannot be re-rendered to compare them: ${unprintable.message}.`,
      '登记系统中没有与此文件完全相同的记录，且此版本目前无法重新生成以作逐字节比对（原因详见英文说明）。',
    );
  }
  return invalid('altered', 'The signature is genuine but the file has been altered since it was issued.', '签名真实，但文件在签发后已被改动。');
}

export async function publicKeys() {
  return { keys: (await verifyingKeys()).map((k) => k.jwk) };
}
