/**
 * Agreements: building, amending and voiding one, its hash-chained history, and replaying
 * history into any earlier version. Pure functions; the store persists what they return.
 *
 * Every version is fully described by its history entry's `changes` ({field: {from?, to?}}),
 * so replaying entries 1..N rebuilds version N exactly and `stateHash` proves it.
 */
import { canonicalJson, hashOf } from './canonical.ts';
import { patched } from './changes.ts';
import { RuleViolation, type FieldError } from './errors.ts';
import { toUtcIso } from './formats.ts';
import { currencyMinorUnits } from './iso-codes.ts';
import type { Stamp } from './principal.ts';
import type { Agreement, AgreementInput, AgreementParty, AgreementPatch, Ceremony, HistoryAction, HistoryCheck, HistoryEntry, Party } from './schemas.ts';
import { ceremonyDayRange, dateOfDay, dayNumber, offsetLabel, signingClock, two, venueOffset, writtenOffset } from './time-zones.ts';

export type { Agreement, AgreementParty, HistoryCheck, HistoryEntry };

/** What a history entry records of one content field: from what, to what (absent: undefined; FieldChanges of directory records write null). */
type ContentChange = { from?: unknown; to?: unknown };

/** The fields a history entry may change; everything else is identity or bookkeeping. */
const CONTENT_FIELDS = ['status', 'title', 'titleZh', 'kind', 'parties', 'sectors', 'value', 'signedAt', 'place', 'summary'] as const;
type ContentField = (typeof CONTENT_FIELDS)[number];
type Content = Pick<Agreement, ContentField>;

const KEY_ORDER: (keyof Agreement)[] = [
  'id', 'code', 'ceremonyId', 'status', 'version', 'title', 'titleZh', 'kind', 'parties', 'sectors',
  'value', 'signedAt', 'place', 'summary', 'createdAt', 'createdBy', 'updatedAt', 'updatedBy',
];

/** Same fields, stable key order, no undefined: what is stored, returned and hashed. */
function present(a: Agreement): Agreement {
  const out: Record<string, unknown> = {};
  for (const key of KEY_ORDER) if (a[key] !== undefined) out[key] = a[key];
  return out as unknown as Agreement;
}

/** The sortable key of a signing: UTC instant, then id to break ties. */
export const signedKey = (a: Pick<Agreement, 'signedAt' | 'id'>) => `${toUtcIso(a.signedAt)}#${a.id}`;

function diff(before: Partial<Content>, after: Content): Record<string, ContentChange> {
  const changes: Record<string, ContentChange> = {};
  for (const field of CONTENT_FIELDS) {
    const from = before[field];
    const to = after[field];
    if (canonicalJson(from ?? null) === canonicalJson(to ?? null)) continue;
    changes[field] = { ...(from !== undefined && { from }), ...(to !== undefined && { to }) };
  }
  return changes;
}

function entryFor(agreement: Agreement, action: HistoryAction, changes: Record<string, ContentChange>, reason: string | null, prevHash: string | null): HistoryEntry {
  const body = {
    version: agreement.version, action, at: agreement.updatedAt, actor: agreement.updatedBy,
    reason, changes, stateHash: hashOf(agreement), prevHash,
  };
  return { ...body, hash: hashOf(body) };
}

// ---- rules ------------------------------------------------------------------------------

const FUTURE_TOLERANCE_MS = 24 * 60 * 60 * 1000;

/** Party snapshots for the agreement; existing snapshots are kept so renames never leak in, unless a party asks to be refreshed. */
export function snapshotParties(
  inputs: readonly (AgreementInput['parties'][number] & { refresh?: boolean })[],
  directory: ReadonlyMap<string, Party>,
  kept: readonly AgreementParty[] = [],
): AgreementParty[] {
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  const snapshots = inputs.map((input, i) => {
    if (seen.has(input.partyId)) errors.push({ path: `/parties/${i}/partyId`, message: `lists party "${input.partyId}" twice` });
    seen.add(input.partyId);
    const before = input.refresh ? undefined : kept.find((p) => p.partyId === input.partyId);
    const party = directory.get(input.partyId);
    if (!before && !party) errors.push({ path: `/parties/${i}/partyId`, message: `no party with id "${input.partyId}" exists` });
    const source = before ?? party;
    return {
      partyId: input.partyId,
      ...(input.role !== undefined && { role: input.role }),
      signatory: input.signatory,
      kind: source?.kind ?? 'organization',
      name: source?.name ?? '',
      ...(source?.localName !== undefined && { localName: source.localName }),
      ...(source?.lang !== undefined && { lang: source.lang }),
      ...(source?.countryCode !== undefined && { countryCode: source.countryCode }),
    };
  });
  if (errors.length) throw new RuleViolation(errors.map((e) => `${e.path} ${e.message}`).join('; '), errors);
  return snapshots;
}

