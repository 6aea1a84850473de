/**
 * Structured logs as they reach CloudWatch: Lambda's Node.js runtime, under the JSON log format the
 * functions use, writes what a function hands console as the line's `message`. The integrity alarm's
 * metric filter must find the fields there; a terminal gets one line of JSON.
 */
import { inspect } from 'node:util';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { INTEGRITY_FILTER } from '#infra/api/alarms.ts';
import { INTEGRITY, errorFields, log } from '#shared/log.ts';

/** A line as the runtime writes it (JSON format, one argument): the argument is `message`, as JSON.stringify gives it. */
const lambdaLine = (level: string, logged: unknown) => JSON.stringify({ timestamp: '2021-08-23T06:30:00.000Z', level, requestId: 'request-1', message: logged });

/** Whether a metric filter pattern of one string comparison, `{ $.a.b = "v" }`, matches a JSON line. */
function matches(pattern: string, line: string): boolean {
  const m = /^\{ \$\.([\w.]+) = "([^"*]*)" \}$/.exec(pattern);
  if (!m) throw new Error(`not a pattern this test reads: ${pattern}`);
  const value = m[1]!.split('.').reduce<any>((at, key) => at?.[key], JSON.parse(line));
  return value === m[2];
}

afterEach(() => void vi.restoreAllMocks());

describe('structured logs', () => {
  it('hands console an object, which the runtime nests as the line\'s message, field by field', () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    log.error('the published keys could not be read again', { readAt: '2021-08-23T06:30:00.000Z', error: 'TimeoutError' });
    const logged = error.mock.calls[0]![0];
    expect(JSON.parse(lambdaLine('ERROR', logged)).message).toEqual({ event: 'the published keys could not be read again', readAt: '2021-08-23T06:30:00.000Z', error: 'TimeoutError' });
  });

  it('marks integrity events so that the integrity alarm\'s filter counts them, and no other line', () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    log.integrity('agreement history does not check out', { agreementId: 'a-1', firstBadVersion: 2 });
    log.error('unhandled error', { error: errorFields(new Error('boom')) });
    log.warn('transient failure');
    const pattern = INTEGRITY_FILTER.logPatternString;
    const [integrity, unhandled] = error.mock.calls.map(([logged]) => lambdaLine('ERROR', logged));
    expect(JSON.parse(integrity!).message).toEqual({ event: 'agreement history does not check out', category: INTEGRITY, agreementId: 'a-1', firstBadVersion: 2 });
    expect([matches(pattern, integrity!), matches(pattern, unhandled!), matches(pattern, lambdaLine('WARN', warn.mock.calls[0]![0]))]).toEqual([true, false, false]);
  });

  it('prints as one line of JSON with its level outside Lambda (the local server, a terminal)', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    log.warn('stale link cleanup failed', { agreementId: 'a-1', error: 'line one\nline two' });
    const printed = inspect(warn.mock.calls[0]![0]);
    expect(printed).not.toContain('\n');
    expect(JSON.parse(printed)).toEqual({ level: 'warn', event: 'stale link cleanup failed', agreementId: 'a-1', error: 'line one\nline two' });
  });

  it('gives an error\'s name and message, and its stack only when asked', () => {
    const error = new TypeError('bad');
    expect(errorFields(error)).toEqual({ name: 'TypeError', message: 'bad' });
    expect(errorFields(error, { stack: true })).toEqual({ name: 'TypeError', message: 'bad', stack: error.stack });
    expect(errorFields('plain')).toEqual({ message: 'plain' });
  });
});
