// The chart's Prometheus objects: `helm template` renders them only when enabled (and needs no
// CRD), and the PrometheusRule's groups pass `promtool check rules` and the rule unit tests in
// rules.test.yaml (promtool built by scripts/install-tools). Needs no server, only the binaries.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binary, ensureTools, repoRoot } from '../../scripts/localenv/tools.js';

const run = promisify(execFile);
const chart = join(repoRoot, 'charts', 'configstore-operator');
const ruleTests = join(import.meta.dirname, 'rules.test.yaml');
const alerts = [
  'ConfigStoreBackupTooOld',
  'ConfigStoreBackupMissedRuns',
  'ConfigStoreOperationFailed',
  'ConfigStoreClusterNotReady',
  'ConfigStoreInstancesNotInRequestedMode',
];

interface Rule {
  alert: string;
  expr: string;
  annotations: Record<string, string>;
}
interface Manifest {
  kind: string;
  metadata: { name: string };
  spec: { groups: Array<{ name: string; rules: Rule[] }> };
}

const home = mkdtempSync(join(tmpdir(), 'alerts-'));
// helm keeps its caches and config out of the real home
const helmEnv = { ...process.env, HOME: home, HELM_CACHE_HOME: join(home, 'c'), HELM_CONFIG_HOME: join(home, 'f'), HELM_DATA_HOME: join(home, 'd') };

async function render(...set: string[]): Promise<Manifest[]> {
  const args = ['template', 'r', chart, ...set.flatMap((s) => ['--set', s])];
  const { stdout } = await run(binary('kubectl', 'helm'), args, { env: helmEnv, maxBuffer: 16 << 20 });
  return parseAllDocuments(stdout)
    .map((d) => d.toJS() as Manifest | null)
    .filter((m): m is Manifest => m !== null);
}

/** The PrometheusRule's groups as a Prometheus rules file in a fresh directory, with rules.test.yaml beside it. */
async function rulesDir(...set: string[]): Promise<{ dir: string; rules: Rule[] }> {
  const rule = (await render('prometheusRule.enabled=true', ...set)).find((m) => m.kind === 'PrometheusRule')!;
  const dir = mkdtempSync(join(home, 'rules-'));
  // the runbook hint is static text: checked below, left out of the promtool expectations
  const groups = rule.spec.groups.map((g) => ({
    ...g,
    rules: g.rules.map((r) => ({ ...r, annotations: Object.fromEntries(Object.entries(r.annotations).filter(([k]) => k !== 'runbook')) })),
  }));
  writeFileSync(join(dir, 'rules.yaml'), stringify({ groups }));
  copyFileSync(ruleTests, join(dir, 'rules.test.yaml'));
  return { dir, rules: rule.spec.groups.flatMap((g) => g.rules) };
}

/** promtool's output, or its failure's. */
const promtool = (args: string[]) =>
  run(binary('promtool'), args).then(
    ({ stdout, stderr }) => ({ ok: true, out: stdout + stderr }),
    (e: { stdout: string; stderr: string }) => ({ ok: false, out: e.stdout + e.stderr }),
  );

beforeAll(() => ensureTools(['kubectl', 'promtool']));
afterAll(() => rmSync(home, { recursive: true, force: true }));

describe('the chart: ServiceMonitors and PrometheusRule', () => {
  it('renders none by default; enabled, without any CRD installed (helm template talks to no cluster)', async () => {
    const kinds = (ms: Manifest[]) => ms.map((m) => `${m.kind}/${m.metadata.name}`);
    const plain = kinds(await render());
    expect(plain.filter((k) => /ServiceMonitor|PrometheusRule|metrics/.test(k))).toEqual([]);
    const all = kinds(await render('serviceMonitor.enabled=true', 'prometheusRule.enabled=true'));
    expect(all.filter((k) => !plain.includes(k)).sort()).toEqual(['PrometheusRule/r', 'Service/r-metrics', 'ServiceMonitor/r', 'ServiceMonitor/r-clusters']);
  });

  it('has each alert, with summary, description and a runbook hint', async () => {
    const { dir, rules } = await rulesDir();
    expect(rules.map((r) => r.alert)).toEqual(alerts);
    for (const r of rules) expect(Object.keys(r.annotations).sort(), r.alert).toEqual(['description', 'runbook', 'summary']);
    rmSync(dir, { recursive: true });
  });
});

describe('promtool (built from github.com/prometheus/prometheus)', () => {
  it('is the pinned version', async () => {
    expect((await promtool(['--version'])).out).toMatch(/promtool, version v0\.316\.0/);
  });

  it('check rules: the rendered groups are valid (default values, and scoped to a watchNamespace)', async () => {
    for (const set of [[], ['watchNamespace=apps', 'prometheusRule.runbookBaseUrl=https://example.com/operator.md', 'prometheusRule.alertLabels.team=db']]) {
      const { dir, rules } = await rulesDir(...set);
      const checked = await promtool(['check', 'rules', join(dir, 'rules.yaml')]);
      expect(checked.out).toContain(`SUCCESS: ${alerts.length} rules found`);
      expect(checked.ok).toBe(true);
      if (set.length > 0) for (const r of rules) expect(r.expr, r.alert).toContain('namespace="apps"');
      rmSync(dir, { recursive: true });
    }
  });

  it('test rules: each alert fires when it should and stays silent when it should not', async () => {
    const { dir } = await rulesDir();
    const tested = await promtool(['test', 'rules', join(dir, 'rules.test.yaml')]);
    expect(tested.out).toContain('SUCCESS');
    expect(tested.ok, tested.out).toBe(true);
    rmSync(dir, { recursive: true });
  });

  it('test rules fails when a threshold moves (the expectations hold the rules to account)', async () => {
    const { dir } = await rulesDir('prometheusRule.backupTooOld.hours=30', 'prometheusRule.clusterNotReady.for=30m');
    const tested = await promtool(['test', 'rules', join(dir, 'rules.test.yaml')]);
    expect(tested.ok).toBe(false);
    expect(tested.out).toContain('alertname: ConfigStoreBackupTooOld');
    expect(tested.out).toContain('alertname: ConfigStoreClusterNotReady');
    rmSync(dir, { recursive: true });
  });
});
