/**
 * Use cases for agreements: log a signing (idempotently), read, list, amend, void, history.
 * The order of writes is the design: indexes first (code claim, links), then ONE conditional
 * write to the agreement item commits; stale links are cleaned after the commit.
 */
import { randomUUID } from 'node:crypto';
import {
  amendAgreement, createAgreement, snapshotParties, verifyHistory, voidAgreement, replay, replayEach,
  type Agreement, type AgreementParty, type HistoryCheck, type HistoryEntry, type Versioned,
} from '#shared/domain/agreement.ts';
import { signedBounds, type AgreementFilter } from '#shared/domain/agreement-filter.ts';
import { hashOf } from '#shared/domain/canonical.ts';
import { log } from '#shared/log.ts';
import { CHANGE_ATTEMPTS, Forbidden, InvalidInput, NotFound, RuleViolation, StateConflict, Unavailable, VersionMismatch, VersionRequired } from '#shared/domain/errors.ts';
import { agreementCode, deriveAgreementId, typedCode } from '#shared/domain/ids.ts';
import { assertPrintable } from '#shared/certificate/wording.ts';
import { readsEverything, stampOf, type Principal } from '#shared/domain/principal.ts';
import type { AgreementInput, AgreementPatch, Party } from '#shared/domain/schemas.ts';
import * as links from '#shared/store/agreement-links.ts';
import * as lists from '#shared/store/agreement-lists.ts';
import * as store from '#shared/store/agreements.ts';
import { getCeremony, getParties, getParty } from '#shared/store/directory.ts';
import { partyIntact } from './directory.ts';

const MAX_CODE_ATTEMPTS = 8;

/**
 * How long a claim on a signing's body by an agreement not (yet) committed holds off another request
 * with that body: its request may still be on its way. Past this, it is the leftover of a request that
 * stopped (or was refused) before its commit, and another takes it over.
 */
const SIGNING_CLAIM_HOLD_MS = 60_000;

/**
 * One agreement per body at a ceremony: a request with the very body of a signing already logged,
 * under another Idempotency-Key (a client that made a new key for its retry; a form sent again after
 * a reload), is that signing logged twice, and is refused, naming it. The first request's own retries
 * (its key, so its id) pass. A voided agreement's body may be logged again; so may one whose request
 * stopped before its commit, once SIGNING_CLAIM_HOLD_MS have passed, or lost its id (its key) to
 * another body sent at once, which the agreement of that id was logged from.
 */
async function claimBody(ceremonyId: string, requestHash: string, id: string): Promise<void> {
  let found: store.SigningClaim | undefined;
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const claim = await store.claimSigning(ceremonyId, requestHash, id, new Date().toISOString(), found);
    // Claimed; or already this request's own (the SDK sent a takeover again after its answer was
    // lost; a copy under the same key took it over first).
    if (claim === true || claim?.agreementId === id) return;
    found = claim;
    if (!claim) continue;
    const holder = await store.getCurrentAgreement(claim.agreementId);
    if (holder?.agreement.status === 'active' && holder.requestHash === requestHash) {
      throw new StateConflict(`This signing is already logged, as ${holder.agreement.code} (${holder.agreement.id}): a request with this very body came before, under another Idempotency-Key. Nothing was logged; to log it again, void that one first`, [
        { path: 'Idempotency-Key', message: `is not the key ${holder.agreement.code} was logged with; send that key to get it again` },
      ]);
    }
    if (!holder && Date.now() - Date.parse(claim.at) < SIGNING_CLAIM_HOLD_MS) {
      throw new StateConflict(`A signing with this very body is being logged right now, under another Idempotency-Key: nothing was logged for this request. The other should appear in the ceremony's list in a moment; if it has not within ${SIGNING_CLAIM_HOLD_MS / 1000} seconds, send this request again`, [
        { path: 'Idempotency-Key', message: 'is not the key of the request logging this body' },
      ]);
    }
  }
  // Taken over by others as often as it was tried: a moment's contention, not a fault.
  throw new Unavailable('Other requests with this very body are being logged right now: send it again in a moment');
}

