// ConfigStoreBackup in each phase, written by the real inventory of a schedule's destination
// (the ScheduleReconciler lists the bucket and keeps one record per export manifest).
import type { ConfigStoreBackup } from '../../operator/api/index.js';
import { fixture, type KstatusFixture } from './fixture.js';
import { scheduleWorld } from './schedule.js';

export async function backupFixtures(): Promise<KstatusFixture[]> {
  const s = scheduleWorld();
  s.objects.putExport('backups', 'main/nightly-202605310200.ndjson.gz', { createdAt: '2026-05-31T02:00:05.000Z' });
  s.schedule('nightly');
  await s.reconcile('nightly');
  const record = () => s.w.api.get<ConfigStoreBackup>('ConfigStoreBackup', 'ns', 'nightly-202605310200')!;
  const available = fixture('Available: export and manifest in the bucket', 'Current', 'Ready True: restorable', record());

  s.objects.objects.delete('backups/main/nightly-202605310200.ndjson.gz.manifest.json'); // someone deleted it in the bucket
  s.w.clock.advance(61); // the next inventory
  await s.reconcile('nightly');
  const missing = fixture('Missing: the manifest is gone', 'Failed', 'Stalled True: this backup cannot be restored', record());
  return [available, missing];
}
