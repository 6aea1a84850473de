/**
 * Field formats shared by every schema: identifiers, ISO codes, time stamps, language tags.
 * Each is a zod schema with a message that tells the caller what a valid value looks like.
 */
import * as z from 'zod';
import { isCountryCode, isCurrencyCode } from './iso-codes.ts';
import { ianaTimeZone } from './time-zones.ts';

export const ID_PATTERN = /^[a-z0-9][a-z0-9-]{1,62}$/;

/** An id: one typed with capitals is told the id to send (as a path's is), not only the pattern. */
export const id = z
  .string()
  .regex(ID_PATTERN, {
    error: ({ input }) => (typeof input === 'string' && input !== input.toLowerCase() && ID_PATTERN.test(input.toLowerCase())
      ? `must be in lower case ("${input.toLowerCase()}")`
      : 'must be 2-63 characters of a-z, 0-9 and "-", starting with a letter or digit'),
  });

/** A country code as `shape` says it is written (in capitals, for records; in either case, for filters, which fold it). */
const assignedCountry = (shape: string) => z
  .string()
  .regex(/^[A-Z]{2}$/, { message: `must be an ISO 3166-1 alpha-2 code ${shape}`, abort: true })
  .refine(isCountryCode, 'is not an assigned ISO 3166-1 alpha-2 country code');

export const countryCode = assignedCountry('in capitals, like "CN"').meta({ description: 'An assigned ISO 3166-1 alpha-2 country code, in capitals ("CN")' });
/** As a filter takes it: folded to capitals first, so its message does not ask for them. */
export const countryCodeAnyCase = assignedCountry('of two letters, like "CN" or "cn"');

export const currencyCode = z
  .string()
  .regex(/^[A-Z]{3}$/, { message: 'must be an ISO 4217 code in capitals, like "CNY"', abort: true })
  .refine(isCurrencyCode, 'is not an active ISO 4217 currency code (nor one of the units of account XDR, XSU, XUA)')
  .meta({ description: 'An active ISO 4217 currency code, in capitals ("CNY"), or one of the units of account XDR (the IMF\'s Special Drawing Right), XSU, XUA; an amount may have no more decimals than the currency has (a unit of account: four)' });

/** A decimal amount as a string: floats cannot carry money exactly. */
export const decimalAmount = z
  .string()
  .regex(/^(0|[1-9][0-9]{0,17})(\.[0-9]{1,4})?$/, 'must be a non-negative decimal string like "1250000.00": at most 18 digits before the point and 4 after');

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-](\d{2}):(\d{2}))$/;

/**
 * True when every component is in range (no 30 February, no 25:00, offsets from -14:00 to +14:00)
 * and the instant falls in a year from 0000 to 9999 in UTC, where ISO strings still sort as instants
 * (9999-12-31T23:59-12:00 is in 10000 UTC).
 */
function isRealDateTime(value: string): boolean {
  return isWellFormedDateTime(value) && inUtcYears(value);
}

/** Every component in range, the offset at most ±14:00 (whatever year in UTC). */
function isWellFormedDateTime(value: string): boolean {
  const m = DATE_TIME.exec(value);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6] ?? '0'].map(Number) as number[];
  const date = new Date(0);
  date.setUTCFullYear(year!, month! - 1, day!);
  const offsetOk = m[7] === 'Z' || (Number(m[9]) < 60 && Number(m[8]) * 60 + Number(m[9]) <= 14 * 60);
  return date.getUTCFullYear() === year && date.getUTCMonth() === month! - 1 && date.getUTCDate() === day && hour! < 24 && minute! < 60 && second! < 60 && offsetOk;
}

/** The instant of a well-formed date-time falls in a year from 0000 to 9999 in UTC. */
function inUtcYears(value: string): boolean {
  const utcYear = new Date(value).getUTCFullYear();
  return utcYear >= 0 && utcYear <= 9999;
}

/** RFC 3339 lets "T" and "Z" be written in lower case (§5.6): stored as ISO 8601 writes them. */
const upperSeparators = (value: string) => value.replace(/[tz]/g, (c) => c.toUpperCase());

