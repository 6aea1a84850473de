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

export const etag = (version: number) => `"${version}"`;

export function render(response: ApiResponse): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: response.status,
    headers: { ...BASE_HEADERS, 'content-type': 'application/json', ...response.headers },
    body: response.body === undefined ? '' : JSON.stringify(response.body),
  };
}
