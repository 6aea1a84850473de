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

/** The fields a rename may change. */
export const RENAMABLE = ['name', 'localName', 'lang'] as const;

/** What a rename changed: each field it set to another value, from what to what (null: absent). */
export type Rename = Partial<Record<(typeof RENAMABLE)[number], { from: string | null; to: string | null }>>;

export function renameOf(before: Party, after: Party): Rename {
  return Object.fromEntries(RENAMABLE.filter((f) => before[f] !== after[f]).map((f) => [f, { from: before[f] ?? null, to: after[f] ?? null }]));
}

/** The party as it was before `rename`: its fields back to what they were. */
export function beforeRename(party: Party, rename: Rename): Party {
  const before: Party = { ...party };
  for (const field of RENAMABLE) {
    const change = rename[field];
    if (!change) continue;
    if (change.from === null) delete before[field];
    else before[field] = change.from;
  }
  return before;
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