export const dateTimeWithOffset = z
  .string()
  .overwrite(upperSeparators)
  .refine(isWellFormedDateTime, 'must be an ISO 8601 date-time with an offset, like "2021-08-23T10:30:00+08:00"')
  // Said apart: the value is well formed, only its instant is out of range (9999-12-31T23:00-02:00 is in 10000 UTC).
  .refine((v) => !isWellFormedDateTime(v) || inUtcYears(v), 'must fall in the years 0000-9999 in UTC')
  .meta({ description: 'An ISO 8601 date-time with an offset (at most ±14:00; seconds optional), in the years 0000-9999 UTC' });

/** A bare date (taken as UTC) or a date-time with offset; used by range filters. */
export const dateOrDateTime = z
  .string()
  .overwrite(upperSeparators)
  .refine(
    (v) => isRealDateTime(v) || (/^\d{4}-\d{2}-\d{2}$/.test(v) && isRealDateTime(`${v}T00:00:00Z`)),
    'must be a date like "2021-08-23" or a date-time with an offset, in the years 0000-9999 UTC',
  );

/**
 * RFC 5646's case for a tag: language lower case, script title case, region upper case, and
 * everything from a singleton (extensions, private use) on lower case.
 */
function tagCase(tag: string): string {
  let extension = false;
  return tag.split('-').map((sub, i) => {
    extension ||= i > 0 && sub.length === 1;
    if (i === 0 || extension) return sub.toLowerCase();
    if (/^[a-z]{4}$/i.test(sub)) return sub[0]!.toUpperCase() + sub.slice(1).toLowerCase();
    return /^(?:[a-z]{2}|\d{3})$/i.test(sub) ? sub.toUpperCase() : sub.toLowerCase();
  }).join('-');
}

/**
 * Grandfathered tags that Unicode locale identifiers lack (the rest, "zh-hakka" among them, they
 * take), with what to write instead where the IANA registry gives a preferred value.
 */
const GRANDFATHERED: Record<string, string | undefined> = {
  'zh-min-nan': 'nan', 'no-bok': 'nb', 'no-nyn': 'nn', 'i-ami': 'ami', 'i-bnn': 'bnn', 'i-hak': 'hak', 'i-klingon': 'tlh', 'i-lux': 'lb',
  'i-navajo': 'nv', 'i-pwn': 'pwn', 'i-tao': 'tao', 'i-tay': 'tay', 'i-tsu': 'tsu', 'sgn-be-fr': 'sfb', 'sgn-be-nl': 'vgt', 'sgn-ch-de': 'sgg',
  'en-gb-oed': 'en-GB-oxendict', 'zh-min': undefined, 'i-default': undefined, 'i-enochian': undefined, 'i-mingo': undefined,
};
const languageTagError = (tag: string) => {
  const key = tag.toLowerCase();
  if (!Object.hasOwn(GRANDFATHERED, key)) return namedLanguage(tag) ?? 'must be a BCP 47 language tag, like "kk" or "zh-Hans"';
  const instead = GRANDFATHERED[key];
  return `is a grandfathered language tag, which Unicode locale identifiers lack${instead ? `: write "${instead}"` : ''}`;
};

/**
 * The two-letter ISO 639 code of each language, by its English name in lower case ("japanese": "ja");
 * made when first needed. Only codes in use: a deprecated one shares its language's name ("iw" and
 * "he" are both Hebrew; "in", "jw", "ji", "mo" likewise) and, made later, took the name over.
 */
let codesByName: Map<string, string> | undefined;

/** For a tag that starts with a language's English name ("thai", "indonesian-ID"), what to write instead, if that is a tag. */
function namedLanguage(tag: string): string | undefined {
  if (!codesByName) {
    const names = new Intl.DisplayNames('en', { type: 'language', fallback: 'none' });
    const letters = [...'abcdefghijklmnopqrstuvwxyz'];
    codesByName = new Map();
    for (const code of letters.flatMap((a) => letters.map((b) => a + b))) {
      const name = names.of(code)?.toLowerCase();
      if (name !== undefined && !codesByName.has(name) && Intl.getCanonicalLocales(code)[0] === code) codesByName.set(name, code);
    }
  }
  const [first, ...rest] = tag.split('-');
  const code = codesByName.get(first!.toLowerCase());
  if (code === undefined) return undefined;
  const instead = [code, ...rest].join('-');
  try {
    return Intl.getCanonicalLocales(instead).length === 1 ? `names a language rather than giving its code: write "${instead}"` : undefined;
  } catch {
    return undefined;
  }
}
const languageNameError = (tag: string) => namedLanguage(tag) ?? 'must start with a language\'s 2- or 3-letter ISO 639 code, like "kk" or "zh-Hans"';

