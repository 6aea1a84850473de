/**
 * Ceremonies: where and when signings happen. A ceremony is opened once and corrected, with a
 * reason, when it was logged wrong (every certificate of its signings prints it); each correction
 * keeps what it changed, so its history goes back to how it was opened.
 */
import { changesOf, patched, undone, type FieldChanges } from './changes.ts';
import { RuleViolation } from './errors.ts';
import { toUtcNanos } from './formats.ts';
import type { Stamp } from './principal.ts';
import type { Ceremony, CeremonyEntry, CeremonyInput, CeremonyPatch } from './schemas.ts';
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
    throw new RuleViolation(`A ceremony lasts at most ${MAX_CEREMONY_DAYS} days (six months); this one would last ${days.toLocaleString('en')}: check the year of its end and start`, [
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

/** The history entry of a correction. */
export const correctionEntry = (next: Ceremony, correction: Correction, reason: string): CeremonyEntry =>
  ({ version: next.version, action: 'amended', at: next.updatedAt, actor: next.updatedBy, reason, changes: correction });

/**
 * Every version of a ceremony, its opening first, from the corrections it keeps. The opening lists
 * each field it was opened with (from null), as an agreement's history does at its creation: the
 * history alone tells every version.
 */
export function ceremonyHistory(ceremony: Ceremony, corrections: readonly CeremonyEntry[]): CeremonyEntry[] {
  const opened = ceremonyVersions(ceremony, corrections).at(-1)!;
  return [
    { version: 1, action: 'created', at: ceremony.createdAt, actor: ceremony.createdBy, reason: null, changes: changesOf(CORRECTABLE, {}, opened) },
    ...corrections,
  ];
}

/** Every version of a ceremony, the latest first, from its corrections: what certificates printed at each. */
export function ceremonyVersions(latest: Ceremony, corrections: readonly CeremonyEntry[]): Ceremony[] {
  const versions = [latest];
  for (const entry of [...corrections].reverse()) {
    versions.push({ ...beforeCorrection(versions.at(-1)!, entry.changes as Correction), version: entry.version - 1 });
  }
  return versions;
}
