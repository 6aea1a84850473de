/** An independent check of history hashes: canonical JSON (sorted keys, no whitespace) + SHA-256. */
import { createHash } from 'node:crypto';
import { expect } from 'vitest';

export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

export const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

/** Every entry hashes to its `hash` and links to the one before it. */
export function expectChain(items: { hash: string; prevHash: string | null; version: number }[]) {
  items.forEach((entry, i) => {
    const { hash, ...rest } = entry;
    expect(entry.version).toBe(i + 1);
    expect(entry.prevHash).toBe(i === 0 ? null : items[i - 1]!.hash);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(sha256(canonical(rest))).toBe(hash);
  });
}
