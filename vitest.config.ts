import { defineConfig } from 'vitest/config';

// Two projects (`vitest run --project unit` runs one):
//   unit         *.unit.test.ts: pure logic, fakes where a server would be; no servers, seconds
//   integration  the rest but e2e/operator, against one set of real servers for the whole run
//                (etcd, MinIO, a control plane; each suite isolates itself: testenv.ts)
// The real-node suites (e2e/operator) have their own environment: vitest.node.config.ts.
const unitTests = [
  'configstore/**/*.unit.test.ts',
  'operator/**/*.unit.test.ts',
  'plugin/**/*.unit.test.ts',
  'scripts/**/*.unit.test.ts',
  'testsupport/**/*.unit.test.ts',
  'health/**/*.unit.test.ts',
];

export default defineConfig({
  test: {
    pool: 'forks',
    teardownTimeout: 30_000,
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: unitTests, exclude: ['**/node_modules/**'], testTimeout: 30_000 },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['configstore/**/*.test.ts', 'operator/**/*.test.ts', 'plugin/**/*.test.ts', 'scripts/**/*.test.ts', 'e2e/**/*.test.ts'],
          exclude: [...unitTests, 'e2e/operator/**', '**/node_modules/**'],
          globalSetup: ['scripts/localenv/vitest-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
