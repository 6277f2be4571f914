// The suites on the real node (e2e/cluster): one environment with a kubelet, started by the
// same global setup with LOCAL_ENV_NODE=1 (scripts/test sets it). Files run one at a time:
// they share one node on a 2-core machine.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['e2e/cluster/**/*.test.ts'],
    globalSetup: ['scripts/localenv/vitest-setup.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 240_000,
    hookTimeout: 300_000,
    teardownTimeout: 60_000,
  },
});
