// ConfigStoreMaintenance testdata: each phase and step the maintenance reconciler reaches,
// driven as operator/controllers/maintenance/reconcile.unit.test.ts drives it.
import { exportResultLine, importResultLine } from '../../../../testsupport/fakeoperator.js';
import type { Scenarios, TestObject } from '../../lib/testdata.js';
import { maintenances, read, world, type World } from '../../lib/worlds.js';

const s3 = { bucket: 'backups', key: 'main/x.ndjson', endpoint: 'http://minio:9000' };
const exportSpec = { operation: 'Export' as const, export: { destination: { s3 } } };
const importSpec = { operation: 'Import' as const, import: { source: { s3 } } };
const kind = 'ConfigStoreMaintenance';

function setup() {
  const w = world();
  return { w, reconcile: maintenances(w), get: (name: string) => read(w, kind, name) };
}

/** An import fenced and waiting for its instances; `enterSeconds` its deadline. */
async function fencedImport(w: World, reconcile: (n: string) => Promise<unknown>, enterSeconds = 300) {
  w.maintenance('restore', { ...importSpec, timeouts: { enterSeconds } });
  await reconcile('restore');
}

export const scenarios: Scenarios = async () => {
  const out: TestObject[] = [];
  {
    const { w, get } = setup();
    w.maintenance('backup', exportSpec);
    out.push({ name: 'progressing_noStatus', object: get('backup') });
  }
  {
    const { w, reconcile, get } = setup();
    w.maintenance('first', exportSpec);
    w.clock.advance(1);
    w.maintenance('second', { operation: 'Export', export: { destination: { s3: { ...s3, key: 'main/y.ndjson' } } } });
    await reconcile('first');
    await reconcile('second');
    out.push({ name: 'progressing_queued', object: get('second') });
    out.push({ name: 'progressing_runJob', object: get('first') });
    w.finishJob(w.read('first')!, { code: 0, message: exportResultLine() });
    await reconcile('first');
    out.push({ name: 'healthy_exportSucceeded', object: get('first') });
  }
  {
    const { w, reconcile, get } = setup();
    await fencedImport(w, reconcile);
    out.push({ name: 'progressing_waitForInstances', object: get('restore') });
    w.fence.instancesFollow();
    await reconcile('restore');
    w.finishJob(w.read('restore')!, { code: 0, message: importResultLine() });
    await reconcile('restore');
    out.push({ name: 'progressing_verify', object: get('restore') });
    w.fence.instancesFollow('90');
    await reconcile('restore');
    out.push({ name: 'progressing_exitMaintenance', object: get('restore') });
    w.fence.instancesFollow();
    await reconcile('restore');
    out.push({ name: 'healthy_importSucceeded', object: get('restore') });
  }
  {
    const { w, reconcile, get } = setup();
    w.maintenance('hold', { operation: 'Maintenance', timeouts: { enterSeconds: 10 } });
    w.fence.failing = new Error('etcd at http://etcd:2379 is unreachable');
    await reconcile('hold');
    await reconcile('hold');
    out.push({ name: 'progressing_retrying', object: get('hold') });
    w.fence.failing = undefined;
    await reconcile('hold');
    w.fence.instancesFollow();
    await reconcile('hold');
    out.push({ name: 'healthy_held', object: get('hold') });
    w.fence.key = undefined; // someone else ended the maintenance
    await reconcile('hold');
    out.push({ name: 'degraded_maintenanceLost', object: get('hold') });
  }
  {
    const { w, reconcile, get } = setup();
    w.maintenance('migrate', { operation: 'Export', export: { destination: { s3 }, quiesce: true }, keepMaintenance: true });
    await reconcile('migrate');
    w.fence.instancesFollow();
    await reconcile('migrate');
    w.finishJob(w.read('migrate')!, { code: 0, message: exportResultLine() });
    await reconcile('migrate');
    out.push({ name: 'healthy_keptInMaintenance', object: get('migrate') });
  }
  {
    const { w, reconcile, get } = setup();
    w.maintenance('backup', { ...exportSpec, ttlSecondsAfterFinished: 60 });
    await reconcile('backup');
    w.finishJob(w.read('backup')!, { code: 0, message: exportResultLine() });
    await reconcile('backup');
    w.clock.advance(61);
    await reconcile('backup'); // TTL: deleted, the finalizer drops it on the next round
    await reconcile('backup');
    w.maintenance('backup', exportSpec); // GitOps applies it again
    await reconcile('backup');
    out.push({ name: 'healthy_alreadySucceeded', object: get('backup') });
  }
  {
    const { w, reconcile, get } = setup();
    w.maintenance('backup', exportSpec);
    await reconcile('backup');
    w.finishJob(w.read('backup')!, { code: 1, message: 'error: bucket backups does not exist' });
    await reconcile('backup');
    out.push({ name: 'degraded_jobFailed', object: get('backup') });
  }
  {
    const { w, reconcile, get } = setup();
    await fencedImport(w, reconcile, 30);
    w.clock.advance(31);
    await reconcile('restore');
    out.push({ name: 'degraded_instancesTimeout', object: get('restore') });
  }
  {
    // failed, and the release of its key keeps failing: Running in ExitMaintenance with outcome Failed
    const { w, reconcile, get } = setup();
    await fencedImport(w, reconcile, 30);
    w.fence.failing = new Error('etcd at http://etcd:2379 is unreachable');
    w.clock.advance(31);
    await reconcile('restore');
    out.push({ name: 'degraded_failedReleasing', object: get('restore') });
  }
  {
    const { w, reconcile, get } = setup();
    w.maintenance('bad', { ...exportSpec, clusterRef: { name: 'nope' } });
    await reconcile('bad');
    out.push({ name: 'degraded_rejected', object: get('bad') });
  }
  {
    const { w, reconcile } = setup();
    w.maintenance('backup', exportSpec);
    await reconcile('backup');
    w.api.delete(kind, w.namespace, 'backup'); // its own finalizer keeps it: the abort is about to run
    out.push({ name: 'progressing_deleting', object: read(w, kind, 'backup') });
  }
  return out;
};
