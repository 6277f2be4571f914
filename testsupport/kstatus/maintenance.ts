// ConfigStoreMaintenance in each phase and step, written by the real MaintenanceReconciler.
import type { ConfigStoreMaintenance } from '../../operator/api/index.js';
import { MaintenanceReconciler } from '../../operator/controllers/maintenance/reconcile.js';
import { exportResultLine, fakeWorld } from '../fakeoperator.js';
import { fixture, type KstatusFixture, type KstatusResult } from './fixture.js';

const s3 = { bucket: 'backups', key: 'main/x.ndjson', endpoint: 'http://minio:9000' };

function maintenanceWorld() {
  const w = fakeWorld();
  w.cluster('main', 2);
  const reconciler = new MaintenanceReconciler(w.deps);
  const reconcile = (name: string) => reconciler.reconcile(w.namespace, name).catch((err: Error) => err); // a failing step throws; its status is written
  const read = (name: string) => w.read(name)!;
  return { w, reconcile, read };
}

export async function maintenanceFixtures(): Promise<KstatusFixture[]> {
  const out: KstatusFixture[] = [];
  const add = (phase: string, expected: KstatusResult, why: string, m: ConfigStoreMaintenance) => out.push(fixture(phase, expected, why, m));

  // an export: queued behind another, running its Job, succeeded; and one whose Job fails
  const exp = maintenanceWorld();
  exp.w.maintenance('first', { operation: 'Export', export: { destination: { s3 } } });
  exp.w.clock.advance(1);
  exp.w.maintenance('second', { operation: 'Export', export: { destination: { s3: { ...s3, key: 'main/y.ndjson' } } } });
  await exp.reconcile('first');
  await exp.reconcile('second');
  add('Pending (Queue): another operation runs on the cluster', 'InProgress', 'Reconciling True while it waits its turn', exp.read('second'));
  add('Running (RunJob): export Job running', 'InProgress', 'Reconciling True while a step runs', exp.read('first'));
  exp.w.finishJob(exp.read('first'), { code: 0, message: exportResultLine() });
  await exp.reconcile('first');
  add('Succeeded (Done)', 'Current', 'Ready True: the operation is done', exp.read('first'));
  await exp.reconcile('second');
  exp.w.finishJob(exp.read('second'), { code: 1, message: 'error: bucket backups does not exist' });
  await exp.reconcile('second');
  add('Failed (Done): the Job failed', 'Failed', 'Stalled True: a finished operation is never run again', exp.read('second'));

  // an import: waiting for the instances to fence; and a maintenance held until deleted
  const imp = maintenanceWorld();
  imp.w.maintenance('restore', { operation: 'Import', import: { source: { s3 } } });
  await imp.reconcile('restore');
  add('Running (WaitForInstances): import waits for the fence', 'InProgress', 'Reconciling True while a step runs', imp.read('restore'));

  const held = maintenanceWorld();
  held.w.maintenance('hold', { operation: 'Maintenance' });
  await held.reconcile('hold');
  held.w.fence.instancesFollow();
  await held.reconcile('hold');
  add('Running (Hold): maintenance held until deleted', 'Current', 'Ready True (MaintenanceHeld): what was asked for is in place', held.read('hold'));
  held.w.api.delete('ConfigStoreMaintenance', 'ns', 'hold');
  add('deleted while held (the finalizer releases it)', 'Terminating', 'metadata.deletionTimestamp set', held.read('hold'));

  const kept = maintenanceWorld();
  kept.w.maintenance('migrate', { operation: 'Export', export: { destination: { s3 }, quiesce: true }, keepMaintenance: true });
  await kept.reconcile('migrate');
  kept.w.fence.instancesFollow();
  await kept.reconcile('migrate');
  kept.w.finishJob(kept.read('migrate'), { code: 0, message: exportResultLine() });
  await kept.reconcile('migrate');
  add('Succeeded (Hold): keepMaintenance', 'Current', 'Ready True: succeeded, the cluster stays fenced as asked', kept.read('migrate'));

  // etcd failing: the step is retried with its error shown, then fails at its deadline
  const flaky = maintenanceWorld();
  flaky.w.maintenance('m', { operation: 'Maintenance', timeouts: { enterSeconds: 10 } });
  flaky.w.fence.failing = new Error('etcd at http://etcd:2379 is unreachable');
  await flaky.reconcile('m');
  await flaky.reconcile('m');
  add('Running (EnterMaintenance): retrying an unreachable etcd', 'InProgress', 'retried until the step deadline: not failed yet', flaky.read('m'));

  const bad = maintenanceWorld();
  bad.w.maintenance('bad', { operation: 'Export', clusterRef: { name: 'nope' }, export: { destination: { s3 } } });
  await bad.reconcile('bad');
  add('Rejected (Done): no such cluster', 'Failed', 'Stalled True: the spec cannot run', bad.read('bad'));
  return out;
}
