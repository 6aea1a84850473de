/**
 * The local database closes the iterator of every read it makes. dynalite leaves them open (see
 * infra/local/dynalite-iterators.ts): each kept its items in the heap, about 18 KB per list request,
 * for as long as the server ran. Counts the iterators dynalite's store opens and closes while the
 * registry answers list requests (whole lists, and pages through cursors).
 */
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { dynaliteAbstractLevels } from '#infra/local/dynalite-iterators.ts';
import { party, setup } from './support/fixtures.ts';
import { startTestRegistry, type TestRegistry } from './support/registry.ts';

type Resources = { attachResource(resource: object): void; detachResource(resource: object): void };

let t: TestRegistry;
const open = new Set<object>();
let opened = 0;
const restore: (() => void)[] = [];

beforeAll(async () => {
  for (const { AbstractLevel } of dynaliteAbstractLevels()) {
    const proto = AbstractLevel.prototype as Resources;
    const { attachResource, detachResource } = proto;
    proto.attachResource = function (resource) {
      if (typeof (resource as { nextv?: unknown }).nextv === 'function') (opened += 1, open.add(resource));
      return attachResource.call(this, resource);
    };
    proto.detachResource = function (resource) {
      open.delete(resource);
      return detachResource.call(this, resource);
    };
    restore.push(() => Object.assign(proto, { attachResource, detachResource }));
  }
  t = await startTestRegistry();
  await setup(t, ['it-a', 'it-b', 'it-c', 'it-d', 'it-e'].map((id) => party(id)), 'it-cer');
});
afterAll(async () => {
  await t?.close();
  for (const undo of restore) undo();
});

it('closes the iterators of queries, whole or stopped at their limit', async () => {
  const before = opened;
  for (let i = 0; i < 40; i++) {
    expect((await t.call('GET', '/parties')).body.items).toHaveLength(5);
    let cursor: string | undefined;
    let seen = 0;
    do {
      const page = (await t.call('GET', `/parties?limit=2${cursor ? `&cursor=${cursor}` : ''}`)).body;
      seen += page.items.length;
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toBe(5);
  }
  expect(opened - before).toBeGreaterThanOrEqual(160);
  // Closing ends a moment after the answer; without it, every one of them stays open.
  await vi.waitFor(() => expect(open.size).toBeLessThanOrEqual(2), { timeout: 5_000 });
});