/**
 * A BCP 47 language tag, stored in its canonical case ("ZH-hans" is kept as "zh-Hans"); only the
 * case changes, never the subtags (the runtime's alias table would turn "iw" into "he", and
 * differently on different Node versions).
 */
// 35 characters hold every tag but private-use and extension ones (RFC 5646, 4.4.1), and keep snapshots small.
export const languageTag = z.string().max(35, 'must be a language tag of at most 35 characters').refine((tag) => {
  try {
    return Intl.getCanonicalLocales(tag).length === 1;
  } catch {
    return false;
  }
}, { error: (issue) => languageTagError(String(issue.input)), abort: true })
  // Well formed, but no language has a code of 5 to 8 letters (RFC 5646 keeps them for registration,
  // and none is registered): most often a language's name typed for its code ("japanese").
  .refine((tag) => !/^[a-z]{5,8}(?:-|$)/i.test(tag), { error: (issue) => languageNameError(String(issue.input)), abort: true })
  .overwrite(tagCase)
  .meta({ description: 'A BCP 47 language tag ("kk", "zh-Hans"), at most 35 characters; stored in canonical case' });

/**
 * An IANA time zone name, stored as IANA spells it ("asia/shanghai" is kept as "Asia/Shanghai"),
 * aliases included (Asia/Kolkata stays Asia/Kolkata); the runtime must know it too.
 */
export const timeZone = z.string().refine((tz) => {
  const name = ianaTimeZone(tz);
  if (!name) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}, { message: 'must be an IANA time zone, like "Asia/Shanghai"', abort: true }).overwrite((tz) => ianaTimeZone(tz)!)
  .meta({ description: 'An IANA time zone name, links included ("Asia/Shanghai"); stored as IANA spells it' });

/**
 * Characters that are not text: C0/C1 controls, unpaired surrogates (no UTF-8 can carry them),
 * noncharacters, the deprecated format controls, and the bidirectional embedding, override and
 * isolate controls, which would silently reorder a name on a certificate or a verification page
 * ("Trojan Source"), the tag characters (invisible; only emoji flag sequences use them), the word
 * joiners and invisible operators (U+2060 to U+2065 and U+FEFF, the old word joiner: for
 * mathematics, and for line breaking this registry does itself), and the interlinear annotation
 * marks (U+FFF9 to U+FFFB, which hide what they enclose): invisible, and needed by no name, they
 * make a name look like another it does not equal.
 * The invisible characters that real names need stay allowed: ZWJ/ZWNJ (Sinhala, Persian),
 * LRM/RLM/ALM, the zero-width space (word breaks in Thai, Khmer, Lao, Myanmar), the combining
 * grapheme joiner (Hebrew) and the Mongolian vowel separator. Line and paragraph breaks count as
 * controls except in multiline texts.
 */
const NOT_TEXT = /[\p{Cc}\p{Cs}\p{Noncharacter_Code_Point}\p{Zl}\p{Zp}\u202A-\u202E\u2060-\u206F\uFEFF\uFFF9-\uFFFB\uFFFD\u115F\u1160\u3164\uFFA0\u2800\u{E0000}-\u{E007F}]/u;
/**
 * What makes text visible: a letter, digit, symbol or punctuation mark (not only spaces, marks or
 * joiners), and not one of the blanks that count as letters or symbols (Hangul fillers, which are
 * default-ignorable, and the blank Braille pattern).
 */
const VISIBLE = /(?![\p{Default_Ignorable_Code_Point}\u2800])[\p{L}\p{N}\p{S}\p{P}]/u;
const LINE_BREAKS = /[\n\r\t\u2028\u2029]/u;

