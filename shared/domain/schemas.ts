/**
 * Request and record schemas. Every input object is strict: an unknown field is a 400, so
 * nobody can mass-assign `status`, `version` or `code`. Types are inferred from here; the
 * OpenAPI document is generated from the same schemas.
 */
import * as z from 'zod';
import { asciiUpper } from './ascii-case.ts';
import {
  countryCode,
  countryCodeAnyCase,
  currencyCode,
  dateOrDateTime,
  dateTimeWithOffset,
  decimalAmount,
  id,
  languageTag,
  text,
  timeZone,
} from './formats.ts';

export const PARTY_KINDS = ['state', 'city', 'enterprise', 'organization'] as const;
export const AGREEMENT_KINDS = ['mou', 'framework', 'investment', 'trade', 'sister-city', 'cooperation', 'other'] as const;
export const SECTORS = [
  'digital-economy', 'e-commerce', 'smart-tourism', 'smart-logistics', 'digital-channels',
  'industrial-internet', 'trade', 'investment', 'culture', 'education', 'other',
] as const;
export const AGREEMENT_STATUSES = ['active', 'voided'] as const;

export type PartyKind = (typeof PARTY_KINDS)[number];

const reason = text(1000, { multiline: true });

// ---- parties ----------------------------------------------------------------------------

export const partyInput = z
  .strictObject({
    id: id.optional(),
    kind: z.enum(PARTY_KINDS),
    name: text(200),
    localName: text(200).optional(),
    lang: languageTag.optional(),
    countryCode: countryCode.optional(),
  })
  .meta({ description: 'countryCode is required for every kind but "organization". An organization of one country (a ministry, an agency, a chamber of commerce) gives it, and certificates call it an "Organization" of that country; an international organization gives none (its seat is not its country), and certificates call it an "International organization".' })
  .superRefine((party, ctx) => {
    if (party.kind !== 'organization' && party.countryCode === undefined) {
      ctx.addIssue({ code: 'custom', path: ['countryCode'], message: `is required for a party of kind "${party.kind}"` });
    }
  });
export type PartyInput = z.infer<typeof partyInput>;

export const partyPatch = z
  .strictObject({
    name: text(200).optional(),
    localName: text(200).nullable().optional(),
    lang: languageTag.nullable().optional(),
    // A country registered wrong prints on every certificate the party signs from then on.
    countryCode: countryCode.nullable().optional(),
    // Optional, unlike a ceremony's correction or an agreement's amendment: the contract's clients rename without one.
    reason: reason.optional(),
  })
  // As for ceremonies and agreements: an empty patch is a client's mistake, not a change.
  .refine((p) => Object.keys(p).some((k) => k !== 'reason'), { message: 'must change at least one field: name, localName, lang or countryCode' })
  .meta({ description: 'At least one of name, localName, lang, countryCode; null removes localName or lang (or an organization\'s countryCode); reason (optional) is kept in the party\'s history' });
export type PartyPatch = z.infer<typeof partyPatch>;

// ---- ceremonies -------------------------------------------------------------------------

export const ceremonyInput = z.strictObject({
  id: id.optional(),
  title: text(300),
  event: text(300).optional(),
  venue: text(200),
  city: text(100),
  countryCode,
  startsAt: dateTimeWithOffset,
  endsAt: dateTimeWithOffset.optional(),
  timeZone: timeZone.optional(),
});
export type CeremonyInput = z.infer<typeof ceremonyInput>;

/** A correction, with its reason: optional fields may be set to null to remove them. */
export const ceremonyPatch = z
  .strictObject({
    title: ceremonyInput.shape.title.optional(),
    event: ceremonyInput.shape.event.unwrap().nullable().optional(),
    venue: ceremonyInput.shape.venue.optional(),
    city: ceremonyInput.shape.city.optional(),
    countryCode: countryCode.optional(),
    startsAt: dateTimeWithOffset.optional(),
    endsAt: dateTimeWithOffset.nullable().optional(),
    timeZone: timeZone.nullable().optional(),
    reason,
  })
  .refine((p) => Object.keys(p).some((k) => k !== 'reason'), { message: 'must change at least one field besides "reason"' })
  .meta({ description: 'At least one field besides reason; null removes an optional field' });
