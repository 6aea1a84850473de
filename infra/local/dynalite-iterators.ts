/**
 * dynalite 4 reads every range (Query, Scan, ListTables) through an abstract-level iterator wrapped
 * in a Readable (dynalite/db/index.js, createValueStream and createKeyStream) whose destroy() closes
 * the iterator by calling `iterator.return()`: a method abstract-level 3 iterators do not have (they
 * have close()). So no iterator is ever closed, and each stays in its database's set of open
 * resources until the database closes: the LevelDB iterator, and the values it read ahead (a page's
 * worth of items), about 11 KB of heap per Query of 26 small items, more for larger ones. Here
 * iterators get the return() dynalite calls, which closes them: the stream's destroy() then does
 * what dynalite meant it to. Closing is all it does; the items a read returns are the same.
 */
import { createRequire } from 'node:module';

interface AbstractLevelModule {
  AbstractLevel: { prototype: object };
  AbstractIterator: { prototype: object };
}

/** The abstract-level module(s) under dynalite's stores: classic-level (on disk) and memory-level. */
export function dynaliteAbstractLevels(): AbstractLevelModule[] {
  const fromDynalite = createRequire(createRequire(import.meta.url).resolve('dynalite'));
  const classicLevel = createRequire(createRequire(fromDynalite.resolve('level')).resolve('classic-level'));
  const memoryLevel = createRequire(fromDynalite.resolve('memory-level'));
  return [...new Set([classicLevel, memoryLevel].map((from) => from('abstract-level') as AbstractLevelModule))];
}

/** Gives dynalite's iterators the return() its streams close them with. Idempotent; call before dynalite(). */
export function closeDynaliteIterators(): void {
  for (const { AbstractIterator } of dynaliteAbstractLevels()) {
    // AbstractIterator, AbstractKeyIterator and AbstractValueIterator share this prototype (CommonIterator).
    const common = Object.getPrototypeOf(AbstractIterator.prototype) as { close?: unknown; return?: unknown };
    if (typeof common.close !== 'function') throw new Error('abstract-level iterators have no close(): recheck infra/local/dynalite-iterators.ts');
    if ('return' in common) continue;
    Object.defineProperty(common, 'return', {
      configurable: true,
      writable: true,
      value(this: { close(): Promise<void> }) {
        return this.close();
      },
    });
  }
}
