// ConfigStoreCluster in each phase, written by the real ClusterReconciler (and, for a restore at
// creation, the real MaintenanceReconciler running the bootstrap Import).
import type { ConfigStoreCluster, ConfigStoreClusterSpec, ConfigStoreMaintenance } from '../../operator/api/index.js';
import { bootstrapName } from '../../operator/controllers/cluster/bootstrap.js';
import { ClusterReconciler } from '../../operator/controllers/cluster/reconcile.js';
import { isTerminal } from '../../operator/controllers/maintenance/status.js';
import { MaintenanceReconciler } from '../../operator/controllers/maintenance/reconcile.js';
import { fakeClusterDeps } from '../fakecluster.js';
import { FakeBackupObjects, fakeWorld, importResultLine } from '../fakeoperator.js';
import { fixture, type KstatusFixture } from './fixture.js';

const source = { s3: { bucket: 'backups', key: 'main/nightly-202606020200.ndjson.gz', endpoint: 'http://minio:9000' } };

/** A world with cluster `main` (2 replicas) of `spec`, its reconciler and how to read it back. */
function clusterWorld(spec: Partial<ConfigStoreClusterSpec> = {}) {
  const w = fakeWorld();
  const stored = w.cluster('main', 2);
  w.api.replace('ConfigStoreCluster', { ...stored, spec: { ...stored.spec, ...spec } } as never, 'all');
  const objects = new FakeBackupObjects();
  const { deps, controls } = fakeClusterDeps(w, objects);
  const reconciler = new ClusterReconciler(deps);
  const reconcile = () => reconciler.reconcile(w.namespace, 'main');
  const read = () => w.api.get<ConfigStoreCluster>('ConfigStoreCluster', w.namespace, 'main')!;
  return { w, objects, controls, reconcile, read };
}

/** Runs the bootstrap Import with the real maintenance reconciler until it ends; its Job exits `code`. */
async function runImport(w: ReturnType<typeof fakeWorld>, code: 0 | 1): Promise<void> {
  const name = bootstrapName('main');
  const reconciler = new MaintenanceReconciler(w.deps);
  let jobDone = false;
  for (let round = 0; round < 30; round++) {
    const cr = w.read(name)!;
    if (isTerminal(cr.status) && cr.status?.step === 'Done') return;
    if (cr.status?.step === 'RunJob' && w.job(cr) && !jobDone) {
      w.finishJob(cr, code === 0 ? { code, message: importResultLine() } : { code, message: 'error: the export is damaged' });
      jobDone = true;
    }
    w.fence.instancesFollow(jobDone && code === 0 ? '90' : undefined);
    await reconciler.reconcile(w.namespace, name);
  }
  throw new Error(`the bootstrap import did not end: ${JSON.stringify(w.read(name)?.status)}`);
}

export async function clusterFixtures(): Promise<KstatusFixture[]> {
  const out: KstatusFixture[] = [];
  const add = (phase: string, expected: KstatusFixture['expected'], why: string, c: ConfigStoreCluster) => out.push(fixture(phase, expected, why, c));

  const rolling = clusterWorld();
  await rolling.reconcile();
  add('rolling out (0/2 instances ready)', 'InProgress', 'Reconciling True while instances start', rolling.read());
  rolling.controls.readyReplicas = 2;
  await rolling.reconcile();
  add('ready (2/2 instances)', 'Current', 'Ready True, nothing to do', rolling.read());
  rolling.controls.etcdUnreachable = true;
  await rolling.reconcile();
  add('etcd unreachable', 'Failed', 'Stalled True: the operator cannot read the instance registry', rolling.read());

  const restoring = clusterWorld({ bootstrap: { restore: { source } } });
  restoring.objects.putExport('backups', source.s3.key);
  restoring.controls.readyReplicas = 2;
  await restoring.reconcile();
  add('instances ready, restore at creation running', 'InProgress', 'the data is not back yet: Reconciling True until Bootstrapped', restoring.read());
  await runImport(restoring.w, 0);
  await restoring.reconcile();
  add('restored at creation', 'Current', 'Bootstrapped True (Restored), instances ready', restoring.read());

  const failing = clusterWorld({ bootstrap: { restore: { source } } });
  failing.objects.putExport('backups', source.s3.key);
  failing.controls.readyReplicas = 2;
  await failing.reconcile();
  await runImport(failing.w, 1);
  await failing.reconcile();
  const run = failing.w.api.get<ConfigStoreMaintenance>('ConfigStoreMaintenance', 'ns', bootstrapName('main'))!;
  if (run.status?.phase !== 'Failed') throw new Error(`the failing import ended ${run.status?.phase}`);
  add('restore at creation failed', 'Failed', 'Stalled True (RestoreFailed): deleting the Import is needed to try again', failing.read());

  const waiting = clusterWorld({ bootstrap: { restore: { backup: 'latest' } } });
  waiting.controls.readyReplicas = 2;
  await waiting.reconcile();
  add('restore at creation waiting for a backup to be listed', 'InProgress', 'SourceMissing with onMissing Fail: looked at again every round', waiting.read());
  return out;
}
