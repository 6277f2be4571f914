import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['configstore/**/*.test.ts', 'operator/**/*.test.ts', 'scripts/**/*.test.ts', 'e2e/**/*.test.ts'],
    // the real-node suites have their own environment (vitest.node.config.ts)
    exclude: ['e2e/operator/**', '**/node_modules/**'],
    // One set of real servers for the whole run; each suite isolates itself (testenv.ts).
    globalSetup: ['scripts/localenv/vitest-setup.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
  },
});
