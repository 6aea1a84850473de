/**
 * The signed payload every certificate carries: a compact JWS (EdDSA / Ed25519) over the
 * agreement id, code, version, the state hash of that version and when it was recorded.
 * Ed25519 signatures are deterministic, so the same version and key always give the same bytes;
 * anyone holding the public keys (JWKS) can check a certificate offline.
 */
import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import * as z from 'zod';
import { canonicalJson } from '#shared/domain/canonical.ts';
import type { Agreement, HistoryEntry } from '#shared/domain/schemas.ts';

/**
 * A base address certificates can print for good: the verification link is this plus
 * `/verify/{code}?v=N&sig=...`, so a query, fragment or credentials would swallow or spoil it.
 * `protocols`: http and https locally (a laptop on the venue's network); https for a deployment.
 */
export const printableBaseUrl = (protocols: 'http(s)' | 'https') =>
  z.url({ protocol: protocols === 'https' ? /^https$/ : /^https?$/, error: `must be an ${protocols} address, like ${protocols === 'https' ? 'https://registry.example.org' : 'http://192.168.1.20:3000'}` })
    // Checked in the text as written: a bare "?", "#" or "@" leaves URL's search, hash and username empty.
    .refine((u) => !/[?#@]/.test(u.slice(u.indexOf('//') + 2)), `must be an ${protocols} address without a query, fragment or credentials`);

/** A key that checks certificates' signatures: what the JWKS publishes, and all the verify function holds. */
export interface VerifyingKey {
  kid: string;
  publicKey: KeyObject;
  jwk: PublicJwk;
}

/** A key that signs them: held only by what signs or publishes a ring (the certificates function, the signing-key custom resource, the local server's start). */
export interface SigningKey extends VerifyingKey {
  privateKey: KeyObject;
}

/** A public key as the JWKS publishes it (RFC 8037). */
export const publicJwk = z.object({ kty: z.literal('OKP'), crv: z.literal('Ed25519'), x: z.string(), kid: z.string(), alg: z.literal('EdDSA'), use: z.literal('sig') });
export type PublicJwk = z.infer<typeof publicJwk>;

export const certificatePayload = z.strictObject({
  typ: z.literal('concord-certificate'),
  id: z.string(),
  code: z.string(),
  version: z.number().int().min(1),
  /** SHA-256 of the canonical JSON of the agreement as of this version (the history's stateHash). */
  stateHash: z.string().regex(/^[0-9a-f]{64}$/),
  /** When this version was recorded. */
  issuedAt: z.string(),
  /** The registry's public base URL when it issued this: where the printed link points. */
  iss: z.url(),
});
export type CertificatePayload = z.infer<typeof certificatePayload>;

/** What a certificate of a version signs. `iss` pins the base URL it printed, so a file stays verifiable after the registry moves. */
export const certificatePayloadOf = (a: Pick<Agreement, 'id' | 'code'>, entry: Pick<HistoryEntry, 'version' | 'stateHash' | 'at'>, iss: string): CertificatePayload => ({
  typ: 'concord-certificate', id: a.id, code: a.code, version: entry.version, stateHash: entry.stateHash, issuedAt: entry.at, iss,
});

export const KEYS_PATH = '/.well-known/concord-keys.json';

/**
 * The largest certificate file: what the registry hands out at most, and what `POST /verify`
 * takes back, so that every file it issues can be checked by upload.
 */
export const MAX_CERTIFICATE_BYTES = 2 * 1024 * 1024;

/** The addresses a certificate prints: the link that checks it (QR code), and where the keys to check it offline are. */
export const certificateLinks = (payload: CertificatePayload, jws: string) => ({
  verifyUrl: `${payload.iss}/verify/${payload.code}?v=${payload.version}&sig=${signatureOf(jws)}`,
  keysUrl: `${payload.iss}${KEYS_PATH}`,
});

const b64 = (data: string | Buffer) => Buffer.from(data).toString('base64url');

/** The RFC 7638 JWK thumbprint of an Ed25519 public key: its key id. */
const thumbprint = (x: string) => b64(createHash('sha256').update(`{"crv":"Ed25519","kty":"OKP","x":"${x}"}`).digest());

/** The public half of a key: its key id, key object and JWK. */
function verifyingKeyOf(publicKey: KeyObject): VerifyingKey {
  const { x } = publicKey.export({ format: 'jwk' }) as { x: string };
  const kid = thumbprint(x);
  return { kid, publicKey, jwk: { kty: 'OKP', crv: 'Ed25519', x, kid, alg: 'EdDSA', use: 'sig' } };
}

/** A key from its PKCS#8 PEM; the key id is its RFC 7638 JWK thumbprint. */
export function signingKey(privateKeyPem: string): SigningKey {
  const privateKey = createPrivateKey(privateKeyPem);
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error('certificate signing keys must be Ed25519');
  return { ...verifyingKeyOf(createPublicKey(privateKey)), privateKey };
}

const keyRing = z.object({ keys: z.array(z.object({ privateKeyPem: z.string().min(1) })).min(1) });

/**
 * The keys of a key ring secret's value (`{"keys":[{"privateKeyPem": "..."}]}`), current first;
 * throws unless it holds at least one key, and every key loads.
 */
export const keyRingOf = (value: string): SigningKey[] => keyRing.parse(JSON.parse(value)).keys.map((k) => signingKey(k.privateKeyPem));

/** A key from the JWK the JWKS publishes; throws unless it is an Ed25519 key whose kid is its thumbprint. */
export function verifyingKey(jwk: PublicJwk): VerifyingKey {
  const key = verifyingKeyOf(createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x }, format: 'jwk' }));
  if (key.kid !== jwk.kid) throw new Error(`a published key's kid is not its thumbprint: ${jwk.kid}`);
  return key;
}

