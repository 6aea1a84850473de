/**
 * Opaque list cursors. A cursor carries only a position inside the partition that the request's
 * own filters select, a digest of those filters, and an HMAC over both with the deployment's
 * cursor key (the secret CURSOR_SECRET_ARN names): it cannot widen what a caller may see, and a
 * cursor that was edited or reused with other filters is rejected as invalid input.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import * as z from 'zod';
import { hashOf } from '#shared/domain/canonical.ts';
import { InvalidInput } from '#shared/domain/errors.ts';
import { secretNamedBy } from './secrets.ts';

const payload = z.strictObject({ v: z.literal(1), p: z.string().min(1).max(600), d: z.string().length(16), m: z.string().regex(/^[A-Za-z0-9_-]{22}$/) });

export const filterDigest = (filter: unknown) => hashOf(filter).slice(0, 16);

/** Read on first use: only functions that page through lists need (and may read) the key. */
const cursorKey = () => secretNamedBy('CURSOR_SECRET_ARN', (value) => Buffer.from(z.string().min(32, 'the cursor key must hold at least 32 characters').parse(value)));

const mac = async (position: string, digest: string) => createHmac('sha256', await cursorKey()).update(`${position}\n${digest}`).digest().subarray(0, 16).toString('base64url');

export async function encodeCursor(position: string, digest: string): Promise<string> {
  return Buffer.from(JSON.stringify({ v: 1, p: position, d: digest, m: await mac(position, digest) })).toString('base64url');
}

const invalid = () => new InvalidInput('The cursor is not valid for this query', [{ path: 'cursor', message: 'is not a cursor this query returned' }]);

/** The position inside the cursor, after checking it is ours, belongs to this query and fits `valid`. */
export async function decodeCursor(cursor: string, digest: string, valid: (position: string) => boolean): Promise<string> {
  let parsed: unknown;
  const bytes = Buffer.from(cursor, 'base64url');
  // Base64url decoding skips what it cannot read: only the one spelling the registry wrote is a cursor.
  if (bytes.toString('base64url') !== cursor) throw invalid();
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw invalid();
  }
  const result = payload.safeParse(parsed);
  if (!result.success) throw invalid();
  const { p, d, m } = result.data;
  if (!timingSafeEqual(Buffer.from(m), Buffer.from(await mac(p, d))) || d !== digest || !valid(p)) throw invalid();
  return p;
}
