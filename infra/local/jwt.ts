/**
 * Local stand-in for Cognito + API Gateway's JWT authorizer: HS256 tokens signed with a secret
 * generated into the data dir, carrying the claims Cognito would (`sub`, `cognito:groups`,
 * `custom:partyId`). Never used on AWS.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Role } from '#shared/domain/principal.ts';
import { createOnce, readChecked } from './data-files.ts';

export const ISSUER = 'concord-local';
const DAY_SECONDS = 24 * 60 * 60;

export type TokenClaims = Record<string, unknown> & { sub: string; exp: number };

/**
 * A random 32-byte secret kept in the data dir (created on first use), e.g. the JWT signing secret.
 * With `create: false` a missing secret is an error: a token signed with a fresh one would be
 * refused by the server that holds the real one.
 */
export function loadSecret(dataDir: string, name = 'local-jwt-secret', { create = true } = {}): Buffer {
  const file = join(dataDir, name);
  if (!existsSync(file)) {
    if (!create) throw new Error(`${file} does not exist: start the registry first (npm start), or set DATA_DIR to its data directory`);
    mkdirSync(dataDir, { recursive: true });
    createOnce(file, randomBytes(32).toString('hex'));
  }
  // 32 bytes or nothing: an empty or garbled file would be an HMAC key anyone can sign with.
  return readChecked(file, (text) => (/^[0-9a-f]{64}$/.test(text.trim()) ? Buffer.from(text.trim(), 'hex') : undefined), '64 hexadecimal digits');
}

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const sign = (secret: Buffer, data: string) => createHmac('sha256', secret).update(data).digest();

export function signToken(secret: Buffer, claims: Record<string, unknown>): string {
  const data = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}`;
  return `${data}.${sign(secret, data).toString('base64url')}`;
}

export function mintToken(secret: Buffer, role: Role, options: { partyId?: string; sub?: string; ttlSeconds?: number } = {}): string {
  const now = Math.floor(Date.now() / 1000);
  return signToken(secret, {
    iss: ISSUER,
    sub: options.sub ?? `local-${role}${options.partyId ? `-${options.partyId}` : ''}`,
    'cognito:groups': [role],
    ...(options.partyId && { 'custom:partyId': options.partyId }),
    token_use: 'id',
    iat: now,
    exp: now + (options.ttlSeconds ?? DAY_SECONDS),
  });
}

/** Seconds of clock skew allowed on `nbf` and `iat`, as JWT validators commonly allow. */
const SKEW_SECONDS = 60;

/**
 * The verified claims, or undefined for a missing, malformed, forged, expired or not-yet-valid
 * token (future `nbf` or `iat`), as API Gateway's JWT authorizer would refuse it.
 */
export function verifyToken(secret: Buffer, token: string, nowSeconds = Date.now() / 1000): TokenClaims | undefined {
  const [header, payload, signature, ...rest] = token.split('.');
  if (!header || !payload || !signature || rest.length) return undefined;
  const expected = sign(secret, `${header}.${payload}`);
  const given = Buffer.from(signature, 'base64url');
  // Only the one base64url encoding of the signature (no padding, no "+/", no stray bits), checked
  // without the secret; the comparison with it stays constant-time.
  if (given.toString('base64url') !== signature) return undefined;
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  try {
    const head: unknown = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
    const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    if ((head as { alg?: unknown }).alg !== 'HS256' || typeof claims !== 'object' || claims === null) return undefined;
    const { sub, exp, iss, nbf, iat } = claims as Record<string, unknown>;
    if (typeof sub !== 'string' || typeof exp !== 'number' || exp <= nowSeconds || iss !== ISSUER) return undefined;
    for (const notBefore of [nbf, iat]) {
      if (notBefore !== undefined && (typeof notBefore !== 'number' || notBefore > nowSeconds + SKEW_SECONDS)) return undefined;
    }
    return claims as TokenClaims;
  } catch {
    return undefined;
  }
}
