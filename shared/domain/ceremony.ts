/**
 * Ceremonies: where and when signings happen. A ceremony is opened once and corrected, with a
 * reason, when it was logged wrong (every certificate of its signings prints it); each correction
 * keeps what it changed, so its history goes back to how it was opened.
 */
import { hashOf } from './canonical.ts';
import { changesOf, patched, undone, type FieldChanges } from './changes.ts';
import { RuleViolation } from './errors.ts';
import { toUtcNanos } from './formats.ts';
import type { Stamp } from './principal.ts';
import type { Ceremony, CeremonyEntry, CeremonyInput, CeremonyPatch, HistoryCheck } from './schemas.ts';
import { offsetLabel, writtenOffset, zoneOffset } from './time-zones.ts';

export type { Ceremony, CeremonyEntry };

/** The fields a correction may change: all but the id. */
export const CORRECTABLE = ['title', 'event', 'venue', 'city', 'countryCode', 'startsAt', 'endsAt', 'timeZone'] as const;
export type Correction = FieldChanges<(typeof CORRECTABLE)[number]>;

/** `sent`: the field the request set, which the 422 names (a correction may move the start past the end). */
function assertEndsAfterStart(c: Pick<Ceremony, 'startsAt' | 'endsAt'>, sent: 'startsAt' | 'endsAt' = 'endsAt'): void {
  if (c.endsAt !== undefined && toUtcNanos(c.endsAt) < toUtcNanos(c.startsAt)) {
    throw new RuleViolation('A ceremony cannot end before it starts', [
      sent === 'endsAt' ? { path: '/endsAt', message: 'must not be before startsAt' } : { path: '/startsAt', message: 'must not be after endsAt' },
    ]);
  }
}

/**
 * The longest a ceremony may last: six months of any six (a world expo's), so that an end typed a
 * year or a decade out (2034 for 2024), which would let every signing of those years pass the
 * signing-day rule and print on every certificate, is refused.
 */
export const MAX_CEREMONY_DAYS = 186;

/**
 * For a correction (`before` given), only one that moves the start or the end, and the 422 names the
 * end if it moved, else the start. Checked on a change being made (see newCeremony, and the
 * correction's check): a correction made before this rule and sent again is still its replay.
 */
export function assertSpan(before: Pick<Ceremony, 'startsAt' | 'endsAt'> | undefined, c: Pick<Ceremony, 'startsAt' | 'endsAt'>): void {
  if (c.endsAt === undefined || (before && before.startsAt === c.startsAt && before.endsAt === c.endsAt)) return;
  const sent = !before || before.endsAt !== c.endsAt ? 'endsAt' : 'startsAt';
  const days = Math.floor((Date.parse(c.endsAt) - Date.parse(c.startsAt)) / 86_400_000);
  if (days >= MAX_CEREMONY_DAYS) {
    throw new RuleViolation(`A ceremony lasts less than ${MAX_CEREMONY_DAYS} days (six months); this one would last ${days.toLocaleString('en')}: check the year of its end and start`, [
      sent === 'endsAt' ? { path: '/endsAt', message: `must be less than ${MAX_CEREMONY_DAYS} days after startsAt` } : { path: '/startsAt', message: `must be less than ${MAX_CEREMONY_DAYS} days before endsAt` },
    ]);
  }
}

const TIMES = ['startsAt', 'endsAt'] as const;

/**
 * A ceremony's time zone agrees with the offsets its times are written in (a time written in UTC,
 * "Z", names no place's clock): a zone typed wrong (America/New_York for a ceremony written in
 * +08:00) would move every date its certificates print. Within a minute, for local mean times of
 * whole seconds (Shanghai's +08:05:43 before 1901); by the runtime's time-zone data.
 * For a correction (`before` given), only what it changes: a new zone against both times, a new
 * time against the zone; a ceremony stored before this rule keeps its other corrections.
 */
