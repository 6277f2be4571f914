// The subcommands that create or delete (backup, restore, maintenance) against the real
// kube-apiserver with the CRDs installed. No operator runs: the test moves the objects'
// status through the status subresource as the operator would, while --wait follows them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { installCrds } from '../scripts/localenv/crds.js';
import { isolatedNamespace, localEnv } from '../scripts/localenv/testenv.js';
import { eventually } from '../testsupport/eventually.js';
import { runPlugin, seedWorld, startPlugin, type RunOptions } from '../testsupport/plugin.js';

let ns: Awaited<ReturnType<typeof isolatedNamespace>>;
let world: Awaited<ReturnType<typeof seedWorld>>;
const now = new Date('2026-06-01T02:03:04Z');
const options = (o: RunOptions) => ({ env: { KUBECONFIG: localEnv().kube!.kubeconfig }, now, ...o });
const plugin = (args: string[], o: RunOptions = {}) => runPlugin(['-n', ns.namespace, ...args], options(o));
const start = (args: string[], o: RunOptions = {}) => startPlugin(['-n', ns.namespace, ...args], options(o));
const spec = async (name: string) => (await world.get('maintenance', name)).spec;
const exists = (name: string) =>
  world.get('maintenance', name).then(
    () => true,
    () => false,
  );

beforeAll(async () => {
  ns = await isolatedNamespace('plugin-write');
  await installCrds(localEnv(), ns.kc);
  world = await seedWorld(ns.kc, ns.namespace);
});
afterAll(async () => ns?.cleanup());

describe('backup', () => {
  it("creates an Export to the schedule's folder, with its credentials", async () => {
    const r = await plugin(['backup', 'main']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      'configstoremaintenance/main-backup-20260601020304 created: Export of cluster main to s3://backups/main/main-backup-20260601020304.ndjson.gz (from schedule nightly)\n',
    );
    expect(await spec('main-backup-20260601020304')).toMatchObject({
      clusterRef: { name: 'main' },
      operation: 'Export',
      export: { destination: { s3: { bucket: 'backups', key: 'main/main-backup-20260601020304.ndjson.gz', credentialsSecretRef: { name: 's3-backups' } } } },
    });
  });

  it('--to, -o json; --dry-run prints without creating', async () => {
    const r = await plugin(['backup', 'main', '--to', 's3://dr-bucket/main/?endpoint=http://dr.example:9000', '--name', 'to-dr', '-o', 'json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ name: 'to-dr', namespace: ns.namespace, cluster: 'main', operation: 'Export', phase: 'Pending' });
    expect(await spec('to-dr')).toMatchObject({
      export: { destination: { s3: { bucket: 'dr-bucket', key: 'main/to-dr.ndjson.gz', endpoint: 'http://dr.example:9000' } } },
    });
    const dry = await plugin(['backup', 'main', '--name', 'not-made', '--dry-run']);
    expect(parse(dry.stdout)).toMatchObject({ kind: 'ConfigStoreMaintenance', metadata: { name: 'not-made' }, spec: { operation: 'Export' } });
    expect(await exists('not-made')).toBe(false);
  });

  it('--wait follows it to Succeeded and prints the result', async () => {
    const running = start(['backup', 'main', '--name', 'waited', '--wait', '-o', 'json']);
    await eventually(() => running.io.stderr().includes('Export waited: Pending'), { what: 'the Export followed' });
    await world.setStatus('maintenance', 'waited', { observedGeneration: 1, phase: 'Running', step: 'RunJob', message: 'running Job waited-1' });
    await eventually(() => running.io.stderr().includes('RunJob'), { what: 'the step shown' });
    const result = { location: 's3://backups/main/waited.ndjson.gz', objects: 42, bytes: 4096, sha256: 'd'.repeat(64), revision: '9' };
    await world.setStatus('maintenance', 'waited', { phase: 'Succeeded', step: 'Done', message: 'exported', result });
    const r = await running.done;
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ name: 'waited', phase: 'Succeeded', result });
    expect(r.stderr).toBe('Export waited: Pending\nExport waited: Running, RunJob: running Job waited-1\nExport waited: Succeeded, Done: exported\n');
  });

  it('--wait exits 1 with the reason when it fails', async () => {
    const running = plugin(['backup', 'main', '--name', 'fails', '--wait']);
    await eventually(() => exists('fails'), { what: 'the Export created' });
    await world.setStatus('maintenance', 'fails', {
      observedGeneration: 1,
      phase: 'Failed',
      step: 'Done',
      message: 'the export Job failed',
      lastErrors: [{ step: 'RunJob', message: 'folder main/ is owned by another cluster', observedAt: '2026-06-01T02:04:00Z' }],
    });
    const r = await running;
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'kubectl configstore: Export fails: Failed: the export Job failed; last error in RunJob: folder main/ is owned by another cluster\n',
    );
  });

  it('refuses a destination it cannot decide, and a bad --timeout, before creating anything', async () => {
    expect(await plugin(['backup', 'other'])).toMatchObject({ code: 2, stderr: expect.stringContaining('no destination: pass --to s3://bucket/folder/') });
    expect(await plugin(['backup', 'main', '--wait', '--timeout', 'soon'])).toMatchObject({ code: 2, stderr: expect.stringContaining('--timeout soon') });
  });
});

