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
import { errorFields, log } from '#shared/log.ts';

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

/**
 * What the AWS SDK throws when DynamoDB (or Secrets Manager) still fails after its own retries in a
 * way that passes: throttling, the service's own failure, a timeout, a dropped connection. The
 * classes are the SDK's (its retry strategy's service error classification).
 */
const TRANSIENT_NAMES = new Set([
  'ThrottlingException', 'ProvisionedThroughputExceededException', 'RequestLimitExceeded', 'LimitExceededException',
  'InternalServerError', 'ServiceUnavailable', 'TimeoutError', 'RequestTimeout', 'RequestTimeoutException',
]);
// Not ENOTFOUND: a name that does not resolve is most often a wrong endpoint, a bug to see as a 500.
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

function isTransient(error: unknown): boolean {
  if (error instanceof Unavailable) return true;
  if (!(error instanceof Error)) return false;
  const { $fault, $metadata, code } = error as { $fault?: string; $metadata?: { httpStatusCode?: number }; code?: string };
  // A service's answer the SDK could not turn into success: a 5xx (its fault, not the request's).
  const serverFault = $metadata !== undefined && ($fault === 'server' || ($metadata.httpStatusCode ?? 0) >= 500);
  return TRANSIENT_NAMES.has(error.name) || serverFault || (code !== undefined && NETWORK_CODES.has(code));
}

/**
 * Whether the request, sent again, does nothing twice: every write names what it makes or changes
 * (an id, an Idempotency-Key, an If-Match) except a party or ceremony registered with neither id
 * nor key, which a failure may have left made.
 */
export type Resend = 'safe' | 'may-duplicate';

const RESEND_CAUTION = 'It may have been recorded before the failure: it named no id and no Idempotency-Key, so sending it again could record it twice. Look for it first, or send it with an Idempotency-Key';

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
export const toProblem = (error: unknown, resend: Resend = 'safe') => problemResponse(problemOf(error, resend));

/**
 * The problem an error is for the client; anything unforeseen is logged and is a 500, which names
 * `reference` (the API's request id) so that whoever reports it points at its log line.
 */
export function problemOf(error: unknown, resend: Resend = 'safe', reference?: string): Problem {
  if (error instanceof HttpError && error.expose) return { status: error.status, detail: error.message, errors: error.errors, headers: error.headers };
  if (isTransient(error)) {
    // Not a bug, but worth seeing: a table that throttles needs more capacity; failures that pass, a look at the service's health.
    log.warn('transient failure', { error: errorFields(error) });
    const detail = resend === 'safe' ? 'The registry is busy: try again in a moment (sending the same request again is safe)' : `The registry is busy: try again in a moment. ${RESEND_CAUTION}.`;
    return { status: 503, detail, headers: { 'retry-after': RETRY_AFTER } };
  }
  if (error instanceof DomainError) {
    const status = DOMAIN_STATUS.find(([type]) => error instanceof type)?.[1];
    if (status !== undefined) return { status, detail: error.message, errors: error.errors };
  }
  log.error('unhandled error', { apiRequestId: reference, error: errorFields(error, { stack: true }) });
  const logged = reference === undefined ? 'It has been logged' : `It has been logged under reference ${reference}`;
  return { status: 500, detail: `The registry could not complete this request. ${logged}; please try again.${resend === 'safe' ? '' : ` ${RESEND_CAUTION}.`}` };
}
