/**
 * The integrity sweep: every ceremony's history, every party's record and every agreement's history
 * checked, whether or not anyone reads them, and the items an agreement is found by (its printed
 * code's claim, its list entries),
 * so that damage (an edit behind the API, a restore gone wrong) raises the integrity alarm within a
 * day, not when somebody next downloads, verifies or audits that record, or misses it. It writes nothing: each finding is an
 * integrity event, the same a read would log where one does (integrityOf, parseStored).
 */
import type { Agreement } from '#shared/domain/schemas.ts';
import { errorFields, log } from '#shared/log.ts';
import { itemsNotLeadingTo } from '#shared/store/agreement-links.ts';
import { everyAgreementId } from '#shared/store/agreement-lists.ts';
import * as store from '#shared/store/agreements.ts';
import { everyCeremonyId, everyPartyId, getCeremonyStored, getPartyStored } from '#shared/store/directory.ts';
import { DamagedItem } from '#shared/store/operations.ts';
import { integrityOf } from './agreements.ts';
import { ceremonyIntegrity, partyIntact } from './directory.ts';

/** Agreements read whole at once: each is one partition query, so a few in flight keep the sweep brisk without crowding the table. */
const IN_FLIGHT = 8;

/** What a sweep found of one kind of record. */
export interface Tally {
  /** Records read whole and checked (for ceremonies, the `unsealed` among them, with nothing to check them against, too). */
  checked: number;
  /** Ids of those whose history does not check out, or whose item no longer parses. */
  damaged: string[];
  /** Ids of those that could not be read (each logged with its error): the sweep fails for them, after checking the rest. */
  unread: string[];
}

/** Agreements' tally (at the top, as before ceremonies and parties were checked), and ceremonies' and parties' (checked first). */
export interface SweepResult extends Tally {
  /** `unsealed`: ceremonies kept before histories were chained and not corrected since, with nothing to check them against (one whose seal was removed behind the API reads so too). */
  ceremonies: Tally & { unsealed: number };
  /** `unsealed`: parties last written before they kept their record's hash (one whose hash was removed behind the API reads so too). */
  parties: Tally & { unsealed: number };
  /** Whether every index was walked to its end before the time ran out. */
  complete: boolean;
}

export interface SweepOptions {
  /** Milliseconds left to work in: the sweep stops before a batch once this is at or below `marginMs`. */
  timeLeft: () => number;
  marginMs: number;
  /** Ids listed at a time (tests page small). */
  pageSize?: number;
}

export type Finding = 'sound' | 'damaged' | 'gone' | 'unread' | 'unsealed';

/** Checks of the items by which a version is found, before a version changed each time is let pass. */
const REACH_ATTEMPTS = 3;

/**
 * The items by which the agreement is found (its printed code, its party and country list entries)
 * that do not lead to it, with the version they were checked against: its version then current, so
 * that a change committed meanwhile (which removes the entries its version dropped) is no finding.
 */
async function unreachableBy(agreement: Agreement): Promise<{ version: number; astray: string[] }> {
  let current: Agreement | undefined = agreement;
  for (let attempt = 1; current; attempt += 1) {
    const astray = await itemsNotLeadingTo(current);
    if (astray.length === 0) break;
    const now: Agreement | undefined = (await store.getCurrentAgreement(current.id))?.agreement;
    if (now?.version === current.version) return { version: now.version, astray };
    if (attempt === REACH_ATTEMPTS) break; // changing faster than it can be checked: tomorrow's sweep
    current = now;
  }
  return { version: agreement.version, astray: [] }; // sound, changing, or deleted meanwhile
}

/**
 * What `check` finds of record `id`, a `kind`: one whose item no longer fits its schema (parseStored
 * has said so) is damaged; any other error (the table failing this read) is no finding about it, and
 * must not keep the sweep from the records after it, day after day: said, and the sweep goes on.
 */
async function finding(kind: 'ceremony' | 'party' | 'agreement', id: string, check: () => Promise<Finding>): Promise<Finding> {
  try {
    return await check();
  } catch (error) {
    if (error instanceof DamagedItem) return 'damaged';
    log.error(`the integrity sweep could not read ${kind === 'agreement' ? 'an' : 'a'} ${kind}`, { [`${kind}Id`]: id, error: errorFields(error) });
    return 'unread';
  }
}

