/** Parties and ceremonies: the records agreements point at. */
import { toUtcNanos } from './formats.ts';
import { RuleViolation } from './errors.ts';
import type { Ceremony, CeremonyInput, Party, PartyInput, PartyPatch } from './schemas.ts';

export type { Ceremony, Party };

export interface Stamp {
  at: string;
  actor: string;
}

export function newParty(id: string, input: PartyInput, { at, actor }: Stamp): Party {
  const { id: _ignored, ...fields } = input;
  return { id, ...fields, version: 1, createdAt: at, createdBy: actor, updatedAt: at, updatedBy: actor };
}

/** Applies a patch (null removes an optional field); returns null when nothing would change. */
export function patchParty(party: Party, patch: PartyPatch, { at, actor }: Stamp): Party | null {
  const next: Party = { ...party };
  for (const [key, value] of Object.entries(patch) as [keyof PartyPatch, string | null | undefined][]) {
    if (value === undefined) continue;
    if (value === null) delete next[key];
    else next[key] = value;
  }
  const same = next.name === party.name && next.localName === party.localName && next.lang === party.lang;
  if (same) return null;
  return { ...next, version: party.version + 1, updatedAt: at, updatedBy: actor };
}

export function newCeremony(id: string, input: CeremonyInput, { at, actor }: Stamp): Ceremony {
  if (input.endsAt !== undefined && toUtcNanos(input.endsAt) < toUtcNanos(input.startsAt)) {
    throw new RuleViolation('A ceremony cannot end before it starts', [
      { path: '/endsAt', message: 'must not be before startsAt' },
    ]);
  }
  const { id: _ignored, ...fields } = input;
  return { id, ...fields, createdAt: at, createdBy: actor };
}
