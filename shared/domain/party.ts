/** Parties: the states, cities, enterprises and organizations that sign. */
import { changesOf, patched, undone, type FieldChanges } from './changes.ts';
import type { Stamp } from './principal.ts';
import type { Party, PartyInput, PartyPatch } from './schemas.ts';

export type { Party };

export function newParty(id: string, input: PartyInput, { at, actor }: Stamp): Party {
  const { id: _ignored, ...fields } = input;
  return { id, ...fields, version: 1, createdAt: at, createdBy: actor, updatedAt: at, updatedBy: actor };
}

/** Applies a patch (null removes an optional field); returns null when nothing would change. */
export function patchParty(party: Party, patch: PartyPatch, { at, actor }: Stamp): Party | null {
  const next = patched(party, patch);
  if (Object.keys(renameOf(party, next)).length === 0) return null;
  return { ...next, version: party.version + 1, updatedAt: at, updatedBy: actor };
}

/** The fields a rename may change. */
export const RENAMABLE = ['name', 'localName', 'lang'] as const;

/** What a rename changed: each field it set to another value, from what to what (null: absent). */
export type Rename = FieldChanges<(typeof RENAMABLE)[number]>;

export const renameOf = (before: Party, after: Party): Rename => changesOf(RENAMABLE, before, after);

/** The party as it was before `rename`: its fields back to what they were. */
export const beforeRename = (party: Party, rename: Rename): Party => undone(RENAMABLE, party, rename);
