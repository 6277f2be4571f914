// The operator's pod killed (force-deleted: SIGKILL, no grace) at each step of an operation;
// the Deployment starts another: the operation completes, with exactly one Job and no
// maintenance left behind. And with two replicas, one stands by: when the leader's pod dies
// mid-operation, it takes over and finishes it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Step } from '../../operator/api/index.js';
import { group, steps, version } from '../../operator/api/index.js';
import { readMaintenance } from '../../operator/controllers/etcd.js';
import { etcdClient } from '../../scripts/localenv/testenv.js';
import { finished, jobsOf } from './helpers.js';
import { backupObject, createCluster, createMaintenance, getCluster, getMaintenance, startWorld, until, type World } from './setup.js';

describe('operator restarts', () => {
  let w: World;
  let c: Awaited<ReturnType<typeof createCluster>>;

  const maintenanceKey = async () => {
    const etcd = etcdClient();
    try {
      return await readMaintenance(etcd, c.etcdPrefix);
    } finally {
      etcd.close();
    }
  };

  beforeAll(async () => {
    w = await startWorld('restart', { leaseDurationSeconds: 5 });
    c = await createCluster(w, 'main');
    await until(
      w,
      'cluster Ready',
      async () => (await getCluster(w, 'main')).status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True'),
      90_000,
    );
  }, 180_000);
  afterAll(async () => {
    await w?.cleanup();
    await c?.cleanup();
  });

  // a quiesced export passes every step: enter, wait, Job, verify, exit
  for (const target of ['EnterMaintenance', 'WaitForInstances', 'RunJob', 'Verify', 'ExitMaintenance'] as Step[]) {
    it(`killed at ${target}: completes with exactly one Job and maintenance released`, async () => {
      const name = `kill-at-${target.toLowerCase()}`;
      await createMaintenance(w, name, {
        clusterRef: { name: 'main' },
        operation: 'Export',
        export: { destination: backupObject(w, `${name}.ndjson`), quiesce: true },
      });
      // kill as soon as the step is reached (or passed: the steps can be quicker than a poll)
      const seen = await until(
        w,
        `${name} at ${target}`,
        async () => {
          const step = (await getMaintenance(w, name))?.status?.step;
          return step && steps.indexOf(step) >= steps.indexOf(target) && step;
        },
        60_000,
        20,
      );
      await w.operator.kill();
      const done = await finished(w, name);
      expect(done.status!.phase, done.status!.message).toBe('Succeeded');
      expect(done.status!.maintenanceReleased).toBe(true);
      expect(await jobsOf(w, name)).toHaveLength(1);
      expect(await maintenanceKey()).toBeUndefined();
      console.log(`killed at ${seen} (target ${target}): Succeeded, 1 Job`);
    }, 150_000);
  }

  // The narrowest window: the key deleted, the operator killed before it wrote
  // maintenanceReleased. The state is set up by hand, so the window is hit every time.
  it('killed between releasing the key and recording it: the restarted operator records the release', async () => {
    await w.operator.stop();
    try {
      const cr = await createMaintenance(w, 'released-unrecorded', {
        clusterRef: { name: 'main' },
        operation: 'Export',
        export: { destination: backupObject(w, 'released-unrecorded.ndjson'), quiesce: true },
      });
      const now = new Date().toISOString();
      const cluster = await getCluster(w, 'main');
      const status = {
        phase: 'Running',
        step: 'ExitMaintenance',
        outcome: 'Succeeded',
        message: 'leaving maintenance',
        startedAt: now,
        stepStartedAt: now,
        maintenanceEtcd: { endpoints: cluster.spec.etcd.endpoints, prefix: c.etcdPrefix },
        maintenanceOwner: cr.metadata!.uid,
        maintenanceRevision: '1',
      };
      await w.custom.replaceNamespacedCustomObjectStatus({
        group,
        version,
        namespace: w.namespace,
        plural: 'configstoremaintenances',
        name: 'released-unrecorded',
        body: { ...cr, status },
      });
      expect(await maintenanceKey()).toBeUndefined(); // released, not recorded
    } finally {
      await w.operator.start();
    }
    const done = await finished(w, 'released-unrecorded');
    expect(done.status!.phase, done.status!.message).toBe('Succeeded');
    expect(done.status!.maintenanceReleased).toBe(true);
    expect(await jobsOf(w, 'released-unrecorded')).toHaveLength(0);
  }, 150_000);

  it('a stand-by replica takes over when the leader dies mid-operation', async () => {
    await w.operator.start(2);
    try {
      const leader = await w.operator.leader();
      await createMaintenance(w, 'failover', {
        clusterRef: { name: 'main' },
        operation: 'Export',
        export: { destination: backupObject(w, 'failover.ndjson'), quiesce: true },
      });
      await until(w, 'failover running', async () => (await getMaintenance(w, 'failover'))?.status?.phase === 'Running', 60_000, 20);
      const killedAt = Date.now();
      await w.operator.kill([leader]);
      const successor = await until(
        w,
        'another pod to lead',
        async () => {
          const now = await w.operator.leader().catch(() => undefined);
          return now && now.metadata!.name !== leader.metadata!.name && now;
        },
        30_000,
        100,
      );
      const takeoverSeconds = (Date.now() - killedAt) / 1000;
      const done = await finished(w, 'failover');
      expect(done.status!.phase, done.status!.message).toBe('Succeeded');
      expect(await jobsOf(w, 'failover')).toHaveLength(1);
      expect(await maintenanceKey()).toBeUndefined();
      expect(takeoverSeconds).toBeLessThan(5 + 4); // lease duration (5 s here) + a retry period or two
      console.log(`stand-by ${successor.metadata!.name} took over ${takeoverSeconds.toFixed(1)} s after the leader's pod was killed`);
    } finally {
      await w.operator.start(1);
    }
  }, 150_000);
});
