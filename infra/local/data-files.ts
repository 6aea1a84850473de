/**
 * Files of the local data dir: written whole or not at all, and refused, with a message, when they
 * are not what they must be. A file that exists is never trusted for existing: a disk that filled
 * up while it was written would leave it empty, and an empty token secret signs tokens anyone can
 * forge.
 */
import { linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';

/** Another Concord process holds the data dir. */
export class DataDirInUse extends Error {}
/** The data dir, or a file in it, cannot be used; the message says what to do. */
export class DataDirUnusable extends Error {}

/**
 * Creates `file` with `contents` unless it exists: written aside first and linked into place, so
 * it appears whole or not at all, and a file made meanwhile by another process is kept. Whether
 * this call made it.
 */
export function createOnce(file: string, contents: string): boolean {
  const aside = `${file}.${process.pid}.new`;
  writeFileSync(aside, contents, { mode: 0o600 });
  try {
    linkSync(aside, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return false;
  } finally {
    unlinkSync(aside);
  }
}

/** The contents of a data-dir file that `valid` accepts; else a DataDirUnusable that says to delete it. */
export function readChecked<T>(file: string, valid: (text: string) => T | undefined, what: string): T {
  const value = valid(readFileSync(file, 'utf8'));
  if (value === undefined) {
    throw new DataDirUnusable(`${file} is damaged (it must hold ${what}), perhaps by a full disk: delete it and start again to make a new one`);
  }
  return value;
}