export type CeremonyPatch = z.infer<typeof ceremonyPatch>;

// ---- agreements -------------------------------------------------------------------------

export const money = z.strictObject({ amount: decimalAmount, currency: currencyCode });

export const signatory = z.strictObject({ name: text(200), title: text(200).optional() });

export const agreementPartyInput = z.strictObject({
  partyId: id,
  role: text(100).optional(),
  signatory,
});

/** A party in an amendment: `refresh` takes it as the directory has it now (after a rename), not as the agreement recorded it. */
export const agreementPartyChange = agreementPartyInput.extend({
  refresh: z.boolean().optional().meta({ description: 'Take this party\'s name, local name, language, kind and country from the directory as they are now (after a rename) instead of as this agreement recorded them' }),
});

/** The parties of an agreement: 2 to 50. */
const partyList = <T extends z.ZodType>(party: T) => z.array(party).min(2, 'must list at least 2 parties').max(50, 'must list at most 50 parties');

const agreementFields = {
  title: text(300),
  // The title in Chinese: a Latin one there is the English title pasted twice, printed under the Chinese labels.
  titleZh: text(300).refine((t) => /\p{Script=Han}/u.test(t), 'must be the title in Chinese: it holds no Han character').optional(),
  kind: z.enum(AGREEMENT_KINDS),
  parties: partyList(agreementPartyInput),
  sectors: z
    .array(z.enum(SECTORS))
    .min(1, 'must list at least one sector')
    .refine((s) => new Set(s).size === s.length, 'must not repeat a sector')
    .meta({ uniqueItems: true }),
  value: money.optional(),
  signedAt: dateTimeWithOffset,
  place: text(200).optional(),
  summary: text(2000, { multiline: true }).optional(),
};

export const agreementInput = z.strictObject(agreementFields);
export type AgreementInput = z.infer<typeof agreementInput>;

/** Optional fields may be set to null to remove them; `reason` is always required. */
export const agreementPatch = z
  .strictObject({
    title: agreementFields.title.optional(),
    titleZh: agreementFields.titleZh.unwrap().nullable().optional(),
    kind: agreementFields.kind.optional(),
    parties: partyList(agreementPartyChange).optional(),
    sectors: agreementFields.sectors.optional(),
    value: money.nullable().optional(),
    signedAt: agreementFields.signedAt.optional(),
    place: agreementFields.place.unwrap().nullable().optional(),
    summary: agreementFields.summary.unwrap().nullable().optional(),
    reason,
  })
  .refine((p) => Object.keys(p).some((k) => k !== 'reason'), {
    message: 'must change at least one field besides "reason"',
  })
  .meta({ description: 'At least one field besides reason; null removes an optional field; parties replaces the whole list (each party as this agreement recorded it, unless `refresh`)' });
export type AgreementPatch = z.infer<typeof agreementPatch>;

export const voidInput = z.strictObject({ reason });

// ---- list queries (query-string values arrive as strings) -------------------------------

export const limit = z
  .string()
  .regex(/^(?:[1-9]\d?|100)$/, { message: 'must be an integer from 1 to 100', abort: true })
  .transform(Number)
  .pipe(z.number().int().min(1, 'must be an integer from 1 to 100').max(100, 'must be an integer from 1 to 100'));

/** Items per page when a list request sends no `limit`. */
export const DEFAULT_LIMIT = 25;