/** What the signing-day rule needs of the ceremony a signing is logged under. */
export type CeremonyTimes = Pick<Ceremony, 'startsAt' | 'endsAt' | 'timeZone'>;

/**
 * The signing must fall on one of the ceremony's days, from the day it starts to the day it ends
 * (or starts, without an end). Its day is the one its certificate prints (signingClock); the
 * ceremony's days are by its time zone, or else by the offsets its start and end were written in
 * (one written in UTC, "Z", names no place's clock: it is read on the signing's), as the
 * certificate prints them (ceremonyDayRange).
 * A whole day either side of the hours is room enough for a signing logged before the doors open
 * or after the speeches; a signing dated another day (2014 for 2024, or an offset that moves it a
 * day) is a typing mistake the certificate would print as fact.
 */
export function signingDayError(signedAt: string, ceremony: CeremonyTimes): FieldError | undefined {
  const { timeZone } = ceremony;
  const [first, last] = ceremonyDayRange(ceremony, signedAt);
  const clock = signingClock(signedAt, ceremony);
  const day = dayNumber(signedAt, clock);
  if (day >= first && day <= last) return undefined;
  const date = (n: number) => {
    const { y, m, d } = dateOfDay(n);
    return `${y}-${two(m + 1)}-${two(d)}`;
  };
  const venue = venueOffset(ceremony);
  const ceremonyClock = timeZone ?? (venue === undefined ? `${offsetLabel(clock)}, the signing's clock: its times are logged in UTC` : offsetLabel(venue));
  const days = first === last ? `day, ${date(first)}` : `days, ${date(first)} to ${date(last)}`;
  // A signing logged in UTC is read on a clock it does not name: say which, unless the one just named.
  const loggedInUtc = writtenOffset(signedAt) !== undefined || clock === 0 ? '' : !timeZone && venue === clock ? ' (logged in UTC)' : ` (${offsetLabel(clock)}; logged in UTC)`;
  const signingLabel = timeZone || venue === undefined || venue === clock ? loggedInUtc : ` (${offsetLabel(clock)}, as logged)`;
  return { path: '/signedAt', message: `must fall on the ceremony's ${days} (${ceremonyClock}); it falls on ${date(day)}${signingLabel}` };
}

/**
 * The rules across an agreement's fields; `during`: the ceremony whose days the signing must fall
 * on (given where `signedAt` is new: a signing, or an amendment that changes it).
 */
function checkAgreementRules(content: Content, now: Date, during?: CeremonyTimes): void {
  const errors: FieldError[] = [];
  if (content.kind === 'sister-city') {
    const [a, b] = content.parties;
    if (content.parties.length !== 2 || a?.kind !== 'city' || b?.kind !== 'city') {
      errors.push({ path: '/parties', message: 'must be two cities in a sister-city agreement' });
    } else if (a.countryCode === b.countryCode) {
      errors.push({ path: '/parties', message: 'must be two cities in different countries in a sister-city agreement' });
    }
  }
  if (Date.parse(content.signedAt) > now.getTime() + FUTURE_TOLERANCE_MS) {
    errors.push({ path: '/signedAt', message: 'must not be more than 24 hours in the future' });
  } else if (during) {
    const error = signingDayError(content.signedAt, during);
    if (error) errors.push(error);
  }
  if (content.value) {
    const digits = content.value.amount.split('.')[1]?.length ?? 0;
    const allowed = currencyMinorUnits(content.value.currency); // none for a unit of account: as any amount (four)
    if (allowed !== undefined && digits > allowed) {
      errors.push({ path: '/value/amount', message: `must have at most ${allowed} decimal places in ${content.value.currency}; got ${digits}` });
    }
  }
  if (errors.length) throw new RuleViolation(errors.map((e) => `${e.path} ${e.message}`).join('; '), errors);
}

// ---- lifecycle --------------------------------------------------------------------------

export interface Versioned {
  agreement: Agreement;
  entry: HistoryEntry;
}

export function createAgreement(
  identity: Pick<Agreement, 'id' | 'code' | 'ceremonyId'>,
  input: AgreementInput,
  parties: AgreementParty[],
  stamp: Stamp,
  now: Date,
  ceremony: CeremonyTimes,
): Versioned {
  const { parties: _inputs, ...fields } = input;
  const content: Content = { status: 'active', ...fields, parties };
  checkAgreementRules(content, now, ceremony);
  const agreement = present({
    ...identity, ...content, version: 1,
    createdAt: stamp.at, createdBy: stamp.actor, updatedAt: stamp.at, updatedBy: stamp.actor,
  });
  return { agreement, entry: entryFor(agreement, 'created', diff({}, content), null, null) };
}

