// The backup location reconciler on a fake API server, bucket and clock: the folder's
// manifests become records owned by the location, listed again only when due; the same file
// name in two folders gets two records; a vanished manifest is Missing; a failing bucket is said.
import { describe, expect, it } from 'vitest';
import { FakeBackupObjects, fakeWorld } from '../../../testsupport/fakeoperator.js';
import type { ConfigStoreBackup, ConfigStoreBackupLocation } from '../../api/index.js';
import { BackupLocationReconciler } from './reconcile.js';

function setup() {
  const w = fakeWorld();
  const objects = new FakeBackupObjects();
  const reconciler = new BackupLocationReconciler({
    custom: w.deps.custom,
    objects,
    events: { record: (obj, type, reason, note) => w.events.push({ object: obj.metadata.name, type, reason, note }) },
    log: w.deps.log,
    now: w.clock.now,
  });
  const location = w.api.put('ConfigStoreBackupLocation', {
    apiVersion: 'configstore.io/v1alpha1',
    kind: 'ConfigStoreBackupLocation',
    metadata: { name: 'lost', namespace: 'ns', generation: 1 },
    spec: { s3: { bucket: 'backups', prefix: 'prod/', credentialsSecretRef: { name: 's3' } }, syncIntervalSeconds: 30 },
  });
  const read = () => w.api.get<ConfigStoreBackupLocation>('ConfigStoreBackupLocation', 'ns', 'lost')!;
  const records = () => w.api.list<ConfigStoreBackup>('ConfigStoreBackup', 'ns');
  const available = (r: ConfigStoreBackup) => r.status?.conditions?.find((c) => c.type === 'Available')?.status;
  return { w, objects, location, read, records, available, reconcile: () => reconciler.reconcile('ns', 'lost') };
}

describe('backup location reconciler (fake API, bucket and clock)', () => {
  it("lists the folder's backups as records owned by the location, with the folder's owner; lists again only when due", async () => {
    const { w, objects, location, read, records, available, reconcile } = setup();
    objects.claim('backups', 'prod/', { uid: 'uid-old', namespace: 'prod', name: 'main' });
    objects.putExport('backups', 'prod/nightly-202606010200.ndjson.gz', { source: { namespace: 'prod', name: 'main', uid: 'uid-old' } });
    objects.putExport('backups', 'elsewhere/nightly-202606010200.ndjson.gz'); // outside the folder
    expect(await reconcile()).toBe(30_000);
    const [record, ...more] = records();
    expect(more).toEqual([]);
    expect(record!.metadata).toMatchObject({
      name: 'nightly-202606010200',
      labels: { 'configstore.io/backup-location': 'lost' },
      ownerReferences: [{ kind: 'ConfigStoreBackupLocation', name: 'lost', uid: (location.metadata as { uid?: string }).uid, controller: false }],
    });
    expect(record!.spec).toMatchObject({
      backupLocation: 'lost',
      location: { bucket: 'backups', key: 'prod/nightly-202606010200.ndjson.gz', credentialsSecretRef: { name: 's3' } },
      manifest: { source: { uid: 'uid-old' } },
    });
    expect(available(record!)).toBe('True');
    const status = read().status!;
    expect(status).toMatchObject({ backups: 1, missing: 0, owner: { uid: 'uid-old', name: 'main' }, lastSyncTime: w.clock.now().toISOString() });
    expect(status.message).toBe('1 backup(s) in s3://backups/prod/; listed again every 30 s');
    expect(status.conditions!.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True', reason: 'Synced' });
    expect(w.events).toEqual([{ object: 'lost', type: 'Normal', reason: 'BackupsFound', note: 'found in s3://backups/prod/: nightly-202606010200' }]);

    // its own status write comes back at once: not listed again before the interval
    objects.putExport('backups', 'prod/nightly-202606020200.ndjson.gz');
    w.clock.advance(10);
    expect(await reconcile()).toBe(20_000);
    expect(records()).toHaveLength(1);
    w.clock.advance(20);
    await reconcile();
    expect(records().map((r) => r.metadata.name)).toEqual(['nightly-202606010200', 'nightly-202606020200']);
  });

  it('gives the same file name in two folders two records; a vanished manifest is Missing, not deleted', async () => {
    const { w, objects, read, records, available, reconcile } = setup();
    objects.putExport('backups', 'prod/a/nightly-202606010200.ndjson.gz');
    objects.putExport('backups', 'prod/b/nightly-202606010200.ndjson.gz');
    await reconcile();
    const names = records().map((r) => r.metadata.name);
    expect(names).toHaveLength(2);
    expect(names[0]).toBe('nightly-202606010200');
    expect(names[1]).toMatch(/^nightly-202606010200-[0-9a-f]{10}$/);
    expect(records().map((r) => r.spec.location.key)).toEqual(['prod/a/nightly-202606010200.ndjson.gz', 'prod/b/nightly-202606010200.ndjson.gz']);

    objects.objects.delete('backups/prod/b/nightly-202606010200.ndjson.gz.manifest.json');
    w.clock.advance(30);
    await reconcile();
    expect(records().map(available)).toEqual(['True', 'False']);
    expect(read().status).toMatchObject({ backups: 1, missing: 1 });
    expect(read().status!.message).toBe('1 backup(s) in s3://backups/prod/, 1 gone from the bucket (Missing); listed again every 30 s');
  });

  it('says when the bucket cannot be listed (Ready False, Reconciling), once, and recovers', async () => {
    const { w, objects, read, reconcile } = setup();
    objects.failing = new Error('connect ECONNREFUSED 10.0.0.1:9000');
    objects.listFailing = true;
    expect(await reconcile()).toBe(30_000);
    const failed = read().status!;
    expect(failed.message).toBe('could not list s3://backups/prod/: connect ECONNREFUSED 10.0.0.1:9000; tried again every 30 s');
    const cond = (type: string) => failed.conditions!.find((c) => c.type === type)!;
    expect([cond('Ready').status, cond('Reconciling').status, cond('Stalled').status]).toEqual(['False', 'True', 'False']);
    expect(failed.lastSyncTime).toBeUndefined();
    w.clock.advance(30);
    await reconcile();
    expect(w.events.filter((e) => e.reason === 'SyncFailed')).toHaveLength(1);
    objects.failing = undefined;
    objects.listFailing = false;
    w.clock.advance(30);
    await reconcile();
    expect(read().status!.conditions!.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True' });
  });
});