// No cursor the registry gives out is near 2000 characters: a longer one is refused as any foreign cursor is.
const page = {
  limit: limit.optional().describe(`Items per page, 1 to 100; ${DEFAULT_LIMIT} when not sent`),
  cursor: z.string().max(2000, 'is not a cursor this query returned').optional().describe('The nextCursor of the page before, with the same filters'),
};
const countryFilter = (whose: string) => upper(countryCodeAnyCase).meta({ pattern: '^[A-Za-z]{2}$' }).optional().describe(`ISO 3166-1 alpha-2 code of ${whose} country, in either case (CN, cn)`);
const signedBound = (end: string) => dateOrDateTime.optional().describe(
  `${end}, inclusive: a date (a whole UTC day) or a date-time with its offset (send "+" as %2B)`,
);
const upper = <T extends z.ZodType<string, string>>(schema: T) => z.string().transform(asciiUpper).pipe(schema);

export const partyListQuery = z.strictObject({ ...page, kind: z.enum(PARTY_KINDS).optional(), country: countryFilter('the party\'s') });
export const ceremonyListQuery = z.strictObject(page);
export const agreementListQuery = z.strictObject({
  ...page,
  ceremonyId: id.optional(),
  partyId: id.optional(),
  country: countryFilter('a party\'s'),
  sector: z.enum(SECTORS).optional(),
  status: z.enum(AGREEMENT_STATUSES).optional(),
  signedFrom: signedBound('Signed at or after'),
  signedTo: signedBound('Signed at or before'),
});
const positiveInt = (name: string) => z.string().regex(/^[1-9]\d{0,8}$/, `must be a ${name} (a positive integer)`).transform(Number);
export const certificateQuery = z.strictObject({ version: positiveInt('version number').optional() });
/**
 * The printed verification link's query. The one query that lets unknown parameters pass: links
 * get shared, and messengers and mailers append theirs (utm_source, fbclid).
 */
export const verifyLinkQuery = z.object({
  v: positiveInt('version number'),
  // A signature is base64url: one with a comma was sent twice (joined), which the 400 says. A comma
  // followed by nothing base64url is punctuation after a pasted link, dropped with what follows it.
  // (One comma group, not a repeated one: that would backtrack exponentially on a run of commas.)
  sig: z.string().min(1, 'is required').max(2000, 'must be at most 2000 characters (a certificate\'s signature has 86)').regex(/^[^,]*(?:,[^A-Za-z0-9_-]*)?$/),
});
export type AgreementListQuery = z.infer<typeof agreementListQuery>;

// ---- records (what the registry stores and returns) -------------------------------------
// Not strict: these parse our own items and describe responses, they never take client input.

const stamps = { createdAt: z.string(), createdBy: z.string(), updatedAt: z.string(), updatedBy: z.string() };

export const partyRecord = z.object({
  id: z.string(),
  kind: z.enum(PARTY_KINDS),
  name: z.string(),
  localName: z.string().optional(),
  lang: z.string().optional(),
  countryCode: z.string().optional(),
  version: z.number().int(),
  ...stamps,
});
export type Party = z.infer<typeof partyRecord>;

export const ceremonyRecord = z.object({
  id: z.string(),
  title: z.string(),
  event: z.string().optional(),
  venue: z.string(),
  city: z.string(),
  countryCode: z.string(),
  startsAt: z.string(),
  endsAt: z.string().optional(),
  timeZone: z.string().optional(),
  version: z.number().int(),
  ...stamps,
});
export type Ceremony = z.infer<typeof ceremonyRecord>;

/** A field a change set, from what to what (null: absent). */
const fieldChange = z.object({ from: z.string().nullable(), to: z.string().nullable() });

/** One version of a directory record: how it was made, or what a change made to it, by whom and why. */
const directoryEntry = (changes: string) => z.object({
  version: z.number().int(),
  action: z.enum(['created', 'amended']),
  at: z.string(),
  actor: z.string(),
  reason: z.string().nullable(),
  changes: z.record(z.string(), fieldChange).describe(changes),
});
/**
 * One version of a ceremony: how it was opened, or what a correction changed, by whom and why; and,
 * chained as an agreement's history is, the hashes (absent on a ceremony's entries kept before they
 * were: see ceremonyHistory).
 */
