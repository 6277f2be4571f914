// The backup schedule reconciler on a fake API server and clock: runs made per slot and
// adopted after a restart, Forbid / Replace, one catch-up after downtime, deadlines, the
// operator-wide cap, invalid schedules, TTL of failed runs, retention preview and health.
import { describe, expect, it } from 'vitest';
import { FakeBackupObjects, fakeWorld, scheduleDepsOn } from '../../../testsupport/fakeoperator.js';
import type { ConfigStoreBackup, ConfigStoreBackupSchedule, ConfigStoreBackupScheduleSpec, ConfigStoreMaintenance } from '../../api/index.js';
import { labels } from '../naming.js';
import { ScheduleReconciler, type ScheduleDeps } from './reconcile.js';

type Obj = Parameters<ReturnType<typeof fakeWorld>['api']['replace']>[1];

function setup(opts: { maxConcurrentRuns?: number } = {}) {
  const w = fakeWorld();
  w.clock.advance((Date.parse('2026-06-01T10:00:00Z') - w.clock.now().getTime()) / 1000);
  const all = () => ['ns', 'other'].flatMap((ns) => w.api.list<ConfigStoreMaintenance>('ConfigStoreMaintenance', ns));
  // success and failure: the distinct times reported (they are reported every round)
  const metrics = { success: [] as Date[], failure: [] as Date[], missed: 0, pruned: 0, observed: 0, forgotten: [] as string[] };
  const distinct = (list: Date[], at: Date) => list.some((d) => d.getTime() === at.getTime()) || list.push(at);
  const objects = new FakeBackupObjects();
  const deps: ScheduleDeps = scheduleDepsOn(w, objects, {
    maintenances: (ns) => (ns ? w.api.list<ConfigStoreMaintenance>('ConfigStoreMaintenance', ns) : all()),
    maxConcurrentRuns: opts.maxConcurrentRuns ?? 4,
    metrics: {
      observed: () => metrics.observed++,
      forget: (ns, name) => metrics.forgotten.push(`${ns}/${name}`),
      lastSuccess: (_s, at) => distinct(metrics.success, at),
      lastFailure: (_s, at) => distinct(metrics.failure, at),
      missed: (_s, n) => (metrics.missed += n),
      pruned: () => metrics.pruned++,
    },
  });
  const reconciler = new ScheduleReconciler(deps);
  const schedule = (name: string, spec: Partial<ConfigStoreBackupScheduleSpec> = {}) =>
    w.api.put('ConfigStoreBackupSchedule', {
      apiVersion: 'configstore.io/v1alpha1',
      kind: 'ConfigStoreBackupSchedule',
      metadata: { name, namespace: 'ns', generation: 1 },
      spec: {
        clusterRef: { name: 'main' },
        schedule: '0 2 * * *',
        destination: { s3: { bucket: 'backups', prefix: 'main/', endpoint: 'http://minio:9000' } },
        ...spec,
      },
    });
  const read = (name: string) => w.api.get<ConfigStoreBackupSchedule>('ConfigStoreBackupSchedule', 'ns', name)!;
  const runs = (ns = 'ns') => w.api.list<ConfigStoreMaintenance>('ConfigStoreMaintenance', ns).map((m) => m.metadata.name);
  const finish = (name: string, phase: 'Succeeded' | 'Failed', ns = 'ns') => {
    const run = w.api.get<Obj>('ConfigStoreMaintenance', ns, name)!;
    const result = { location: 's3://backups/x', objects: 1, bytes: 10, sha256: 'a'.repeat(64), revision: '5' };
    w.api.replace(
      'ConfigStoreMaintenance',
      { ...run, status: { phase, completedAt: w.clock.now().toISOString(), ...(phase === 'Succeeded' ? { result } : { message: 'Job failed' }) } },
      'status',
    );
  };
  /** Moves the clock to `iso` (plus the at most 60 s jitter of a daily schedule). */
  const at = (iso: string) => w.clock.advance((Date.parse(iso) + 61_000 - w.clock.now().getTime()) / 1000);
  return { w, metrics, objects, schedule, read, runs, finish, at, reconcile: (name: string) => reconciler.reconcile('ns', name) };
}

