/**
 * Opaque list cursors. A cursor carries only a position inside the partition that the request's
 * own filters select, a digest of those filters, and an HMAC over both with the deployment's
 * cursor key (CURSOR_SECRET): it cannot widen what a caller may see, and a cursor that was edited
 * or reused with other filters is rejected as invalid input.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import * as z from 'zod';
import { hashOf } from '#shared/domain/canonical.ts';
import { InvalidInput } from '#shared/domain/errors.ts';

const payload = z.strictObject({ v: z.literal(1), p: z.string().min(1).max(600), d: z.string().length(16), m: z.string().regex(/^[A-Za-z0-9_-]{22}$/) });

export const filterDigest = (filter: unknown) => hashOf(filter).slice(0, 16);

/** Read on first use: only functions that page through lists need (and get) the key. */
let key: Buffer | undefined;
function cursorKey(): Buffer {
  key ??= Buffer.from(z.string().min(32, 'CURSOR_SECRET must hold at least 32 characters').parse(process.env.CURSOR_SECRET));
  return key;
}

const mac = (position: string, digest: string) => createHmac('sha256', cursorKey()).update(`${position}\n${digest}`).digest().subarray(0, 16).toString('base64url');

export function encodeCursor(position: string, digest: string): string {
  return Buffer.from(JSON.stringify({ v: 1, p: position, d: digest, m: mac(position, digest) })).toString('base64url');
}

const invalid = () => new InvalidInput('The cursor is not valid for this query', [{ path: 'cursor', message: 'is not a cursor this query returned' }]);

/** The position inside the cursor, after checking it is ours, belongs to this query and fits `valid`. */
export function decodeCursor(cursor: string, digest: string, valid: (position: string) => boolean): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  const result = payload.safeParse(parsed);
  if (!result.success) throw invalid();
  const { p, d, m } = result.data;
  if (!timingSafeEqual(Buffer.from(m), Buffer.from(mac(p, d))) || d !== digest || !valid(p)) throw invalid();
  return p;
}
