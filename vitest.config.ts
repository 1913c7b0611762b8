import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['harness/**/*.test.ts', 'scenarios/**/*.test.ts', 'scripts/**/*.test.ts', 'bench/**/*.test.ts'],
    // *.int.test.ts run for real only with UPGRADE_HARNESS_IT=1 (Docker, kind); without it they are
    // collected and reported as skipped, with the reason in their title, so nobody mistakes them for run.
    exclude: ['node_modules/**', 'dist/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    globalSetup: ['harness/testing/global-setup.ts'],
  },
});
