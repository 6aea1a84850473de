/** Use cases for parties and ceremonies. */
import { randomUUID } from 'node:crypto';
import { hashOf } from '#shared/domain/canonical.ts';
import { AlreadyExists, CHANGE_ATTEMPTS, InvalidInput, NotFound, RuleViolation, StateConflict, VersionMismatch, VersionRequired } from '#shared/domain/errors.ts';
import { log } from '#shared/log.ts';
import { deriveId, newId } from '#shared/domain/ids.ts';
import type { FieldChanges } from '#shared/domain/changes.ts';
import {
  assertClockAgrees, assertSpan, beforeCorrection, ceremonyHistory, correctCeremony, correctionBody, correctionEntry, correctionOf, entryBody, newCeremony,
  asCommitted, sealHistory, verifyCeremonyHistory, type Ceremony, type CeremonyEntry,
} from '#shared/domain/ceremony.ts';
import { asWritten, beforeRename, newParty, partyHistory, patchParty, renameEntry, renameOf, type Party, type PartyEntry } from '#shared/domain/party.ts';
import { readsEverything, stampOf, type Principal, type Stamp } from '#shared/domain/principal.ts';
import type { CeremonyInput, CeremonyPatch, HistoryCheck, PartyInput, PartyPatch } from '#shared/domain/schemas.ts';
import { assertPrintable, ceremonyText } from '#shared/certificate/wording.ts';
import { replayEach, signingDayError, type Agreement } from '#shared/domain/agreement.ts';
import { offsetLabel, venueOffset } from '#shared/domain/time-zones.ts';
import { agreementsOfCeremony } from '#shared/store/agreement-lists.ts';
import { getAgreement, type StoredAgreement } from '#shared/store/agreements.ts';
import * as store from '#shared/store/directory.ts';

/** A write's outcome: the record, and whether it is the first answer to this request sent again. */
export interface WriteResult<T> { record: T; replayed: boolean }

/** What createOnce needs to know of a kind of directory record. */
interface Directory<T> {
  prefix: 'p' | 'c';
  noun: string;
  insert: (record: T, origin: store.Origin) => Promise<boolean>;
  read: (id: string) => Promise<store.StoredRecord<T> | undefined>;
}
const PARTIES: Directory<Party> = { prefix: 'p', noun: 'party', insert: store.insertParty, read: store.getPartyStored };
const CEREMONIES: Directory<Ceremony> = { prefix: 'c', noun: 'ceremony', insert: store.insertCeremony, read: store.getCeremonyStored };

/**
 * Creates a party or ceremony once, however often the request is sent. The id is the body's, or
 * derived from the Idempotency-Key, or new; the request's hash and token stay with the record.
 * When the id is taken by this very request (the SDK sent it again after a lost answer), it was
 * made; by the same request sent again (a client's retry), it answers with the record as a replay;
 * by another request, 409 for a chosen id and 422 for a key used with a different body.
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
  const origin = { requestHash: hashOf(input), requestToken: randomUUID() };
  /** The record this very request made before (the same body), as a replay. */
  const replayOf = (existing: store.StoredRecord<T> | undefined) => (existing?.requestHash === origin.requestHash ? { record: existing.record, replayed: true } : undefined);
  let record: T;
  try {
    record = make(id);
  } catch (error) {
    // The same request made before a rule it breaks came in: its record stands, and is replayed.
    const replay = error instanceof RuleViolation ? replayOf(await read(id)) : undefined;
    if (replay) return replay;
    throw error;
  }
  if (await insert(record, origin)) return { record, replayed: false };
  const existing = await read(id);
  if (existing?.requestToken === origin.requestToken) return { record, replayed: false };
  const replay = replayOf(existing);
  if (replay) return replay;
  if (key !== undefined) {
    throw RuleViolation.keyReused();
  }
  throw new AlreadyExists(`A ${noun} with id "${id}" already exists`, [{ path: '/id', message: 'is taken' }]);
}

export function createParty(input: PartyInput, key: string | undefined, principal: Principal): Promise<WriteResult<Party>> {
  return createOnce(PARTIES, input, key, (id) => newParty(id, input, stampOf(principal)));
}

