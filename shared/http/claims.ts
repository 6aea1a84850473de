/**
 * JWT claims -> Principal. The claims arrive already verified: on AWS by API Gateway's JWT
 * authorizer, locally by the local server playing that part. API Gateway flattens array claims
 * into strings like "[staff auditor]"; other issuers send JSON arrays. Both are accepted.
 */
import { ID_PATTERN } from '#shared/domain/formats.ts';
import { ROLES, type Principal, type Role } from '#shared/domain/principal.ts';

export type Claims = Record<string, string | number | boolean | string[]>;

/** Group names; anything in the list that is not a string (a nested list, a number) names no group. */
export function parseGroups(value: unknown): string[] {
  const names = (list: unknown[]) => list.filter((g): g is string => typeof g === 'string');
  if (Array.isArray(value)) return names(value);
  if (typeof value !== 'string') return [];
  // API Gateway's "[a b]": names are split where it joins them, at spaces (which no Cognito group
  // name holds). Not read as JSON, nor split at commas: a name may hold quotes, brackets and commas,
  // and one group named "x,staff" or "staff" in quotes ('["staff"]' once flattened) is not staff.
  return value.trim().replace(/^\[|\]$/g, '').split(/\s+/).filter(Boolean);
}

/**
 * A subject fit to be recorded as the actor in history: 1-256 characters, no spaces, no control,
 * format (bidirectional), surrogate, private-use or noncharacters (which text fields refuse too).
 * Cognito's are UUIDs.
 */
const SUBJECT = /^[^\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Noncharacter_Code_Point}\p{Z}]{1,256}$/u;

export function principalFrom(claims: Claims | undefined): Principal | undefined {
  const sub = claims?.sub;
  if (typeof sub !== 'string' || !SUBJECT.test(sub)) return undefined;
  const roles = new Set(parseGroups(claims?.['cognito:groups']).filter((g): g is Role => (ROLES as readonly string[]).includes(g)));
  // Only a party id names a party: anything else (a typo'd attribute, 3,000 characters) names none,
  // rather than reach the store's keys, whose limits it could break.
  const partyId = claims?.['custom:partyId'];
  return { actor: sub, roles, ...(typeof partyId === 'string' && ID_PATTERN.test(partyId) && { partyId }) };
}
