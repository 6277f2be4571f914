// The cluster reconciler's kstatus conditions on fake dependencies (testsupport/fakecluster.ts):
// rolling out, ready, etcd unreadable, and a restore at creation that keeps a ready cluster
// from being Ready until the data is back.
import { describe, expect, it } from 'vitest';
import { fakeClusterDeps } from '../../../testsupport/fakecluster.js';
import { FakeBackupObjects, fakeWorld } from '../../../testsupport/fakeoperator.js';
import type { ConfigStoreCluster, ConfigStoreClusterSpec, ConfigStoreMaintenance } from '../../api/index.js';
import { bootstrapName } from './bootstrap.js';
import { ClusterReconciler } from './reconcile.js';

const source = { s3: { bucket: 'backups', key: 'main/x.ndjson.gz', endpoint: 'http://minio:9000' } };

function setup(spec: Partial<ConfigStoreClusterSpec> = {}) {
  const w = fakeWorld();
  const stored = w.cluster('main', 2);
  w.api.replace('ConfigStoreCluster', { ...stored, spec: { ...stored.spec, ...spec } } as never, 'all');
  const objects = new FakeBackupObjects();
  objects.putExport('backups', source.s3.key);
  const { deps, controls } = fakeClusterDeps(w, objects);
  const reconciler = new ClusterReconciler(deps);
  const read = () => w.api.get<ConfigStoreCluster>('ConfigStoreCluster', 'ns', 'main')!;
  const kstatus = () =>
    read()
      .status!.conditions!.filter((c) => ['Ready', 'Reconciling', 'Stalled'].includes(c.type))
      .map((c) => `${c.type}=${c.status}/${c.reason}`);
  return { w, controls, read, kstatus, reconcile: () => reconciler.reconcile('ns', 'main') };
}

describe('cluster reconciler: kstatus conditions', () => {
  it('Reconciling while rolling out, Ready once every instance is; observedGeneration written', async () => {
    const { controls, read, kstatus, reconcile } = setup();
    expect(await reconcile()).toBe(5000);
    expect(kstatus()).toEqual(['Ready=False/RollingOut', 'Reconciling=True/RollingOut', 'Stalled=False/RollingOut']);
    controls.readyReplicas = 2;
    await reconcile();
    expect(kstatus()).toEqual(['Ready=True/InstancesReady', 'Reconciling=False/InstancesReady', 'Stalled=False/InstancesReady']);
    expect(read().status).toMatchObject({ observedGeneration: 1, readyReplicas: 2, mode: 'normal' });
    expect(read().status!.conditions!.find((c) => c.type === 'Ready')!.message).toBe('2/2 instances ready');
  });

  it('an unreadable etcd is Stalled and not Reconciling (kstatus: Failed, with the cause)', async () => {
    const { controls, read, kstatus, reconcile } = setup();
    controls.readyReplicas = 2;
    controls.etcdUnreachable = true;
    await reconcile();
    expect(kstatus()).toEqual(['Ready=False/EtcdUnreachable', 'Reconciling=False/EtcdUnreachable', 'Stalled=True/EtcdUnreachable']);
    expect(read().status!.conditions!.find((c) => c.type === 'Stalled')!.message).toMatch(
      /^cannot read the instance registry from etcd: etcd at http:\/\/etcd:2379/,
    );
  });

  it('a restore at creation keeps a ready cluster Reconciling, then Ready once restored; no status write while nothing changes', async () => {
    const { w, controls, read, kstatus, reconcile } = setup({ bootstrap: { restore: { source } } });
    controls.readyReplicas = 2;
    await reconcile();
    expect(kstatus()).toEqual(['Ready=False/Restoring', 'Reconciling=True/Restoring', 'Stalled=False/Restoring']);
    const writes = () => w.api.calls.filter((c) => c.startsWith('replaceStatus configstoreclusters/')).length;
    const readySince = () => read().status!.conditions!.find((c) => c.type === 'Ready')!.lastTransitionTime;
    const since = readySince();
    await reconcile(); // the message now names the Import's step
    const before = writes();
    w.clock.advance(10);
    await reconcile();
    await reconcile();
    expect(writes()).toBe(before); // the conditions are set once per round: no flapping transition times
    expect(readySince()).toBe(since);

    const run = w.api.get<ConfigStoreMaintenance>('ConfigStoreMaintenance', 'ns', bootstrapName('main'))!;
    const result = { location: 's3://backups/x', objects: 3, bytes: 10, sha256: 'a'.repeat(64), revision: '9' };
    w.api.replace('ConfigStoreMaintenance', { ...run, status: { phase: 'Succeeded', step: 'Done', result } } as never, 'status');
    await reconcile();
    expect(kstatus()).toEqual(['Ready=True/InstancesReady', 'Reconciling=False/InstancesReady', 'Stalled=False/InstancesReady']);
  });

  it('a failed restore at creation is Stalled with its message', async () => {
    const { w, controls, read, kstatus, reconcile } = setup({ bootstrap: { restore: { source } } });
    controls.readyReplicas = 2;
    await reconcile();
    const run = w.api.get<ConfigStoreMaintenance>('ConfigStoreMaintenance', 'ns', bootstrapName('main'))!;
    w.api.replace('ConfigStoreMaintenance', { ...run, status: { phase: 'Failed', step: 'Done', message: 'the export is damaged' } } as never, 'status');
    await reconcile();
    expect(kstatus()).toEqual(['Ready=False/RestoreFailed', 'Reconciling=False/RestoreFailed', 'Stalled=True/RestoreFailed']);
    expect(read().status!.conditions!.find((c) => c.type === 'Stalled')!.message).toMatch(/^the restore main-bootstrap failed: the export is damaged; delete/);
  });
});
