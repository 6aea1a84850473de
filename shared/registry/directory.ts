/** Use cases for parties and ceremonies. */
import { randomUUID } from 'node:crypto';
import { hashOf } from '#shared/domain/canonical.ts';
import { AlreadyExists, InvalidInput, NotFound, RuleViolation, VersionMismatch, VersionRequired } from '#shared/domain/errors.ts';
import { deriveId, newId } from '#shared/domain/ids.ts';
import { beforeRename, newCeremony, newParty, patchParty, renameOf, type Ceremony, type Party } from '#shared/domain/party.ts';
import { readsEverything, type Principal } from '#shared/domain/principal.ts';
import type { CeremonyInput, PartyInput, PartyPatch } from '#shared/domain/schemas.ts';
import * as store from '#shared/store/directory.ts';

const stamp = (p: Principal) => ({ at: new Date().toISOString(), actor: p.actor });

/** A write's outcome: the record, and whether it is the first answer to this request sent again. */
export interface WriteResult<T> { record: T; replayed: boolean }

/** What createOnce needs to know of a kind of directory record. */
interface Directory<T> {
  prefix: 'p' | 'c';
  noun: string;
  insert: (record: T, requestHash: string) => Promise<boolean>;
  read: (id: string) => Promise<store.Created<T> | undefined>;
}
const PARTIES: Directory<Party> = { prefix: 'p', noun: 'party', insert: store.insertParty, read: store.getPartyCreated };
const CEREMONIES: Directory<Ceremony> = { prefix: 'c', noun: 'ceremony', insert: store.insertCeremony, read: store.getCeremonyCreated };

/**
 * Creates a party or ceremony once, however often the request is sent. The id is the body's, or
 * derived from the Idempotency-Key, or new; the request's hash stays with the record. When the
 * id is taken by the same request (a client's retry, or the SDK's after a lost answer), it
 * answers with the record as a replay; by another request, 409 for a chosen id and 422 for a key
 * used with a different body.
 */
async function createOnce<T extends { id: string }>(
  { prefix, noun, insert, read }: Directory<T>, input: { id?: string | undefined }, key: string | undefined, make: (id: string) => T,
): Promise<WriteResult<T>> {
  // One or the other names the record: a key beside an id would be checked against nothing.
  if (input.id !== undefined && key !== undefined) {
    throw new InvalidInput(`Send an id or an Idempotency-Key, not both: with an id, retrying the same ${noun} is already safe`, [
      { path: 'Idempotency-Key', message: 'must not be sent with an id' },
    ]);
  }
  const id = input.id ?? (key === undefined ? newId(prefix) : deriveId(prefix, key));
  const requestHash = hashOf(input);
  const record = make(id);
  if (await insert(record, requestHash)) return { record, replayed: false };
  const existing = await read(id);
  if (existing && existing.requestHash === requestHash) return { record: existing.record, replayed: true };
  if (key !== undefined) {
    throw new RuleViolation('This Idempotency-Key was already used for a different request', [{ path: 'Idempotency-Key', message: 'was already used with a different body' }]);
  }
  throw new AlreadyExists(`A ${noun} with id "${id}" already exists`, [{ path: '/id', message: 'is taken' }]);
}

export function createParty(input: PartyInput, key: string | undefined, principal: Principal): Promise<WriteResult<Party>> {
  return createOnce(PARTIES, input, key, (id) => newParty(id, input, stamp(principal)));
}

/** A partner sees only their own party; anyone else's is "not found", never "forbidden". */
export async function readParty(id: string, principal: Principal): Promise<Party> {
  const party = readsEverything(principal) || principal.partyId === id ? await store.getParty(id) : undefined;
  if (!party) throw new NotFound(`No party with id "${id}"`);
  return party;
}

/**
 * Renames a party at the version the caller names in If-Match. The same rename sent again after
 * it was made (a lost answer, or two copies at once) answers as made (`replayed`) rather than 412,
 * while it is still the party's latest change: a party keeps no history to tell past that.
 */
export async function updateParty(id: string, expectedVersions: readonly number[] | undefined, patch: PartyPatch, principal: Principal): Promise<WriteResult<Party>> {
  if (expectedVersions === undefined) throw new VersionRequired('Send If-Match with the ETag of the party you are changing');
  const found = await store.getPartyCreated(id);
  if (!found) throw new NotFound(`No party with id "${id}"`);
  const current = found.record;
  // Whether the party's latest change is this very one: by this user, and, made again on the
  // version before it, changing the same fields from and to the same values.
  const isLatestChange = ({ record, change }: store.Created<Party>) => {
    if (change?.actor !== principal.actor) return false;
    const before = beforeRename(record, change.rename);
    const again = patchParty(before, patch, stamp(principal));
    return again !== null && hashOf(renameOf(before, again)) === hashOf(change.rename);
  };
  if (!expectedVersions.includes(current.version)) {
    if (expectedVersions.includes(current.version - 1) && isLatestChange(found)) return { record: current, replayed: true };
    throw VersionMismatch.of('party', current.version, expectedVersions);
  }
  const next = patchParty(current, patch, stamp(principal));
  if (!next) return { record: current, replayed: false };
  const change = { rename: renameOf(current, next), actor: principal.actor, token: randomUUID() };
  if (await store.replaceParty(next, current.version, found.requestHash, change)) return { record: next, replayed: false };
  // This request's write went in if the SDK sent it again after its answer was lost (its first
  // attempt then fails the retry's condition): the party carries this request's token. Another
  // copy of this change sent at once may have gone in instead: a replay.
  const now = await store.getPartyCreated(id);
  if (!now || now.record.version !== next.version || !isLatestChange(now)) throw new VersionMismatch('The party was changed by someone else meanwhile');
  return { record: now.record, replayed: now.change?.token !== change.token };
}

export const listParties = store.listParties;

export function createCeremony(input: CeremonyInput, key: string | undefined, principal: Principal): Promise<WriteResult<Ceremony>> {
  return createOnce(CEREMONIES, input, key, (id) => newCeremony(id, input, stamp(principal)));
}

export async function readCeremony(id: string): Promise<Ceremony> {
  const ceremony = await store.getCeremony(id);
  if (!ceremony) throw new NotFound(`No ceremony with id "${id}"`);
  return ceremony;
}

export const listCeremonies = store.listCeremonies;
