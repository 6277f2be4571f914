// ConfigStoreCluster testdata: the cluster reconciler (lib/fakecluster.ts: its Deployment's
// status given, its etcd the fake fence) with restores at creation run by the maintenance reconciler.
import type { ConfigStoreClusterSpec } from '../../../../operator/api/index.js';
import { bootstrapName } from '../../../../operator/controllers/cluster/bootstrap.js';
import { importResultLine } from '../../../../testsupport/fakeoperator.js';
import { clusterReconciler } from '../../lib/fakecluster.js';
import type { Scenarios, TestObject } from '../../lib/testdata.js';
import { deleteForeground, etcdRefused, foregroundNote, maintenances, read, specChanged, specChangedNote, world, type World } from '../../lib/worlds.js';

const kind = 'ConfigStoreCluster';
const rolledOut = { replicas: 2, readyReplicas: 2, updatedReplicas: 2, availableReplicas: 2 };
const rolloutNote = (s: object) =>
  `The Deployment's status (${JSON.stringify(s)}) is given to the reconciler: the in-memory API server runs no Deployment controller; the cluster's status is the reconciler's.`;
const source = { s3: { bucket: 'backups', key: 'main/nightly-202606020200.ndjson.gz', endpoint: 'http://minio:9000' } };

function setup(spec: Partial<ConfigStoreClusterSpec> = {}) {
  const w = world();
  const stored = read(w, kind, 'main');
  w.api.replace(kind, { ...stored, spec: { ...(stored.spec as object), ...spec } }, 'all');
  const c = clusterReconciler(w);
  c.state.rollout = rolledOut;
  return { w, ...c, get: () => read(w, kind, 'main') };
}

/** The restore's Import through its steps, its Job exiting `code`. */
async function restore(w: World, code: 0 | 1) {
  const reconcile = maintenances(w);
  const name = bootstrapName('main');
  await reconcile(name);
  w.fence.instancesFollow();
  await reconcile(name);
  w.finishJob(w.read(name)!, code === 0 ? { code, message: importResultLine() } : { code, message: 'error: the export ends before its trailer' });
  await reconcile(name);
  if (code === 0) {
    w.fence.instancesFollow('90');
    await reconcile(name);
  }
  w.fence.instancesFollow(); // the key released: every instance serves again
  await reconcile(name);
}

export const scenarios: Scenarios = async () => {
  const out: TestObject[] = [];
  const ready = rolloutNote(rolledOut);
  {
    const { get } = setup();
    out.push({ name: 'progressing_noStatus', object: get() });
  }
  {
    const rolling = { replicas: 2, readyReplicas: 1, updatedReplicas: 2, availableReplicas: 1 };
    const { state, reconcile, get } = setup();
    state.rollout = rolling;
    await reconcile();
    out.push({ name: 'progressing_rollingOut', object: get(), built: rolloutNote(rolling) });
  }
  {
    const { w, reconcile, get } = setup();
    await reconcile();
    out.push({ name: 'healthy_ready', object: get(), built: ready });
    out.push({ name: 'progressing_specChanged', object: specChanged(get()), built: `${specChangedNote} ${ready}` });
    // a ConfigStoreMaintenance holds the cluster: every instance in maintenance
    w.maintenance('hold', { operation: 'Maintenance' });
    const hold = maintenances(w);
    await hold('hold');
    w.fence.instancesFollow();
    await hold('hold');
    await reconcile();
    out.push({ name: 'healthy_inMaintenance', object: get(), built: ready });
    out.push({ name: 'progressing_deleting', object: deleteForeground(w, kind, 'main'), built: `${foregroundNote} ${ready}` });
  }
  {
    const { state, reconcile, get } = setup();
    state.etcdDown = etcdRefused();
    await reconcile();
    out.push({ name: 'degraded_etcdUnreachable', object: get(), built: ready });
  }
  {
    const { reconcile, get } = setup({ etcd: { endpoints: ['http://etcd:2379'], credentialsSecretRef: { name: 'etcd-client' } } });
    await reconcile();
    out.push({ name: 'degraded_etcdCredentialsMissing', object: get(), built: ready });
  }
  {
    const { w, objects, reconcile, get } = setup({ bootstrap: { restore: { source } } });
    objects.putExport(source.s3.bucket, source.s3.key);
    await reconcile(); // ready: the restore's Import is created
    await maintenances(w)(bootstrapName('main'));
    await reconcile();
    out.push({ name: 'progressing_restoring', object: get(), built: ready });
    await restore(w, 0);
    await reconcile();
    out.push({ name: 'healthy_restored', object: get(), built: ready });
  }
  {
    const { w, objects, reconcile, get } = setup({ bootstrap: { restore: { source } } });
    objects.putExport(source.s3.bucket, source.s3.key);
    await reconcile();
    await restore(w, 1);
    await reconcile();
    out.push({ name: 'degraded_restoreFailed', object: get(), built: ready });
  }
  {
    const { reconcile, get } = setup({ bootstrap: { restore: { source, onMissing: 'Fail' } } });
    await reconcile(); // the source is not in the bucket
    out.push({ name: 'degraded_restoreSourceMissing', object: get(), built: ready });
  }
  return out;
};