/** A partner sees only their own party; anyone else's is "not found", never "forbidden". */
export async function readParty(id: string, principal: Principal): Promise<Party> {
  const party = readsEverything(principal) || principal.partyId === id ? await store.getParty(id) : undefined;
  if (!party) throw new NotFound(`No party with id "${id}"`);
  return party;
}

/** What changeOnce needs to know of a kind of directory record it changes. */
interface Changing<T extends { version: number }, P, F extends store.StoredRecord<T> = store.StoredRecord<T>> {
  noun: 'party' | 'ceremony';
  read: (id: string) => Promise<F | undefined>;
  /** The record with the patch applied, one version on; null when it would change nothing. */
  apply: (record: T, patch: P, stamp: Stamp) => T | null;
  changesOf: (before: T, after: T) => FieldChanges;
  undo: (record: T, changes: FieldChanges) => T;
  /** Refuses (throws) a change that breaks a rule across records, before it is written. */
  check?: (current: T, next: T) => Promise<void>;
  /** Writes `next` if the stored record is still `found` (at its version); false if not. */
  write: (next: T, found: F, change: store.LatestChange) => Promise<boolean>;
  /** Whether `now` records this very change as its version `next.version`, whatever came after (a record that keeps its changes). */
  holds?: (now: F, next: T, change: store.LatestChange) => boolean;
  reason?: (patch: P) => string | undefined;
}

/**
 * Changes a party or a ceremony at the version the caller names in If-Match. The same change sent
 * again after it was made (a lost answer, or two copies at once) answers as made (`replayed`)
 * rather than 412, while it is still the record's latest change: by the same user, with the same
 * reason, and, made again on the version before it, changing the same fields from and to the same
 * values.
 */
async function changeOnce<T extends { version: number }, P, F extends store.StoredRecord<T>>(
  how: Changing<T, P, F>, id: string, expectedVersions: readonly number[] | undefined, patch: P, principal: Principal,
): Promise<WriteResult<T>> {
  if (expectedVersions === undefined) throw new VersionRequired(`Send If-Match with the ETag of the ${how.noun} you are changing`);
  const found = await how.read(id);
  if (!found) throw new NotFound(`No ${how.noun} with id "${id}"`);
  const current = found.record;
  const reason = how.reason?.(patch);
  const isLatestChange = ({ record, change }: store.StoredRecord<T>) => {
    if (change?.actor !== principal.actor || change.reason !== reason) return false;
    const before = how.undo(record, change.changes);
    let again;
    try {
      again = how.apply(before, patch, stampOf(principal));
    } catch (error) {
      // A patch the rules refuse on the version before is no change made on it: a stale request (412).
      if (error instanceof RuleViolation) return false;
      throw error;
    }
    return again !== null && hashOf(how.changesOf(before, again)) === hashOf(change.changes);
  };
  if (!expectedVersions.includes(current.version)) {
    if (expectedVersions.includes(current.version - 1) && isLatestChange(found)) return { record: current, replayed: true };
    throw VersionMismatch.of(how.noun, current.version, expectedVersions);
  }
  let base = found;
  for (let attempt = 1; ; attempt += 1) {
    const next = how.apply(base.record, patch, stampOf(principal));
    if (!next) return { record: base.record, replayed: false };
    const change = { changes: how.changesOf(base.record, next), actor: principal.actor, token: randomUUID(), ...(reason !== undefined && { reason }) };
    await how.check?.(base.record, next);
    if (await how.write(next, base, change)) return { record: next, replayed: false };
    // This request's write went in if the SDK sent it again after its answer was lost (its first
    // attempt then fails the retry's condition): the record carries this request's token, or (one
    // that keeps its changes) this very change, even under another made since. Another copy of this
    // change sent at once may have gone in instead: a replay.
    const now = await how.read(id);
    if (!now) throw new VersionMismatch(`The ${how.noun} was changed by someone else meanwhile`);
    if (how.holds?.(now, next, change)) return { record: next, replayed: false };
    // A copy of this change may have gone in on any version If-Match names (made, itself, on a winner's).
    if (expectedVersions.includes(now.record.version - 1) && isLatestChange(now)) return { record: now.record, replayed: now.change?.token !== change.token };
    // Another change got in first. One to a version If-Match names too ("3", "4") is one this change
    // may be made on, as if sent after it, as an agreement's is (a few times at most: a list names few versions).
    if (!expectedVersions.includes(now.record.version)) throw VersionMismatch.of(how.noun, now.record.version, expectedVersions);
    if (attempt === CHANGE_ATTEMPTS) throw VersionMismatch.racedOut(how.noun);
    base = now;
  }
}

