/**
 * Seeds the demo data once, through the real API (so it passes every rule a client's data does).
 * Safe to re-run: existing parties and the ceremony answer 409 and are left alone, agreements
 * are logged with fixed Idempotency-Keys and replay.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEMO_AGREEMENTS, DEMO_CEREMONY, DEMO_PARTIES } from './demo/demo-data.ts';
import type { Registry } from './server.ts';

const MARKER = 'demo-seeded';

export async function seedDemoData(registry: Pick<Registry, 'dataDir' | 'token' | 'invoke'>): Promise<void> {
  const marker = join(registry.dataDir, MARKER);
  if (existsSync(marker)) return;
  const headers = { authorization: `Bearer ${registry.token('staff')}`, 'content-type': 'application/json' };
  const post = async (url: string, body: unknown, extra: Record<string, string> = {}) => {
    const out = await registry.invoke({ method: 'POST', url, headers: { ...headers, ...extra }, body: Buffer.from(JSON.stringify(body)), sourceIp: '127.0.0.1' });
    if (out.status !== 201 && out.status !== 409) throw new Error(`seeding ${url} failed: ${out.status} ${out.body.toString()}`);
  };
  for (const party of DEMO_PARTIES) await post('/parties', party);
  await post('/ceremonies', DEMO_CEREMONY);
  for (const [key, agreement] of Object.entries(DEMO_AGREEMENTS)) {
    await post(`/ceremonies/${DEMO_CEREMONY.id}/agreements`, agreement, { 'idempotency-key': key });
  }
  writeFileSync(marker, `${new Date().toISOString()}\n`);
}