/** The response the first request got: version 1, rebuilt from history. */
function firstVersionOf(stored: store.StoredAgreement): Agreement {
  return replay(stored.agreement, stored.history, 1)!;
}

function replayOrReject(stored: store.StoredAgreement, requestHash: string): { agreement: Agreement; replayed: true } {
  if (stored.requestHash !== requestHash) throw RuleViolation.keyReused();
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
  const parties = snapshotParties(input.parties, recordsOf(directory));
  assertAsWritten(directory, input.parties.map(({ partyId }, at) => ({ partyId, at })));
  const [made, now] = [stampOf(principal), new Date()];
  const build = (code: string) => createAgreement({ id, code, ceremonyId }, input, parties, made, now, ceremony);
  // Every rule is checked on the code it most often gets (a code's length and characters are always
  // the same) before any is claimed: a refused signing leaves no claim behind.
  const checked = build(agreementCode(id, 0));
  // Refused now, not when a partner downloads its certificate.
  assertPrintable(checked.agreement, ceremony, false);
  store.assertFits(checked);
  await claimBody(ceremonyId, requestHash, id);
  const code = await claimAnyCode(id);
  const created = code === checked.agreement.code ? checked : build(code);
  await links.putLinks(created.agreement);
  const requestToken = randomUUID();
  if (await store.insertAgreement(created, requestHash, requestToken)) return { agreement: created.agreement, replayed: false };
  const winner = await store.getAgreement(id);
  if (!winner) throw new Error(`agreement ${id} vanished after a failed insert`);
  // This request's own insert, sent again by the SDK after its answer was lost: made, not replayed.
  if (winner.requestToken === requestToken) return { agreement: created.agreement, replayed: false };
  // A concurrent duplicate committed first: answer as it did. Links this request wrote that the
  // winner has not (other parties or countries, another signing time) go, as a change that loses
  // its race takes its own back.
  await cleanUpLinks(created.agreement, winner.agreement);
  return replayOrReject(winner, requestHash);
}

/** Staff and auditors see every agreement; partners only those that list their party (the others do not exist for them). */
export function visibleTo(agreement: Agreement, principal: Principal): boolean {
  return readsEverything(principal) || agreement.parties.some((p) => p.partyId === principal.partyId);
}

/**
 * The agreement with its history, if this principal may see it (else NotFound). Reads take its
 * id or its code, as printed (`958K-S6DM`) or typed (`958k s6dm`): an auditor holding a paper
 * certificate has the code.
 */
export function load(idOrCode: string, principal: Principal): Promise<store.StoredAgreement> {
  return find(idOrCode, principal, store.getAgreement);
}

/**
 * As load(), for a partner whose party any version lists, not only the current one: a party an
 * amendment took off an agreement keeps the versions it signed. With `versions()`, the versions
 * that list the principal's party (see versionsListing): the history is replayed only when asked,
 * or for a partner the current version does not list, and then once.
 */
export async function loadSigned(idOrCode: string, principal: Principal): Promise<{ stored: store.StoredAgreement; versions: () => number[] }> {
  let listed: number[] | undefined;
  const versions = (s: store.StoredAgreement) => (listed ??= versionsListing(s, principal));
  const stored = await find(idOrCode, principal, store.getAgreement, (s) => visibleTo(s.agreement, principal) || versions(s).length > 0);
  return { stored, versions: () => versions(stored) };
}

/** The versions that list the principal's party: every one for staff and auditors; for a partner, those of its history that check out, and the current one. */
function versionsListing(stored: store.StoredAgreement, principal: Principal): number[] {
  const { agreement } = stored;
  const all = Array.from({ length: agreement.version }, (_, i) => i + 1);
  if (readsEverything(principal)) return all;
  const { firstBadVersion } = integrityOf(stored);
  const told = stored.history.filter((e) => firstBadVersion === null || e.version < firstBadVersion);
  const listed = new Set(replayEach(agreement, told).filter((a) => visibleTo(a, principal)).map((a) => a.version));
  if (visibleTo(agreement, principal)) listed.add(agreement.version);
  return all.filter((v) => listed.has(v));
}