describe('backup schedule reconciler (fake API and clock)', () => {
  it('immediate: one run at once, an Export to <prefix><run>.ndjson.gz labelled with the schedule; the same minute adds none', async () => {
    const { w, schedule, read, runs, reconcile } = setup();
    schedule('nightly', { immediate: true });
    const wait = await reconcile('nightly');
    expect(runs()).toEqual(['nightly-202606011000']);
    const run = w.api.get<ConfigStoreMaintenance>('ConfigStoreMaintenance', 'ns', 'nightly-202606011000')!;
    expect(run.spec).toEqual({
      clusterRef: { name: 'main' },
      operation: 'Export',
      export: { destination: { s3: { bucket: 'backups', key: 'main/nightly-202606011000.ndjson.gz', endpoint: 'http://minio:9000' } } },
    });
    expect(run.metadata.labels).toMatchObject({ [labels.schedule]: 'nightly' });
    expect(read('nightly').status).toMatchObject({
      lastScheduleTime: '2026-06-01T10:00:00.000Z',
      nextScheduleTime: '2026-06-02T02:00:00.000Z',
      active: ['nightly-202606011000'],
    });
    expect(wait).toBe(60_000); // the next slot is 16 h away; the destination's inventory is looked at every minute
    await reconcile('nightly');
    expect(runs()).toHaveLength(1);
    expect(w.events.map((e) => e.reason)).toEqual(['Created']);
  });

  it('makes the run of each slot once; a restarted operator adopts the run it made', async () => {
    const { w, schedule, read, runs, finish, at, reconcile } = setup();
    schedule('nightly');
    await reconcile('nightly');
    expect(runs()).toEqual([]);
    at('2026-06-02T02:00:00Z');
    await reconcile('nightly');
    expect(runs()).toEqual(['nightly-202606020200']);
    finish('nightly-202606020200', 'Succeeded');
    // the status write was lost (an operator killed before it): the run is found, not made again
    const s = read('nightly');
    w.api.replace('ConfigStoreBackupSchedule', { ...s, status: {} } as unknown as Obj, 'status');
    await reconcile('nightly');
    expect(runs()).toEqual(['nightly-202606020200']);
    expect(w.events.map((e) => e.reason)).toEqual(['Created', 'Adopted']);
    expect(read('nightly').status).toMatchObject({ lastScheduleTime: '2026-06-02T02:00:00.000Z', lastSuccessfulTime: expect.any(String) });
  });

  it('after downtime runs only the latest missed slot and counts the rest', async () => {
    const { w, metrics, schedule, read, runs, finish, at, reconcile } = setup();
    schedule('nightly');
    at('2026-06-02T02:00:00Z');
    await reconcile('nightly');
    finish('nightly-202606020200', 'Succeeded');
    at('2026-06-06T02:00:00Z'); // the operator was down from the 2nd to the 6th
    await reconcile('nightly');
    expect(runs()).toEqual(['nightly-202606020200', 'nightly-202606060200']);
    expect(read('nightly').status).toMatchObject({
      missedRuns: 3,
      lastSkipped: { reason: '3 slot(s) missed while the operator was not running; only the latest ran' },
    });
    expect(metrics.missed).toBe(3);
    expect(w.events.at(-1)!.reason).toBe('MissedRuns');
  });

  it('a slot past startingDeadlineSeconds is skipped with the reason, not run late', async () => {
    const { schedule, read, runs, at, reconcile } = setup();
    schedule('nightly', { startingDeadlineSeconds: 300 });
    at('2026-06-02T02:10:00Z');
    await reconcile('nightly');
    expect(runs()).toEqual([]);
    expect(read('nightly').status!.lastSkipped!.reason).toMatch(/^slot 2026-06-02T02:00:00.000Z was \d+s ago, past startingDeadlineSeconds 300$/);
    expect(read('nightly').status!.lastScheduleTime).toBe('2026-06-02T02:00:00.000Z');
  });

  it('Forbid skips a slot while a run is going; Replace deletes the running one', async () => {
    const { schedule, read, runs, at, reconcile } = setup();
    schedule('forbid');
    schedule('replace', { concurrencyPolicy: 'Replace' });
    at('2026-06-02T02:00:00Z');
    await reconcile('forbid');
    await reconcile('replace');
    at('2026-06-03T02:00:00Z'); // both runs still going
    await reconcile('forbid');
    await reconcile('replace');
    expect(runs()).toEqual(['forbid-202606020200', 'replace-202606030200']);
    expect(read('forbid').status).toMatchObject({
      missedRuns: 1,
      lastSkipped: { reason: 'slot 2026-06-03T02:00:00.000Z skipped: run forbid-202606020200 is still going (concurrencyPolicy Forbid)' },
    });
  });

  it('waits for a free place under the operator-wide cap, then runs', async () => {
    const { w, schedule, read, runs, finish, at, reconcile } = setup({ maxConcurrentRuns: 1 });
    // another namespace's scheduled export is running
    w.api.put('ConfigStoreMaintenance', {
      metadata: { name: 'x-202606020200', namespace: 'other', labels: { [labels.schedule]: 'x' } },
      spec: { clusterRef: { name: 'c' }, operation: 'Export' },
    });
    schedule('nightly');
    at('2026-06-02T02:00:00Z');
    expect(await reconcile('nightly')).toBe(5000);
    expect(runs()).toEqual([]);
    expect(read('nightly').status!.message).toBe('run of slot 2026-06-02T02:00:00.000Z waits: 1 scheduled exports are running (at most 1 at once)');
    finish('x-202606020200', 'Succeeded', 'other');
    await reconcile('nightly');
    expect(runs()).toEqual(['nightly-202606020200']);
  });

  it('a schedule the CRD let through but cron cannot read is Stalled with the reason', async () => {
    const { w, schedule, read, runs, reconcile } = setup();
    schedule('bad', { schedule: '61 2 * * *' });
    expect(await reconcile('bad')).toBeUndefined();
    const status = read('bad').status!;
    expect(status.message).toBe('schedule "61 2 * * *": Constraint error, got value 61 expected range 0-59');
    expect(status.conditions!.map((c) => `${c.type}=${c.status}`)).toEqual(['Ready=False', 'Reconciling=False', 'Stalled=True']);
    expect(runs()).toEqual([]);
    expect(w.events).toMatchObject([{ reason: 'InvalidSchedule' }]);
    schedule('tz', { timeZone: 'Mars/Olympus' });
    await reconcile('tz');
    expect(read('tz').status!.message).toMatch(/timeZone "Mars\/Olympus" is not an IANA time zone name/);
  });

  it('health, last success and failure; retention prunes the stored export then the run, never while the newest run failed', async () => {
    const { w, metrics, objects, schedule, read, runs, finish, at, reconcile } = setup();
    schedule('nightly', { retention: { keepLast: 2 } });
    for (const day of ['02', '03']) {
      at(`2026-06-${day}T02:00:00Z`);
      await reconcile('nightly');
      finish(`nightly-202606${day}0200`, 'Succeeded');
    }
    objects.failing = new Error('connect ECONNREFUSED');
    at('2026-06-04T02:00:00Z');
    await reconcile('nightly');
    finish('nightly-202606040200', 'Succeeded');
    await reconcile('nightly'); // the delete fails: the run stays, to be tried again
    expect(runs()).toHaveLength(3);
    expect(w.events.at(-1)).toMatchObject({
      reason: 'PruneFailed',
      note: 'could not delete s3://backups/main/nightly-202606020200.ndjson.gz of run nightly-202606020200: connect ECONNREFUSED; will retry',
    });
    expect(read('nightly').status!.retention!.prune).toEqual(['nightly-202606020200']);
    objects.failing = undefined;
    await reconcile('nightly');
    expect(objects.deleted).toEqual(['backups/main/nightly-202606020200.ndjson.gz']);
    expect(metrics.pruned).toBe(1);
    expect(runs()).toEqual(['nightly-202606030200', 'nightly-202606040200']);
    let status = read('nightly').status!;
    expect(status.retention).toEqual({
      keep: [
        { name: 'nightly-202606040200', reasons: ['last'] },
        { name: 'nightly-202606030200', reasons: ['last'] },
      ],
      prune: [],
    });
    expect(w.events.at(-1)).toMatchObject({
      reason: 'Pruned',
      note: 'backup nightly-202606020200 (s3://backups/main/nightly-202606020200.ndjson.gz) deleted by retention',
    });
    expect(status.conditions!.find((c) => c.type === 'BackupsHealthy')).toMatchObject({ status: 'True', reason: 'LastRunSucceeded' });
    expect(metrics.success).toHaveLength(3);

    for (const day of ['05', '06']) {
      at(`2026-06-${day}T02:00:00Z`);
      await reconcile('nightly');
      finish(`nightly-202606${day}0200`, 'Failed');
    }
    // the policy tightened to 1 while the newest run failed: nothing goes
    const s = read('nightly');
    w.api.replace('ConfigStoreBackupSchedule', { ...s, spec: { ...s.spec, retention: { keepLast: 1 } } } as unknown as Obj, 'all');
    await reconcile('nightly');
    status = read('nightly').status!;
    expect(status.conditions!.find((c) => c.type === 'BackupsHealthy')).toMatchObject({ status: 'False', reason: 'LastRunFailed' });
    expect(status.retention!.prune).toEqual([]);
    expect(status.retention!.held).toMatch(/newest run failed/);
    expect(status.retention!.keep.map((k) => k.name)).toEqual(['nightly-202606040200', 'nightly-202606030200']);
    expect(objects.deleted).toHaveLength(1);
    expect(status.lastFailureTime).toBeDefined();
    expect(metrics.failure).toHaveLength(2);
  });

  it('metrics: the last success every round (a new leader reports what the status holds); a deleted schedule is forgotten', async () => {
    const { w, metrics, schedule, finish, at, reconcile } = setup();
    schedule('nightly');
    at('2026-06-02T02:00:00Z');
    await reconcile('nightly');
    expect(metrics.observed).toBe(1);
    finish('nightly-202606020200', 'Succeeded');
    await reconcile('nightly');
    const succeeded = metrics.success[0]!;
    metrics.success = []; // as a fresh operator's metrics
    await reconcile('nightly');
    expect(metrics.success).toEqual([succeeded]);
    w.api.delete('ConfigStoreBackupSchedule', 'ns', 'nightly');
    await reconcile('nightly');
    expect(metrics.forgotten).toEqual(['ns/nightly']);
  });

  it('without a retention policy every backup is kept', async () => {
    const { objects, schedule, read, runs, finish, at, reconcile } = setup();
    schedule('nightly');
    for (const day of ['02', '03', '04']) {
      at(`2026-06-${day}T02:00:00Z`);
      await reconcile('nightly');
      finish(`nightly-202606${day}0200`, 'Succeeded');
    }
    await reconcile('nightly');
    expect(runs()).toHaveLength(3);
    expect(objects.deleted).toEqual([]);
    expect(read('nightly').status!.retention).toBeUndefined();
  });

  it('deletes failed runs past ttlSecondsAfterFinished, keeps succeeded ones', async () => {
    const { w, schedule, runs, finish, at, reconcile } = setup();
    schedule('nightly', { ttlSecondsAfterFinished: 3600 });
    at('2026-06-02T02:00:00Z');
    await reconcile('nightly');
    finish('nightly-202606020200', 'Succeeded');
    at('2026-06-03T02:00:00Z');
    await reconcile('nightly');
    finish('nightly-202606030200', 'Failed');
    expect(await reconcile('nightly')).toBeLessThanOrEqual(3600_000);
    w.clock.advance(3601);
    await reconcile('nightly');
    expect(runs()).toEqual(['nightly-202606020200']);
  });

  it('lists what the destination holds as ConfigStoreBackup records; one whose manifest is gone is Missing, not deleted', async () => {
    const { w, objects, schedule, read, reconcile } = setup();
    // backups a previous namespace's schedule wrote, a foreign object, and an export without its manifest (not complete)
    objects.putExport('backups', 'main/nightly-202605300200.ndjson.gz', {
      source: { namespace: 'old', name: 'main', uid: 'u-old' },
      createdAt: '2026-05-30T02:00:05.000Z',
    });
    objects.putExport('backups', 'main/nightly-202605310200.ndjson.gz', { createdAt: '2026-05-31T02:00:05.000Z' });
    objects.objects.set('backups/main/partial.ndjson.gz', 'export');
    objects.objects.set('backups/main/junk.manifest.json', '{"not":"a manifest"}');
    objects.putExport('backups', 'elsewhere/other.ndjson.gz');
    schedule('nightly');
    await reconcile('nightly');
    const records = () => w.api.list<ConfigStoreBackup>('ConfigStoreBackup', 'ns');
    expect(records().map((r) => r.metadata.name)).toEqual(['nightly-202605300200', 'nightly-202605310200']);
    const first = records()[0]!;
    expect(first.metadata.labels).toEqual({ [labels.schedule]: 'nightly' });
    expect(first.spec.location).toEqual({ bucket: 'backups', key: 'main/nightly-202605300200.ndjson.gz', endpoint: 'http://minio:9000' });
    expect(first.spec.manifest).toMatchObject({
      sha256: 'a'.repeat(64),
      objects: 3,
      createdAt: '2026-05-30T02:00:05.000Z',
      source: { namespace: 'old', uid: 'u-old' },
    });
    expect(first.status!.conditions!.find((c) => c.type === 'Available')).toMatchObject({ status: 'True', reason: 'ManifestFound' });
    const kstatus = (r: ConfigStoreBackup) =>
      r.status!.conditions!.filter((c) => ['Ready', 'Reconciling', 'Stalled'].includes(c.type)).map((c) => `${c.type}=${c.status}`);
    expect(kstatus(first)).toEqual(['Ready=True', 'Reconciling=False', 'Stalled=False']);
    expect(first.status!.observedGeneration).toBe(1);
    expect(read('nightly').status!.inventory).toMatchObject({ backups: 2, missing: 0 });

    objects.objects.delete('backups/main/nightly-202605300200.ndjson.gz.manifest.json'); // someone deleted it in the bucket
    w.clock.advance(61);
    await reconcile('nightly');
    expect(records()).toHaveLength(2);
    expect(records()[0]!.status!.conditions!.find((c) => c.type === 'Available')).toMatchObject({ status: 'False', reason: 'Missing' });
    expect(records()[0]!.status!.conditions!.find((c) => c.type === 'Missing')).toMatchObject({ status: 'True' });
    expect(kstatus(records()[0]!)).toEqual(['Ready=False', 'Reconciling=False', 'Stalled=True']); // kstatus: Failed
    expect(read('nightly').status!.inventory).toMatchObject({ backups: 1, missing: 1 });
  });

  it('a record an older operator wrote (no kstatus conditions, no observedGeneration) gets them at the next inventory', async () => {
    const { w, objects, schedule, reconcile } = setup();
    objects.putExport('backups', 'main/nightly-202605310200.ndjson.gz');
    schedule('nightly');
    await reconcile('nightly');
    const record = () => w.api.get<ConfigStoreBackup>('ConfigStoreBackup', 'ns', 'nightly-202605310200')!;
    const old = record();
    const conditions = old.status!.conditions!.filter((c) => c.type === 'Available' || c.type === 'Missing');
    w.api.replace('ConfigStoreBackup', { ...old, status: { lastSeen: old.status!.lastSeen, conditions } } as never, 'status');
    w.clock.advance(61);
    await reconcile('nightly');
    expect(record().status!.observedGeneration).toBe(1);
    expect(record().status!.conditions!.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True', reason: 'ManifestFound' });
  });

  it('suspend: no new runs', async () => {
    const { schedule, read, runs, at, reconcile } = setup();
    schedule('nightly', { suspend: true, immediate: true });
    at('2026-06-02T02:00:00Z');
    await reconcile('nightly');
    expect(runs()).toEqual([]);
    expect(read('nightly').status!.message).toBe('suspended: no new runs');
    expect(read('nightly').status!.conditions!.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True', reason: 'Suspended' });
  });

  it('makes no run into a folder another cluster owns: Stalled with the owner named, each slot skipped once; the marker gone, runs resume', async () => {
    const { w, metrics, objects, schedule, read, runs, at, reconcile } = setup();
    w.api.put('ConfigStoreCluster', {
      apiVersion: 'configstore.io/v1alpha1',
      kind: 'ConfigStoreCluster',
      metadata: { name: 'main', namespace: 'ns', uid: 'uid-new' },
    });
    objects.claim('backups', 'main/', { uid: 'uid-old', namespace: 'ns', name: 'main' });
    schedule('nightly', { immediate: true });
    await reconcile('nightly');
    expect(runs()).toEqual([]);
    const refused = read('nightly').status!;
    expect(refused.destination).toEqual({
      folder: 's3://backups/main/',
      owner: { uid: 'uid-old', namespace: 'ns', name: 'main' },
      writable: false,
      checkedAt: '2026-06-01T10:00:00.000Z',
    });
    expect(refused.message).toMatch(
      /^the destination s3:\/\/backups\/main\/ belongs to cluster ns\/main \(uid uid-old\) since .*Use another prefix .*delete s3:\/\/backups\/main\/\.configstore-owner\.json$/,
    );
    const cond = (type: string) => refused.conditions!.find((c) => c.type === type)!;
    expect([cond('Ready').status, cond('Stalled').status, cond('Stalled').reason]).toEqual(['False', 'True', 'DestinationNotWritable']);
    at('2026-06-02T02:00:00Z');
    await reconcile('nightly');
    await reconcile('nightly');
    expect(runs()).toEqual([]);
    // the immediate run and the 02:00 slot, each counted once however many rounds see it
    expect(read('nightly').status).toMatchObject({
      missedRuns: 2,
      lastSkipped: { reason: expect.stringMatching(/^slot 2026-06-02T02:00:00.000Z skipped: the destination/) },
    });
    expect(metrics.missed).toBe(2);
    expect(w.events.filter((e) => e.reason === 'DestinationNotWritable')).toHaveLength(2);

    objects.objects.delete('backups/main/.configstore-owner.json'); // the old cluster is gone for good: its marker deleted by hand
    at('2026-06-03T02:00:00Z');
    await reconcile('nightly');
    expect(runs()).toEqual(['nightly-202606030200']);
    const resumed = read('nightly').status!;
    expect(resumed.destination).toMatchObject({ writable: true });
    expect(resumed.destination!.owner).toBeUndefined();
    expect(resumed.conditions!.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True', reason: 'Scheduled' });
  });

  it("runs into its own cluster's folder, and refuses a damaged marker", async () => {
    const { w, objects, schedule, read, runs, reconcile } = setup();
    w.api.put('ConfigStoreCluster', {
      apiVersion: 'configstore.io/v1alpha1',
      kind: 'ConfigStoreCluster',
      metadata: { name: 'main', namespace: 'ns', uid: 'uid-main' },
    });
    objects.claim('backups', 'main/', { uid: 'uid-main' });
    schedule('nightly', { immediate: true });
    await reconcile('nightly');
    expect(runs()).toEqual(['nightly-202606011000']);
    expect(read('nightly').status!.destination).toMatchObject({ owner: { uid: 'uid-main' }, writable: true });

    objects.objects.set('backups/other/.configstore-owner.json', 'garbage');
    schedule('weekly', { immediate: true, destination: { s3: { bucket: 'backups', prefix: 'other/' } } });
    await reconcile('weekly');
    expect(runs()).toEqual(['nightly-202606011000']);
    expect(read('weekly').status!.message).toBe(
      's3://backups/other/.configstore-owner.json is not a configstore owner marker (damaged, or written by something else): fix or delete it',
    );
  });
});
