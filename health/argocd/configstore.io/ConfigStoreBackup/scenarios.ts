// ConfigStoreBackup testdata: the records a schedule's inventory (operator/controllers/schedule/
// inventory.ts, run by the schedule reconciler) keeps of the export manifests in its bucket.
import { FakeBackupObjects } from '../../../../testsupport/fakeoperator.js';
import type { Scenarios, TestObject } from '../../lib/testdata.js';
import { at, deleteForeground, foregroundNote, read, schedules, world } from '../../lib/worlds.js';

const kind = 'ConfigStoreBackup';
const record = 'nightly-202606020200';

function setup() {
  const w = world();
  at(w, '2026-06-02T02:10:00Z');
  const objects = new FakeBackupObjects();
  objects.putExport('backups', `main/${record}.ndjson.gz`, {
    createdAt: '2026-06-02T02:01:00.000Z',
    source: { namespace: 'ns', name: 'main', uid: read(w, 'ConfigStoreCluster', 'main').metadata.uid! },
  });
  w.api.put('ConfigStoreBackupSchedule', {
    apiVersion: 'configstore.io/v1alpha1',
    kind: 'ConfigStoreBackupSchedule',
    metadata: { name: 'nightly', namespace: w.namespace, generation: 1 },
    spec: { clusterRef: { name: 'main' }, schedule: '0 2 * * *', destination: { s3: { bucket: 'backups', prefix: 'main/', endpoint: 'http://minio:9000' } } },
  });
  return { w, objects, reconcile: schedules(w, objects), get: () => read(w, kind, record) };
}

export const scenarios: Scenarios = async () => {
  const out: TestObject[] = [];
  {
    // the record created, its status not written yet (the inventory's status write lost a race)
    const { w, objects } = setup();
    const custom = w.deps.custom as unknown as Record<string, (r: { plural: string }) => Promise<unknown>>;
    const real = custom.replaceNamespacedCustomObjectStatus!;
    custom.replaceNamespacedCustomObjectStatus = async (r) => {
      if (r.plural === 'configstorebackups') throw Object.assign(new Error('the object has been modified'), { code: 409 });
      return real(r);
    };
    await schedules(w, objects)('nightly');
    custom.replaceNamespacedCustomObjectStatus = real;
    out.push({ name: 'progressing_noStatus', object: read(w, kind, record) });
  }
  {
    const { w, objects, reconcile, get } = setup();
    await reconcile('nightly');
    out.push({ name: 'healthy_available', object: get() });
    objects.objects.delete(`backups/main/${record}.ndjson.gz.manifest.json`); // the bucket lost it
    w.clock.advance(61);
    await reconcile('nightly');
    out.push({ name: 'degraded_missing', object: get() });
    out.push({ name: 'progressing_deleting', object: deleteForeground(w, kind, record), built: foregroundNote });
  }
  return out;
};