/** As load(), by `read`: the whole stored agreement, or only what a caller needs of it; `visible` to the principal. */
async function find<T extends { agreement: Agreement }>(idOrCode: string, principal: Principal, read: (id: string) => Promise<T | undefined>,
  visible = (stored: T) => visibleTo(stored.agreement, principal)): Promise<T> {
  const code = typedCode(idOrCode);
  const id = code ? await store.agreementIdByCode(code) : idOrCode;
  const stored = id === undefined ? undefined : await read(id);
  if (!stored || !visible(stored)) throw new NotFound(`No agreement with ${id === idOrCode ? 'id' : 'code'} "${idOrCode}"`);
  return stored;
}

/** The current record (its history, which may run to megabytes, is not read). */
export async function readAgreement(id: string, principal: Principal): Promise<Agreement> {
  return (await find(id, principal, store.getCurrentAgreement)).agreement;
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
  const found = await lists.listAgreements(filter, page);
  // A first page with nothing on it, for a ceremony or a party that does not exist, is an id typed
  // wrong: said so, rather than "no agreements" (an auditor would read that as a fact). Read only
  // then: a list that finds something, or goes on from a cursor, costs nothing more. Not for
  // partners, who may not read ceremonies: it would tell them which exist.
  if (readsEverything(principal) && found.items.length === 0 && found.nextCursor === null && page.cursor === undefined) await assertFilterIdsExist(filter);
  return found;
}

/** Refuses (422) a list's ceremonyId or partyId that names nothing the registry holds. */
async function assertFilterIdsExist(filter: AgreementFilter): Promise<void> {
  const [ceremony, party] = await Promise.all([
    filter.ceremonyId === undefined ? true : getCeremony(filter.ceremonyId),
    filter.partyId === undefined ? true : getParty(filter.partyId),
  ]);
  const missing = [
    ...(ceremony ? [] : [{ path: 'ceremonyId', noun: 'ceremony', id: filter.ceremonyId }]),
    ...(party ? [] : [{ path: 'partyId', noun: 'party', id: filter.partyId }]),
  ];
  if (missing.length === 0) return;
  throw new RuleViolation(`No ${missing.map((m) => `${m.noun} "${m.id}"`).join(' and no ')} is registered: check the id`, missing.map((m) => ({ path: m.path, message: `names no ${m.noun}` })));
}

/** A change's outcome: the agreement as it left it, and whether this is its first answer, sent again. */
export interface ChangeResult { agreement: Agreement; replayed: boolean }

/**
 * A change to make on `base`, the version the caller saw (`baseHash`: the hash of its history
 * entry); null when it changes nothing. Parties it adds take their snapshot from `snapshots` when
 * there, else from the directory as it is now.
 */
type MakeChange = (base: Agreement, baseHash: string, snapshots: readonly AgreementParty[]) => Promise<Versioned | null>;

/** Whether `entry` records the very change `again` would: same place in the chain, action, actor, reason and field changes (at another instant). */
function sameChange(entry: HistoryEntry, again: HistoryEntry): boolean {
  return entry.version === again.version && entry.prevHash === again.prevHash && entry.action === again.action
    && entry.actor === again.actor && entry.reason === again.reason && hashOf(entry.changes) === hashOf(again.changes);
}

/**
 * Whether the agreement's latest version is `change`, made by `actor` on the version before it: a
 * client that lost the answer (venue Wi-Fi) sends the change again with the If-Match it had, which
 * its own first attempt has moved past. Only the latest change counts: once another one is made
 * on top, the caller's view is stale whatever it sent before (412: reload).
 */
