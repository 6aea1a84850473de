/**
 * The integrity sweep: every agreement's history checked, whether or not anyone reads it, so that
 * damage (an edit behind the API, a restore gone wrong) raises the integrity alarm within a day,
 * not when somebody next downloads, verifies or audits that agreement. It reads and writes nothing
 * else: each finding is the same integrity event a read would log (integrityOf, parseStored).
 */
import { log } from '#shared/log.ts';
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
  /** Whether every agreement listed was checked before `stopAt`. */
  complete: boolean;
}

/** Whether one agreement is damaged; undefined when it is gone since it was listed. */
async function isDamaged(id: string): Promise<boolean | undefined> {
  let stored;
  try {
    stored = await store.getAgreement(id);
  } catch (error) {
    // An item that no longer fits its schema: parseStored has said so. Anything else is no finding about this agreement.
    if (error instanceof DamagedItem) return true;
    throw error;
  }
  if (!stored) return undefined;
  const { chainValid, stateMatches } = integrityOf(stored);
  return !chainValid || !stateMatches;
}

/** Checks every agreement, newest signing first, until `stopAt` (epoch ms); signings made meanwhile wait for the next sweep. */
export async function sweepIntegrity({ stopAt }: { stopAt: number }): Promise<SweepResult> {
  const started = Date.now();
  const result: SweepResult = { checked: 0, damaged: [], complete: true };
  sweep: for await (const ids of everyAgreementId()) {
    for (let at = 0; at < ids.length; at += IN_FLIGHT) {
      if (Date.now() >= stopAt) {
        result.complete = false;
        break sweep;
      }
      const batch = ids.slice(at, at + IN_FLIGHT);
      const found = await Promise.all(batch.map(isDamaged));
      batch.forEach((id, i) => {
        if (found[i] === undefined) return;
        result.checked += 1;
        if (found[i]) result.damaged.push(id);
      });
    }
  }
  const summary = { checked: result.checked, damaged: result.damaged.length, ms: Date.now() - started };
  if (result.complete) log.info('integrity sweep finished', summary);
  else log.error('integrity sweep stopped short of the last agreement: give it more time', summary);
  return result;
}