describe('restore', () => {
  it('--dry-run -o yaml prints the Import of a backup, pinned by its sha256, for a GitOps repository', async () => {
    const r = await plugin(['restore', 'nightly-good', '--to', 'main', '--dry-run', '-o', 'yaml', '--name', 'restore-1']);
    expect(r.code).toBe(0);
    expect(parse(r.stdout)).toEqual({
      apiVersion: 'configstore.io/v1alpha1',
      kind: 'ConfigStoreMaintenance',
      metadata: {
        name: 'restore-1',
        namespace: ns.namespace,
        labels: { 'app.kubernetes.io/created-by': 'kubectl-configstore' },
        annotations: { 'configstore.io/restored-backup': 'nightly-good' },
      },
      spec: {
        clusterRef: { name: 'main' },
        operation: 'Import',
        import: { source: { s3: expect.objectContaining({ bucket: 'backups', key: 'main/nightly-good.ndjson.gz' }) }, sha256: 'c'.repeat(64) },
      },
    });
    expect(await exists('restore-1')).toBe(false);
    expect(JSON.parse((await plugin(['restore', 'latest', '--to', 'main', '--dry-run', '-o', 'json'])).stdout).metadata.annotations).toEqual({
      'configstore.io/restored-backup': 'nightly-good', // the newest Available: nightly-missing is newer but gone
    });
  });

  it('applies only once confirmed: no terminal is exit 2, a "no" changes nothing, --yes and a "y" create it', async () => {
    const noTty = await plugin(['restore', 'nightly-good', '--to', 'main', '--name', 'r-none']);
    expect(noTty).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('restoring into cluster main needs confirmation and stdin is not a terminal: pass --yes'),
    });
    const no = await plugin(['restore', 'nightly-good', '--to', 'main', '--name', 'r-no'], { answer: 'n' });
    expect(no).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(
        /^Restore backup nightly-good \(created .*, 41 objects, 4.0 KiB\) into cluster main .* \[y\/N\] kubectl configstore: not confirmed/,
      ),
    });
    expect(await exists('r-no')).toBe(false);
    expect((await plugin(['restore', 'nightly-good', '--to', 'main', '--name', 'r-yes', '--yes'])).code).toBe(0);
    expect((await plugin(['restore', 'nightly-old', '--to', 'main', '--name', 'r-y'], { answer: 'y' })).code).toBe(0);
    expect(await spec('r-y')).toMatchObject({ operation: 'Import', import: { source: { s3: { key: 'main/nightly-old.ndjson.gz' } } } });
  });

  it('refuses a backup that is not Available or does not exist (exit 2)', async () => {
    expect(await plugin(['restore', 'nightly-missing', '--to', 'main', '--yes'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('backup nightly-missing is not Available'),
    });
    expect(await plugin(['restore', 'nope', '--to', 'main', '--yes'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('no ConfigStoreBackup "nope"'),
    });
    expect(await plugin(['restore', 'nightly-good'])).toMatchObject({ code: 2, stderr: expect.stringContaining('--to <cluster> is required') });
  });

  it("--bootstrap prints a new cluster's spec.bootstrap.restore", async () => {
    const r = await plugin(['restore', 'nightly-good', '--bootstrap', '--to', 'main-restored']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^# Merge into the ConfigStoreCluster's manifest/);
    expect(parse(r.stdout)).toEqual({
      apiVersion: 'configstore.io/v1alpha1',
      kind: 'ConfigStoreCluster',
      metadata: { name: 'main-restored' },
      spec: { bootstrap: { restore: { backup: 'nightly-good', sha256: 'c'.repeat(64) } } },
    });
    const latest = JSON.parse((await plugin(['restore', 'latest', '--bootstrap', '--backup-location', 'lost', '-o', 'json'])).stdout);
    expect(latest.spec).toEqual({ bootstrap: { restore: { backup: 'latest', backupLocation: 'lost' } } });
  });
});

describe('maintenance', () => {
  it('on: asks first (no terminal: exit 2), --yes creates <cluster>-maintenance, --wait until every instance is held', async () => {
    expect(await plugin(['maintenance', 'on', 'other'])).toMatchObject({
      code: 2,
      stderr: 'kubectl configstore: maintenance on for cluster other needs confirmation and stdin is not a terminal: pass --yes to go ahead without asking\n',
    });
    expect(await exists('other-maintenance')).toBe(false);
    const running = plugin(['maintenance', 'on', 'other', '--yes', '--wait', '-o', 'json']);
    await eventually(() => exists('other-maintenance'), { what: 'the Maintenance created' });
    expect(await spec('other-maintenance')).toEqual({ clusterRef: { name: 'other' }, operation: 'Maintenance' });
    await world.setStatus('maintenance', 'other-maintenance', { observedGeneration: 1, phase: 'Running', step: 'Hold', message: 'holding maintenance' });
    const r = await running;
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ name: 'other-maintenance', phase: 'Running', step: 'Hold' });
    const again = await plugin(['maintenance', 'on', 'other', '--yes']);
    expect(again).toMatchObject({ code: 0, stdout: 'cluster other is already in maintenance (configstoremaintenance/other-maintenance, Running)\n' });
  });

  it('off: deletes it (asked on a terminal); nothing to delete is fine', async () => {
    const no = await plugin(['maintenance', 'off', 'other'], { answer: 'no' });
    expect(no.code).toBe(1);
    expect(await exists('other-maintenance')).toBe(true);
    const off = await plugin(['maintenance', 'off', 'other', '--wait'], { answer: 'yes' });
    expect(off).toMatchObject({ code: 0, stdout: 'cluster other: maintenance ended\n' });
    expect(await exists('other-maintenance')).toBe(false);
    expect(await plugin(['maintenance', 'off', 'other', '--yes', '-o', 'json'])).toMatchObject({
      code: 0,
      stdout: expect.stringContaining('"state": "not in maintenance (nothing to delete)"'),
    });
  });
});
