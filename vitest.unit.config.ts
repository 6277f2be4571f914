import { defineConfig } from 'vitest/config';

// `npm run test:unit`: the tests of pure logic (`*.unit.test.ts`), with no servers: no etcd,
// MinIO or Kubernetes is started, so they run in seconds. `npm test` runs them too.
export default defineConfig({
  test: {
    include: ['configstore/**/*.unit.test.ts', 'operator/**/*.unit.test.ts', 'scripts/**/*.unit.test.ts'],
    exclude: ['**/node_modules/**'],
    pool: 'forks',
    testTimeout: 30_000,
  },
});