/**
 * Whether a party's record is as its last change wrote it (see asWritten), for a rename, a signing
 * or an amendment that copies it, and the sweep; one that is not is logged for the integrity alarm.
 */
export function partyIntact(party: Party, stateHash: string | undefined): boolean {
  if (asWritten(party, stateHash)) return true;
  log.integrity('party record does not match its last change', { partyId: party.id });
  return false;
}

const RENAMING: Changing<Party, PartyPatch, store.StoredParty> = {
  noun: 'party',
  // Refused (409) while its record is not as its last change wrote it: renamed, the edit would be written in under a new hash.
  read: async (id) => {
    const found = await store.getPartyStored(id);
    if (found && !partyIntact(found.record, found.stateHash)) throw changedOutside('Party', id, 'its record is not as its last change wrote it', 'it is not renamed');
    return found;
  },
  apply: patchParty,
  changesOf: renameOf,
  undo: beforeRename,
  write: (next, found, change) =>
    store.replaceParty(next, found.record.version, found, change, [...found.renames, renameEntry(next, change.changes, change.reason)]),
  // Under another rename since: its entry, the same instant, actor, reason and changes. At its own version, the token tells.
  holds: (now, next, change) => {
    const entry = now.renames.find((e) => e.version === next.version);
    return now.record.version > next.version && entry !== undefined && hashOf(entry) === hashOf(renameEntry(next, change.changes, change.reason));
  },
  reason: (patch) => patch.reason,
};

/** Renames a party, with a reason if given; every rename is kept. */
export const updateParty = (id: string, expectedVersions: readonly number[] | undefined, patch: PartyPatch, principal: Principal) =>
  changeOnce(RENAMING, id, expectedVersions, patch, principal);

/** Every version of a party: its registration and each rename, with its reason, as far as they are kept. */
export async function partyHistoryOf(id: string): Promise<{ partyId: string; version: number; complete: boolean; items: PartyEntry[] }> {
  const found = await store.getPartyStored(id);
  if (!found) throw new NotFound(`No party with id "${id}"`);
  return { partyId: id, version: found.record.version, ...partyHistory(found.record, found.renames) };
}

export const listParties = store.listParties;

export function createCeremony(input: CeremonyInput, key: string | undefined, principal: Principal): Promise<WriteResult<Ceremony>> {
  return createOnce(CEREMONIES, input, key, (id) => newCeremony(id, input, stampOf(principal)));
}

export async function readCeremony(id: string): Promise<Ceremony> {
  const ceremony = await store.getCeremony(id);
  if (!ceremony) throw new NotFound(`No ceremony with id "${id}"`);
  return ceremony;
}

const CORRECTING: Changing<Ceremony, CeremonyPatch, store.StoredCeremony> = {
  noun: 'ceremony',
  // Refused (409) from the read on, before any rule reads its signings, while its history does not check out.
  read: async (id) => {
    const found = await store.getCeremonyStored(id);
    if (found) assertCeremonyIntact(found);
    return found;
  },
  apply: correctCeremony,
  changesOf: correctionOf,
  undo: beforeCorrection,
  // Checked on a change being made, not on one sent again: its replay stands whatever rules came since.
  check: async (before, after) => {
    assertClockAgrees(before, after);
    assertSpan(before, after);
    await assertSigningsStillFit(before, after);
  },
  write: (next, found, change) => {
    // A ceremony kept before histories were chained is chained first, as it stands.
    const { corrections, head } = found.seal ? { corrections: found.corrections, head: found.seal.head } : chainedAsItStands(found);
    const entry = correctionEntry(next, change.changes, change.reason!, head);
    return store.replaceCeremony(next, found.record.version, found, [...corrections, entry], entry.hash!, change.token);
  },
  // Under another correction since: its entry, the same instant, actor, reason and changes (copies
  // sent at once are stamped apart, but for the same millisecond). At its own version, the token tells.
  holds: (now, next, change) => {
    const entry = now.corrections[next.version - 2];
    return now.record.version > next.version && entry !== undefined && hashOf(entryBody(entry)) === hashOf(correctionBody(next, change.changes, change.reason!));
  },
  reason: (patch) => patch.reason,
};