async function isLatestChange(tip: store.AgreementTip, actor: string, change: MakeChange): Promise<boolean> {
  const { agreement: current, latest: entry, previous } = tip;
  if (!previous || !entry || entry.actor !== actor) return false;
  try {
    // Parties it added as they were when it was made, not as renamed since.
    const again = await change(previous, entry.prevHash!, current.parties);
    return again !== null && sameChange(entry, again.entry);
  } catch (error) {
    // A change the rules refuse on that version was never made on it: the caller's version is stale.
    if (error instanceof RuleViolation || error instanceof InvalidInput) return false;
    throw error;
  }
}

/** 409 for a voided agreement, else 412. */
function conflict(now: Agreement, expectedVersions: readonly number[]): never {
  if (now.status === 'voided') throw new StateConflict('A voided agreement cannot be changed', [{ path: '', message: 'changes an agreement that is voided' }]);
  throw VersionMismatch.of('agreement', now.version, expectedVersions);
}

/** The records of parties read from the directory (getParties), for a signing or an amendment to copy (see assertAsWritten). */
const recordsOf = (found: Awaited<ReturnType<typeof getParties>>): Map<string, Party> => new Map([...found].map(([id, { record }]) => [id, record]));

/**
 * Refuses (409) a signing or an amendment that copies (`copied`: each party listed, with where the
 * body lists it) a party whose record is not as its last change wrote it (edited behind the API):
 * copied, the edit would be signed for, in the agreement's history and its certificates, for good.
 * Until it is restored; each such party is logged for operators. After the body's own errors (a
 * party listed twice or unknown: 422), which are the caller's to mend first.
 */
function assertAsWritten(found: Awaited<ReturnType<typeof getParties>>, copied: readonly { partyId: string; at: number }[]): void {
  const edited = copied.filter(({ partyId }, i) => {
    const party = found.get(partyId);
    return copied.findIndex((p) => p.partyId === partyId) === i && party !== undefined && !partyIntact(party.record, party.stateHash);
  });
  if (edited.length === 0) return;
  const named = edited.map((p) => p.partyId).join(', ');
  throw new StateConflict(`${edited.length === 1 ? `Party ${named} was` : `Parties ${named} were`} changed outside the registry (a record not as its last change wrote it): no signing or amendment copies ${edited.length === 1 ? 'it' : 'them'} until restored. Nothing was changed`,
    edited.map(({ partyId, at }) => ({ path: `/parties/${at}/partyId`, message: `names party "${partyId}", changed outside the registry` })));
}

/**
 * Makes a change on the version the caller names in If-Match, with one conditional write. The
 * same change sent again after it was made (a lost answer), while it is the latest, is answered
 * as made (`replayed`), not refused as stale (412) or as too late (409, voided).
 */
async function changeAgreement(id: string, expectedVersions: readonly number[] | undefined, principal: Principal, change: MakeChange): Promise<ChangeResult> {
  if (expectedVersions === undefined) throw new VersionRequired('Send If-Match with the ETag of the agreement version you are changing');
  const stored = await store.getAgreementTip(id);
  // Reads take the printed code; changes do not, so that a code mistyped from paper cannot amend or
  // void another agreement. Staff (who alone make changes, and read every agreement) are told the id.
  const code = stored ? undefined : typedCode(id);
  const byCode = code ? await store.agreementIdByCode(code) : undefined;
  if (byCode) {
    throw new NotFound(`"${id}" is the printed code of agreement ${byCode}: changes take the agreement's id, not its code`, [
      { path: 'id', message: `must be the agreement's id (${byCode}), not its printed code` },
    ]);
  }
  if (!stored) {
    // A code that is no agreement's: said as a code (as printed, O read as 0), not as an id.
    throw code
      ? new NotFound(`No agreement has the printed code "${code}" (and changes take an agreement's id, not its code)`, [{ path: 'id', message: 'is no agreement\'s printed code, nor an agreement\'s id' }])
      : new NotFound(`No agreement with id "${id}"`, [{ path: 'id', message: 'is no agreement\'s id' }]);
  }
  if (!changeable(stored.agreement, expectedVersions)) return (await replayOf(stored, expectedVersions, principal, change)) ?? conflict(stored.agreement, expectedVersions);
  let base = stored;
  for (let attempt = 1; ; attempt += 1) {
    const { agreement: current, head } = base;
    const next = await change(current, head, current.parties);
    if (!next) return { agreement: current, replayed: false };
    store.assertFits(next, base.historyBytes); // before any write, links included
    const outcome = await commit(base, next);
    if (!('lostTo' in outcome)) return outcome;
    // Another write got in first. A copy of this very change sent at the same time is a replay;
    // another change, to a version If-Match names too ("1", "2"), is one this change may be made on,
    // as if sent after it (a few times at most: a list names few versions).
    const { lostTo } = outcome;
    const replayed = await replayOf(lostTo, expectedVersions, principal, change);
    if (replayed) return replayed;
    if (!changeable(lostTo.agreement, expectedVersions)) conflict(lostTo.agreement, expectedVersions);
    if (attempt === CHANGE_ATTEMPTS) throw VersionMismatch.racedOut('agreement');
    base = lostTo;
  }
}

