// Deleting a ConfigStoreMaintenance is the abort, on the real servers: a held Maintenance
// or an Import deleted mid-run releases the cluster (key gone, writes accepted again) and
// leaves the data wholly old or wholly new. An Import inside a held Maintenance runs inside
// it and leaves the cluster held until the holder is deleted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigStoreMaintenance } from '../../operator/api/index.js';
import {
  condition,
  etcdState,
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
  writeStatus,
} from './helpers.js';
import { backupObject, createCluster, createMaintenance, getMaintenance, startWorld, until, type World } from './setup.js';

const testMs = 4 * waitMs;
const names = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`).sort();

describe('deleting a ConfigStoreMaintenance mid-run', () => {
  let w: World;
  let a: Awaited<ReturnType<typeof createCluster>>;
  let b: Awaited<ReturnType<typeof createCluster>>;
  const exported: Record<string, ConfigStoreMaintenance> = {};
  let writes = 0;

  beforeAll(async () => {
    w = await startWorld('abort');
    a = await createCluster(w, 'alpha');
    b = await createCluster(w, 'beta');
    await Promise.all([readyCluster(w, 'alpha'), readyCluster(w, 'beta')]);
    // alpha holds a*, beta b*; an export of each to import later
    for (const [cluster, prefix, n] of [
      ['alpha', 'a', 30],
      ['beta', 'b', 10],
    ] as const) {
      const { client } = (await podClients(w, cluster))[0]!;
      for (const name of names(prefix, n)) await client.createUser({ name });
      await createMaintenance(w, `exp-${cluster}`, {
        clusterRef: { name: cluster },
        operation: 'Export',
        export: { destination: backupObject(w, `${cluster}/export.ndjson.gz`) },
      });
    }
    for (const cluster of ['alpha', 'beta']) {
      exported[cluster] = await finished(w, `exp-${cluster}`);
      expect(exported[cluster]!.status!.phase, exported[cluster]!.status!.message).toBe('Succeeded');
    }
  }, 4 * waitMs);
  afterAll(async () => {
    await w?.cleanup();
    await a?.cleanup();
    await b?.cleanup();
  });

  /** Held: the key is `owner`'s, every instance in maintenance, every write refused with 503. */
  async function expectHeld(prefix: string, cluster: string, owner: string) {
    await instancesIn(w, prefix, 'maintenance');
    expect((await etcdState(prefix)).key?.owner).toBe(owner);
    const pods = await podClients(w, cluster);
    expect(pods).toHaveLength(2);
    for (const { pod, client } of pods) expect(await writeStatus(client, `held-${pod.split('-').pop()}`), pod).toBe(503);
  }

  /** Released: no key, and every instance accepts a write again. */
  async function expectReleased(prefix: string, cluster: string) {
    expect((await etcdState(prefix)).key).toBeUndefined();
    await instancesIn(w, prefix, 'normal');
    for (const { pod, client } of await podClients(w, cluster)) {
      const name = `after${++writes}-${pod.split('-').pop()}`; // a new user each time (an existing name is a 409)
      await until(
        w,
        `${pod} accepts writes`,
        async () => {
          const status = await writeStatus(client, name);
          if (status !== 201 && status !== 503) throw new Error(`a write to ${pod} got ${status}, not 201 or 503 (still in maintenance)`);
          return status === 201;
        },
        waitMs,
        300,
      );
    }
  }

  const held = (name: string) =>
    until(
      w,
      `${name} holds its cluster`,
      async () => {
        const m = await getMaintenance(w, name);
        return m?.status?.step === 'Hold' && m;
      },
      waitMs,
      200,
      async () => (await getMaintenance(w, name))?.status,
    );

  it(
    'a Maintenance holds the cluster (Ready) until kubectl delete, which releases it',
    async () => {
      await createMaintenance(w, 'hold-1', { clusterRef: { name: 'alpha' }, operation: 'Maintenance' });
      const m = await held('hold-1');
      expect(m.status!.phase).toBe('Running');
      expect(condition(m, 'Ready')).toMatchObject({ status: 'True', reason: 'MaintenanceHeld' });
      expect(condition(m, 'Stalled')).toMatchObject({ status: 'False' });
      expect(m.status!.maintenanceOwner).toBe(m.metadata.uid);
      expect(await jobsOf(w, 'hold-1')).toHaveLength(0);
      await expectHeld(a.etcdPrefix, 'alpha', m.metadata.uid);

      await kubectl(w, ['delete', 'configstoremaintenance/hold-1', '--timeout=90s']);
      expect(await getMaintenance(w, 'hold-1')).toBeUndefined();
      await expectReleased(a.etcdPrefix, 'alpha');
    },
    testMs,
  );

  /** Imports alpha's export into beta, deletes the CR once `ready` says so, and checks the abort. */
  async function cutImport(name: string, ready: (m: ConfigStoreMaintenance) => Promise<boolean>) {
    const old = (await usersOnEveryPod(w, 'beta'))[0]!;
    await createMaintenance(w, name, {
      clusterRef: { name: 'beta' },
      operation: 'Import',
      import: { source: backupObject(w, 'alpha/export.ndjson.gz'), sha256: exported.alpha!.status!.result!.sha256 },
    });
    const running = await until(
      w,
      `${name} ready to be cut`,
      async () => {
        const m = await getMaintenance(w, name);
        return m?.status?.step === 'RunJob' && (await ready(m)) && m;
      },
      waitMs,
      50,
      async () => (await getMaintenance(w, name))?.status,
    );
    await w.custom.deleteNamespacedCustomObject({
      group: 'configstore.io',
      version: 'v1alpha1',
      namespace: w.namespace,
      plural: 'configstoremaintenances',
      name,
    });
    const deletedAt = Date.now();
    const jobs = (await jobsOf(w, name)).length;
    expect(running.status!.maintenanceOwner).toBe(running.metadata.uid);

    await gone(w, name);
    await until(w, 'the Job and its pods gone', async () => (await jobsOf(w, name)).length === 0 && (await podsOfJobs(w, name)).length === 0, waitMs, 300);
    const secs = ((Date.now() - deletedAt) / 1000).toFixed(1);
    expect((await etcdState(b.etcdPrefix)).key).toBeUndefined();
    await instancesIn(w, b.etcdPrefix, 'normal');
    const served = await usersOnEveryPod(w, 'beta');
    expect(served).toHaveLength(2);
    expect(served[1]).toEqual(served[0]);
    expect([old, names('a', 30)]).toContainEqual(served[0]);
    console.log(
      `${name}: ${jobs} Job(s) at the delete; CR, Job and pods gone ${secs} s later; beta serves the ${served[0]![0] === old[0] ? 'old' : 'imported'} data`,
    );
    await expectReleased(b.etcdPrefix, 'beta');
  }

  it(
    'an Import deleted as soon as it reaches RunJob: CR, Job and key gone, data wholly old or wholly new',
    async () => {
      await cutImport('restore-cut', async () => true);
    },
    testMs,
  );

  it(
    'an Import deleted while its Job pod runs: CR, Job and key gone, data wholly old or wholly new',
    async () => {
      await cutImport('restore-cut-2', async () => (await podsOfJobs(w, 'restore-cut-2')).some((p) => p.status?.phase === 'Running'));
    },
    testMs,
  );

  it(
    'an Import inside a held Maintenance runs inside it; the cluster stays held until the holder is deleted',
    async () => {
      await createMaintenance(w, 'hold-2', { clusterRef: { name: 'alpha' }, operation: 'Maintenance' });
      const holder = await held('hold-2');
      await expectHeld(a.etcdPrefix, 'alpha', holder.metadata.uid);

      await createMaintenance(w, 'restore-inside', {
        clusterRef: { name: 'alpha' },
        operation: 'Import',
        import: { source: backupObject(w, 'beta/export.ndjson.gz'), sha256: exported.beta!.status!.result!.sha256 },
      });
      const m = await finished(w, 'restore-inside');
      expect(m.status!.phase, m.status!.message).toBe('Succeeded');
      expect(m.status).toMatchObject({ maintenanceOwner: holder.metadata.uid, maintenanceRevision: holder.status!.maintenanceRevision });
      expect(m.status!.maintenanceReleased).toBeFalsy();
      expect(m.status!.result).toMatchObject({ sha256: exported.beta!.status!.result!.sha256, objects: exported.beta!.status!.result!.objects });
      // still held by hold-2: same key, same fence, writes refused
      expect((await etcdState(a.etcdPrefix)).key).toEqual({ owner: holder.metadata.uid, revision: holder.status!.maintenanceRevision });
      await expectHeld(a.etcdPrefix, 'alpha', holder.metadata.uid);
      expect((await getMaintenance(w, 'hold-2'))!.status).toMatchObject({ phase: 'Running', step: 'Hold' });

      await kubectl(w, ['delete', 'configstoremaintenance/hold-2', '--timeout=90s']);
      expect((await etcdState(a.etcdPrefix)).key).toBeUndefined();
      await instancesIn(w, a.etcdPrefix, 'normal');
      // the imported data (beta's), on every instance, then writes again
      for (const served of await usersOnEveryPod(w, 'alpha')) expect(served).toEqual(names('b', 10));
      await expectReleased(a.etcdPrefix, 'alpha');
    },
    testMs,
  );
});