/** Returns null when the patch changes nothing (no new version is written). */
export function amendAgreement(
  current: Agreement,
  prevHash: string,
  patch: AgreementPatch,
  parties: AgreementParty[] | undefined,
  stamp: Stamp,
  now: Date,
  ceremony: CeremonyTimes | undefined,
): Versioned | null {
  const { reason, parties: _inputs, ...fields } = patch;
  const next = patched({ ...current, ...(parties && { parties }) }, fields);
  const changes = diff(current, next);
  if (Object.keys(changes).length === 0) return null;
  // A record from before the signing-day rule is still amendable in its other fields.
  checkAgreementRules(next, now, 'signedAt' in changes ? ceremony : undefined);
  const agreement = present({ ...next, version: current.version + 1, updatedAt: stamp.at, updatedBy: stamp.actor });
  return { agreement, entry: entryFor(agreement, 'amended', changes, reason, prevHash) };
}

export function voidAgreement(current: Agreement, prevHash: string, reason: string, stamp: Stamp): Versioned {
  const agreement = present({ ...current, status: 'voided', version: current.version + 1, updatedAt: stamp.at, updatedBy: stamp.actor });
  return { agreement, entry: entryFor(agreement, 'voided', diff(current, agreement), reason, prevHash) };
}

// ---- history ----------------------------------------------------------------------------

type Identity = Pick<Agreement, 'id' | 'code' | 'ceremonyId'>;

function apply(state: Record<string, unknown> | undefined, identity: Identity, entry: HistoryEntry): Record<string, unknown> {
  const next = { ...(state ?? { id: identity.id, code: identity.code, ceremonyId: identity.ceremonyId, createdAt: entry.at, createdBy: entry.actor }) };
  for (const [field, change] of Object.entries(entry.changes)) {
    if (change.to === undefined) delete next[field];
    else next[field] = change.to;
  }
  return Object.assign(next, { version: entry.version, updatedAt: entry.at, updatedBy: entry.actor });
}

/** Rebuilds the agreement as of `version` (default: the latest) from its history alone. */
export function replay(identity: Identity, entries: readonly HistoryEntry[], version = Infinity): Agreement | undefined {
  let state: Record<string, unknown> | undefined;
  for (const entry of entries) {
    if (entry.version > version) break;
    state = apply(state, identity, entry);
  }
  return state && present(state as unknown as Agreement);
}

/** Every version the history tells, oldest first, in one pass (replay() of each would go over it again and again). */
export function replayEach(identity: Identity, entries: readonly HistoryEntry[]): Agreement[] {
  let state: Record<string, unknown> | undefined;
  return entries.map((entry) => {
    state = apply(state, identity, entry);
    return present(state as unknown as Agreement);
  });
}

/**
 * The version before `current` (whose latest entry is `latest`), with `before` its entry: each field
 * `latest` changed put back as it was. Only if it hashes to `before`'s stateHash (else undefined:
 * replay the history instead); a change needs no more of a history than its last two entries.
 */
export function previousVersion(current: Agreement, latest: HistoryEntry, before: HistoryEntry): Agreement | undefined {
  const state: Record<string, unknown> = { ...current };
  for (const [field, change] of Object.entries(latest.changes)) {
    if (change.from === undefined) delete state[field];
    else state[field] = change.from;
  }
  const previous = present(Object.assign(state, { version: before.version, updatedAt: before.at, updatedBy: before.actor }) as unknown as Agreement);
  return latest.version === before.version + 1 && hashOf(previous) === before.stateHash ? previous : undefined;
}

/**
 * Whether the record no longer hashes to the state its latest entry committed, while that entry is
 * intact (its version, and its own hash): the record was edited behind the API. A change made on it
 * would take the edit into its entry's stateHash, breaking the history for good.
 */
export function recordDisagrees(current: Agreement, latest: HistoryEntry): boolean {
  const { hash, ...body } = latest;
  return latest.version === current.version && hashOf(body) === hash && hashOf(present(current)) !== latest.stateHash;
}

export function verifyHistory(current: Agreement, entries: readonly HistoryEntry[]): HistoryCheck {
  let firstBadVersion: number | null = null;
  let prevHash: string | null = null;
  const states = replayEach(current, entries);
  for (const [i, entry] of entries.entries()) {
    const { hash, ...body } = entry;
    const ok = entry.version === i + 1 && entry.prevHash === prevHash && hashOf(body) === hash && hashOf(states[i]) === entry.stateHash;
    if (!ok && firstBadVersion === null) firstBadVersion = i + 1;
    prevHash = hash;
  }
  // A history that stops short of the current version lacks an entry (one removed behind the API).
  if (firstBadVersion === null && entries.length !== current.version) firstBadVersion = Math.min(entries.length, current.version) + 1;
  const last = states.at(-1);
  const stateMatches = last !== undefined && hashOf(last) === hashOf(present(current));
  return { chainValid: entries.length > 0 && firstBadVersion === null, stateMatches, firstBadVersion };
}