/** Whether a change may be made on the agreement as it stands: in force, at a version If-Match names. */
const changeable = (agreement: Agreement, expectedVersions: readonly number[]) => agreement.status !== 'voided' && expectedVersions.includes(agreement.version);

/** The answer to a change the agreement has moved past, if its latest version is this very change (a replay); else undefined (412, or 409 if voided). */
async function replayOf(tip: store.AgreementTip, expectedVersions: readonly number[], principal: Principal, change: MakeChange): Promise<ChangeResult | undefined> {
  const { agreement: current, previous } = tip;
  if (!previous || !expectedVersions.includes(previous.version) || !(await isLatestChange(tip, principal.actor, change))) return undefined;
  await cleanUpLinks(previous, current); // in case its first attempt stopped short of it
  return { agreement: current, replayed: true };
}

/** Drops the links `before` had and `after` has not (a failed cleanup is no error: stale links are dropped on read). */
async function cleanUpLinks(before: Agreement, after: Agreement): Promise<void> {
  await links.removeStaleLinks(before, after).catch((error: unknown) => {
    log.warn('stale link cleanup failed', { agreementId: before.id, error: String(error) });
  });
}

/**
 * Whether this very request's write went in, though its commit failed: the SDK sent it again after
 * its answer was lost, and the first attempt then failed the retry's condition. Its very entry (same
 * instant) is then committed at its version: the head, if the item still carries this request's
 * token (two copies stamped the same instant make the same entry), or named by the entry after it.
 * Only a change already made on top of that one needs the whole history read.
 */
async function committedOwn(now: store.AgreementTip, next: Versioned, token: string): Promise<boolean> {
  const { version, hash } = next.entry;
  if (now.agreement.version === version) return now.head === hash && now.changeToken === token;
  if (now.agreement.version === version + 1 && now.latest?.version === version + 1) return now.latest.prevHash === hash;
  if (now.agreement.version < version) return false;
  const stored = await store.getAgreement(now.agreement.id);
  return stored?.history.find((e) => e.version === version)?.hash === hash;
}

/** Commits `next` on `base`; `lostTo`: the agreement as another write left it, which got in first. */
async function commit(base: store.AgreementTip, next: Versioned): Promise<ChangeResult | { lostTo: store.AgreementTip }> {
  const before = base.agreement;
  const token = randomUUID();
  await links.putLinks(next.agreement, before);
  if (!(await store.commitVersion(next, base, token))) {
    const now = await store.getAgreementTip(before.id);
    if (!now) throw new Error(`agreement ${before.id} vanished during a change`);
    if (!(await committedOwn(now, next, token))) {
      // The links this version wrote for nothing (a party it added, a signing time it moved to)
      // go, unless a version since has written them again: left, they filled a partition with
      // entries its lists skip, and a page could stop on one.
      await cleanUpLinks(next.agreement, now.agreement);
      return { lostTo: now };
    }
  }
  await cleanUpLinks(before, next.agreement);
  return { agreement: next.agreement, replayed: false };
}