function signingInput(payload: CertificatePayload, kid: string): string {
  return `${b64(canonicalJson({ alg: 'EdDSA', kid }))}.${b64(canonicalJson(payload))}`;
}

/** The compact JWS of a payload: header.payload.signature. */
export function signPayload(payload: CertificatePayload, key: SigningKey): string {
  const input = signingInput(payload, key.kid);
  return `${input}.${b64(sign(null, Buffer.from(input), key.privateKey))}`;
}

/** A signature's length in base64url: the 64 bytes of an Ed25519 signature. */
export const SIGNATURE_CHARACTERS = 86;
const SIGNATURE = new RegExp(`^[A-Za-z0-9_-]{${SIGNATURE_CHARACTERS}}$`);

/**
 * Whether `signature` can be an Ed25519 signature as the registry writes it: 86 base64url
 * characters, in the one encoding of its 64 bytes (the 86th character carries 4 unused bits).
 */
export const wellFormedSignature = (signature: string) =>
  SIGNATURE.test(signature) && Buffer.from(signature, 'base64url').toString('base64url') === signature;

/**
 * A link's signature as printed: what copying adds to a link (a line break, a space, a full stop
 * after it, a soft hyphen) is not base64url, so it cannot be part of a signature, and is dropped.
 */
export const signatureAsPrinted = (copied: string) => copied.replace(/[^A-Za-z0-9_-]/g, '');

/** How much of a link's signature survived copying, when it was cut short; undefined when it is whole. */
export function cutShort(copied: string): { signatureLength: number; expected: number } | undefined {
  const signatureLength = signatureAsPrinted(copied).length;
  return signatureLength < SIGNATURE_CHARACTERS ? { signatureLength, expected: SIGNATURE_CHARACTERS } : undefined;
}

/** The key (if any) whose signature over this payload is `signature` (base64url). */
export function keyThatSigned<K extends VerifyingKey>(payload: CertificatePayload, signature: string, keys: readonly K[]): K | undefined {
  if (!wellFormedSignature(signature)) return undefined;
  const sig = Buffer.from(signature, 'base64url');
  return keys.find((k) => verify(null, Buffer.from(signingInput(payload, k.kid)), k.publicKey, sig));
}

/** The payload of a JWS whose signature checks out against one of `keys`, with that key; else undefined. */
export function verifiedPayload(jws: string, keys: readonly VerifyingKey[]): { payload: CertificatePayload; key: VerifyingKey } | undefined {
  const [, body, signature, ...rest] = jws.split('.');
  if (!body || !signature || rest.length > 0) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  const payload = certificatePayload.safeParse(parsed);
  if (!payload.success) return undefined;
  const key = keyThatSigned(payload.data, signature, keys);
  // The signing input re-derived from the parsed payload must be the one received: this rejects
  // non-canonical encodings (and another header) that carry the same payload and signature.
  return key && jws === `${signingInput(payload.data, key.kid)}.${signature}` ? { payload: payload.data, key } : undefined;
}

export const signatureOf = (jws: string) => jws.slice(jws.lastIndexOf('.') + 1);
