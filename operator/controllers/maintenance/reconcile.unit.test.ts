// The maintenance reconciler's steps on fake dependencies (an in-memory API server and cluster
// etcd, a clock the test moves): each operation's path through the steps, the deadlines, the
// abort, the hold, TTL and re-created CRs. The same paths run on a real node in e2e/operator.
import { describe, expect, it } from 'vitest';
import { exportResultLine, fakeWorld, importResultLine } from '../../../testsupport/fakeoperator.js';
import type { ConfigStoreCluster, ConfigStoreMaintenance } from '../../api/index.js';
import { finalizer } from '../naming.js';
import { MaintenanceReconciler } from './reconcile.js';

const s3 = { bucket: 'backups', key: 'main/x.ndjson', endpoint: 'http://minio:9000' };

function setup() {
  const w = fakeWorld();
  w.cluster('main', 2);
  const reconciler = new MaintenanceReconciler(w.deps);
  const phases = (name: string) => {
    const cr = w.read(name);
    return `${cr?.status?.phase ?? '-'}/${cr?.status?.step ?? '-'}`;
  };
  return { w, reconcile: (name: string) => reconciler.reconcile(w.namespace, name), phases };
}

describe('maintenance reconciler (fake API and etcd)', () => {
  it('exports without fencing: Job with the CLI arguments, result recorded on the CR and the cluster', async () => {
    const { w, reconcile, phases } = setup();
    w.maintenance('backup', { operation: 'Export', export: { destination: { s3 } } });
    expect(await reconcile('backup')).toBe(300); // Job running: its pods are polled
    expect(phases('backup')).toBe('Running/RunJob');
    expect(w.fence.calls).toEqual([]); // an export is consistent without maintenance: etcd untouched
    const cr = w.read('backup')!;
    expect(cr.metadata.finalizers).toEqual([finalizer]);
    const job = w.job(cr)!;
    expect(job.spec!.template.spec!.containers[0]!.args).toEqual([
      'export',
      '--to',
      's3://backups/main/x.ndjson?endpoint=http%3A%2F%2Fminio%3A9000&region=us-east-1',
    ]);
    expect(job.spec!.activeDeadlineSeconds).toBe(3600);

    w.finishJob(cr, { code: 0, message: `progress…\n${exportResultLine()}` });
    expect(await reconcile('backup')).toBeUndefined();
    const done = w.read('backup')!;
    expect(phases('backup')).toBe('Succeeded/Done');
    expect(done.status!.result).toMatchObject({ objects: 3, bytes: 120, sha256: 'a'.repeat(64), revision: '77' });
    expect(done.status!.conditions!.map((c) => `${c.type}=${c.status}`)).toEqual(['Ready=True', 'Reconciling=False', 'Stalled=False']);
    const cluster = w.api.get<ConfigStoreCluster>('ConfigStoreCluster', 'ns', 'main')!;
    expect(cluster.status!.lastExport).toMatchObject({ maintenance: 'backup', sha256: 'a'.repeat(64), revision: '77' });
    expect(cluster.status!.succeededOperations!.map((o) => o.name)).toEqual(['backup']);
    expect(w.events.filter((e) => e.object === 'backup').map((e) => e.reason)).toEqual(['Admitted', 'Started', 'JobCreated', 'JobSucceeded', 'Succeeded']);
  });

  it('imports inside maintenance: fence, wait for every instance, Job, wait until they serve the revision, release', async () => {
    const { w, reconcile, phases } = setup();
    w.maintenance('restore', { operation: 'Import', import: { source: { s3 } } });
    expect(await reconcile('restore')).toBe(1000); // instances not fenced yet
    expect(phases('restore')).toBe('Running/WaitForInstances');
    expect(w.read('restore')!.status!.message).toBe('waiting for main-configstore-0, main-configstore-1 to enter maintenance');
    expect(w.fence.key?.owner).toBe(w.read('restore')!.metadata.uid);

    w.fence.instancesFollow();
    expect(await reconcile('restore')).toBe(300);
    expect(phases('restore')).toBe('Running/RunJob');
    const cr = w.read('restore')!;
    expect(w.job(cr)!.spec!.template.spec!.containers[0]!.args).toEqual([
      'import',
      '--from',
      's3://backups/main/x.ndjson?endpoint=http%3A%2F%2Fminio%3A9000&region=us-east-1',
    ]);

    w.finishJob(cr, { code: 0, message: importResultLine() });
    expect(await reconcile('restore')).toBe(1000); // instances still at revision 50 < 90
    expect(phases('restore')).toBe('Running/Verify');

    w.fence.instancesFollow('90');
    expect(await reconcile('restore')).toBe(1000); // key released; instances still report maintenance
    expect(w.fence.key).toBeUndefined();
    expect(phases('restore')).toBe('Running/ExitMaintenance');

    w.fence.instancesFollow();
    expect(await reconcile('restore')).toBeUndefined();
    expect(phases('restore')).toBe('Succeeded/Done');
    expect(w.read('restore')!.status!.message).toBe('Import succeeded');
  });

  it('requireEmpty: an import into a cluster that holds data fails once fenced, changes nothing, releases the key', async () => {
    const { w, reconcile, phases } = setup();
    w.fence.empty = false;
    w.maintenance('restore', { operation: 'Import', import: { source: { s3 }, requireEmpty: true } });
    await reconcile('restore');
    w.fence.instancesFollow();
    await reconcile('restore');
    expect(phases('restore')).toBe('Failed/Done');
    expect(w.read('restore')!.status!.message).toMatch(
      /^the cluster already holds data .*: spec.import.requireEmpty refuses to import over it; nothing was changed$/,
    );
    expect(w.fence.calls).toContain('isEmpty');
    expect(w.job(w.read('restore')!)).toBeUndefined();
    expect(w.fence.key).toBeUndefined();
  });

  it('a dry-run import changes nothing: no fence, and a Job result that is not a dry run fails it', async () => {
    const { w, reconcile, phases } = setup();
    w.maintenance('check', { operation: 'Import', import: { source: { s3 }, dryRun: true } });
    await reconcile('check');
    expect(w.read('check')!.status!.message).toBe('running Job ' + w.job(w.read('check')!)!.metadata!.name);
    expect(w.fence.calls).toEqual([]);
    w.finishJob(w.read('check')!, { code: 0, message: importResultLine() }); // dryRun missing from the result
    await reconcile('check');
    expect(phases('check')).toBe('Failed/Done');
    expect(w.read('check')!.status!.message).toBe('the Job ran with dryRun=false, the spec asked for true');
  });

  it('fails when instances do not enter maintenance within enterSeconds, and releases the key', async () => {
    const { w, reconcile, phases } = setup();
    w.maintenance('slow', { operation: 'Import', import: { source: { s3 } }, timeouts: { enterSeconds: 30 } });
    await reconcile('slow');
    w.clock.advance(20);
    expect(await reconcile('slow')).toBe(1000);
    w.clock.advance(11);
    expect(await reconcile('slow')).toBeUndefined();
    expect(phases('slow')).toBe('Failed/Done');
    const cr = w.read('slow')!;
    expect(cr.status!.message).toBe('instances did not enter maintenance within 30s: main-configstore-0, main-configstore-1');
    expect(cr.status!.lastErrors!.map((e) => e.step)).toEqual(['WaitForInstances']);
    expect(cr.status!.conditions!.find((c) => c.type === 'Stalled')!.status).toBe('True');
    expect(w.fence.key).toBeUndefined();
    expect(w.job(cr)).toBeUndefined();
  });

  it('an etcd that keeps failing is retried with the error counted in the status, then fails the step at its deadline', async () => {
    const { w, reconcile, phases } = setup();
    w.maintenance('m', { operation: 'Maintenance', timeouts: { enterSeconds: 10 } });
    w.fence.failing = new Error('etcd at http://etcd:2379 is unreachable');
    await expect(reconcile('m')).rejects.toThrow(/unreachable/);
    await expect(reconcile('m')).rejects.toThrow(/unreachable/);
    let cr = w.read('m')!;
    expect(phases('m')).toBe('Running/EnterMaintenance');
    expect(cr.status!.message).toBe('retrying EnterMaintenance: etcd at http://etcd:2379 is unreachable');
    expect(cr.status!.lastErrors).toMatchObject([{ step: 'EnterMaintenance', count: 2 }]);
    w.clock.advance(11);
    // failing: ExitMaintenance cannot release a key it never put, and ends Failed
    await reconcile('m').catch(() => undefined);
    w.fence.failing = undefined;
    await reconcile('m');
    cr = w.read('m')!;
    expect(phases('m')).toBe('Failed/Done');
    expect(cr.status!.message).toBe('etcd at http://etcd:2379 is unreachable (still failing after 10s)');
  });

  it('Maintenance holds until deleted; deleting it releases the key and drops the finalizer', async () => {
    const { w, reconcile, phases } = setup();
    w.maintenance('hold', { operation: 'Maintenance' });
    await reconcile('hold');
    w.fence.instancesFollow();
    expect(await reconcile('hold')).toBe(10_000);
    expect(phases('hold')).toBe('Running/Hold');
    expect(w.read('hold')!.status!.conditions!.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True', reason: 'MaintenanceHeld' });

    w.api.delete('ConfigStoreMaintenance', 'ns', 'hold');
    expect(await reconcile('hold')).toBeUndefined();
    expect(w.fence.key).toBeUndefined();
    expect(w.read('hold')).toBeUndefined(); // finalizer dropped: the API server removed it
  });

  it('a held maintenance whose key someone else removed fails with MaintenanceLost', async () => {
    const { w, reconcile, phases } = setup();
    w.maintenance('hold', { operation: 'Maintenance' });
    await reconcile('hold');
    w.fence.instancesFollow();
    await reconcile('hold');
    w.fence.key = undefined;
    await reconcile('hold');
    expect(phases('hold')).toBe('Failed/Done');
    expect(w.events.at(-1)!.reason).toBe('MaintenanceLost');
  });

  it('deleting a running export deletes its Job', async () => {
    const { w, reconcile } = setup();
    w.maintenance('backup', { operation: 'Export', export: { destination: { s3 } } });
    await reconcile('backup');
    const cr = w.read('backup')!;
    expect(w.job(cr)).toBeDefined();
    w.api.delete('ConfigStoreMaintenance', 'ns', 'backup');
    await reconcile('backup');
    expect(w.job(cr)).toBeUndefined();
    expect(w.read('backup')).toBeUndefined();
  });

  it('a Job that fails fails the operation with the pod message', async () => {
    const { w, reconcile, phases } = setup();
    w.maintenance('backup', { operation: 'Export', export: { destination: { s3 } } });
    await reconcile('backup');
    w.finishJob(w.read('backup')!, { code: 1, message: 'error: bucket backups does not exist' });
    await reconcile('backup');
    expect(phases('backup')).toBe('Failed/Done');
    expect(w.read('backup')!.status!.message).toMatch(
      /^Job backup-[\w-]+ failed: error: bucket backups does not exist; Job has reached the specified backoff limit$/,
    );
  });

  it('a result line that does not fit the schema fails the operation and says why', async () => {
    const { w, reconcile } = setup();
    w.maintenance('backup', { operation: 'Export', export: { destination: { s3 } } });
    await reconcile('backup');
    w.finishJob(w.read('backup')!, { code: 0, message: exportResultLine({ sha256: 'short' }) });
    await reconcile('backup');
    expect(w.read('backup')!.status!.message).toBe('the Job result lacks a sha256');
  });

  it('one operation at a time per cluster: the second waits in Pending with its queue position', async () => {
    const { w, reconcile, phases } = setup();
    w.maintenance('first', { operation: 'Export', export: { destination: { s3 } } });
    w.clock.advance(1);
    w.maintenance('second', { operation: 'Export', export: { destination: { s3: { ...s3, key: 'main/y.ndjson' } } } });
    await reconcile('first');
    expect(await reconcile('second')).toBe(2000);
    expect(phases('second')).toBe('Pending/Queue');
    expect(w.read('second')!.status).toMatchObject({ queuePosition: 2, message: 'waiting for first on cluster main' });
    w.finishJob(w.read('first')!, { code: 0, message: exportResultLine() });
    await reconcile('first');
    await reconcile('second');
    expect(phases('second')).toBe('Running/RunJob');
  });

  it('rejects what cannot run, with every reason at once, touching nothing', async () => {
    const { w, reconcile, phases } = setup();
    w.maintenance('bad', {
      operation: 'Export',
      clusterRef: { name: 'nope' },
      export: { destination: { s3: { ...s3, credentialsSecretRef: { name: 'missing' } } } },
    });
    await reconcile('bad');
    expect(phases('bad')).toBe('Rejected/Done');
    expect(w.read('bad')!.status!.reasons).toEqual([
      'ConfigStoreCluster nope not found in namespace ns',
      'spec.export.destination.s3.credentialsSecretRef: Secret missing not found in namespace ns',
    ]);
    expect(w.api.list('Job', 'ns')).toEqual([]);
  });

  it('a CR re-created after its operation succeeded is not run again; ttlSecondsAfterFinished deletes it', async () => {
    const { w, reconcile, phases } = setup();
    w.maintenance('backup', { operation: 'Export', export: { destination: { s3 } }, ttlSecondsAfterFinished: 60 });
    await reconcile('backup');
    w.finishJob(w.read('backup')!, { code: 0, message: exportResultLine() });
    await reconcile('backup');
    expect(phases('backup')).toBe('Succeeded/Done');
    // done, nothing held: the finalizer is gone, so nothing (a namespace deleted with its operator) waits on it
    expect(w.read('backup')!.metadata.finalizers ?? []).toEqual([]);
    w.clock.advance(30);
    expect(await reconcile('backup')).toBe(30_000);
    w.clock.advance(31);
    await reconcile('backup'); // deleted at once
    expect(w.read('backup')).toBeUndefined();

    w.maintenance('backup', { operation: 'Export', export: { destination: { s3 } } }); // GitOps applies it again
    await reconcile('backup');
    expect(phases('backup')).toBe('Succeeded/Done');
    expect(w.read('backup')!.status!.message).toMatch(/^not run: Export backup already succeeded on this cluster at /);
    expect(w.api.calls.filter((c) => c.startsWith('create Job/'))).toHaveLength(1); // only the first run's
  });

  it('keepMaintenance: an export with quiesce succeeds and keeps the cluster fenced until deleted', async () => {
    const { w, reconcile, phases } = setup();
    w.maintenance('migrate', { operation: 'Export', export: { destination: { s3 }, quiesce: true }, keepMaintenance: true });
    await reconcile('migrate');
    w.fence.instancesFollow();
    await reconcile('migrate');
    w.finishJob(w.read('migrate')!, { code: 0, message: exportResultLine() });
    expect(await reconcile('migrate')).toBeUndefined(); // finished: only its deletion moves it on
    expect(phases('migrate')).toBe('Succeeded/Hold');
    expect(w.read('migrate')!.metadata.finalizers).toEqual([finalizer]); // still holding: its deletion releases the cluster
    expect(w.fence.key).toBeDefined();
    w.api.delete('ConfigStoreMaintenance', 'ns', 'migrate');
    await reconcile('migrate');
    expect(w.fence.key).toBeUndefined();
  });

  it('status writes only on the revision read: a conflicting writer makes the step re-read, never overwrite', async () => {
    const { w, reconcile } = setup();
    const cr: ConfigStoreMaintenance = w.maintenance('backup', { operation: 'Export', export: { destination: { s3 } } });
    const custom = w.deps.custom as unknown as { replaceNamespacedCustomObjectStatus: (r: { body: ConfigStoreMaintenance }) => Promise<unknown> };
    const real = custom.replaceNamespacedCustomObjectStatus;
    let interfered = false;
    custom.replaceNamespacedCustomObjectStatus = async (r) => {
      if (!interfered) {
        interfered = true; // someone else writes the object first
        const now = w.read('backup')!;
        w.api.replace('ConfigStoreMaintenance', { ...now, metadata: { ...now.metadata, annotations: { touched: 'yes' } } } as never, 'all');
      }
      return real(r);
    };
    expect(await reconcile('backup')).toBe(0); // conflict: look again at once
    expect(w.read(cr.metadata.name)!.status).toBeUndefined();
    await reconcile('backup');
    expect(w.read('backup')!.status!.step).toBe('RunJob');
  });
});
