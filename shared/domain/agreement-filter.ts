/** Which agreements a list request asks for, as one predicate every listing applies. */
import { toUtcNanos } from './formats.ts';
import type { Agreement, AgreementListQuery } from './schemas.ts';

export type AgreementFilter = Omit<AgreementListQuery, 'limit' | 'cursor'>;

/** Inclusive bounds of the signing-time filter, as UTC instants to the nanosecond; a bare date covers that whole UTC day. */
export function signedBounds(f: AgreementFilter): { from?: string; to?: string } {
  const isDate = (v: string) => v.length === 10;
  return {
    ...(f.signedFrom && { from: isDate(f.signedFrom) ? `${f.signedFrom}T00:00:00.000000000Z` : toUtcNanos(f.signedFrom) }),
    ...(f.signedTo && { to: isDate(f.signedTo) ? `${f.signedTo}T23:59:59.999999999Z` : toUtcNanos(f.signedTo) }),
  };
}

/**
 * The same bounds to the millisecond, as index keys hold instants (toUtcIso): they may take in a
 * few signings within the bounds' own milliseconds that the filter does not; matchesFilter() has
 * the last word.
 */
export function signedKeyRange(f: AgreementFilter): { from?: string; to?: string } {
  const { from, to } = signedBounds(f);
  const toMillis = (nanos: string) => `${nanos.slice(0, 23)}Z`;
  return { ...(from && { from: toMillis(from) }), ...(to && { to: toMillis(to) }) };
}

/** The filter as a predicate, comparing signing times to the nanosecond; the bounds are worked out once, not per candidate. */
export function matchesFilter(f: AgreementFilter): (a: Agreement) => boolean {
  const { from, to } = signedBounds(f);
  return (a) => {
    const signed = toUtcNanos(a.signedAt);
    return (
      (f.ceremonyId === undefined || a.ceremonyId === f.ceremonyId) &&
      (f.partyId === undefined || a.parties.some((p) => p.partyId === f.partyId)) &&
      (f.country === undefined || a.parties.some((p) => p.countryCode === f.country)) &&
      (f.sector === undefined || a.sectors.includes(f.sector)) &&
      (f.status === undefined || a.status === f.status) &&
      (from === undefined || signed >= from) &&
      (to === undefined || signed <= to)
    );
  };
}
