/** Which agreements a list request asks for, as one predicate every listing applies. */
import { toUtcIso } from './formats.ts';
import type { Agreement, AgreementListQuery } from './schemas.ts';

export type AgreementFilter = Omit<AgreementListQuery, 'limit' | 'cursor'>;

/** Inclusive UTC bounds of the signing-time filter; a bare date covers that whole UTC day. */
export function signedBounds(f: AgreementFilter): { from?: string; to?: string } {
  const isDate = (v: string) => v.length === 10;
  return {
    ...(f.signedFrom && { from: isDate(f.signedFrom) ? `${f.signedFrom}T00:00:00.000Z` : toUtcIso(f.signedFrom) }),
    ...(f.signedTo && { to: isDate(f.signedTo) ? `${f.signedTo}T23:59:59.999Z` : toUtcIso(f.signedTo) }),
  };
}

/** The filter as a predicate; the bounds are worked out once, not per candidate. */
export function matchesFilter(f: AgreementFilter): (a: Agreement) => boolean {
  const { from, to } = signedBounds(f);
  return (a) => {
    const signed = toUtcIso(a.signedAt);
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
