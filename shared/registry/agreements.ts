/**
 * Use cases for agreements: log a signing (idempotently), read, list, amend, void, history.
 * The order of writes is the design: indexes first (code claim, links), then ONE conditional
 * write to the agreement item commits; stale links are cleaned after the commit.
 */
import {
  amendAgreement, createAgreement, snapshotParties, verifyHistory, voidAgreement, replay,
  type Agreement, type AgreementParty, type HistoryEntry, type Versioned,
} from '#shared/domain/agreement.ts';
import { signedBounds, type AgreementFilter } from '#shared/domain/agreement-filter.ts';
import { hashOf } from '#shared/domain/canonical.ts';
import { Forbidden, NotFound, RuleViolation, StateConflict, VersionMismatch, VersionRequired } from '#shared/domain/errors.ts';
import { agreementCode, deriveAgreementId } from '#shared/domain/ids.ts';
import { assertPrintable } from '#shared/certificate/wording.ts';
import { readsEverything, type Principal } from '#shared/domain/principal.ts';
import type { AgreementInput, AgreementPatch } from '#shared/domain/schemas.ts';
import * as store from '#shared/store/agreements.ts';
import { getCeremony, getParties } from '#shared/store/directory.ts';

const MAX_CODE_ATTEMPTS = 8;

const stamp = (p: Principal) => ({ at: new Date().toISOString(), actor: p.actor });

/** The response the first request got: version 1, rebuilt from history. */
function firstVersionOf(stored: store.StoredAgreement): Agreement {
  return replay(stored.agreement, stored.history, 1)!;
}

function replayOrReject(stored: store.StoredAgreement, requestHash: string): { agreement: Agreement; replayed: true } {
  if (stored.requestHash !== requestHash) {
    throw new RuleViolation('This Idempotency-Key was already used for a different request', [
      { path: 'Idempotency-Key', message: 'was already used with a different body' },
    ]);
  }
  return { agreement: firstVersionOf(stored), replayed: true };
}

async function claimAnyCode(agreementId: string): Promise<string> {
  for (let attempt = 0; attempt < MAX_CODE_ATTEMPTS; attempt += 1) {
    const code = agreementCode(agreementId, attempt);
    if (await store.claimCode(code, agreementId)) return code;
  }
  throw new Error(`no free agreement code after ${MAX_CODE_ATTEMPTS} attempts`);
}

export async function logSigning(
  ceremonyId: string,
  idempotencyKey: string,
  input: AgreementInput,
  principal: Principal,
): Promise<{ agreement: Agreement; replayed: boolean }> {
  const id = deriveAgreementId(ceremonyId, idempotencyKey);
  const requestHash = hashOf(input);
  const existing = await store.getAgreement(id);
  if (existing) return replayOrReject(existing, requestHash);

  const [ceremony, directory] = await Promise.all([getCeremony(ceremonyId), getParties(input.parties.map((p) => p.partyId))]);
  if (!ceremony) throw new NotFound(`No ceremony with id "${ceremonyId}"`);
  const parties = snapshotParties(input.parties, directory);
  const code = await claimAnyCode(id);
  const created = createAgreement({ id, code, ceremonyId }, input, parties, stamp(principal), new Date());

  // Refused now, not when a partner downloads its certificate.
  assertPrintable(created.agreement, ceremony);
  store.assertRoomForVoid(created, []);
  await store.putLinks(created.agreement);
  if (await store.insertAgreement(created, requestHash)) return { agreement: created.agreement, replayed: false };
  // A concurrent duplicate committed first: answer as it did.
  const winner = await store.getAgreement(id);
  if (!winner) throw new Error(`agreement ${id} vanished after a failed insert`);
  return replayOrReject(winner, requestHash);
}

/** Staff and auditors see every agreement; partners only those that list their party (the others do not exist for them). */
export function visibleTo(agreement: Agreement, principal: Principal): boolean {
  return readsEverything(principal) || agreement.parties.some((p) => p.partyId === principal.partyId);
}

/** The agreement with its history, if this principal may see it (else NotFound). */
export async function load(id: string, principal: Principal): Promise<store.StoredAgreement> {
  const stored = await store.getAgreement(id);
  if (!stored || !visibleTo(stored.agreement, principal)) throw new NotFound(`No agreement with id "${id}"`);
  return stored;
}

