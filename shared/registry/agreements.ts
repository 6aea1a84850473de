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
import { Forbidden, InvalidInput, NotFound, RuleViolation, StateConflict, VersionMismatch, VersionRequired } from '#shared/domain/errors.ts';
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

/** A change's outcome: the agreement as it left it, and whether this is its first answer, sent again. */
export interface ChangeResult { agreement: Agreement; replayed: boolean }

/** A change to make on `base`, the version the caller saw (`prior`: its history up to it); null when it changes nothing. */
type Change = (base: Agreement, prior: readonly HistoryEntry[]) => Promise<Versioned | null>;

const headHash = (history: readonly HistoryEntry[]) => history.at(-1)!.hash;

/** Whether `entry` records the very change `again` would: same place in the chain, action, actor, reason and field changes (at another instant). */
function sameChange(entry: HistoryEntry | undefined, again: HistoryEntry): entry is HistoryEntry {
  return entry !== undefined && entry.version === again.version && entry.prevHash === again.prevHash && entry.action === again.action
    && entry.actor === again.actor && entry.reason === again.reason && hashOf(entry.changes) === hashOf(again.changes);
}

/**
 * The agreement as a change sent again left it, when it was made already: a client that lost the
 * answer (venue Wi-Fi) sends it again with the If-Match it had, which its own first attempt has
 * moved past. The entry that followed `version` tells: if it is this change by this actor, the
 * change is made, whatever came after it.
 */
async function madeBefore(stored: store.StoredAgreement, version: number, actor: string, change: Change): Promise<Agreement | undefined> {
  const entry = stored.history[version]; // history[i] is version i + 1
  if (version < 1 || entry?.actor !== actor) return undefined;
  const prior = stored.history.slice(0, version);
  let again: Versioned | null;
  try {
    again = await change(replay(stored.agreement, prior)!, prior);
  } catch (error) {
    // A change the rules refuse at that version was never made there: the caller's version is stale.
    if (error instanceof RuleViolation || error instanceof InvalidInput) return undefined;
    throw error;
  }
  return again && sameChange(entry, again.entry) ? replay(stored.agreement, stored.history, version + 1) : undefined;
}

/**
 * Makes a change on the version the caller names in If-Match, with one conditional write. The
 * same change sent again after it was made (a lost answer) is answered as made, with the
 * agreement as it left it (`replayed`), not refused as stale (412) or as too late (409, voided).
 */
async function changeAgreement(id: string, expectedVersions: readonly number[] | undefined, principal: Principal, change: Change): Promise<ChangeResult> {
  if (expectedVersions === undefined) throw new VersionRequired('Send If-Match with the ETag of the agreement version you are changing');
  const stored = await store.getAgreement(id);
  if (!stored) throw new NotFound(`No agreement with id "${id}"`);
  const { agreement: current, history } = stored;
  if (current.status !== 'voided' && expectedVersions.includes(current.version)) {
    const next = await change(current, history);
    return next ? commit(current, next) : { agreement: current, replayed: false };
  }
  for (const version of expectedVersions) {
    const made = await madeBefore(stored, version, principal.actor, change);
    if (made) {
      await cleanUpLinks(replay(current, history, version)!, made);
      return { agreement: made, replayed: true };
    }
  }
  if (current.status === 'voided') throw new StateConflict('A voided agreement cannot be changed');
  throw VersionMismatch.of('agreement', current.version, expectedVersions);
}

/** Drops the links `before` had and `after` has not (a failed cleanup is no error: stale links are dropped on read). */
async function cleanUpLinks(before: Agreement, after: Agreement): Promise<void> {
  await store.removeStaleLinks(before, after).catch((error: unknown) => {
    console.warn(JSON.stringify({ level: 'warn', message: 'stale link cleanup failed', agreementId: before.id, error: String(error) }));
  });
}

async function commit(before: Agreement, next: Versioned): Promise<ChangeResult> {
  await store.putLinks(next.agreement);
  let result: ChangeResult = { agreement: next.agreement, replayed: false };
  if (!(await store.commitVersion(next, before.version))) {
    const now = await store.getAgreement(before.id);
    // Either the SDK sent this write again after its answer was lost (its own first attempt then
    // fails the retry's condition), or the client sent this change twice at once: the entry at
    // this version's place in the history (chained to the one before) says whether it is this
    // change, even if another change has been committed on top of it since.
    const entry = now?.history[next.entry.version - 1];
    if (!now || !sameChange(entry, next.entry)) {
      if (now?.agreement.status === 'voided') throw new StateConflict('A voided agreement cannot be changed');
      throw new VersionMismatch('The agreement was changed by someone else meanwhile');
    }
    // The SDK's retry made the very entry (same instant): this request's own change, not a replay.
    if (entry.hash !== next.entry.hash) result = { agreement: replay(now.agreement, now.history, entry.version)!, replayed: true };
  }
  await cleanUpLinks(before, result.agreement);
  return result;
}

export function amend(id: string, expectedVersions: readonly number[] | undefined, patch: AgreementPatch, principal: Principal): Promise<ChangeResult> {
  return changeAgreement(id, expectedVersions, principal, async (base, prior) => {
    let parties: AgreementParty[] | undefined;
    if (patch.parties) {
      const unknown = patch.parties.filter((p) => !base.parties.some((c) => c.partyId === p.partyId));
      parties = snapshotParties(patch.parties, await getParties(unknown.map((p) => p.partyId)), base.parties);
    }
    const next = amendAgreement(base, headHash(prior), patch, parties, stamp(principal), new Date());
    if (!next) return null;
    const ceremony = await getCeremony(base.ceremonyId);
    if (ceremony) assertPrintable(next.agreement, ceremony);
    store.assertRoomForVoid(next, prior); // before any write, links included
    return next;
  });
}

export function voidSigning(id: string, expectedVersions: readonly number[] | undefined, reason: string, principal: Principal): Promise<ChangeResult> {
  return changeAgreement(id, expectedVersions, principal, async (base, prior) => voidAgreement(base, headHash(prior), reason, stamp(principal)));
}

export async function history(id: string, principal: Principal) {
  const { agreement, history: entries } = await load(id, principal);
  return { agreementId: agreement.id, code: agreement.code, ceremonyId: agreement.ceremonyId, version: agreement.version, items: entries, integrity: verifyHistory(agreement, entries) };
}