/** A character as Unicode writes it: U+202E, U+20BB7. */
export const codePoint = (ch: string) => `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;

const MARK = /^\p{M}$/u;
const INVISIBLE = /^[\p{Cf}\p{Default_Ignorable_Code_Point}]$/u;

/**
 * Whether one character carries more than `limit` combining marks, invisible characters between
 * them (joiners, directional marks) not breaking the stack. One pass: a pattern for it backtracked
 * exponentially on marks that are also invisible (variation selectors), 50 s for 30 of them.
 */
function stacksMarks(value: string, limit: number): boolean {
  let stacked = 0;
  for (const ch of value) {
    if (MARK.test(ch)) stacked += 1;
    else if (!INVISIBLE.test(ch)) stacked = 0;
    if (stacked > limit) return true;
  }
  return false;
}

/**
 * Free text: trimmed, NFC-normalized (so the same name always compares and hashes equal), bounded,
 * made of text characters only, with something visible in it, and not starting with a combining
 * mark (which would sit on nothing). Only `multiline` texts (summaries, reasons) may hold line
 * breaks and tabs.
 */
export const text = (max: number, { multiline = false } = {}) =>
  z.string().trim().normalize('NFC').min(1, 'must not be empty').max(max, `must be at most ${max} characters`)
    .superRefine((value, ctx) => {
      // for..of walks code points: a valid surrogate pair is one character, an unpaired half is its own.
      for (const ch of value) {
        if (NOT_TEXT.test(ch) && !(multiline && LINE_BREAKS.test(ch))) {
          ctx.addIssue({ code: 'custom', message: `must not contain ${codePoint(ch)}: controls, line breaks, unpaired surrogates, noncharacters, bidirectional controls, invisible operators and annotations, U+FFFD, blank fillers and tag characters are not allowed here` });
          return;
        }
      }
      if (value !== '' && !VISIBLE.test(value)) ctx.addIssue({ code: 'custom', message: 'must contain a letter, digit, symbol or punctuation mark' });
      // Unicode's stream-safe limit (UAX #15): no writing system stacks more; "Zalgo" text does,
      // and a certificate's text map cannot carry such a cluster to every reader. Invisible
      // characters between the marks (joiners, directional marks) do not break the stack.
      else if (stacksMarks(value, 30)) ctx.addIssue({ code: 'custom', message: 'must not stack more than 30 combining marks on one character' });
      else if (/^\p{Cf}*\p{M}/u.test(value)) ctx.addIssue({ code: 'custom', message: `must not begin with a combining mark (${codePoint(value.replace(/^\p{Cf}*/u, ''))})` });
    })
    .meta({ description: `Trimmed, NFC-normalized text of 1 to ${max} characters, without controls, unpaired surrogates, noncharacters, bidirectional embedding, override and isolate controls, the word joiners and invisible operators (U+2060 to U+2065, U+FEFF), interlinear annotation marks, U+FFFD, blank fillers or tag characters, with a visible character, not starting with a combining mark, and with at most 30 combining marks on one character${multiline ? '; line breaks and tabs allowed' : ''}.` });

/** The instant of a date-time string, as a sortable UTC ISO string to the millisecond (used in keys). */
export function toUtcIso(value: string): string {
  return new Date(value).toISOString();
}

/**
 * The instant to the nanosecond, as a sortable UTC string ("2024-01-01T00:00:00.000400000Z"): for
 * comparing instants exactly, where toUtcIso would make two within one millisecond equal.
 */
export function toUtcNanos(value: string): string {
  const digits = /\.(\d+)(?:Z|[+-]\d{2}:\d{2})$/.exec(value)?.[1] ?? '';
  return `${toUtcIso(value).slice(0, -1)}${digits.slice(3).padEnd(6, '0')}Z`;
}

/** Scripts written right to left (ISO 15924 codes; Nastaliq's own, Aran, among them). */
const RTL_SCRIPTS = new Set(['Adlm', 'Arab', 'Aran', 'Hebr', 'Mand', 'Nkoo', 'Rohg', 'Samr', 'Syrc', 'Syre', 'Syrj', 'Syrn', 'Thaa', 'Yezi']);
const rightToLeft = new Map<string, boolean>();

/**
 * Whether text in `lang` is written right to left: in the script its tag names, else in its
 * language's likely one (CLDR's likely subtags, through Intl.Locale: "ar", "iw" and "ckb" are, "ku"
 * and "ar-Latn" are not). Remembered: layout asks for every line it tries.
 */
export function writtenRightToLeft(lang: string): boolean {
  let rtl = rightToLeft.get(lang);
  if (rtl === undefined) {
    try {
      rtl = RTL_SCRIPTS.has(new Intl.Locale(lang).maximize().script ?? '');
    } catch {
      rtl = false; // not a tag Intl takes (stored before a rule refused it): its text's own letters decide
    }
    if (rightToLeft.size >= 1000) rightToLeft.clear();
    rightToLeft.set(lang, rtl);
  }
  return rtl;
}