export function assertClockAgrees(before: Ceremony | undefined, after: Ceremony): void {
  const { timeZone } = after;
  if (!timeZone) return;
  const zoneChanged = before === undefined || before.timeZone !== timeZone;
  const disagreeing = TIMES.flatMap((field) => {
    const time = after[field];
    const written = writtenOffset(time);
    if (time === undefined || written === undefined || (!zoneChanged && before[field] === time)) return [];
    const zone = zoneOffset(timeZone, new Date(time));
    return Math.abs(zone - written) < 60 ? [] : [{ field, written, zone }];
  });
  const [first] = disagreeing;
  if (!first) return;
  // A new zone is named, and the times it disagrees with that the request set.
  const named = disagreeing.filter(({ field }) => before === undefined || before[field] !== after[field]);
  throw new RuleViolation(
    `${first.field} is written in ${offsetLabel(first.written)}, but ${timeZone} is ${offsetLabel(first.zone)} then: correct the offset or the time zone (a time zone that does not hold moves every date the ceremony's certificates print), or write the time in UTC ("Z")`,
    [
      ...(zoneChanged ? [{ path: '/timeZone', message: `must agree with the offset ${first.field} is written in (${offsetLabel(first.written)}); ${timeZone} is ${offsetLabel(first.zone)} then` }] : []),
      ...named.map(({ field, zone }) => ({ path: `/${field}`, message: `must be written in ${timeZone}'s offset then (${offsetLabel(zone)}), or in UTC ("Z")` })),
    ],
  );
}

export function newCeremony(id: string, input: CeremonyInput, { at, actor }: Stamp): Ceremony {
  assertEndsAfterStart(input);
  assertSpan(undefined, input);
  const { id: _ignored, ...fields } = input;
  const ceremony = { id, ...fields, version: 1, createdAt: at, createdBy: actor, updatedAt: at, updatedBy: actor };
  assertClockAgrees(undefined, ceremony);
  return ceremony;
}

export const correctionOf = (before: Ceremony, after: Ceremony): Correction => changesOf(CORRECTABLE, before, after);

/** The ceremony as it was before `correction`. */
export const beforeCorrection = (ceremony: Ceremony, correction: Correction): Ceremony => undone(CORRECTABLE, ceremony, correction);

/** Applies a correction (null removes an optional field); null when it would change nothing. */
export function correctCeremony(ceremony: Ceremony, patch: CeremonyPatch, { at, actor }: Stamp): Ceremony | null {
  const { reason: _reason, ...fields } = patch;
  const next = patched(ceremony, fields);
  if (Object.keys(correctionOf(ceremony, next)).length === 0) return null;
  assertEndsAfterStart(next, patch.endsAt === undefined ? 'startsAt' : 'endsAt');
  return { ...next, version: ceremony.version + 1, updatedAt: at, updatedBy: actor };
}

/** An entry without its hashes: what a change made, by whom, when and why. */
type EntryBody = Pick<CeremonyEntry, 'version' | 'action' | 'at' | 'actor' | 'reason' | 'changes'>;

export const entryBody = ({ version, action, at, actor, reason, changes }: CeremonyEntry): EntryBody => ({ version, action, at, actor, reason, changes });

/**
 * An entry chained as an agreement's history is: `stateHash` of the ceremony as GET answered it at
 * this version, `prevHash` the entry before's hash (null for the opening), `hash` of the entry
 * without it.
 */
function sealed(body: EntryBody, state: Ceremony, prevHash: string | null): CeremonyEntry {
  const chained = { ...body, stateHash: hashOf(state), prevHash };
  return { ...chained, hash: hashOf(chained) };
}

/** What a correction made `next`, by whom, when and why: its history entry without hashes. */
export const correctionBody = (next: Ceremony, correction: Correction, reason: string): EntryBody =>
  ({ version: next.version, action: 'amended', at: next.updatedAt, actor: next.updatedBy, reason, changes: correction });

/** The history entry of a correction, chained to the entry before it (`prevHash`). */
export const correctionEntry = (next: Ceremony, correction: Correction, reason: string, prevHash: string): CeremonyEntry =>
  sealed(correctionBody(next, correction, reason), next, prevHash);

/** The opening's entry: each field the ceremony was opened with (from null), as an agreement's history lists its creation. */
function openingEntry(opened: Ceremony): EntryBody {
  return { version: 1, action: 'created', at: opened.createdAt, actor: opened.createdBy, reason: null, changes: changesOf(CORRECTABLE, {}, opened) };
}

/**
 * What a ceremony's item keeps to commit its history: the hash of its latest entry (`head`) and of
 * the ceremony as it stands. The opening's entry is never stored (the opening is the record with
 * every correction undone): the entry after it, or the head, is what commits it.
 */
export interface CeremonySeal { head: string; stateHash: string }

/**
 * Whether a ceremony's record is the state its item committed (`seal`): what a certificate prints,
 * and what a verification shows, checked without its corrections. A ceremony kept before histories
 * were chained (no seal) has nothing to be checked against.
 */
