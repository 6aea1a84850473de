/**
 * The one place errors become HTTP: application/problem+json (RFC 9457) with
 * `type, title, status, detail, errors[{path, message}]`. Domain errors map by class; anything
 * unexpected becomes a plain 500 whose body says nothing about internals (the log has it all).
 */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import {
  AlreadyExists, DomainError, Forbidden, InvalidInput, NotFound, RuleViolation, StateConflict, Unavailable,
  VersionMismatch, VersionRequired, type FieldError,
} from '#shared/domain/errors.ts';
import { BASE_HEADERS } from './response.ts';

/** An error that only makes sense at the HTTP edge (auth, media type, size). */
export class HttpError extends Error {
  readonly expose: boolean;
  constructor(
    readonly status: number,
    message: string,
    readonly errors: FieldError[] = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
    this.expose = status < 500;
  }
}

const TITLES: Record<number, [slug: string, title: string]> = {
  400: ['invalid-request', 'The request is not valid'],
  401: ['unauthenticated', 'A valid bearer token is required'],
  403: ['forbidden', 'Your role does not allow this'],
  404: ['not-found', 'Not found'],
  405: ['method-not-allowed', 'Method not allowed'],
  408: ['request-timeout', 'The request did not arrive in time'],
  409: ['conflict', 'Conflict with the current state'],
  412: ['version-mismatch', 'The version you sent is not the current one'],
  413: ['too-large', 'The request body is too large'],
  415: ['unsupported-media-type', 'Unsupported content type'],
  417: ['expectation-failed', 'The expectation cannot be met'],
  422: ['rule-violated', 'The request breaks a registry rule'],
  428: ['version-required', 'If-Match is required'],
  431: ['headers-too-large', 'The request headers are too large'],
  500: ['internal', 'Internal error'],
  502: ['bad-gateway', 'The function could not answer'],
  503: ['unavailable', 'The registry is busy'],
};

const DOMAIN_STATUS: [new (...args: never[]) => DomainError, number][] = [
  [InvalidInput, 400],
  [Forbidden, 403],
  [NotFound, 404],
  [AlreadyExists, 409],
  [StateConflict, 409],
  [VersionMismatch, 412],
  [RuleViolation, 422],
  [VersionRequired, 428],
];

/** What the AWS SDK throws when DynamoDB (or Secrets Manager) still throttles after the SDK's own retries. */
const THROTTLED = new Set(['ThrottlingException', 'ProvisionedThroughputExceededException', 'RequestLimitExceeded', 'LimitExceededException']);

/** Seconds a busy answer asks the client to wait before trying again. */
const RETRY_AFTER = '2';

export function problem(status: number, detail: string, errors: FieldError[] = [], headers: Record<string, string> = {}): APIGatewayProxyStructuredResultV2 {
  const [slug, title] = TITLES[status] ?? ['error', 'Error'];
  return {
    statusCode: status,
    headers: { ...BASE_HEADERS, ...headers, 'content-type': 'application/problem+json' },
    body: JSON.stringify({ type: `/problems/${slug}`, title, status, detail, errors }),
  };
}

/** What a problem says: its status, detail, the fields at fault, and headers of its own. */
export interface Problem { status: number; detail: string; errors?: FieldError[]; headers?: Record<string, string> }

/** The response for a problem, as application/problem+json. */
export const problemResponse = ({ status, detail, errors, headers }: Problem) => problem(status, detail, errors, headers);

/** The problem+json response for an error. */
export const toProblem = (error: unknown) => problemResponse(problemOf(error));

/** The problem an error is for the client; anything unforeseen is logged and is a 500. */
export function problemOf(error: unknown): Problem {
  if (error instanceof HttpError && error.expose) return { status: error.status, detail: error.message, errors: error.errors, headers: error.headers };
  const busy = error instanceof Unavailable || (error instanceof Error && THROTTLED.has(error.name));
  if (busy) {
    // Not a bug, but worth seeing: a table that throttles needs more capacity.
    console.warn(JSON.stringify({ level: 'warn', message: 'throttled', error: { name: (error as Error).name, message: (error as Error).message } }));
    return { status: 503, detail: 'The registry is busy: try again in a moment (sending the same request again is safe)', headers: { 'retry-after': RETRY_AFTER } };
  }
  if (error instanceof DomainError) {
    const status = DOMAIN_STATUS.find(([type]) => error instanceof type)?.[1];
    if (status !== undefined) return { status, detail: error.message, errors: error.errors };
  }
  console.error(JSON.stringify({ level: 'error', message: 'unhandled error', error: error instanceof Error ? { name: error.name, message: error.message, stack: error.stack } : String(error) }));
  return { status: 500, detail: 'The registry could not complete this request. It has been logged; please try again.' };
}
