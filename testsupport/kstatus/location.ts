// ConfigStoreBackupLocation in each phase, written by the real location reconciler listing a
// fake bucket's folder.
import type { ConfigStoreBackupLocation } from '../../operator/api/index.js';
import { BackupLocationReconciler } from '../../operator/controllers/location/reconcile.js';
import { FakeBackupObjects, fakeWorld } from '../fakeoperator.js';
import { fixture, type KstatusFixture } from './fixture.js';

export async function locationFixtures(): Promise<KstatusFixture[]> {
  const w = fakeWorld();
  const objects = new FakeBackupObjects();
  objects.putExport('backups', 'prod/main/nightly-202606010200.ndjson.gz');
  w.api.put('ConfigStoreBackupLocation', {
    apiVersion: 'configstore.io/v1alpha1',
    kind: 'ConfigStoreBackupLocation',
    metadata: { name: 'lost-main', namespace: 'ns', generation: 1 },
    spec: { s3: { bucket: 'backups', prefix: 'prod/main/' } },
  });
  const reconciler = new BackupLocationReconciler({ custom: w.deps.custom, objects, events: { record: () => undefined }, log: w.deps.log, now: w.clock.now });
  const read = () => w.api.get<ConfigStoreBackupLocation>('ConfigStoreBackupLocation', 'ns', 'lost-main')!;
  await reconciler.reconcile('ns', 'lost-main');
  const synced = fixture('Synced: the folder listed', 'Current', 'Ready True: its records are what the bucket holds', read());
  objects.failing = new Error('connect ECONNREFUSED 10.0.0.1:9000');
  objects.listFailing = true;
  w.clock.advance(61);
  await reconciler.reconcile('ns', 'lost-main');
  const failing = fixture(
    'SyncFailed: the bucket cannot be listed',
    'InProgress',
    'Reconciling True: retried every interval (often a transient outage)',
    read(),
  );
  return [synced, failing];
}
