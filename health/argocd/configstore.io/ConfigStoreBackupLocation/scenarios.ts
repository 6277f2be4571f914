// ConfigStoreBackupLocation testdata: the location reconciler (operator/controllers/location/
// reconcile.ts) listing a folder of a fake bucket into ConfigStoreBackup records.
import { BackupLocationReconciler } from '../../../../operator/controllers/location/reconcile.js';
import { FakeBackupObjects } from '../../../../testsupport/fakeoperator.js';
import type { Scenarios, TestObject } from '../../lib/testdata.js';
import { deleteForeground, foregroundNote, read, specChanged, specChangedNote, world } from '../../lib/worlds.js';

const kind = 'ConfigStoreBackupLocation';

function setup() {
  const w = world();
  const objects = new FakeBackupObjects();
  objects.claim('backups', 'prod/main/', { uid: 'uid-of-the-lost-cluster', namespace: 'prod', name: 'main' });
  objects.putExport('backups', 'prod/main/nightly-202606010200.ndjson.gz', { source: { namespace: 'prod', name: 'main', uid: 'uid-of-the-lost-cluster' } });
  objects.putExport('backups', 'prod/main/nightly-202606020200.ndjson.gz', { source: { namespace: 'prod', name: 'main', uid: 'uid-of-the-lost-cluster' } });
  w.api.put(kind, {
    apiVersion: 'configstore.io/v1alpha1',
    kind,
    metadata: { name: 'lost-main', namespace: w.namespace, generation: 1 },
    spec: { s3: { bucket: 'backups', prefix: 'prod/main/', endpoint: 'http://minio:9000', credentialsSecretRef: { name: 's3' } } },
  });
  const reconciler = new BackupLocationReconciler({
    custom: w.deps.custom,
    objects,
    events: { record: (obj, type, reason, note) => w.events.push({ object: obj.metadata.name, type, reason, note }) },
    log: w.deps.log,
    now: w.clock.now,
  });
  return { w, objects, reconcile: () => reconciler.reconcile(w.namespace, 'lost-main'), get: () => read(w, kind, 'lost-main') };
}

export const scenarios: Scenarios = async () => {
  const out: TestObject[] = [];
  {
    const { get } = setup();
    out.push({ name: 'progressing_noStatus', object: get() });
  }
  {
    const { w, objects, reconcile, get } = setup();
    await reconcile();
    out.push({ name: 'healthy_synced', object: get() });
    out.push({ name: 'progressing_specChanged', object: specChanged(get()), built: specChangedNote });
    objects.objects.delete('backups/prod/main/nightly-202606010200.ndjson.gz.manifest.json');
    w.clock.advance(61);
    await reconcile();
    out.push({ name: 'healthy_someMissing', object: get() });
    objects.failing = new Error('The AWS Access Key Id you provided does not exist in our records.');
    objects.listFailing = true;
    w.clock.advance(61);
    await reconcile();
    out.push({ name: 'degraded_syncFailed', object: get() });
    out.push({ name: 'progressing_deleting', object: deleteForeground(w, kind, 'lost-main'), built: foregroundNote });
  }
  return out;
};