export const ceremonyEntryRecord = directoryEntry('For the opening: each field it was opened with, from null; for a correction: each field it changed (null for absent)').extend({
  stateHash: z.string().optional().describe('SHA-256 (hex) of the canonical JSON of the ceremony as of this version, as GET /ceremonies/{id} answered it'),
  prevHash: z.string().nullable().optional().describe('The previous entry\'s `hash` (null for the opening)'),
  hash: z.string().optional().describe('SHA-256 (hex) of the canonical JSON of this entry without `hash`'),
});
export type CeremonyEntry = z.infer<typeof ceremonyEntryRecord>;
/** One version of a party: its name as registered, or what a rename changed, by whom and why (if given). */
export const partyEntryRecord = directoryEntry('For the registration: name, localName, lang and countryCode as registered, from null; for a change: each it changed (null for absent)');
export type PartyEntry = z.infer<typeof partyEntryRecord>;

/** A party as it was when it signed: a later rename of the party never changes a signed record. */
export const agreementPartyRecord = z.object({
  partyId: z.string(),
  role: z.string().optional(),
  signatory: z.object({ name: z.string(), title: z.string().optional() }),
  kind: z.enum(PARTY_KINDS),
  name: z.string(),
  localName: z.string().optional(),
  lang: z.string().optional(),
  countryCode: z.string().optional(),
});
export type AgreementParty = z.infer<typeof agreementPartyRecord>;

export const agreementRecord = z.object({
  id: z.string(),
  code: z.string(),
  ceremonyId: z.string(),
  status: z.enum(AGREEMENT_STATUSES),
  version: z.number().int(),
  title: z.string(),
  titleZh: z.string().optional(),
  kind: z.enum(AGREEMENT_KINDS),
  parties: z.array(agreementPartyRecord),
  sectors: z.array(z.enum(SECTORS)),
  value: z.object({ amount: z.string(), currency: z.string() }).optional(),
  signedAt: z.string(),
  place: z.string().optional(),
  summary: z.string().optional(),
  ...stamps,
});
export type Agreement = z.infer<typeof agreementRecord>;

export const historyEntryRecord = z.object({
  version: z.number().int(),
  action: z.enum(['created', 'amended', 'voided']),
  at: z.string(),
  actor: z.string(),
  reason: z.string().nullable(),
  changes: z.record(z.string(), z.object({ from: z.unknown().optional(), to: z.unknown().optional() })),
  stateHash: z.string().describe('SHA-256 (hex) of the canonical JSON of the agreement as of this version'),
  prevHash: z.string().nullable(),
  hash: z.string().describe('SHA-256 (hex) of the canonical JSON of this entry without `hash`'),
});
export type HistoryEntry = z.infer<typeof historyEntryRecord>;
export type HistoryAction = HistoryEntry['action'];

/** Whether a hash-chained history checks out (an agreement's, a ceremony's). */
export const historyCheckRecord = z.object({
  /** Every entry hashes to its `hash`, links to the previous one, and its stateHash matches the replay. */
  chainValid: z.boolean(),
  /** Replaying the whole history gives exactly the current record. */
  stateMatches: z.boolean(),
  /** The first version whose entry does not add up, or is missing, if any. */
  firstBadVersion: z.number().int().nullable(),
});
export type HistoryCheck = z.infer<typeof historyCheckRecord>;

/**
 * Why a link or file is `invalid`: by link, `unknown-code` (not a certificate code at all),
 * `cut-short` (the signature is shorter than any certificate's), `signature-mismatch` (no
 * certificate of this code and version carries it, including codes and versions never issued); by file,
 * `not-a-pdf`, `incomplete` (it stops before a PDF's end), `no-signature` (none readable in it), `bad-signature` (not the registry's),
 * `unknown-payload` (signed over no version the registry holds), `padded` (a file the registry
 * issued, with blank bytes added after its end), `altered` (genuine signature, other bytes),
 * `not-comparable` (not on record, and its version can no longer be rendered).
 */
