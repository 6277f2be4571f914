// What users copy and install is valid where it lands: examples/*.yaml pass a server-side
// dry-run apply on the real kube-apiserver (with the CRDs installed, so schemas and CEL rules
// judge them), and the Helm chart passes `helm lint` and renders manifests the API server takes.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installCrds } from '../scripts/localenv/crds.js';
import { chartDir, kubeToolsEnv } from '../scripts/localenv/operator.js';
import { isolatedNamespace, localEnv } from '../scripts/localenv/testenv.js';
import { repoRoot } from '../scripts/localenv/tools.js';

const exec = promisify(execFile);
const examples = join(repoRoot, 'examples');
const tool = (cmd: 'kubectl' | 'helm', args: string[]) => exec(cmd, args, { env: kubeToolsEnv(localEnv()), maxBuffer: 16 << 20 });
/** The command's failure (exit code and stderr), or undefined if it succeeded. */
const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: { code?: number; stderr?: string }) => ({ code: e.code, stderr: String(e.stderr) }),
  );

let ns: Awaited<ReturnType<typeof isolatedNamespace>>;
const scratch = mkdtempSync(join(tmpdir(), 'manifests-'));
beforeAll(async () => {
  ns = await isolatedNamespace('manifests');
  await installCrds(localEnv(), ns.kc);
});
afterAll(async () => {
  await ns?.cleanup();
});

describe('examples/', () => {
  it('holds the manifests the README and the demo name', () => {
    expect(
      readdirSync(examples)
        .filter((f) => f.endsWith('.yaml'))
        .sort(),
    ).toEqual(['backuplocation.yaml', 'backupschedule.yaml', 'cluster.yaml', 'export.yaml', 'import.yaml', 'maintenance.yaml', 'secrets.yaml']);
  });

  it('every object passes a server-side dry-run apply (schemas, CEL rules, Secrets)', async () => {
    const { stdout } = await tool('kubectl', ['apply', '--dry-run=server', '-n', ns.namespace, '-f', examples]);
    const applied = stdout.trim().split('\n').sort();
    expect(applied).toEqual(
      [
        'configstorebackuplocation.configstore.io/lost-main created (server dry run)',
        'configstorebackupschedule.configstore.io/nightly created (server dry run)',
        'configstorecluster.configstore.io/main created (server dry run)',
        'configstoremaintenance.configstore.io/export-1 created (server dry run)',
        'configstoremaintenance.configstore.io/import-1 created (server dry run)',
        'configstoremaintenance.configstore.io/maintenance-1 created (server dry run)',
        'secret/configstore-admin created (server dry run)',
        'secret/configstore-s3 created (server dry run)',
      ].sort(),
    );
    // a dry run stores nothing
    const { stdout: left } = await tool('kubectl', ['get', 'csc,csm,csbs,csbl', '-n', ns.namespace, '-o', 'name']);
    expect(left.trim()).toBe('');
  });

  it('the same dry run refuses an example broken the way a user might (the check can fail)', async () => {
    const broken = readFileSync(join(examples, 'export.yaml'), 'utf8').replace('operation: Export', 'operation: Import');
    writeFileSync(join(scratch, 'broken.yaml'), broken);
    const err = await failure(tool('kubectl', ['apply', '--dry-run=server', '-n', ns.namespace, '-f', join(scratch, 'broken.yaml')]));
    expect(err?.code).toBe(1);
    expect(err?.stderr).toContain('spec.export is required for operation Export and not allowed otherwise');
    expect(err?.stderr).toContain('spec.import is required for operation Import and not allowed otherwise');
  });

  it('refuses a bootstrap.restore naming both a source and a backup', async () => {
    const both = readFileSync(join(examples, 'cluster.yaml'), 'utf8').replace(
      '  # bootstrap:\n  #   restore:\n  #     backup: latest\n',
      '  bootstrap:\n    restore:\n      backup: latest\n      source: {s3: {bucket: configstore-backups, key: main/x.ndjson.gz}}\n',
    );
    expect(both).toContain('      backup: latest\n      source:');
    writeFileSync(join(scratch, 'both.yaml'), both);
    const err = await failure(tool('kubectl', ['apply', '--dry-run=server', '-n', ns.namespace, '-f', join(scratch, 'both.yaml')]));
    expect(err?.code).toBe(1);
    expect(err?.stderr).toContain('bootstrap.restore names exactly one of source (an S3 object) and backup (a ConfigStoreBackup name, or latest)');
  });

  it('refuses a destination prefix that is not a folder (it would share a folder, and its owner, with others)', async () => {
    const notFolder = readFileSync(join(examples, 'backupschedule.yaml'), 'utf8').replace('prefix: main/nightly/', 'prefix: main/nightly-');
    expect(notFolder).toContain('prefix: main/nightly-');
    writeFileSync(join(scratch, 'prefix.yaml'), notFolder);
    const err = await failure(tool('kubectl', ['apply', '--dry-run=server', '-n', ns.namespace, '-f', join(scratch, 'prefix.yaml')]));
    expect(err?.code).toBe(1);
    expect(err?.stderr).toContain('prefix must be a folder ending in "/" (e.g. backups/main/): the folder is what one cluster owns and an inventory lists');
  });

  it('refuses a 6-field cron schedule (seconds read as minutes) with a message saying what to write', async () => {
    const sixFields = readFileSync(join(examples, 'backupschedule.yaml'), 'utf8').replace('schedule: "30 2 * * *"', 'schedule: "0 30 2 * * *"');
    writeFileSync(join(scratch, 'six.yaml'), sixFields);
    const err = await failure(tool('kubectl', ['apply', '--dry-run=server', '-n', ns.namespace, '-f', join(scratch, 'six.yaml')]));
    expect(err?.code).toBe(1);
    expect(err?.stderr).toContain('schedule must be the standard 5 cron fields (minute hour day-of-month month day-of-week)');
    expect(err?.stderr).toContain('a 6th field would be read as seconds and is not supported');
    const macro = sixFields.replace('schedule: "0 30 2 * * *"', 'schedule: "@daily"');
    writeFileSync(join(scratch, 'macro.yaml'), macro);
    const { stdout } = await tool('kubectl', ['apply', '--dry-run=server', '-n', ns.namespace, '-f', join(scratch, 'macro.yaml')]);
    expect(stdout).toContain('configstorebackupschedule.configstore.io/nightly created (server dry run)');
  });
});

