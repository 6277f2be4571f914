// The suites on the real node (e2e/operator): the environment `npm test` starts (LOCAL_ENV_DIR),
// or one the global setup starts. Files run one at a time: they share one node on a 2-core
// machine.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['e2e/operator/**/*.test.ts'],
    globalSetup: ['scripts/localenv/vitest-setup.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 240_000,
    hookTimeout: 300_000,
    teardownTimeout: 60_000,
  },
});
