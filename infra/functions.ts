/**
 * Per-function deployment settings, keyed by the routes table's function names. The Record type
 * makes a new entry in FUNCTIONS without settings here a type error, so no function ships with
 * guessed memory or silently without the signing key it needs.
 */
import type { FunctionName } from '#shared/http/routes.ts';

export interface FunctionSettings {
  /** Lambda memory; CPU scales with it, so PDF rendering gets more. */
  memoryMb: number;
  /** Seconds a call may take (default 10); API Gateway waits 30 at most. */
  timeoutSeconds?: number;
  /**
   * Signs: gets SIGNING_KEY_SECRET_ARN and read access to the signing-key secret. Only what signs:
   * verification reads the public keys the signing function publishes in the table.
   */
  signingKey?: true;
  /** Ships the certificate fonts and harfbuzz.wasm beside its bundle. */
  assets?: true;
  /** Pages through lists: may read the secret holding the key that authenticates list cursors (CURSOR_SECRET_ARN). */
  lists?: true;
}

const API: FunctionSettings = { memoryMb: 512 };
const LISTS: FunctionSettings = { ...API, lists: true };

export const FUNCTION_SETTINGS: Record<FunctionName, FunctionSettings> = {
  meta: API,
  'parties-read': LISTS,
  'parties-write': API,
  'ceremonies-read': LISTS,
  // A correction that moves a ceremony's days reads every signing of it (hundreds at an expo) to check they still fit:
  // twice the memory is twice the CPU share to parse and check them within the time.
  'ceremonies-write': { memoryMb: 1024, timeoutSeconds: 28 },
  'agreements-read': LISTS,
  'agreements-write': API,
  // A certificate at the limits (fifty parties, thousands of distinct Han characters) takes about 3 s, cold,
  // on a developer's machine; a Lambda's share of a CPU at 1.5 GB is slower, and 10 s left too little room.
  certificates: { memoryMb: 1536, timeoutSeconds: 28, signingKey: true, assets: true },
  // Checking a file that is not on record renders the certificate it claims to be, to compare (with the
  // signature the file carries). Anyone may call it, with any file: it holds no private key.
  verify: { memoryMb: 1536, timeoutSeconds: 28, assets: true },
};
