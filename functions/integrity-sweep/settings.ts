/**
 * The integrity sweep's timeout: Lambda's longest, which infra/integrity-sweep.ts gives the function
 * and the local server runs it with. Apart from the handler, which loads the store (and its
 * environment) with it: the CDK app reads this without them.
 */
export const SWEEP_TIMEOUT_SECONDS = 900;