export function amend(id: string, expectedVersions: readonly number[] | undefined, patch: AgreementPatch, principal: Principal): Promise<ChangeResult> {
  return changeAgreement(id, expectedVersions, principal, async (base, baseHash, snapshots) => {
    let parties: AgreementParty[] | undefined;
    if (patch.parties) {
      // Parties of the version changed stay as it has them, unless refreshed: then as the directory
      // has them now (worked out again after another rename, a refresh differs: 412). Parties it
      // adds are as `snapshots` has them (as made, when a change is worked out again), else as the
      // directory has them now; `refresh` means nothing for them.
      const onBase = (partyId: string) => base.parties.some((p) => p.partyId === partyId);
      const inputs = patch.parties.map(({ refresh, ...input }) => ({ ...input, refresh: refresh === true && onBase(input.partyId) }));
      const kept = [...base.parties, ...snapshots.filter((s) => !onBase(s.partyId))];
      const fromDirectory = inputs.filter((p) => p.refresh || !kept.some((c) => c.partyId === p.partyId));
      const directory = await getParties(fromDirectory.map((p) => p.partyId));
      parties = snapshotParties(inputs, recordsOf(directory), kept);
      assertAsWritten(directory, inputs.flatMap(({ partyId }, at) => (fromDirectory.some((p) => p.partyId === partyId) ? [{ partyId, at }] : [])));
    }
    const ceremony = await getCeremony(base.ceremonyId);
    const next = amendAgreement(base, baseHash, patch, parties, stampOf(principal), new Date(), ceremony);
    if (!next) return null;
    if (ceremony) assertPrintable(next.agreement, ceremony);
    return next;
  });
}

export function voidSigning(id: string, expectedVersions: readonly number[] | undefined, reason: string, principal: Principal): Promise<ChangeResult> {
  return changeAgreement(id, expectedVersions, principal, async (base, baseHash) => voidAgreement(base, baseHash, reason, stampOf(principal)));
}

/** Memo of integrityOf, per stored agreement read. */
const integrities = new WeakMap<store.StoredAgreement, HistoryCheck>();

/**
 * Whether the history checks out (verifyHistory), and whether each of its entries is the one
 * committed: one that stands in for an entry removed behind the API (another of its version, which
 * never committed), or whose hash was rewritten, is bad however well it adds up.
 */
export function integrityOf(stored: store.StoredAgreement): HistoryCheck {
  let check = integrities.get(stored);
  if (!check) {
    const { unanchored } = stored;
    const found = verifyHistory(stored.agreement, stored.history);
    check = unanchored === null ? found : { ...found, chainValid: false, firstBadVersion: Math.min(found.firstBadVersion ?? unanchored, unanchored) };
    integrities.set(stored, check);
    // Once per read, whoever asked (an auditor's history, a download, a check of a certificate).
    if (!check.chainValid || !check.stateMatches) log.integrity('agreement history does not check out', { agreementId: stored.agreement.id, ...check });
  }
  return check;
}

/**
 * The history entry of `version`, if the history checks out up to it: from an entry edited or
 * removed behind the API on, versions cannot be told as they were committed, and no certificate
 * of them is issued or judged genuine.
 */
export function entryOf(stored: store.StoredAgreement, version: number): HistoryEntry | undefined {
  const { firstBadVersion } = integrityOf(stored);
  if (firstBadVersion !== null && version >= firstBadVersion) return undefined;
  return stored.history.find((e) => e.version === version);
}

export async function history(id: string, principal: Principal) {
  const stored = await load(id, principal);
  const { agreement, history: entries } = stored;
  return { agreementId: agreement.id, code: agreement.code, ceremonyId: agreement.ceremonyId, version: agreement.version, items: entries, integrity: integrityOf(stored) };
}
