// Restore at creation on a fake API server: once ready, an Import with requireEmpty, the
// outcome recorded once and never run again; data present, a missing source, a failed restore.
import { describe, expect, it } from 'vitest';
import { FakeBackupObjects, fakeWorld } from '../../../testsupport/fakeoperator.js';
import type { ConfigStoreCluster, ConfigStoreClusterStatus, ConfigStoreMaintenance } from '../../api/index.js';
import { dataPresentMessage } from '../maintenance/fence.js';
import { bootstrapName, bootstrapStep, type BootstrapDeps } from './bootstrap.js';

const source = { s3: { bucket: 'backups', key: 'main/nightly-202606020200.ndjson.gz', endpoint: 'http://minio:9000' } };

function setup(opts: { empty?: boolean; exists?: boolean; onMissing?: 'Fail' | 'StartEmpty' } = {}) {
  const w = fakeWorld();
  const cluster = w.cluster('restored', 2);
  const stored = w.api.get<ConfigStoreCluster>('ConfigStoreCluster', 'ns', 'restored')!;
  stored.spec.bootstrap = { restore: { source, sha256: 'c'.repeat(64), ...(opts.onMissing ? { onMissing: opts.onMissing } : {}) } };
  const deps: BootstrapDeps = {
    custom: w.deps.custom,
    objects: Object.assign(new FakeBackupObjects(), { exists: async () => opts.exists ?? true }),
    isEmpty: async () => opts.empty ?? true,
    log: w.deps.log,
    now: w.clock.now,
  };
  const status: ConfigStoreClusterStatus = {};
  const step = (ready = true) => bootstrapStep(deps, { ...stored, metadata: { ...stored.metadata, uid: cluster.metadata.uid } }, status, ready);
  const run = () => w.api.get<ConfigStoreMaintenance>('ConfigStoreMaintenance', 'ns', bootstrapName('restored'));
  const finish = (phase: 'Succeeded' | 'Failed', message = '') => {
    const r = run()!;
    const result = { location: 's3://backups/x', objects: 7, bytes: 100, sha256: 'c'.repeat(64), revision: '42' };
    w.api.replace('ConfigStoreMaintenance', { ...r, status: { phase, message, ...(phase === 'Succeeded' ? { result } : {}) } } as never, 'status');
  };
  return { w, status, step, run, finish };
}

/** A ConfigStoreBackup record of cluster `sourceUid` under main/ (its sha256: the name's last character, 64 times). */
function putBackup(w: ReturnType<typeof fakeWorld>, name: string, createdAt: string, available: boolean, sourceUid: string) {
  w.api.put('ConfigStoreBackup', {
    metadata: { name, namespace: 'ns' },
    spec: {
      location: { bucket: 'backups', key: `main/${name}.ndjson.gz`, credentialsSecretRef: { name: 's3' } },
      manifest: { sha256: name.slice(-1).repeat(64), createdAt, source: { uid: sourceUid } },
    },
    status: { conditions: [{ type: 'Available', status: available ? 'True' : 'False' }] },
  });
}