/** What one ceremony's read and check find: `unsealed` for one kept before histories were chained, and not corrected since. */
export const checkCeremony = (id: string) => finding('ceremony', id, async () => {
  const found = await getCeremonyStored(id);
  if (!found) return 'gone';
  const check = ceremonyIntegrity(found);
  return !check ? 'unsealed' : check.chainValid && check.stateMatches ? 'sound' : 'damaged';
});

/** What one party's read and check find: whether its record is as its last change wrote it; `unsealed` for one written before parties kept its hash. */
export const checkParty = (id: string) => finding('party', id, async () => {
  const found = await getPartyStored(id);
  if (!found) return 'gone';
  if (found.stateHash === undefined) return 'unsealed';
  return partyIntact(found.record, found.stateHash) ? 'sound' : 'damaged';
});

/** What one agreement's read and check find (the sweep's, for each id it lists). */
export const checkAgreement = (id: string) => finding('agreement', id, async () => {
  const stored = await store.getAgreement(id);
  if (!stored) return 'gone'; // deleted since it was listed
  const { chainValid, stateMatches } = integrityOf(stored);
  // An item gone or changed behind the API: a printed QR code that verifies as "invalid", or a
  // partner's list without the agreement, and no error anywhere.
  const { version, astray } = await unreachableBy(stored.agreement);
  if (astray.length > 0) log.integrity('an agreement\'s printed code or list entries do not lead to it', { agreementId: id, version, items: astray });
  return chainValid && stateMatches && astray.length === 0 ? 'sound' : 'damaged';
});

/**
 * Checks every id `listed` gives, once, while time is left (false once it runs out), counting each
 * finding into `tally`: the records checked, and the ids of those damaged and unread (and, for
 * ceremonies and parties, how many are unsealed).
 */
async function walk(
  listed: AsyncGenerator<string[]>, check: (id: string) => Promise<Finding>, tally: Tally & { unsealed?: number }, { timeLeft, marginMs }: SweepOptions,
): Promise<boolean> {
  const seen = new Set<string>();
  for await (const page of listed) {
    const ids = page.filter((id) => !seen.has(id));
    for (const id of ids) seen.add(id);
    for (let at = 0; at < ids.length; at += IN_FLIGHT) {
      if (timeLeft() <= marginMs) return false;
      const batch = ids.slice(at, at + IN_FLIGHT);
      const found = await Promise.all(batch.map(check));
      batch.forEach((id, i) => {
        if (found[i] === 'gone') return;
        if (found[i] === 'unread') return void tally.unread.push(id);
        tally.checked += 1;
        if (found[i] === 'damaged') tally.damaged.push(id);
        if (found[i] === 'unsealed') tally.unsealed = (tally.unsealed ?? 0) + 1;
      });
    }
  }
  return true;
}

/**
 * Checks every ceremony, then every party, then every agreement the index lists, newest signing first, while time is
 * left. Each index is walked once: an agreement signed meanwhile, or whose signing time an amendment
 * moves into the part already walked, waits for the next sweep; one moved the other way is checked once.
 */
export async function sweepIntegrity(options: SweepOptions): Promise<SweepResult> {
  const started = Date.now();
  const { pageSize = 100 } = options;
  const tally = (): Tally => ({ checked: 0, damaged: [], unread: [] });
  const [ceremonies, parties, agreements] = [{ ...tally(), unsealed: 0 }, { ...tally(), unsealed: 0 }, tally()];
  const complete = (await walk(everyCeremonyId(pageSize), checkCeremony, ceremonies, options))
    && (await walk(everyPartyId(pageSize), checkParty, parties, options))
    && (await walk(everyAgreementId(pageSize), checkAgreement, agreements, options));
  const counts = ({ checked, damaged, unread }: Tally) => ({ checked, damaged: damaged.length, unread: unread.length });
  const summary = {
    ...counts(agreements), ceremonies: { ...counts(ceremonies), unsealed: ceremonies.unsealed }, parties: { ...counts(parties), unsealed: parties.unsealed }, ms: Date.now() - started,
  };
  if (complete) log.info('integrity sweep finished', summary);
  else log.error('integrity sweep stopped short of the last record', summary);
  return { ...agreements, ceremonies, parties, complete };
}
