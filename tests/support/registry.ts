/**
 * Test harness: a whole registry (dynalite on a fresh temp dir + local HTTP server on a free
 * port) inside the test process, and a small client for its API.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Role } from '#shared/domain/principal.ts';
import { startRegistry, type Registry } from '#infra/local/server.ts';

export interface Reply<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export interface CallOptions {
  token?: string | null;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface TestRegistry {
  registry: Registry;
  url: string;
  tokens: Record<'staff' | 'auditor', string> & { partner(partyId: string): string };
  call<T = any>(method: string, path: string, options?: CallOptions): Promise<Reply<T>>;
  close(): Promise<void>;
}

export async function startTestRegistry(options: { seed?: boolean; dataDir?: string; publicBaseUrl?: string; log?: (line: string) => void } = {}): Promise<TestRegistry> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'concord-test-'));
  const registry = await startRegistry({ dataDir, port: 0, seed: options.seed ?? false, ...(options.publicBaseUrl && { publicBaseUrl: options.publicBaseUrl }), ...(options.log && { log: options.log }) });
  // After the start: the client reads TABLE_NAME, which the server sets, when it is first loaded.
  await (await import('./dynamo-fidelity.ts')).checkLikeDynamoDB();
  const tokens = {
    staff: registry.token('staff'),
    auditor: registry.token('auditor'),
    partner: (partyId: string) => registry.token('partner', partyId),
  };
  async function call(method: string, path: string, { token = tokens.staff, body, headers = {} }: CallOptions = {}) {
    const init: RequestInit = { method, headers: { ...(token && { authorization: `Bearer ${token}` }), ...headers } };
    if (body !== undefined) {
      init.body = typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body);
      (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
    }
    const res = await fetch(`${registry.url}${path}`, init);
    const type = res.headers.get('content-type') ?? '';
    if (type === 'application/pdf') return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: type.includes('json') && text ? JSON.parse(text) : text };
  }
  return {
    registry,
    url: registry.url,
    tokens,
    call,
    close: async () => {
      await registry.close();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export type { Role };
