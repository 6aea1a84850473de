/**
 * Opaque list cursors. A cursor carries only a position inside the partition that the request's
 * own filters select, plus a digest of those filters: it cannot widen what a caller may see,
 * and a cursor that was edited or reused with other filters is rejected as invalid input.
 */
import * as z from 'zod';
import { hashOf } from '#shared/domain/canonical.ts';
import { InvalidInput } from '#shared/domain/errors.ts';

const payload = z.strictObject({ v: z.literal(1), p: z.string().min(1).max(600), d: z.string().length(16) });

export const filterDigest = (filter: unknown) => hashOf(filter).slice(0, 16);

export function encodeCursor(position: string, digest: string): string {
  return Buffer.from(JSON.stringify({ v: 1, p: position, d: digest })).toString('base64url');
}

const invalid = () => new InvalidInput('The cursor is not valid for this query', [{ path: 'cursor', message: 'is not a cursor this query returned' }]);

/** The position inside the cursor, after checking it belongs to this query and fits `valid`. */
export function decodeCursor(cursor: string, digest: string, valid: (position: string) => boolean): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  const result = payload.safeParse(parsed);
  if (!result.success || result.data.d !== digest || !valid(result.data.p)) throw invalid();
  return result.data.p;
}
