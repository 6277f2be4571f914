// A ConfigStoreBackupSchedule on the real node: an immediate run and the next minute's slot,
// each an Export ConfigStoreMaintenance whose object lands in MinIO; retention deleting the
// older one from MinIO; the schedule's status, printer columns and metrics as a user reads them.
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { parseExportManifest } from '../../configstore/types/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiVersion, group, version, type ConfigStoreBackup, type ConfigStoreBackupSchedule, type ConfigStoreMaintenance } from '../../operator/api/index.js';
import { labels } from '../../operator/controllers/naming.js';
import { s3ClientFor } from '../../scripts/localenv/env.js';
import { localEnv } from '../../scripts/localenv/testenv.js';
import { eventsOf, kubectl, readyCluster } from './helpers.js';
import { createCluster, startWorld, until, type World } from './setup.js';

describe('ConfigStoreBackupSchedule', () => {
  let w: World;
  let a: Awaited<ReturnType<typeof createCluster>>;
  const schedules = { group, version, plural: 'configstorebackupschedules' };
  let firstRun: ConfigStoreMaintenance | undefined;
  let secondRun: ConfigStoreMaintenance | undefined;

  const runs = async () =>
    (
      (await w.custom.listNamespacedCustomObject({
        group,
        version,
        namespace: w.namespace,
        plural: 'configstoremaintenances',
        labelSelector: `${labels.schedule}=every-minute`,
      })) as {
        items: ConfigStoreMaintenance[];
      }
    ).items.sort((x, y) => x.metadata.name.localeCompare(y.metadata.name));
  const schedule = async () =>
    (await w.custom.getNamespacedCustomObject({ ...schedules, namespace: w.namespace, name: 'every-minute' })) as ConfigStoreBackupSchedule;
  /** Every run seen Succeeded so far (retention may delete the older one right after the next succeeds). */
  const seen = new Map<string, ConfigStoreMaintenance>();
  const succeeded = (n: number) => async () => {
    const all = await runs();
    if (all.some((r) => r.status?.phase === 'Failed' || r.status?.phase === 'Rejected'))
      throw new Error(`a run failed: ${JSON.stringify(all.map((r) => r.status))}`);
    for (const r of all) if (r.status?.phase === 'Succeeded') seen.set(r.metadata.name, r);
    return seen.size >= n && [...seen.values()].sort((x, y) => x.metadata.name.localeCompare(y.metadata.name));
  };
  const state = async () => ({
    schedule: (await schedule()).status,
    runs: (await runs()).map((r) => [r.metadata.name, r.status?.phase, r.status?.message]),
    events: (await eventsOf(w, 'every-minute', 'ConfigStoreBackupSchedule')).map((e) => `${e.reason}: ${e.note}`),
    operatorPods: (await w.operator.pods()).map((p) => [p.metadata?.name, p.status?.phase, p.status?.containerStatuses?.[0]?.restartCount]),
  });

  beforeAll(async () => {
    w = await startWorld('sched');
    a = await createCluster(w, 'alpha');
    await readyCluster(w, 'alpha');
  }, 180_000);
  afterAll(async () => {
    await w?.cleanup();
    await a?.cleanup();
  });

  it('runs at once (immediate), then at the next minute; each run an Export whose object is in the bucket', async () => {
    const body = {
      apiVersion,
      kind: 'ConfigStoreBackupSchedule',
      metadata: { name: 'every-minute', namespace: w.namespace },
      spec: {
        clusterRef: { name: 'alpha' },
        schedule: '* * * * *',
        immediate: true,
        destination: {
          s3: {
            bucket: w.backups.bucket,
            prefix: 'alpha/scheduled/',
            endpoint: w.env.s3.endpoint,
            region: w.env.s3.region,
            credentialsSecretRef: { name: 's3' },
          },
        },
        retention: { keepLast: 1 },
      },
    };
    const started = Date.now();
    await w.custom.createNamespacedCustomObject({ ...schedules, namespace: w.namespace, body });
    const [first] = await until(w, 'the immediate run succeeded', succeeded(1), 60_000, 500, state);
    firstRun = first;
    console.log(`schedule applied → immediate run Succeeded in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    expect(first!.metadata.name).toMatch(/^every-minute-\d{12}$/);
    expect(first!.spec.export!.destination.s3.key).toBe(`alpha/scheduled/${first!.metadata.name}.ndjson.gz`);
    const s3 = s3ClientFor(localEnv().s3);
    const head = await s3.send(new HeadObjectCommand({ Bucket: w.backups.bucket, Key: first!.spec.export!.destination.s3.key }));
    expect(head.ContentLength).toBe(first!.status!.result!.bytes);

    // the next slot: within a minute, plus its jitter (at most a tenth of the period)
    const both = await until(w, 'the next minute’s run succeeded', succeeded(2), 100_000, 500, state);
    const second = both.find((r) => r.metadata.name !== first!.metadata.name)!;
    secondRun = second;
    expect(second.metadata.name.slice(-2)).toMatch(/^\d\d$/);
    const slot = new Date(second.metadata.annotations!['configstore.io/scheduled-at']!);
    expect(slot.getUTCSeconds()).toBe(0);
    await s3.send(new HeadObjectCommand({ Bucket: w.backups.bucket, Key: second.spec.export!.destination.s3.key }));
    s3.destroy();
  }, 200_000);

  it('retention (keepLast 1) deletes the older stored export, then its run; the status says what it kept', async () => {
    const first = firstRun!;
    const s = await until(
      w,
      'the older backup pruned',
      async () => {
        const now = await schedule();
        const names = (await runs()).map((r) => r.metadata.name);
        // the status of the round after the prune (one whose status write lost a race is followed by another)
        const keep = now.status?.retention?.keep ?? [];
        return !names.includes(first.metadata.name) && keep.length === 1 && keep[0]!.name === secondRun!.metadata.name && now;
      },
      120_000,
      500,
      state,
    );
    expect(s.status!.retention).toEqual({ keep: [{ name: secondRun!.metadata.name, reasons: ['last'] }], prune: [] });
    const s3 = s3ClientFor(localEnv().s3);
    const gone = await s3
      .send(new HeadObjectCommand({ Bucket: w.backups.bucket, Key: first.spec.export!.destination.s3.key }))
      .catch((err: { name?: string }) => err.name);
    expect(gone).toBe('NotFound');
    const manifestGone = await s3
      .send(new HeadObjectCommand({ Bucket: w.backups.bucket, Key: `${first.spec.export!.destination.s3.key}.manifest.json` }))
      .catch((err: { name?: string }) => err.name);
    expect(manifestGone).toBe('NotFound');
    // the kept one's manifest names the cluster it came from
    const kept = await s3.send(new GetObjectCommand({ Bucket: w.backups.bucket, Key: `${secondRun!.spec.export!.destination.s3.key}.manifest.json` }));
    const manifest = parseExportManifest(await kept.Body!.transformToString());
    const cluster = (await w.custom.getNamespacedCustomObject({ group, version, namespace: w.namespace, plural: 'configstoreclusters', name: 'alpha' })) as {
      metadata: { uid: string };
    };
    expect(manifest).toMatchObject({
      key: secondRun!.spec.export!.destination.s3.key,
      sha256: secondRun!.status!.result!.sha256,
      source: { name: 'alpha', namespace: w.namespace, uid: cluster.metadata.uid },
    });
    await s3.send(new HeadObjectCommand({ Bucket: w.backups.bucket, Key: secondRun!.spec.export!.destination.s3.key })); // the kept one is there
    s3.destroy();
    // the inventory lists what the bucket holds: the kept backup, as a ConfigStoreBackup record
    const records = await until(
      w,
      'the inventory records the kept backup',
      async () => {
        const list = (await w.custom.listNamespacedCustomObject({ group, version, namespace: w.namespace, plural: 'configstorebackups' })) as {
          items: ConfigStoreBackup[];
        };
        return list.items.length === 1 && list.items[0]!.status?.conditions?.some((c) => c.type === 'Available' && c.status === 'True') && list.items;
      },
      90_000,
      1000,
      state,
    );
    expect(records[0]!.metadata.name).toBe(secondRun!.metadata.name);
    expect(records[0]!.spec.manifest).toMatchObject({ sha256: secondRun!.status!.result!.sha256, source: { name: 'alpha', uid: cluster.metadata.uid } });
    const { stdout: csb } = await kubectl(w, ['get', 'csb']);
    expect(csb).toMatch(new RegExp(`^${secondRun!.metadata.name}\\s+\\S+\\s+\\d+\\s+\\d+\\s+alpha\\s+True`, 'm'));
    const events = await eventsOf(w, 'every-minute', 'ConfigStoreBackupSchedule');
    expect(events.map((e) => e.reason)).toEqual(expect.arrayContaining(['Created', 'Pruned']));
  }, 240_000);

  it('reports the last success, the next slot, health, the printer columns and metrics', async () => {
    const s = await schedule();
    expect(Date.parse(s.status!.nextScheduleTime!)).toBeGreaterThan(Date.now() - 1000);
    expect(s.status!.conditions!.find((c) => c.type === 'BackupsHealthy')).toMatchObject({ status: 'True', reason: 'LastRunSucceeded' });
    expect(s.status!.conditions!.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True', reason: 'Scheduled' });
    const { stdout } = await kubectl(w, ['get', 'csbs', 'every-minute']);
    expect(stdout).toMatch(/^NAME\s+SCHEDULE\s+SUSPENDED\s+LAST SUCCESS\s+NEXT\s+HEALTHY\s+AGE/m);
    expect(stdout).toMatch(/every-minute\s+\* \* \* \* \*\s+\S*\s+\d+s\s+\S+\s+True\s+/);

    // the counters are the operator process's: one restarted since the prune would read 0
    const pods = await w.operator.pods();
    const restarts = pods.map((p) => p.status?.containerStatuses?.[0]?.restartCount ?? 0);
    if (restarts.some((n) => n > 0)) {
      // say why: the last termination and the end of the previous container's log
      const why = await Promise.all(
        pods.map(async (p) => {
          const last = JSON.stringify(p.status?.containerStatuses?.[0]?.lastState?.terminated ?? {});
          const log = await w.kubectl(['logs', p.metadata!.name!, '--previous', '--tail=15']).catch((e: Error) => e.message);
          return `${p.metadata!.name}: ${last}\n${log}`;
        }),
      );
      expect(restarts, `operator restarts:\n${why.join('\n')}`).toEqual(restarts.map(() => 0));
    }
    const text = await (await fetch(await w.operator.metricsUrl())).text();
    const line = new RegExp(`configstore_backup_last_success_timestamp_seconds\\{namespace="${w.namespace}",schedule="every-minute"\\} (\\d+(\\.\\d+)?)`).exec(
      text,
    );
    expect(line, text.slice(0, 2000)).not.toBeNull();
    expect(Number(line![1]) * 1000).toBeGreaterThan(Date.now() - 5 * 60_000);
    expect(text).toMatch(new RegExp(`configstore_backup_pruned_total\\{namespace="${w.namespace}",schedule="every-minute"\\} [1-9]`));
  });
});