describe('bootstrap.restore', () => {
  it('waits for ready instances, then imports with requireEmpty, records the source once and never runs again', async () => {
    const { w, status, step, run, finish } = setup();
    expect(await step(false)).toMatchObject({ status: 'False', reason: 'WaitingForInstances' });
    expect(run()).toBeUndefined();
    expect(await step()).toMatchObject({ status: 'False', reason: 'Restoring' });
    const created = run()!;
    expect(created.spec).toEqual({ clusterRef: { name: 'restored' }, operation: 'Import', import: { source, requireEmpty: true, sha256: 'c'.repeat(64) } });
    expect(created.metadata.ownerReferences).toMatchObject([{ kind: 'ConfigStoreCluster', name: 'restored' }]);
    finish('Succeeded');
    expect(await step()).toMatchObject({ status: 'True', reason: 'Restored' });
    expect(status.bootstrap).toMatchObject({
      result: 'Restored',
      source: 's3://backups/main/nightly-202606020200.ndjson.gz',
      sha256: 'c'.repeat(64),
      revision: '42',
      objects: 7,
      maintenance: 'restored-bootstrap',
    });
    // the Import deleted (TTL, a person): bootstrap does not run again
    w.api.delete('ConfigStoreMaintenance', 'ns', bootstrapName('restored'));
    expect(await step()).toMatchObject({ status: 'True', reason: 'Restored' });
    expect(run()).toBeUndefined();
  });

  it('the run of an earlier object of the same name is not taken for this one’s', async () => {
    const first = setup();
    await first.step();
    first.finish('Succeeded');
    // the same name, a new object (new uid), before garbage collection took the old run
    const w = first.w;
    const fresh = w.api.get<ConfigStoreCluster>('ConfigStoreCluster', 'ns', 'restored')!;
    fresh.spec.bootstrap = { restore: { source } };
    const status: ConfigStoreClusterStatus = {};
    const deps: BootstrapDeps = {
      custom: w.deps.custom,
      objects: new FakeBackupObjects(),
      isEmpty: async () => false,
      log: w.deps.log,
      now: w.clock.now,
    };
    const recreated = { ...fresh, metadata: { ...fresh.metadata, uid: 'another-uid' } };
    expect(await bootstrapStep(deps, recreated, status, true)).toMatchObject({ status: 'False', reason: 'WaitingForOldRun' });
    w.api.delete('ConfigStoreMaintenance', 'ns', bootstrapName('restored'));
    expect(await bootstrapStep(deps, recreated, status, true)).toMatchObject({ status: 'True', reason: 'DataPresent' });
  });

  it('a cluster that already holds data (a re-created object) restores nothing over it', async () => {
    const { status, step, run } = setup({ empty: false });
    expect(await step()).toMatchObject({ status: 'True', reason: 'DataPresent' });
    expect(status.bootstrap!.result).toBe('DataPresent');
    expect(run()).toBeUndefined();
  });

  it('data found once fenced (written between the check and the fence) is DataPresent too', async () => {
    const { status, step, finish } = setup();
    await step();
    finish('Failed', dataPresentMessage);
    expect(await step()).toMatchObject({ status: 'True', reason: 'DataPresent' });
    expect(status.bootstrap).toMatchObject({ result: 'DataPresent', maintenance: 'restored-bootstrap' });
  });

  it('a missing source: Fail keeps looking (Bootstrapped False), StartEmpty starts empty', async () => {
    const failing = setup({ exists: false });
    expect(await failing.step()).toMatchObject({
      status: 'False',
      reason: 'SourceMissing',
      message: expect.stringContaining('does not exist (onMissing: Fail)'),
    });
    expect(failing.status.bootstrap).toBeUndefined();
    const empty = setup({ exists: false, onMissing: 'StartEmpty' });
    expect(await empty.step()).toMatchObject({ status: 'True', reason: 'StartedEmpty' });
    expect(empty.run()).toBeUndefined();
  });

  it('a failed restore says so and how to try again; nothing is recorded', async () => {
    const { status, step, finish } = setup();
    await step();
    finish('Failed', 'Job restored-bootstrap-x failed: sha256 differs');
    expect(await step()).toMatchObject({
      status: 'False',
      reason: 'RestoreFailed',
      message:
        'the restore restored-bootstrap failed: Job restored-bootstrap-x failed: sha256 differs; delete ConfigStoreMaintenance restored-bootstrap to try again',
    });
    expect(status.bootstrap).toBeUndefined();
  });

  it('backup: latest restores the newest Available ConfigStoreBackup, with its sha256, and records which', async () => {
    const w = fakeWorld();
    w.cluster('restored', 2);
    const stored = w.api.get<ConfigStoreCluster>('ConfigStoreCluster', 'ns', 'restored')!;
    stored.spec.bootstrap = { restore: { backup: 'latest' } };
    const record = (name: string, createdAt: string, available: boolean) => putBackup(w, name, createdAt, available, `uid-of-${name}`);
    record('nightly-1', '2026-06-01T02:00:00Z', true);
    record('nightly-2', '2026-06-02T02:00:00Z', true);
    record('nightly-3', '2026-06-03T02:00:00Z', false); // its manifest left the bucket
    const objects = new FakeBackupObjects();
    objects.putExport('backups', 'main/nightly-2.ndjson.gz');
    const status: ConfigStoreClusterStatus = {};
    const deps: BootstrapDeps = { custom: w.deps.custom, objects, isEmpty: async () => true, log: w.deps.log, now: w.clock.now };
    expect(await bootstrapStep(deps, stored, status, true)).toMatchObject({
      reason: 'Restoring',
      message: expect.stringContaining('s3://backups/main/nightly-2.ndjson.gz'),
    });
    const run = w.api.get<ConfigStoreMaintenance>('ConfigStoreMaintenance', 'ns', 'restored-bootstrap')!;
    expect(run.spec.import).toEqual({
      source: { s3: { bucket: 'backups', key: 'main/nightly-2.ndjson.gz', credentialsSecretRef: { name: 's3' } } },
      requireEmpty: true,
      sha256: '2'.repeat(64),
    });
    w.api.replace(
      'ConfigStoreMaintenance',
      { ...run, status: { phase: 'Succeeded', result: { location: 'x', objects: 1, bytes: 1, sha256: '2'.repeat(64), revision: '9' } } } as never,
      'status',
    );
    await bootstrapStep(deps, stored, status, true);
    expect(status.bootstrap).toMatchObject({
      result: 'Restored',
      backup: 'nightly-2',
      sourceClusterUid: 'uid-of-nightly-2',
      source: 's3://backups/main/nightly-2.ndjson.gz',
    });
  });

  it('backup: <name> restores that record, not the newest; a named record that is not Available is missing', async () => {
    const w = fakeWorld();
    w.cluster('restored', 2);
    const stored = w.api.get<ConfigStoreCluster>('ConfigStoreCluster', 'ns', 'restored')!;
    const record = (name: string, createdAt: string, available: boolean) => putBackup(w, name, createdAt, available, 'uid-of-main');
    record('nightly-1', '2026-06-01T02:00:00Z', true);
    record('nightly-2', '2026-06-02T02:00:00Z', true);
    record('nightly-3', '2026-06-03T02:00:00Z', false);
    const objects = new FakeBackupObjects();
    objects.putExport('backups', 'main/nightly-1.ndjson.gz');
    const deps: BootstrapDeps = { custom: w.deps.custom, objects, isEmpty: async () => true, log: w.deps.log, now: w.clock.now };

    stored.spec.bootstrap = { restore: { backup: 'nightly-3' } };
    expect(await bootstrapStep(deps, stored, {}, true)).toMatchObject({
      status: 'False',
      reason: 'SourceMissing',
      message: expect.stringContaining('no Available ConfigStoreBackup nightly-3 in namespace ns'),
    });
    expect(w.api.get('ConfigStoreMaintenance', 'ns', 'restored-bootstrap')).toBeUndefined();

    stored.spec.bootstrap = { restore: { backup: 'nightly-1' } };
    const status: ConfigStoreClusterStatus = {};
    expect(await bootstrapStep(deps, stored, status, true)).toMatchObject({
      reason: 'Restoring',
      message: expect.stringContaining('main/nightly-1.ndjson.gz'),
    });
    const run = w.api.get<ConfigStoreMaintenance>('ConfigStoreMaintenance', 'ns', 'restored-bootstrap')!;
    expect(run.spec.import).toEqual({
      source: { s3: { bucket: 'backups', key: 'main/nightly-1.ndjson.gz', credentialsSecretRef: { name: 's3' } } },
      requireEmpty: true,
      sha256: '1'.repeat(64),
    });
    w.api.replace(
      'ConfigStoreMaintenance',
      { ...run, status: { phase: 'Succeeded', result: { location: 'x', objects: 1, bytes: 1, sha256: '1'.repeat(64), revision: '5' } } } as never,
      'status',
    );
    await bootstrapStep(deps, stored, status, true);
    expect(status.bootstrap).toMatchObject({ result: 'Restored', backup: 'nightly-1', sourceClusterUid: 'uid-of-main' });
  });

  it('backup: latest with none listed yet waits (Fail) or starts empty (StartEmpty)', async () => {
    const w = fakeWorld();
    w.cluster('restored', 2);
    const stored = w.api.get<ConfigStoreCluster>('ConfigStoreCluster', 'ns', 'restored')!;
    const deps: BootstrapDeps = { custom: w.deps.custom, objects: new FakeBackupObjects(), isEmpty: async () => true, log: w.deps.log, now: w.clock.now };
    stored.spec.bootstrap = { restore: { backup: 'latest' } };
    expect(await bootstrapStep(deps, stored, {}, true)).toMatchObject({
      status: 'False',
      reason: 'SourceMissing',
      message: expect.stringMatching(/^no Available ConfigStoreBackup in namespace ns yet .* \(onMissing: Fail\); looked at again every round$/),
    });
    stored.spec.bootstrap = { restore: { backup: 'latest', onMissing: 'StartEmpty' } };
    const status: ConfigStoreClusterStatus = {};
    expect(await bootstrapStep(deps, stored, status, true)).toMatchObject({ status: 'True', reason: 'StartedEmpty' });
    expect(status.bootstrap!.source).toBeUndefined();
  });

  it("backup: latest over two clusters' backups is refused, whatever onMissing says; backupLocation narrows it to one location's records", async () => {
    const w = fakeWorld();
    w.cluster('restored', 2);
    const stored = w.api.get<ConfigStoreCluster>('ConfigStoreCluster', 'ns', 'restored')!;
    const record = (name: string, source: string, createdAt: string, location?: string) =>
      w.api.put('ConfigStoreBackup', {
        metadata: { name, namespace: 'ns', labels: location ? { 'configstore.io/backup-location': location } : {} },
        spec: {
          location: { bucket: 'backups', key: `${source}/${name}.ndjson.gz` },
          manifest: { sha256: 'c'.repeat(64), createdAt, source: { namespace: 'old', name: source, uid: `uid-${source}` } },
        },
        status: { conditions: [{ type: 'Available', status: 'True' }] },
      });
    record('main-1', 'main', '2026-06-01T02:00:00Z', 'lost-main');
    record('main-2', 'main', '2026-06-02T02:00:00Z', 'lost-main');
    record('other-1', 'other', '2026-06-03T02:00:00Z'); // newer, but another cluster's
    const objects = new FakeBackupObjects();
    objects.putExport('backups', 'main/main-2.ndjson.gz');
    const deps: BootstrapDeps = { custom: w.deps.custom, objects, isEmpty: async () => true, log: w.deps.log, now: w.clock.now };
    const status: ConfigStoreClusterStatus = {};
    stored.spec.bootstrap = { restore: { backup: 'latest', onMissing: 'StartEmpty' } };
    expect(await bootstrapStep(deps, stored, status, true)).toEqual({
      type: 'Bootstrapped',
      status: 'False',
      reason: 'SourceAmbiguous',
      message:
        "backup: latest is ambiguous: the Available ConfigStoreBackups in namespace ns come from 2 clusters (old/main, old/other); name the backup, or set backupLocation to a ConfigStoreBackupLocation on one cluster's folder; looked at again every round",
    });
    expect(status.bootstrap).toBeUndefined();
    expect(w.api.get('ConfigStoreMaintenance', 'ns', 'restored-bootstrap')).toBeUndefined();

    stored.spec.bootstrap = { restore: { backup: 'latest', backupLocation: 'lost-main' } };
    expect(await bootstrapStep(deps, stored, status, true)).toMatchObject({
      reason: 'Restoring',
      message: expect.stringContaining('s3://backups/main/main-2.ndjson.gz'),
    });
  });
});
