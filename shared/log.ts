/**
 * Structured logs: one object per event, `{ event, ...fields }`, handed to console as an object.
 * Under Lambda's JSON log format (house-function.ts) the runtime nests it as the line's `message`,
 * beside its own timestamp, level and requestId, so CloudWatch Logs Insights and metric filters
 * reach each field (`message.agreementId`). A string, even one of JSON, would stay one opaque
 * string there. Printed by Node anywhere else (the local server, a terminal), it is one line of
 * JSON with its level.
 */
import { inspect } from 'node:util';

export type LogFields = Record<string, unknown>;

/**
 * The category of events that mean the registry's stored data does not check out: history,
 * records or published keys changed outside the registry, or restored wrong. The integrity alarm
 * (infra/api/alarms.ts) counts the lines that carry it.
 */
export const INTEGRITY = 'integrity';

function record(level: 'info' | 'warn' | 'error', event: string, fields: LogFields): LogFields {
  const logged = { event, ...fields };
  // Only how Node prints it: JSON.stringify, as the Lambda runtime uses, skips symbol keys.
  return Object.defineProperty(logged, inspect.custom, { value: () => JSON.stringify({ level, ...logged }) });
}

export const log = {
  /** What went as it should, worth keeping (a sweep's summary). */
  info: (event: string, fields: LogFields = {}) => void console.info(record('info', event, fields)),
  /** Worth a look, but nothing failed for the caller. */
  warn: (event: string, fields: LogFields = {}) => void console.warn(record('warn', event, fields)),
  /** Something failed that an operator must see. */
  error: (event: string, fields: LogFields = {}) => void console.error(record('error', event, fields)),
  /** Stored data that does not check out (see INTEGRITY): raises the integrity alarm. */
  integrity: (event: string, fields: LogFields = {}) => void console.error(record('error', event, { category: INTEGRITY, ...fields })),
};

/** An error as a log field: its name and message, and its stack when asked. */
export const errorFields = (error: unknown, { stack = false } = {}) =>
  error instanceof Error ? { name: error.name, message: error.message, ...(stack && { stack: error.stack }) } : { message: String(error) };