export const INVALID_REASONS = ['unknown-code', 'cut-short', 'signature-mismatch', 'not-a-pdf', 'incomplete', 'no-signature', 'bad-signature', 'unknown-payload', 'padded', 'altered', 'not-comparable'] as const;
export type InvalidReason = (typeof INVALID_REASONS)[number];

/** Every verdict's words for people, in English and Chinese. */
const verdictText = { detail: z.string(), detailZh: z.string().describe('The detail in Simplified Chinese') };

/** The ceremony's facts a verdict tells (agreement.ceremony), as a certificate prints them. */
export const PUBLIC_CEREMONY_FIELDS = ['title', 'event', 'venue', 'city', 'countryCode', 'startsAt', 'endsAt', 'timeZone'] as const;

/** A genuine certificate's verdict: which version it is, of how many, and the minimal public facts: enough to recognise the agreement, nothing more. */
const genuine = {
  ...verdictText,
  code: z.string(),
  version: z.number().int().describe('The version the certificate is of'),
  currentVersion: z.number().int().describe('The agreement\'s latest version'),
  agreement: z.object({
    title: z.string(),
    titleZh: z.string().optional(),
    signedAt: z.string(),
    /** `lang` of the local name, so that a page can mark its language (screen readers, Han glyph forms). */
    parties: z.array(z.object({ name: z.string(), localName: z.string().optional(), lang: z.string().optional() })),
    ceremony: z.object({
      title: z.string(), event: z.string().optional(), venue: z.string().describe('Where it is held, as the ceremony stands (a certificate prints the agreement\'s own place before it, if any)'), city: z.string(), countryCode: z.string(), startsAt: z.string().optional(), endsAt: z.string().optional(), timeZone: z.string().optional(),
      correctedAt: z.string().optional().describe('When the ceremony was last corrected, if ever: a certificate downloaded before then prints it as it was'),
    }).optional(),
  }),
  ceremonyAsPrinted: z.object({
    version: z.number().int().describe('The version of the ceremony the file prints'),
    correctedAt: z.string().describe('When the correction that followed that version was made'),
    fields: z.partialRecord(z.enum(PUBLIC_CEREMONY_FIELDS), z.string().nullable()).describe('Each of agreement.ceremony\'s facts the file prints otherwise, as the file prints it (null: not at all)'),
  }).optional().describe('An uploaded file only, known to print the ceremony as it was before a correction that changed its public facts (agreement.ceremony is as it stands)'),
};

/** What `GET /` answers a program: where the registry's public parts are (paths on this host). */
export const registryIndex = z.object({
  name: z.literal('Concord registry'),
  verify: z.literal('/verify').describe('The page that checks a certificate file; a certificate\'s printed link is /verify/{code}?v=&sig='),
  keys: z.literal('/.well-known/concord-keys.json').describe('The public keys (JWKS) that sign certificates'),
  openapi: z.literal('/openapi.json').describe('This API, as OpenAPI 3.1'),
});
export type RegistryIndex = z.infer<typeof registryIndex>;

/** What `GET /verify/{code}` and `POST /verify` answer about a certificate: by `status`, each with its own fields. */
export const verificationRecord = z.discriminatedUnion('status', [
  z.object({ status: z.literal('valid'), ...genuine }),
  z.object({ status: z.literal('superseded'), ...genuine, supersededAt: z.string().describe('When the amendment that replaced this version was recorded') }),
  z.object({ status: z.literal('voided'), ...genuine, voidedAt: z.string().describe('When the agreement was voided') }),
  z.object({ status: z.literal('invalid'), ...verdictText, reason: z.enum(INVALID_REASONS).describe('Why the certificate is invalid, for programs (the detail says it for people)') }),
]);
export type Verification = z.infer<typeof verificationRecord>;
export type VerificationStatus = Verification['status'];
/** A verdict on a certificate the registry issued: valid, superseded or voided. */
export type GenuineVerification = Exclude<Verification, { status: 'invalid' }>;
