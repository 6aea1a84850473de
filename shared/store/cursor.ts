/**
 * Opaque list cursors. A cursor carries only a position inside the partition that the request's
 * own filters select, sealed (AES-256-GCM) with a key derived from the deployment's cursor key (the
 * secret CURSOR_SECRET_ARN names), with a digest of those filters as associated data: it cannot
 * widen what a caller may see, a cursor that was edited or reused with other filters is rejected as
 * invalid input, and it reads as nothing. A page can stop on an entry it did not show (one it
 * examined and filtered out), whose sort key names an agreement and its signing time; a partner
 * must not learn those from the cursor of its own list.
 */
import { createCipheriv, createDecipheriv, createHmac } from 'node:crypto';
import * as z from 'zod';
import { hashOf } from '#shared/domain/canonical.ts';
import { InvalidInput } from '#shared/domain/errors.ts';
import { secretNamedBy } from './secrets.ts';

export const filterDigest = (filter: unknown) => hashOf(filter).slice(0, 16);

/** Read on first use: only functions that page through lists need (and may read) the key. */
const cursorKey = () => secretNamedBy('CURSOR_SECRET_ARN', (value) => {
  const secret = Buffer.from(z.string().min(32, 'the cursor key must hold at least 32 characters').parse(value));
  const derive = (use: string) => createHmac('sha256', secret).update(`concord list cursor: ${use}`).digest();
  return { seal: derive('AES-256-GCM key'), nonce: derive('nonce key') };
});

/** The format's first byte: version 1 was readable JSON with an HMAC; its cursors are no longer taken. */
const FORMAT = 2;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const MAX_POSITION = 600;

export async function encodeCursor(position: string, digest: string): Promise<string> {
  const key = await cursorKey();
  // Derived from what it seals, so the same page always hands out the same cursor, and two
  // different cursors never share a nonce.
  const nonce = createHmac('sha256', key.nonce).update(`${position}\n${digest}`).digest().subarray(0, NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key.seal, nonce, { authTagLength: TAG_BYTES }).setAAD(Buffer.from(digest));
  const sealed = Buffer.concat([cipher.update(position, 'utf8'), cipher.final()]);
  return Buffer.concat([Buffer.of(FORMAT), nonce, sealed, cipher.getAuthTag()]).toString('base64url');
}

const invalid = () => new InvalidInput('The cursor is not valid for this query', [{ path: 'cursor', message: 'is not a cursor this query returned' }]);

/** The position inside the cursor, after checking it is ours, belongs to this query and fits `valid`. */
export async function decodeCursor(cursor: string, digest: string, valid: (position: string) => boolean): Promise<string> {
  const bytes = Buffer.from(cursor, 'base64url');
  // Base64url decoding skips what it cannot read: only the one spelling the registry wrote is a cursor.
  if (bytes.toString('base64url') !== cursor || bytes[0] !== FORMAT || bytes.length <= 1 + NONCE_BYTES + TAG_BYTES) throw invalid();
  const key = await cursorKey();
  let position: string;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.seal, bytes.subarray(1, 1 + NONCE_BYTES), { authTagLength: TAG_BYTES })
      .setAAD(Buffer.from(digest))
      .setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    position = Buffer.concat([decipher.update(bytes.subarray(1 + NONCE_BYTES, bytes.length - TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    throw invalid(); // not sealed with this key, or for other filters (the digest is authenticated with it)
  }
  if (position.length > MAX_POSITION || !valid(position)) throw invalid();
  return position;
}
