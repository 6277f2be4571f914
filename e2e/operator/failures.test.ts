// What goes wrong with ConfigStoreMaintenance, on the real servers: bad specs are Rejected
// with every reason, operations on one cluster queue, a failing Job ends Failed with the
// CLI's message and releases maintenance, ttlSecondsAfterFinished deletes, and re-applying
// a finished CR changes nothing. (Deletion mid-run: abort.test.ts.)
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigStoreMaintenance } from '../../operator/api/index.js';
import { localEnv } from '../../scripts/localenv/testenv.js';
import {
  condition,
  etcdState,
  eventsOf,
  finished,
  gone,
  instancesIn,
  jobsOf,
  kubectl,
  podClients,
  podsOfJobs,
  readyCluster,
  usersOnEveryPod,
  waitMs,
} from './helpers.js';
import { backupObject, createCluster, createMaintenance, getMaintenance, startWorld, until, type World } from './setup.js';

const testMs = 4 * waitMs;

describe('ConfigStoreMaintenance failures', () => {
  let w: World;
  let a: Awaited<ReturnType<typeof createCluster>>;
  let users: string[];

  beforeAll(async () => {
    w = await startWorld('fail');
    a = await createCluster(w, 'alpha');
    await readyCluster(w, 'alpha');
    const { client } = (await podClients(w, 'alpha'))[0]!;
    for (let i = 0; i < 20; i++) await client.createUser({ name: `user${i}` });
    users = Array.from({ length: 20 }, (_, i) => `user${i}`).sort();
  }, 3 * waitMs);
  afterAll(async () => {
    await w?.cleanup();
    await a?.cleanup();
  });

  /** Rejected, Stalled, with a Warning Event, and nothing started: no Job, no maintenance key. */
  async function expectRejected(name: string, reasons: RegExp[]) {
    const m = await finished(w, name);
    expect(m.status!.phase).toBe('Rejected');
    expect(m.status!.reasons).toHaveLength(reasons.length);
    for (const r of reasons)
      expect(
        m.status!.reasons!.some((x) => r.test(x)),
        `${r} in ${JSON.stringify(m.status!.reasons)}`,
      ).toBe(true);
    expect(condition(m, 'Stalled')).toMatchObject({ status: 'True', reason: 'Rejected' });
    expect(condition(m, 'Ready')).toMatchObject({ status: 'False', reason: 'Rejected' });
    expect(m.status!.startedAt).toBeUndefined();
    const warning = await until(
      w,
      `Warning Event on ${name}`,
      async () => (await eventsOf(w, name)).find((e) => e.type === 'Warning' && e.reason === 'Rejected'),
      waitMs,
    );
    for (const r of reasons) expect(warning.note).toMatch(r);
    expect(await jobsOf(w, name)).toHaveLength(0);
    expect((await etcdState(a.etcdPrefix)).key).toBeUndefined();
  }

  it(
    'rejects a spec naming a missing cluster and a missing Secret, with both reasons',
    async () => {
      const dest = { s3: { ...backupObject(w, 'x/nowhere.ndjson.gz').s3, credentialsSecretRef: { name: 'no-such-keys' } } };
      await createMaintenance(w, 'bad-refs', { clusterRef: { name: 'no-such-cluster' }, operation: 'Export', export: { destination: dest } });
      await expectRejected('bad-refs', [/ConfigStoreCluster no-such-cluster not found/, /credentialsSecretRef: Secret no-such-keys not found/]);
    },
    testMs,
  );

  it(
    'rejects a Secret without the S3 keys, one reason per missing key',
    async () => {
      const src = { s3: { ...backupObject(w, 'x/any.ndjson.gz').s3, credentialsSecretRef: { name: 'admin' } } };
      await createMaintenance(w, 'bad-keys', { clusterRef: { name: 'alpha' }, operation: 'Import', import: { source: src } });
      await expectRejected('bad-keys', [/Secret admin has no key AWS_ACCESS_KEY_ID/, /Secret admin has no key AWS_SECRET_ACCESS_KEY/]);
    },
    testMs,
  );

  it(
    "rejects an export into the cluster's own snapshot bucket and prefix",
    async () => {
      const env = localEnv();
      const dest = {
        s3: {
          bucket: a.storage!.bucket,
          key: 'backups/alpha.ndjson.gz',
          endpoint: env.s3.endpoint,
          region: env.s3.region,
          credentialsSecretRef: { name: 's3' },
        },
      };
      await createMaintenance(w, 'into-own-bucket', { clusterRef: { name: 'alpha' }, operation: 'Export', export: { destination: dest } });
      await expectRejected('into-own-bucket', [/inside the cluster's own snapshot prefix/]);
    },
    testMs,
  );

  let q1: ConfigStoreMaintenance;
  it(
    'queues a second operation on the same cluster until the first is done',
    async () => {
      const exportTo = (key: string) => ({
        clusterRef: { name: 'alpha' },
        operation: 'Export' as const,
        export: { destination: backupObject(w, key), quiesce: true },
      });
      await createMaintenance(w, 'q-1', exportTo('alpha/q-1.ndjson.gz'));
      await createMaintenance(w, 'q-2', exportTo('alpha/q-2.ndjson.gz'));
      // while q-1 runs, q-2 waits at position 2 and says for whom
      const queued = await until(
        w,
        'q-2 queued behind a running q-1',
        async () => {
          const [first, second] = [await getMaintenance(w, 'q-1'), await getMaintenance(w, 'q-2')];
          return first?.status?.phase === 'Running' && second?.status?.queuePosition !== undefined && second;
        },
        waitMs,
        100,
      );
      expect(queued.status).toMatchObject({ phase: 'Pending', step: 'Queue', queuePosition: 2 });
      expect(queued.status!.message).toContain('q-1');
      expect(queued.status!.startedAt).toBeUndefined();

      q1 = await finished(w, 'q-1');
      const q2 = await finished(w, 'q-2');
      expect([q1.status!.phase, q2.status!.phase], `${q1.status!.message} / ${q2.status!.message}`).toEqual(['Succeeded', 'Succeeded']);
      expect(Date.parse(q2.status!.startedAt!)).toBeGreaterThanOrEqual(Date.parse(q1.status!.completedAt!));
      expect(q2.status!.queuePosition).toBeUndefined();
      for (const q of [q1, q2]) expect(q.status).toMatchObject({ maintenanceOwner: q.metadata.uid, maintenanceReleased: true });
      expect((await etcdState(a.etcdPrefix)).key).toBeUndefined();
    },
    testMs,
  );

  it(
    "a failing Job (wrong sha256) ends Failed with the CLI's message; maintenance released, data unchanged",
    async () => {
      const wrong = 'f'.repeat(64);
      await createMaintenance(w, 'bad-sha', {
        clusterRef: { name: 'alpha' },
        operation: 'Import',
        import: { source: backupObject(w, 'alpha/q-1.ndjson.gz'), sha256: wrong },
      });
      const m = await finished(w, 'bad-sha');
      expect(m.status!.phase).toBe('Failed');
      // the CLI's own refusal, through the termination message (FallbackToLogsOnError)
      expect(m.status!.message).toContain(`the export's sha256 is ${q1.status!.result!.sha256}, not ${wrong}`);
      expect(m.status!.message).toContain('refusing to import it');
      expect(m.status!.lastErrors!.at(-1)).toMatchObject({ step: 'RunJob' });
      expect(condition(m, 'Stalled')).toMatchObject({ status: 'True', reason: 'Failed' });
      expect(m.status).toMatchObject({ maintenanceOwner: m.metadata.uid, maintenanceReleased: true });
      expect(m.status!.result).toBeUndefined();
      // exit code 2 fails the Job at once (podFailurePolicy): one pod, no retries
      expect(await podsOfJobs(w, 'bad-sha')).toHaveLength(1);
      expect((await etcdState(a.etcdPrefix)).key).toBeUndefined();
      await instancesIn(w, a.etcdPrefix, 'normal');
      for (const names of await usersOnEveryPod(w, 'alpha')) expect(names).toEqual(users);
    },
    testMs,
  );

  it(
    'ttlSecondsAfterFinished: 2 deletes the CR about 2 s after it finished',
    async () => {
      await createMaintenance(w, 'ttl-2', {
        clusterRef: { name: 'alpha' },
        operation: 'Export',
        export: { destination: backupObject(w, 'alpha/ttl-2.ndjson.gz') },
        ttlSecondsAfterFinished: 2,
      });
      const done = await finished(w, 'ttl-2');
      expect(done.status!.phase).toBe('Succeeded');
      await gone(w, 'ttl-2');
      const after = Date.now() - Date.parse(done.status!.completedAt!);
      console.log(`ttl-2 deleted ${(after / 1000).toFixed(1)} s after completedAt`);
      expect(after).toBeGreaterThanOrEqual(1900);
      expect(after).toBeLessThan(15_000);
    },
    testMs,
  );

  it(
    're-applying a finished CR changes nothing: no new Job, same status',
    async () => {
      const manifest = join(w.dir, 'reapply.yaml');
      writeFileSync(
        manifest,
        JSON.stringify({
          apiVersion: 'configstore.io/v1alpha1',
          kind: 'ConfigStoreMaintenance',
          metadata: { name: 'reapply', namespace: w.namespace },
          spec: { clusterRef: { name: 'alpha' }, operation: 'Export', export: { destination: backupObject(w, 'alpha/reapply.ndjson.gz') } },
        }),
      );
      await kubectl(w, ['create', '-f', manifest]);
      const before = await finished(w, 'reapply');
      expect(before.status!.phase).toBe('Succeeded');
      const jobs = (await jobsOf(w, 'reapply')).map((j) => j.metadata!.uid);
      expect(jobs).toHaveLength(1);
      // counted by reason (a repeated Event is one object with a series count)
      const started = async () =>
        (await eventsOf(w, 'reapply')).filter((e) => e.reason === 'Started' || e.reason === 'JobCreated').reduce((n, e) => n + (e.series?.count ?? 1), 0);
      expect(await started()).toBe(2);

      // created without apply's annotation: this apply really updates the object (the operator sees an event)
      const { stdout } = await kubectl(w, ['apply', '-f', manifest]);
      expect(stdout).toContain('configured');
      const touched = (await getMaintenance(w, 'reapply'))!;
      expect(touched.metadata.resourceVersion).not.toBe(before.metadata.resourceVersion);
      expect(touched.metadata.generation).toBe(before.metadata.generation);
      await new Promise((r) => setTimeout(r, 5000)); // time for the operator to react (it must not)
      const after = (await getMaintenance(w, 'reapply'))!;
      expect(after.status).toEqual(before.status);
      expect((await jobsOf(w, 'reapply')).map((j) => j.metadata!.uid)).toEqual(jobs);
      expect(await started()).toBe(2);
      // and a second apply of the same manifest is a no-op for the apiserver too
      expect((await kubectl(w, ['apply', '-f', manifest])).stdout).toContain('unchanged');
    },
    testMs,
  );
});
