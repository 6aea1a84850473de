/**
 * The integrity sweep, on a schedule (daily: infra/integrity-sweep.ts; the local server runs it
 * too). Not an API function: it answers no request. A sweep cut short, or one that could not read
 * every agreement, fails the invocation, which its errors alarm mails; damage found raises the
 * integrity alarm through the log.
 */
import type { Context, ScheduledEvent } from 'aws-lambda';
import { sweepIntegrity, type SweepResult } from '#shared/registry/integrity-sweep.ts';

/** Kept back from the function's timeout: the summary is logged, and the invocation ends on its own terms. */
export const SWEEP_MARGIN_MS = 30_000;

export async function handler(_event: ScheduledEvent, context: Pick<Context, 'getRemainingTimeInMillis'>): Promise<SweepResult> {
  const result = await sweepIntegrity({ timeLeft: () => context.getRemainingTimeInMillis(), marginMs: SWEEP_MARGIN_MS });
  const { ceremonies, parties } = result;
  if (!result.complete) throw new Error(`The integrity sweep stopped short after ${ceremonies.checked} ceremonies, ${parties.checked} parties and ${result.checked} agreements: give the function more time`);
  const unread = [[ceremonies.unread.length, 'ceremonies'], [parties.unread.length, 'parties'], [result.unread.length, 'agreements']].filter(([n]) => n !== 0).map(([n, what]) => `${n} ${what}`);
  if (unread.length > 0) throw new Error(`The integrity sweep could not read ${unread.length > 1 ? `${unread.slice(0, -1).join(', ')} and ${unread.at(-1)}` : unread[0]} (logged with their errors)`);
  return result;
}
