// One case of a health_test.yaml run as Argo CD's util/lua test runs it: the script on the
// testdata object, its status and message compared with the expected ones.
import { readObject, type HealthCheck, type HealthTest } from './checks.js';
import { runHealthLua } from './lua.js';

/** undefined when the script returns what the test expects, else what differs. */
export function verdict(check: HealthCheck, test: HealthTest): string | undefined {
  const got = runHealthLua(check.script, readObject(check, test.inputPath), `${check.kind}/health.lua`);
  const want = test.healthStatus;
  if (got.status === want.status && got.message === want.message) return undefined;
  return `${check.kind}/${test.inputPath}: expected ${want.status} ${JSON.stringify(want.message)}, got ${got.status} ${JSON.stringify(got.message)}`;
}