export const asCommitted = (ceremony: Ceremony, seal: CeremonySeal | undefined): boolean => !seal || hashOf(ceremony) === seal.stateHash;

/**
 * Every entry of a ceremony's history, each chained to the one before, worked out afresh from the
 * record and the corrections' changes: the history of a ceremony kept before entries were chained,
 * chained as it stands at its next correction. Its seal is the last entry's.
 */
export function sealHistory(ceremony: Ceremony, corrections: readonly CeremonyEntry[]): { entries: CeremonyEntry[]; seal: CeremonySeal } {
  const states = ceremonyVersions(ceremony, corrections).reverse();
  const entries: CeremonyEntry[] = [];
  for (const [i, body] of [openingEntry(states[0]!), ...corrections.map(entryBody)].entries()) {
    entries.push(sealed(body, states[i]!, entries.at(-1)?.hash ?? null));
  }
  return { entries, seal: { head: entries.at(-1)!.hash!, stateHash: hashOf(ceremony) } };
}

/**
 * Every version of a ceremony, its opening first, from the corrections it keeps. The opening lists
 * each field it was opened with (from null), as an agreement's history does at its creation: the
 * history alone tells every version. Chained (`seal` given: every ceremony opened or corrected
 * since entries are chained), the opening carries its hashes too; else none does.
 */
export function ceremonyHistory(
  ceremony: Ceremony, corrections: readonly CeremonyEntry[], seal: CeremonySeal | undefined, opened = ceremonyVersions(ceremony, corrections).at(-1)!,
): CeremonyEntry[] {
  return [seal ? sealed(openingEntry(opened), opened, null) : openingEntry(opened), ...corrections];
}

/**
 * Whether a ceremony's history checks out, as an agreement's does (verifyHistory): every entry's
 * version, `prevHash`, `hash` and `stateHash` (against the ceremony as its corrections give it at
 * that version) add up, the opening's hash is the one the entry after it (or the head) committed,
 * the latest entry is the head, and the record hashes to the state its item committed. An edit
 * behind the API shows: a field's value (the opening worked out from it no longer hashes as
 * committed, or the latest state does not), a correction's reason or actor (its hash).
 */
export function verifyCeremonyHistory(ceremony: Ceremony, corrections: readonly CeremonyEntry[], seal: CeremonySeal): HistoryCheck {
  const states = ceremonyVersions(ceremony, corrections).reverse();
  const entries = ceremonyHistory(ceremony, corrections, seal, states[0]);
  let firstBadVersion: number | null = null;
  let prevHash: string | null = null;
  for (const [i, entry] of entries.entries()) {
    const { hash, ...body } = entry;
    // The opening, worked out, hashes to itself: what commits it is the next entry's prevHash (or the head).
    const committed = i === 0 ? (entries[1] ? entries[1].prevHash : seal.head) : hash;
    const ok = entry.version === i + 1 && entry.prevHash === prevHash && hash !== undefined && hashOf(body) === hash && hash === committed
      && entry.stateHash === hashOf(states[i]);
    if (!ok && firstBadVersion === null) firstBadVersion = i + 1;
    prevHash = hash ?? null;
  }
  // A history that stops short of the record's version lacks an entry; one whose latest entry is not
  // the one the item names (its head) was cut or rewritten there.
  if (firstBadVersion === null && entries.length !== ceremony.version) firstBadVersion = Math.min(entries.length, ceremony.version) + 1;
  if (firstBadVersion === null && prevHash !== seal.head) firstBadVersion = entries.length;
  return { chainValid: firstBadVersion === null, stateMatches: hashOf(ceremony) === seal.stateHash, firstBadVersion };
}

/** Every version of a ceremony, the latest first, from its corrections, each as GET answered it then: what certificates printed at each. */
export function ceremonyVersions(latest: Ceremony, corrections: readonly CeremonyEntry[]): Ceremony[] {
  const versions = [latest];
  for (let i = corrections.length - 1; i >= 0; i -= 1) {
    const entry = corrections[i]!;
    // Stamped by the change that made it: the correction before, or the opening.
    const maker = corrections[i - 1];
    versions.push({
      ...beforeCorrection(versions.at(-1)!, entry.changes as Correction),
      version: entry.version - 1, updatedAt: maker?.at ?? latest.createdAt, updatedBy: maker?.actor ?? latest.createdBy,
    });
  }
  return versions;
}