describe('charts/configstore-operator', () => {
  it('passes helm lint --strict (cluster-wide and one-namespace values; scripts/chart/ checks the rest)', async () => {
    for (const set of [[], ['--set', 'watchNamespace=demo']]) {
      const { stdout } = await tool('helm', ['lint', '--strict', chartDir, ...set]);
      expect(stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
    }
  });

  it.each([
    ['every namespace', [], ['ClusterRole', 'ClusterRoleBinding']],
    ['one namespace', ['--set', 'watchNamespace=NS'], ['Role', 'RoleBinding']],
  ])('renders manifests the API server takes (%s)', async (_what, set, roleKinds) => {
    const args = set.map((a) => a.replace('NS', ns.namespace));
    const { stdout: rendered } = await tool('helm', ['template', 'op', chartDir, '-n', ns.namespace, ...args]);
    const kinds = [...rendered.matchAll(/^kind: (\w+)$/gm)].map((m) => m[1]).sort();
    expect(kinds).toEqual(['Deployment', 'NetworkPolicy', 'Role', 'RoleBinding', 'ServiceAccount', ...roleKinds].sort()); // + the leader-election Role
    writeFileSync(join(scratch, 'chart.yaml'), rendered);
    const { stdout } = await tool('kubectl', ['apply', '--dry-run=server', '-n', ns.namespace, '-f', join(scratch, 'chart.yaml')]);
    expect(stdout.trim().split('\n')).toHaveLength(kinds.length);
    expect(stdout).toContain('deployment.apps/op created (server dry run)');
  });

  it('helm template refuses values the chart schema refuses', async () => {
    const err = await failure(tool('helm', ['template', 'op', chartDir, '--set', 'replicas=abc']));
    expect(err?.code).toBe(1);
    expect(err?.stderr).toContain("at '/replicas': got string, want integer");
  });
});