export async function readAgreement(id: string, principal: Principal): Promise<Agreement> {
  return (await load(id, principal)).agreement;
}

export async function listAgreements(filter: AgreementFilter, page: { limit: number; cursor?: string | undefined }, principal: Principal) {
  const { from, to } = signedBounds(filter);
  if (from !== undefined && to !== undefined && from > to) {
    throw new RuleViolation('signedFrom is after signedTo: the range is empty', [{ path: 'signedTo', message: 'must not be before signedFrom' }]);
  }
  if (!readsEverything(principal)) {
    if (filter.partyId !== undefined && filter.partyId !== principal.partyId) {
      throw new Forbidden('Partners can list only their own party\'s agreements', [{ path: 'partyId', message: 'must be your own party' }]);
    }
    filter = { ...filter, partyId: principal.partyId };
  }
  return store.listAgreements(filter, page);
}

/** Loads the version a change is based on, or says precisely why it cannot be changed. */
async function loadForChange(id: string, expectedVersions: readonly number[] | undefined): Promise<store.StoredAgreement> {
  if (expectedVersions === undefined) throw new VersionRequired('Send If-Match with the ETag of the agreement version you are changing');
  const stored = await store.getAgreement(id);
  if (!stored) throw new NotFound(`No agreement with id "${id}"`);
  if (stored.agreement.status === 'voided') throw new StateConflict('A voided agreement cannot be changed');
  if (!expectedVersions.includes(stored.agreement.version)) {
    throw VersionMismatch.of('agreement', stored.agreement.version, expectedVersions);
  }
  return stored;
}

async function commit(before: Agreement, next: Versioned): Promise<Agreement> {
  await store.putLinks(next.agreement);
  if (!(await store.commitVersion(next, before.version))) {
    const now = await store.getAgreement(before.id);
    // The SDK retries a write whose answer was lost (a timeout, a 500 after the write): its own
    // first attempt then fails the retry's condition. The entry at this version's place in the
    // history (stamped to the millisecond, chained to the one before) says whether it is this very
    // change, even if another change has been committed on top of it since.
    const committed = now !== undefined && now.history[next.entry.version - 1]?.hash === next.entry.hash;
    if (!committed) {
      if (now?.agreement.status === 'voided') throw new StateConflict('A voided agreement cannot be changed');
      throw new VersionMismatch('The agreement was changed by someone else meanwhile');
    }
  }
  // Committed: a failed cleanup must not turn success into an error (stale links are dropped on read).
  await store.removeStaleLinks(before, next.agreement).catch((error: unknown) => {
    console.warn(JSON.stringify({ level: 'warn', message: 'stale link cleanup failed', agreementId: before.id, error: String(error) }));
  });
  return next.agreement;
}

const headHash = (history: HistoryEntry[]) => history.at(-1)!.hash;

export async function amend(id: string, expectedVersions: readonly number[] | undefined, patch: AgreementPatch, principal: Principal): Promise<Agreement> {
  const { agreement: current, history } = await loadForChange(id, expectedVersions);
  let parties: AgreementParty[] | undefined;
  if (patch.parties) {
    const unknown = patch.parties.filter((p) => !current.parties.some((c) => c.partyId === p.partyId));
    parties = snapshotParties(patch.parties, await getParties(unknown.map((p) => p.partyId)), current.parties);
  }
  const next = amendAgreement(current, headHash(history), patch, parties, stamp(principal), new Date());
  if (!next) return current;
  const ceremony = await getCeremony(current.ceremonyId);
  if (ceremony) assertPrintable(next.agreement, ceremony);
  store.assertRoomForVoid(next, history); // before any write, links included
  return commit(current, next);
}

export async function voidSigning(id: string, expectedVersions: readonly number[] | undefined, reason: string, principal: Principal): Promise<Agreement> {
  const { agreement: current, history } = await loadForChange(id, expectedVersions);
  return commit(current, voidAgreement(current, headHash(history), reason, stamp(principal)));
}

export async function history(id: string, principal: Principal) {
  const { agreement, history: entries } = await load(id, principal);
  return { agreementId: agreement.id, code: agreement.code, ceremonyId: agreement.ceremonyId, version: agreement.version, items: entries, integrity: verifyHistory(agreement, entries) };
}
