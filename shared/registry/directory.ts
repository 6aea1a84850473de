/** Use cases for parties and ceremonies. */
import { AlreadyExists, NotFound, VersionMismatch, VersionRequired } from '#shared/domain/errors.ts';
import { newId } from '#shared/domain/ids.ts';
import { newCeremony, newParty, patchParty, type Ceremony, type Party } from '#shared/domain/party.ts';
import { readsEverything, type Principal } from '#shared/domain/principal.ts';
import type { CeremonyInput, PartyInput, PartyPatch } from '#shared/domain/schemas.ts';
import * as store from '#shared/store/directory.ts';

const stamp = (p: Principal) => ({ at: new Date().toISOString(), actor: p.actor });

export async function createParty(input: PartyInput, principal: Principal): Promise<Party> {
  const party = newParty(input.id ?? newId('p'), input, stamp(principal));
  if (!(await store.insertParty(party))) throw new AlreadyExists(`A party with id "${party.id}" already exists`, [{ path: '/id', message: 'is taken' }]);
  return party;
}

/** A partner sees only their own party; anyone else's is "not found", never "forbidden". */
export async function readParty(id: string, principal: Principal): Promise<Party> {
  const party = readsEverything(principal) || principal.partyId === id ? await store.getParty(id) : undefined;
  if (!party) throw new NotFound(`No party with id "${id}"`);
  return party;
}

export async function updateParty(id: string, expectedVersion: number | undefined, patch: PartyPatch, principal: Principal): Promise<Party> {
  if (expectedVersion === undefined) throw new VersionRequired('Send If-Match with the ETag of the party you are changing');
  const current = await store.getParty(id);
  if (!current) throw new NotFound(`No party with id "${id}"`);
  if (current.version !== expectedVersion) throw VersionMismatch.of('party', current.version, expectedVersion);
  const next = patchParty(current, patch, stamp(principal));
  if (!next) return current;
  if (!(await store.replaceParty(next, expectedVersion))) throw new VersionMismatch('The party was changed by someone else meanwhile');
  return next;
}

export const listParties = store.listParties;

export async function createCeremony(input: CeremonyInput, principal: Principal): Promise<Ceremony> {
  const ceremony = newCeremony(input.id ?? newId('c'), input, stamp(principal));
  if (!(await store.insertCeremony(ceremony))) throw new AlreadyExists(`A ceremony with id "${ceremony.id}" already exists`, [{ path: '/id', message: 'is taken' }]);
  return ceremony;
}

export async function readCeremony(id: string): Promise<Ceremony> {
  const ceremony = await store.getCeremony(id);
  if (!ceremony) throw new NotFound(`No ceremony with id "${id}"`);
  return ceremony;
}

export const listCeremonies = store.listCeremonies;