/** How many amended agreements' histories a correction's check reads and holds at once. */
const HELD_AT_ONCE = 10;

/** How many signings a refused correction names, at most. */
const NAMED = 10;

/** The stored item of an amended agreement (for its history); none needed for one never amended. */
const amendedItem = (latest: Agreement) => (latest.version === 1 ? Promise.resolve(undefined) : getAgreement(latest.id));

/** Every version of an agreement (each has a certificate that prints its ceremony), the latest first. */
function everyVersion(latest: Agreement, stored: StoredAgreement | undefined): Agreement[] {
  if (!stored) return [latest];
  return replayEach(stored.agreement, stored.history).reverse();
}

/**
 * Refuses (422) a correction its ceremony's signings would no longer fit: one that would leave a
 * signing dated off the ceremony's days (those it names are to be amended first, or the ceremony
 * corrected so that they fit), or with a certificate it cannot print (more distinct characters than
 * one embeds), of any of its versions. Only a correction that moves the ceremony's days, or brings
 * characters it did not print before, can; only then are its signings read (an amended one's
 * history too, for its characters). An earlier version's date does not hold a correction back: it
 * cannot be amended, and was most often amended for being wrong.
 */
async function assertSigningsStillFit(before: Ceremony, after: Ceremony): Promise<void> {
  const printed = new Set(ceremonyText(before));
  const newCharacters = [...ceremonyText(after)].some((ch) => !printed.has(ch));
  // The fields that set the ceremony's days that the correction changes.
  const moved = DAY_FIELDS.filter((field) => before[field] !== after[field]);
  if (!newCharacters && moved.length === 0) return;
  const offDays: string[] = [];
  // What the 422 names: for each signing left off, the fields whose change alone, undone, would keep it (else all that changed).
  const blamed = new Set<DayField>();
  for await (const page of agreementsOfCeremony(after.id)) for (let at = 0; at < page.length; at += HELD_AT_ONCE) {
    // The amended ones' histories, HELD_AT_ONCE at a time: read one after another, a ceremony of 250
    // signings, many amended, took seconds (and a history may take 4 MB). Their versions are replayed
    // and checked one agreement at a time, in order (the same one is named first).
    const agreements = page.slice(at, at + HELD_AT_ONCE);
    const items = newCharacters ? await Promise.all(agreements.map(amendedItem)) : [];
    for (const [i, agreement] of agreements.entries()) {
      if (newCharacters) for (const version of everyVersion(agreement, items[i])) assertPrintable(version, after);
      // A voided signing is no longer in force: its day does not hold a correction back.
      if (moved.length === 0 || agreement.status === 'voided' || !signingDayError(agreement.signedAt, after)) continue;
      offDays.push(`${agreement.code} (signed ${agreement.signedAt})`);
      const culprits = moved.filter((field) => !signingDayError(agreement.signedAt, undoing(after, before, field)));
      for (const field of culprits.length > 0 ? culprits : moved) blamed.add(field);
    }
  }
  if (offDays.length === 0) return;
  const named = offDays.slice(0, NAMED).join(', ') + (offDays.length > NAMED ? ` and ${offDays.length - NAMED} more` : '');
  // A correction that only rewrites how a time is written (+08:00 as Z) can still move the clock its days are read on.
  const clock = (c: Ceremony) => c.timeZone ?? (venueOffset(c) === undefined ? 'each signing\'s own clock (UTC for one logged in UTC)' : offsetLabel(venueOffset(c)!));
  const clockMoves = clock(before) === clock(after) ? '' : ` (it moves the clock the ceremony's days are read on from ${clock(before)} to ${clock(after)})`;
  throw new RuleViolation(
    `This correction would leave ${offDays.length} signing${offDays.length === 1 ? '' : 's'} off the ceremony's days${clockMoves}: ${named}. Amend their signedAt first, or correct the ceremony so that they fit`,
    DAY_FIELDS.filter((field) => blamed.has(field)).map((field) => ({ path: `/${field}`, message: `would leave ${offDays.length} signing${offDays.length === 1 ? '' : 's'} off the ceremony's days` })),
  );
}

/** The fields that set a ceremony's days, in the order a refusal names them. */
const DAY_FIELDS = ['startsAt', 'endsAt', 'timeZone'] as const;
type DayField = (typeof DAY_FIELDS)[number];

