// ConfigStoreBackupSchedule in each phase, written by the real ScheduleReconciler.
import type { ConfigStoreBackupSchedule, ConfigStoreBackupScheduleSpec, ConfigStoreMaintenance } from '../../operator/api/index.js';
import { ScheduleReconciler } from '../../operator/controllers/schedule/reconcile.js';
import { FakeBackupObjects, fakeWorld, scheduleDepsOn } from '../fakeoperator.js';
import { fixture, type KstatusFixture, type KstatusResult } from './fixture.js';

/** A world at 2026-06-01T10:00Z with a schedule reconciler, as its unit tests set it up. */
export function scheduleWorld() {
  const w = fakeWorld();
  w.clock.advance((Date.parse('2026-06-01T10:00:00Z') - w.clock.now().getTime()) / 1000);
  const objects = new FakeBackupObjects();
  const reconciler = new ScheduleReconciler(scheduleDepsOn(w, objects));
  const schedule = (name: string, spec: Partial<ConfigStoreBackupScheduleSpec> = {}) =>
    w.api.put('ConfigStoreBackupSchedule', {
      apiVersion: 'configstore.io/v1alpha1',
      kind: 'ConfigStoreBackupSchedule',
      metadata: { name, namespace: 'ns' },
      spec: {
        clusterRef: { name: 'main' },
        schedule: '0 2 * * *',
        destination: { s3: { bucket: 'backups', prefix: 'main/', endpoint: 'http://minio:9000' } },
        ...spec,
      },
    });
  const read = (name: string) => w.api.get<ConfigStoreBackupSchedule>('ConfigStoreBackupSchedule', 'ns', name)!;
  const reconcile = (name: string) => reconciler.reconcile('ns', name);
  return { w, objects, schedule, read, reconcile };
}

export async function scheduleFixtures(): Promise<KstatusFixture[]> {
  const out: KstatusFixture[] = [];
  const add = (phase: string, expected: KstatusResult, why: string, s: ConfigStoreBackupSchedule) => out.push(fixture(phase, expected, why, s));
  const s = scheduleWorld();

  s.schedule('nightly');
  await s.reconcile('nightly');
  add('scheduled, waiting for its next slot', 'Current', 'Ready True (Scheduled): the schedule is in force', s.read('nightly'));

  s.schedule('now', { immediate: true });
  await s.reconcile('now');
  add('a run going (status.active)', 'Current', 'the schedule is in force; the run is a ConfigStoreMaintenance of its own', s.read('now'));
  // the run ends Failed, as the maintenance reconciler leaves it
  const run = s.w.api.list<ConfigStoreMaintenance>('ConfigStoreMaintenance', 'ns')[0]!;
  const failed = { phase: 'Failed', step: 'Done', completedAt: s.w.clock.now().toISOString(), message: 'Job failed' };
  s.w.api.replace('ConfigStoreMaintenance', { ...run, status: failed } as never, 'status');
  await s.reconcile('now');
  add(
    'newest run failed (BackupsHealthy False)',
    'Current',
    'the schedule itself is in force; a failed backup is the run’s Failed and BackupsHealthy, not the schedule’s',
    s.read('now'),
  );

  s.schedule('paused', { suspend: true });
  await s.reconcile('paused');
  add('suspended', 'Current', 'Ready True (Suspended): suspending is what was asked for', s.read('paused'));

  s.schedule('bad', { timeZone: 'Mars/Olympus' });
  await s.reconcile('bad');
  add('invalid schedule or time zone', 'Failed', 'Stalled True (InvalidSchedule): only a spec change mends it', s.read('bad'));
  return out;
}
