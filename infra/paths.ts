/** Absolute paths of the project, resolved from this file so synth works from any cwd. */
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');

export const functionEntry = (name: string) => `${PROJECT_ROOT}/functions/${name}/handler.ts`;