/** The ceremony `after` with `field` as it was `before` (absent if it was). */
function undoing(after: Ceremony, before: Ceremony, field: DayField): Ceremony {
  const { [field]: _, ...rest } = after;
  return before[field] === undefined ? (rest as Ceremony) : { ...rest, [field]: before[field] } as Ceremony;
}

/** Corrects a ceremony, with a reason; every correction is kept. */
export const updateCeremony = (id: string, expectedVersions: readonly number[] | undefined, patch: CeremonyPatch, principal: Principal) =>
  changeOnce(CORRECTING, id, expectedVersions, patch, principal);

/** The corrections of a ceremony kept before histories were chained, chained as they stand, and the hash of the latest entry. */
function chainedAsItStands({ record, corrections }: store.StoredCeremony): { corrections: CeremonyEntry[]; head: string } {
  const { entries, seal } = sealHistory(record, corrections);
  return { corrections: entries.slice(1), head: seal.head };
}

/**
 * Whether a ceremony's history checks out (null: kept before histories were chained, and not
 * corrected since: nothing to check it against). One whose corrections are chained but whose item
 * names no head (removed behind the API) does not: its latest version cannot be told as committed.
 * Each finding is logged for the integrity alarm.
 */
export function ceremonyIntegrity({ record, corrections, seal }: store.StoredCeremony): HistoryCheck | null {
  const chained = corrections.some((entry) => entry.hash !== undefined);
  if (!seal && !chained) return null;
  const check = seal ? verifyCeremonyHistory(record, corrections, seal) : { chainValid: false, stateMatches: false, firstBadVersion: record.version };
  if (!check.chainValid || !check.stateMatches) log.integrity('ceremony history does not check out', { ceremonyId: record.id, ...check });
  return check;
}

/** A ceremony or a party changed outside the registry: a 409 saying what is held back until it is restored. */
function changedOutside(noun: 'Ceremony' | 'Party', id: string, what: string, heldBack: string): StateConflict {
  return new StateConflict(`${noun} ${id} was changed outside the registry (${what}): ${heldBack} until it is restored`, [{ path: '', message: `${noun.toLowerCase()} changed outside the registry` }]);
}

/**
 * Refuses (409) a correction of a ceremony whose history does not check out: made on a record edited
 * behind the API, it would take the edit into its own entry for good.
 */
function assertCeremonyIntact(found: store.StoredCeremony): void {
  const check = ceremonyIntegrity(found);
  if (!check || (check.chainValid && check.stateMatches)) return;
  const what = check.firstBadVersion === null ? 'its record no longer matches its history' : `its history does not check out from version ${check.firstBadVersion} on`;
  throw changedOutside('Ceremony', found.record.id, what, 'it is not corrected');
}

/**
 * A ceremony as it stands, and whether it is the state its item committed: what certificates print
 * (refused, 409, when it is not: they would print, and sign for, what the registry never recorded)
 * and verifications show (they leave it out). Checked without reading its corrections; the
 * history, a correction and the daily sweep check the whole chain.
 */
export async function committedCeremony(id: string): Promise<{ record: Ceremony; committed: boolean } | undefined> {
  const found = await store.getCeremonySealed(id);
  if (!found) return undefined;
  const committed = !found.sealRemoved && asCommitted(found.record, found.seal);
  if (!committed) log.integrity('ceremony record does not match its history', { ceremonyId: id });
  return { record: found.record, committed };
}

/** The 409 for a certificate of a signing at a ceremony changed outside the registry (see committedCeremony). */
export const ceremonyNotPrinted = (id: string) => changedOutside('Ceremony', id, 'its record no longer matches its history', 'no certificate of its signings is issued');

/** Every version of a ceremony: its opening and each correction, with its reason, hash-chained, and whether that chain checks out. */
export async function ceremonyHistoryOf(id: string): Promise<{ ceremonyId: string; version: number; items: CeremonyEntry[]; integrity: HistoryCheck | null }> {
  const found = await store.getCeremonyStored(id);
  if (!found) throw new NotFound(`No ceremony with id "${id}"`);
  return { ceremonyId: id, version: found.record.version, items: ceremonyHistory(found.record, found.corrections, found.seal), integrity: ceremonyIntegrity(found) };
}

export const listCeremonies = store.listCeremonies;
