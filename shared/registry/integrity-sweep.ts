/**
 * The integrity sweep: every agreement's history checked, whether or not anyone reads it, so that
 * damage (an edit behind the API, a restore gone wrong) raises the integrity alarm within a day,
 * not when somebody next downloads, verifies or audits that agreement. It reads and writes nothing
 * else: each finding is the same integrity event a read would log (integrityOf, parseStored).
 */
import { errorFields, log } from '#shared/log.ts';
import { everyAgreementId } from '#shared/store/agreement-lists.ts';
import * as store from '#shared/store/agreements.ts';
import { DamagedItem } from '#shared/store/operations.ts';
import { integrityOf } from './agreements.ts';

/** Agreements read whole at once: each is one partition query, so a few in flight keep the sweep brisk without crowding the table. */
const IN_FLIGHT = 8;

export interface SweepResult {
  /** Agreements read whole and checked. */
  checked: number;
  /** Ids of those whose history does not check out, or whose item no longer parses. */
  damaged: string[];
  /** Ids of those that could not be read (each logged with its error): the sweep fails for them, after checking the rest. */
  unread: string[];
  /** Whether the index was walked to its end before the time ran out. */
  complete: boolean;
}

export interface SweepOptions {
  /** Milliseconds left to work in: the sweep stops before a batch once this is at or below `marginMs`. */
  timeLeft: () => number;
  marginMs: number;
  /** Ids listed at a time (tests page small). */
  pageSize?: number;
}

type Finding = 'sound' | 'damaged' | 'gone' | 'unread';

/** What one agreement's read and check find. */
async function check(id: string): Promise<Finding> {
  try {
    const stored = await store.getAgreement(id);
    if (!stored) return 'gone'; // deleted since it was listed
    const { chainValid, stateMatches } = integrityOf(stored);
    return chainValid && stateMatches ? 'sound' : 'damaged';
  } catch (error) {
    // An item that no longer fits its schema: parseStored has said so.
    if (error instanceof DamagedItem) return 'damaged';
    // Anything else (the table failing this read) is no finding about the agreement, and must not
    // keep the sweep from the agreements after it, day after day: said, and the sweep goes on.
    log.error('the integrity sweep could not read an agreement', { agreementId: id, error: errorFields(error) });
    return 'unread';
  }
}

/**
 * Checks every agreement the index lists, newest signing first, while time is left. The index is
 * walked once: an agreement signed meanwhile, or whose signing time an amendment moves into the
 * part already walked, waits for the next sweep; one moved the other way is checked once.
 */
export async function sweepIntegrity({ timeLeft, marginMs, pageSize = 100 }: SweepOptions): Promise<SweepResult> {
  const started = Date.now();
  const result: SweepResult = { checked: 0, damaged: [], unread: [], complete: true };
  const seen = new Set<string>();
  sweep: for await (const listed of everyAgreementId(pageSize)) {
    const ids = listed.filter((id) => !seen.has(id));
    for (const id of ids) seen.add(id);
    for (let at = 0; at < ids.length; at += IN_FLIGHT) {
      if (timeLeft() <= marginMs) {
        result.complete = false;
        break sweep;
      }
      const batch = ids.slice(at, at + IN_FLIGHT);
      const found = await Promise.all(batch.map(check));
      batch.forEach((id, i) => {
        if (found[i] === 'gone') return;
        if (found[i] === 'unread') return void result.unread.push(id);
        result.checked += 1;
        if (found[i] === 'damaged') result.damaged.push(id);
      });
    }
  }
  const summary = { checked: result.checked, damaged: result.damaged.length, unread: result.unread.length, ms: Date.now() - started };
  if (result.complete) log.info('integrity sweep finished', summary);
  else log.error('integrity sweep stopped short of the last agreement', summary);
  return result;
}
