// ConfigStoreBackupSchedule testdata: the schedule reconciler on the in-memory API server and a
// clock, its runs (Export ConfigStoreMaintenances) driven by the real maintenance reconciler.
import type { ConfigStoreBackupScheduleSpec } from '../../../../operator/api/index.js';
import { exportResultLine, FakeBackupObjects } from '../../../../testsupport/fakeoperator.js';
import type { Scenarios, TestObject } from '../../lib/testdata.js';
import { at, deleteForeground, foregroundNote, maintenances, read, schedules, specChanged, specChangedNote, world } from '../../lib/worlds.js';

const kind = 'ConfigStoreBackupSchedule';

function setup(spec: Partial<ConfigStoreBackupScheduleSpec> = {}) {
  const w = world();
  at(w, '2026-06-01T10:00:00Z');
  const objects = new FakeBackupObjects();
  w.api.put(kind, {
    apiVersion: 'configstore.io/v1alpha1',
    kind,
    metadata: { name: 'nightly', namespace: w.namespace, generation: 1 },
    spec: {
      clusterRef: { name: 'main' },
      schedule: '0 2 * * *',
      destination: { s3: { bucket: 'backups', prefix: 'main/', endpoint: 'http://minio:9000' } },
      ...spec,
    },
  });
  const reconcileSchedule = schedules(w, objects);
  const reconcileRun = maintenances(w);
  /** The run of `slot` goes through the maintenance reconciler; its Job exits 0 (and its export lands in the bucket) or 1. */
  const runSlot = async (slot: string, code: 0 | 1) => {
    const run = `nightly-${slot}`;
    await reconcileRun(run);
    w.finishJob(w.read(run)!, code === 0 ? { code, message: exportResultLine() } : { code, message: 'error: bucket backups does not exist' });
    if (code === 0) objects.putExport('backups', `main/${run}.ndjson.gz`, { createdAt: w.clock.now().toISOString() });
    await reconcileRun(run);
  };
  return { w, objects, runSlot, reconcile: () => reconcileSchedule('nightly'), get: () => read(w, kind, 'nightly') };
}

export const scenarios: Scenarios = async () => {
  const out: TestObject[] = [];
  {
    const { get } = setup();
    out.push({ name: 'progressing_noStatus', object: get() });
  }
  {
    const { w, reconcile, get } = setup();
    await reconcile();
    out.push({ name: 'healthy_scheduled', object: get() });
    out.push({ name: 'progressing_specChanged', object: specChanged(get()), built: specChangedNote });
    out.push({ name: 'progressing_deleting', object: deleteForeground(w, kind, 'nightly'), built: foregroundNote });
  }
  {
    const { reconcile, get } = setup({ immediate: true });
    await reconcile();
    out.push({ name: 'healthy_runStarted', object: get() });
  }
  {
    const { w, runSlot, reconcile, get } = setup();
    at(w, '2026-06-02T02:00:00Z');
    await reconcile();
    await runSlot('202606020200', 0);
    w.clock.advance(61); // the next inventory of the bucket lists the backup
    await reconcile();
    out.push({ name: 'healthy_lastRunSucceeded', object: get() });
    at(w, '2026-06-06T02:00:00Z'); // the operator was down from the 2nd to the 6th: one run catches up
    await reconcile();
    out.push({ name: 'degraded_rpoMissed', object: get() });
  }
  {
    const { w, objects, runSlot, reconcile, get } = setup();
    at(w, '2026-06-02T02:00:00Z');
    await reconcile();
    await runSlot('202606020200', 0);
    w.clock.advance(61);
    await reconcile();
    objects.objects.delete('backups/main/nightly-202606020200.ndjson.gz.manifest.json'); // someone emptied the bucket
    w.clock.advance(61);
    await reconcile();
    out.push({ name: 'healthy_backupMissing', object: get() });
  }
  {
    const { w, runSlot, reconcile, get } = setup();
    at(w, '2026-06-02T02:00:00Z');
    await reconcile();
    await runSlot('202606020200', 1);
    await reconcile();
    out.push({ name: 'degraded_lastRunFailed', object: get() });
  }
  {
    const { w, reconcile, get } = setup();
    at(w, '2026-06-02T02:00:00Z');
    await reconcile();
    at(w, '2026-06-03T02:00:00Z'); // the run of the 2nd still going (never reconciled): Forbid skips the 3rd
    await reconcile();
    out.push({ name: 'healthy_slotSkipped', object: get() });
  }
  {
    const { reconcile, get } = setup({ suspend: true });
    await reconcile();
    out.push({ name: 'suspended_suspended', object: get() });
  }
  {
    const { reconcile, get } = setup({ timeZone: 'Mars/Olympus' });
    await reconcile();
    out.push({ name: 'degraded_invalidTimeZone', object: get() });
  }
  {
    // a restored cluster's schedule still pointing at its source's folder
    const { objects, reconcile, get } = setup({ immediate: true });
    objects.claim('backups', 'main/', { uid: 'uid-of-the-source-cluster', namespace: 'old', name: 'main' });
    await reconcile();
    out.push({ name: 'degraded_destinationOwnedElsewhere', object: get() });
  }
  return out;
};
