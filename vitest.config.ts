import { defineConfig } from 'vitest/config';

// Each test file starts its own in-process registry (dynalite on a temp dir), so files run in
// separate forks; two workers match the 2-core machines CI runs on.
export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
