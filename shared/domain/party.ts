/** Parties: the states, cities, enterprises and organizations that sign. */
import { hashOf } from './canonical.ts';
import { changesOf, patched, undone, type FieldChanges } from './changes.ts';
import { RuleViolation } from './errors.ts';
import type { Stamp } from './principal.ts';
import type { Party, PartyEntry, PartyInput, PartyPatch } from './schemas.ts';

export type { Party, PartyEntry };

export function newParty(id: string, input: PartyInput, { at, actor }: Stamp): Party {
  const { id: _ignored, ...fields } = input;
  return { id, ...fields, version: 1, createdAt: at, createdBy: actor, updatedAt: at, updatedBy: actor };
}

/** Applies a patch (null removes an optional field); returns null when nothing would change. */
export function patchParty(party: Party, patch: PartyPatch, { at, actor }: Stamp): Party | null {
  const { reason: _reason, ...fields } = patch;
  const next = patched(party, fields);
  if (next.countryCode === undefined && next.kind !== 'organization') {
    throw new RuleViolation(`A party of kind "${next.kind}" keeps a country: correct it to another, or it stays`, [{ path: '/countryCode', message: `cannot be removed from a party of kind "${next.kind}"` }]);
  }
  if (Object.keys(renameOf(party, next)).length === 0) return null;
  return { ...next, version: party.version + 1, updatedAt: at, updatedBy: actor };
}

/**
 * Whether a party's record is as its last change wrote it (`stateHash`, kept in its item): not when
 * edited behind the API. One written before parties kept the hash has nothing to be checked against.
 */
export const asWritten = (party: Party, stateHash: string | undefined): boolean => stateHash === undefined || hashOf(party) === stateHash;

/** The fields a rename (or a correction of the country) may change. */
export const RENAMABLE = ['name', 'localName', 'lang', 'countryCode'] as const;

/** What a rename changed: each field it set to another value, from what to what (null: absent). */
export type Rename = FieldChanges<(typeof RENAMABLE)[number]>;

export const renameOf = (before: Party, after: Party): Rename => changesOf(RENAMABLE, before, after);

/** The party as it was before `rename`: its fields back to what they were. */
export const beforeRename = (party: Party, rename: Rename): Party => undone(RENAMABLE, party, rename);

/** The history entry of a rename (its reason, if it gave one). */
export const renameEntry = (next: Party, rename: Rename, reason: string | undefined): PartyEntry =>
  ({ version: next.version, action: 'amended', at: next.updatedAt, actor: next.updatedBy, reason: reason ?? null, changes: rename });

/**
 * A party's history from the renames it keeps: its registration (each name it was registered with,
 * from null), then each rename. `complete` is false for a party renamed before renames were kept:
 * only the renames kept since are known, and not the name it was registered with.
 */
export function partyHistory(party: Party, renames: readonly PartyEntry[]): { complete: boolean; items: PartyEntry[] } {
  if (party.version !== renames.length + 1) return { complete: false, items: [...renames] };
  let registered = party;
  for (const entry of [...renames].reverse()) registered = beforeRename(registered, entry.changes as Rename);
  return {
    complete: true,
    items: [{ version: 1, action: 'created', at: party.createdAt, actor: party.createdBy, reason: null, changes: changesOf(RENAMABLE, {}, registered) }, ...renames],
  };
}
