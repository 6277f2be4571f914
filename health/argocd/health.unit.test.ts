// The Argo CD health checks of health/argocd/<group>/<Kind>/: every case of each
// health_test.yaml on a real Lua 5.1 (lua5.1, sandboxed like Argo CD), the testdata as the
// reconcilers write it today, and argocd-cm.yaml as generated from the scripts.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { shippedCrds } from '../../testsupport/shippedcrds.js';
import { argocdCmFile, healthKey, renderArgocdCm } from './lib/argocdcm.js';
import { healthChecks, healthRoot, healthTests, scriptStatuses, type HealthCheck } from './lib/checks.js';
import { luaCommand, runHealthLua } from './lib/lua.js';
import { generateTestdata, testdataOnDisk } from './lib/testdata.js';
import { verdict } from './lib/verdict.js';

const checks = healthChecks();
const regenerate = 'run `npm run gen:health` and check the health_test.yaml expectations';

it('has a health check for every kind of the operator, and runs them on Lua 5.1', () => {
  const kinds = shippedCrds().map((crd) => `${crd.spec.group}/${crd.spec.names.kind}`);
  expect(checks.map((c) => `${c.group}/${c.kind}`)).toEqual(kinds.sort());
  const version = spawnSync(luaCommand, ['-v'], { encoding: 'utf8' });
  expect(`${version.stdout}${version.stderr}`).toMatch(/^Lua 5\.1\./);
});

describe.each(checks)('$kind', (check: HealthCheck) => {
  const tests = healthTests(check);

  it.each(tests)('$inputPath: $healthStatus.status', (test) => {
    expect(verdict(check, test)).toBeUndefined();
  });

  it('has a case for every testdata object, named by its status', () => {
    expect(tests.map((t) => t.inputPath).sort()).toEqual(testdataOnDisk(check));
    for (const t of tests) {
      expect(scriptStatuses).toContain(t.healthStatus.status);
      expect(t.inputPath.startsWith(`testdata/${t.healthStatus.status.toLowerCase()}_`), t.inputPath).toBe(true);
    }
  });

  it(`testdata is what the reconcilers write now (else ${regenerate})`, async () => {
    const generated = await generateTestdata(check);
    expect(testdataOnDisk(check)).toEqual([...generated.keys()].sort());
    for (const [file, text] of generated) expect(readFileSync(join(check.dir, file), 'utf8'), `${check.kind}/${file} is stale`).toBe(text);
  });
});

describe('the runner', () => {
  const check = checks.find((c) => c.kind === 'ConfigStoreMaintenance')!;
  const test = healthTests(check).find((t) => t.healthStatus.status === 'Healthy')!;

  it('fails a case whose expectation is wrong', () => {
    expect(verdict(check, test)).toBeUndefined();
    const wrong = { ...test, healthStatus: { ...test.healthStatus, message: `${test.healthStatus.message}!` } };
    expect(verdict(check, wrong)).toMatch(/expected Healthy .*!", got Healthy /);
    expect(verdict(check, { ...test, healthStatus: { ...test.healthStatus, status: 'Degraded' } })).toMatch(/expected Degraded .*, got Healthy /);
  });

  it('opens only the libraries Argo CD opens by default: no string or math, no string methods', () => {
    const ok = (expr: string) => runHealthLua(`local hs = {}\nhs.status = "Healthy"\nhs.message = ${expr}\nreturn hs`, { metadata: {} });
    expect(ok('table.concat({"a", "b"}, ",") .. tostring(#"abc")').message).toBe('a,b3');
    expect(() => ok('string.format("%d", 1)')).toThrow(/health.lua:3: attempt to index global 'string'/);
    expect(() => ok('("x"):upper()')).toThrow(/attempt to index a string value/);
    expect(() => ok('tostring(math.floor(1))')).toThrow(/attempt to index global 'math'/);
  });

  it('passes the object as Argo CD does: nested tables, arrays from 1, nulls as nil, strings byte for byte', () => {
    const obj = { metadata: { name: 'x', generation: 2, gone: null }, status: { list: ['a', 'b'], text: 'q"\\\n…' } };
    const got = runHealthLua(
      'local hs = {}\nhs.status = "Healthy"\nhs.message = obj.status.list[1] .. tostring(#obj.status.list) .. tostring(obj.metadata.gone) .. obj.status.text\nreturn hs',
      obj,
    );
    expect(got.message).toBe('a2nilq"\\\n…');
  });
});

it(`${argocdCmFile} is generated from the health.lua files (npm run gen:health)`, () => {
  const onDisk = readFileSync(join(healthRoot, argocdCmFile), 'utf8');
  expect(onDisk).toBe(renderArgocdCm(checks));
  const cm = parse(onDisk) as { kind: string; metadata: { name: string }; data: Record<string, string> };
  expect(cm).toMatchObject({ kind: 'ConfigMap', metadata: { name: 'argocd-cm' } });
  for (const c of checks) expect(cm.data[healthKey(c)]).toBe(c.script);
});
