/** Successful responses: JSON with the registry's standard headers. */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

export const BASE_HEADERS: Record<string, string> = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
};

export interface ApiResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export const etag = (tag: number | string) => `"${tag}"`;

/** Marks an answer to a request that was made already (same Idempotency-Key or id and body; same change from the same version). */
export const replayedHeader = (replayed: boolean): Record<string, string> => (replayed ? { 'idempotent-replayed': 'true' } : {});

/** The answer to a change of a versioned record: 200, its ETag, and whether the change was made already (sent again). */
export const changed = (record: { version: number }, replayed: boolean): ApiResponse =>
  ({ status: 200, body: record, headers: { etag: etag(record.version), ...replayedHeader(replayed) } });

/** The answer to a record made (or made already, sent again): 201, where it lives, and its ETag. */
export const created = (record: { version: number }, location: string, replayed: boolean): ApiResponse =>
  ({ status: 201, body: record, headers: { location, etag: etag(record.version), ...replayedHeader(replayed) } });

/** JSON by default; bytes (a PDF) go base64-encoded, strings (HTML) as they are. */
export function render(response: ApiResponse): APIGatewayProxyStructuredResultV2 {
  const { status, body, headers } = response;
  if (body instanceof Uint8Array) {
    return { statusCode: status, headers: { ...BASE_HEADERS, ...headers }, body: Buffer.from(body).toString('base64'), isBase64Encoded: true };
  }
  // Strings (HTML) go as they are; no body (a 304) goes as none.
  if (typeof body === 'string' || body === undefined) return { statusCode: status, headers: { ...BASE_HEADERS, ...headers }, body: body ?? '' };
  return { statusCode: status, headers: { ...BASE_HEADERS, 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}
