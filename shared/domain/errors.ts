/**
 * Domain errors: what went wrong in registry terms. They know nothing of HTTP;
 * shared/http/problem.ts maps them to status codes by class.
 */

export interface FieldError {
  /** JSON Pointer into the request body ("/parties/0/partyId"), or a query/header name ("limit", "If-Match"). */
  path: string;
  message: string;
}

export abstract class DomainError extends Error {
  constructor(
    message: string,
    readonly errors: FieldError[] = [],
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The request does not fit the schema: wrong type, missing or unknown field, bad format. */
export class InvalidInput extends DomainError {}
/** Well-formed, but breaks a rule across fields or records. */
export class RuleViolation extends DomainError {
  /** An Idempotency-Key sent again with another body than the request that first used it. */
  static keyReused(): RuleViolation {
    return new RuleViolation('This Idempotency-Key was already used for a different request', [{ path: 'Idempotency-Key', message: 'was already used with a different body' }]);
  }
}
export class NotFound extends DomainError {}
/** The caller may not use this at all (as opposed to NotFound, which hides existence). */
export class Forbidden extends DomainError {}
export class AlreadyExists extends DomainError {}
/** The database is too busy to answer now (throttled past every retry): try again shortly. */
export class Unavailable extends DomainError {}
/** The record's state forbids the change (e.g. amending a voided agreement). */
export class StateConflict extends DomainError {}
/** The caller's version (If-Match) is not the current one. */
export class VersionMismatch extends DomainError {
  constructor(message: string, errors: FieldError[] = [{ path: 'If-Match', message: 'does not name the current version' }]) {
    super(message, errors);
  }

  /** `expected`: the versions the caller's tags name; none when they name no version at all (weak or unknown ETags). */
  static of(record: string, current: number, expected: readonly number[]): VersionMismatch {
    const named = expected.length > 0 ? `not ${expected.join(' or ')}` : `and If-Match names no version of it (send the ETag you received, like "${current}")`;
    return new VersionMismatch(`The ${record} is at version ${current}, ${named}`, [{ path: 'If-Match', message: `must be "${current}", the current ETag` }]);
  }

  /** A change that lost its race to other writes, on versions If-Match names, as often as it may be made again (CHANGE_ATTEMPTS). */
  static racedOut(record: string): VersionMismatch {
    return new VersionMismatch(`The ${record} was changed by others ${CHANGE_ATTEMPTS} times while this change was made: send it again`, [{ path: 'If-Match', message: 'named versions changed meanwhile' }]);
  }
}

/** How many times a change is made on a version If-Match names, after losing to other writes (a list names few versions). */
export const CHANGE_ATTEMPTS = 3;

/** A change was attempted without naming the version it is based on. */
export class VersionRequired extends DomainError {
  constructor(message: string, errors: FieldError[] = [{ path: 'If-Match', message: 'is required' }]) {
    super(message, errors);
  }
}
