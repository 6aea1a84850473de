/**
 * Identifiers. Agreement ids are derived from (ceremony, Idempotency-Key), and those of parties and
 * ceremonies created with a key but no id from the key, so that a retried or concurrent duplicate
 * request lands on the same item; agreement codes are short, typeable and
 * free of look-alike characters (Crockford base32: no I, L, O, U).
 */
import { randomBytes } from 'node:crypto';
import { asciiUpper } from './ascii-case.ts';
import { sha256Hex } from './canonical.ts';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const CODE_PATTERN = /^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/;

function base32(bytes: Uint8Array, length: number): string {
  let out = '';
  let bits = 0;
  let acc = 0;
  for (const byte of bytes) {
    acc = (acc << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < length) {
      out += CROCKFORD[(acc >>> (bits - 5)) & 31];
      bits -= 5;
    }
    acc &= 0xff;
  }
  return out;
}

export function deriveAgreementId(ceremonyId: string, idempotencyKey: string): string {
  const digest = Buffer.from(sha256Hex(`${ceremonyId}\n${idempotencyKey}`), 'hex');
  return `ag-${base32(digest, 20).toLowerCase()}`;
}

/** Eight code characters as a code is printed: "ABCD-EFGH". */
export const hyphenated = (eight: string) => `${eight.slice(0, 4)}-${eight.slice(4)}`;

/** The longest text read as a code: its 8 characters and 9 for spaces and hyphens ("958K - S6DM "). */
const MAX_TYPED_CODE = 17;
/** What separates a typed code's halves: spaces, and any dash (Unicode's Pd, and the minus sign). */
const SPACES_AND_DASHES = /[\s\p{Pd}\u2212]/gu;

/**
 * A code as people read it aloud and type it, as printed; undefined for what is no code. Crockford
 * base32 ignores case, hyphens and spaces, and reads O as 0, I and L as 1: "958k s6dm" is 958K-S6DM.
 * Full-width forms (a Chinese keyboard's "９５８Ｋ－Ｓ６ＤＭ") and the dashes that word processors and
 * PDF viewers put for a hyphen ("958K–S6DM", with an en dash) read as what they stand for.
 */
export function typedCode(typed: string): string | undefined {
  if (typed.length > MAX_TYPED_CODE) return undefined; // what reaches a key stays small, whatever was typed
  const compact = asciiUpper(typed.normalize('NFKC')).replace(SPACES_AND_DASHES, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  const code = compact.length === 8 ? hyphenated(compact) : compact;
  return CODE_PATTERN.test(code) ? code : undefined;
}

/** The n-th candidate code for an agreement; n > 0 only after a (rare) collision. */
export function agreementCode(agreementId: string, attempt: number): string {
  return hyphenated(base32(Buffer.from(sha256Hex(`${agreementId}#${attempt}`), 'hex'), 8));
}

/** The id of a party or ceremony created without one but with an Idempotency-Key: a retry lands on the same record. */
export function deriveId(prefix: 'p' | 'c', idempotencyKey: string): string {
  return `${prefix}-${base32(Buffer.from(sha256Hex(`${prefix}\n${idempotencyKey}`), 'hex'), 12).toLowerCase()}`;
}

/** A fresh id for a party or ceremony created without one: kind prefix + 12 random base32 chars. */
export function newId(prefix: string): string {
  return `${prefix}-${base32(randomBytes(8), 12).toLowerCase()}`;
}
