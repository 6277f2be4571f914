// Export a cluster to S3 and import it into another through ConfigStoreMaintenance CRs,
// on the real kube-apiserver (operator with its ServiceAccount token, Jobs run by the real
// Job controller, pods by the fake node) with real etcd and MinIO.
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigStoreClient } from '../../configstore/client/index.js';
import { group, version, type ConfigStoreMaintenance } from '../../operator/api/index.js';
import { readMaintenance, readRegistry } from '../../operator/controllers/etcd.js';
import { s3ClientFor } from '../../scripts/localenv/env.js';
import { etcdClient, localEnv } from '../../scripts/localenv/testenv.js';
import { finished, podClients, readyCluster } from './helpers.js';
import { adminToken, backupObject, createCluster, createMaintenance, getCluster, getMaintenance, startWorld, until, type World } from './setup.js';

const run = promisify(execFile);

describe('export and import through ConfigStoreMaintenance', () => {
  let w: World;
  let a: Awaited<ReturnType<typeof createCluster>>;
  let b: Awaited<ReturnType<typeof createCluster>>;

  const clientOf = async (cluster: string) => (await podClients(w, cluster))[0]!.client;

  beforeAll(async () => {
    w = await startWorld('exim');
    a = await createCluster(w, 'alpha');
    b = await createCluster(w, 'beta');
    await Promise.all([readyCluster(w, 'alpha'), readyCluster(w, 'beta')]);
  }, 180_000);
  afterAll(async () => {
    await w?.cleanup();
    await a?.cleanup();
    await b?.cleanup();
  });

  it('reports every instance of a cluster in its status', async () => {
    const c = await getCluster(w, 'alpha');
    expect(c.status).toMatchObject({ readyReplicas: 2, replicas: 2, mode: 'normal' });
    expect(c.status!.instances).toHaveLength(2);
    const pods = await w.core.listNamespacedPod({ namespace: w.namespace, labelSelector: 'app.kubernetes.io/component=server,configstore.io/cluster=alpha' });
    expect(c.status!.instances!.map((i) => i.pod).sort()).toEqual(pods.items.map((p) => p.metadata!.name).sort());
  });

  let exported: ConfigStoreMaintenance;
  it('exports to S3: Succeeded with the result, the object in the bucket, one Job, no maintenance', async () => {
    const client = await clientOf('alpha');
    for (let i = 0; i < 40; i++) await client.createUser({ name: `user${i}` });
    const started = Date.now();
    await createMaintenance(w, 'backup-1', {
      clusterRef: { name: 'alpha' },
      operation: 'Export',
      export: { destination: backupObject(w, 'alpha/backup-1.ndjson.gz') },
    });
    exported = await finished(w, 'backup-1');
    const seconds = (Date.now() - started) / 1000;
    expect(exported.status!.phase, exported.status!.message).toBe('Succeeded');
    const result = exported.status!.result!;
    expect(result.objects).toBeGreaterThanOrEqual(40);
    expect(result.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(result.location).toContain(`s3://${w.backups.bucket}/alpha/backup-1.ndjson.gz`);
    const s3 = s3ClientFor(localEnv().s3);
    const head = await s3.send(new HeadObjectCommand({ Bucket: w.backups.bucket, Key: 'alpha/backup-1.ndjson.gz' }));
    s3.destroy();
    expect(head.ContentLength).toBe(result.bytes);
    expect(exported.status!.conditions!.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True', reason: 'Succeeded' });
    expect(exported.status!.maintenanceRevision).toBeUndefined(); // an export without quiesce never fences writes
    const jobs = await w.batch.listNamespacedJob({ namespace: w.namespace, labelSelector: 'configstore.io/maintenance=backup-1' });
    expect(jobs.items).toHaveLength(1);
    const cluster = await getCluster(w, 'alpha');
    expect(cluster.status!.lastExport).toMatchObject({ maintenance: 'backup-1', sha256: result.sha256, objects: result.objects, bytes: result.bytes });
    console.log(`export CR applied → Succeeded in ${seconds.toFixed(1)} s (${result.objects} objects)`);
  });

  it('the operator reports it in /metrics', async () => {
    const text = await (await fetch(await w.operator.metricsUrl())).text();
    expect(text).toMatch(/configstore_operator_operation_transitions_total\{operation="Export",phase="Succeeded"\} 1/);
    expect(text).toMatch(new RegExp(`configstore_operator_exported_bytes_total ${exported.status!.result!.bytes}\\b`));
    expect(text).toMatch(/configstore_operator_operations\{operation="Export",phase="Succeeded"\} 1/);
    expect(text).toMatch(/configstore_operator_reconciles_total\{controller="maintenance",result="success"\} \d+/);
    expect(text).toContain('configstore_operator_leader 1');
  });

  it('kubectl wait --for=condition=Ready returns on the finished CR', async () => {
    const env = localEnv();
    const { stdout } = await run('kubectl', ['wait', '-n', w.namespace, '--for=condition=Ready', '--timeout=10s', 'configstoremaintenance/backup-1'], {
      env: { ...process.env, KUBECONFIG: env.kube!.kubeconfig, PATH: `${env.binDir}:${process.env.PATH}` },
    });
    expect(stdout).toContain('condition met');
  });

  it('imports it into another cluster: Succeeded, the same data served by every instance, maintenance released', async () => {
    const sha256 = exported.status!.result!.sha256;
    await createMaintenance(w, 'restore-1', {
      clusterRef: { name: 'beta' },
      operation: 'Import',
      import: { source: backupObject(w, 'alpha/backup-1.ndjson.gz'), sha256 },
    });
    const done = await finished(w, 'restore-1');
    expect(done.status!.phase, done.status!.message).toBe('Succeeded');
    expect(done.status!.result).toMatchObject({ sha256, objects: exported.status!.result!.objects, dryRun: false });
    expect(done.status!.maintenanceReleased).toBe(true);
    const etcd = etcdClient();
    try {
      expect(await readMaintenance(etcd, b.etcdPrefix)).toBeUndefined();
      const registry = await readRegistry(etcd, b.etcdPrefix);
      expect(registry.length).toBe(2);
    } finally {
      etcd.close();
    }
    const pods = await w.core.listNamespacedPod({ namespace: w.namespace, labelSelector: 'app.kubernetes.io/component=server,configstore.io/cluster=beta' });
    for (const pod of pods.items) {
      const client = new ConfigStoreClient(`http://${pod.status!.podIP}:4000`, { token: adminToken });
      const users = await until(w, `users on ${pod.metadata!.name}`, async () => {
        try {
          const list = await client.listUsers({ limit: 100 });
          return list.items.length === 40 && list.items;
        } catch {
          return undefined; // still leaving maintenance
        }
      });
      expect(users.map((u) => u.name).sort()).toEqual(Array.from({ length: 40 }, (_, i) => `user${i}`).sort());
    }
    await readyCluster(w, 'beta');
  }, 150_000);

  it('a finished CR deleted and re-created under the same name (GitOps after a TTL) does not run again', async () => {
    const spec = exported.spec;
    await w.custom.deleteNamespacedCustomObject({ group, version, namespace: w.namespace, plural: 'configstoremaintenances', name: 'backup-1' });
    await until(w, 'backup-1 gone', async () => (await getMaintenance(w, 'backup-1')) === undefined);
    const again = await createMaintenance(w, 'backup-1', spec);
    expect(again.metadata.uid).not.toBe(exported.metadata.uid);
    const done = await finished(w, 'backup-1');
    expect(done.status!.phase).toBe('Succeeded');
    expect(done.status!.message).toContain('not run: Export backup-1 already succeeded on this cluster');
    expect(done.status!.jobName).toBeUndefined();
    const jobs = await w.batch.listNamespacedJob({ namespace: w.namespace, labelSelector: 'configstore.io/maintenance=backup-1' });
    expect(jobs.items.filter((j) => j.metadata?.ownerReferences?.some((o) => o.uid === again.metadata.uid))).toHaveLength(0);
  });

  it('a dry-run import validates the export without putting the cluster in maintenance', async () => {
    await createMaintenance(w, 'check-1', {
      clusterRef: { name: 'beta' },
      operation: 'Import',
      import: { source: backupObject(w, 'alpha/backup-1.ndjson.gz'), sha256: exported.status!.result!.sha256, dryRun: true },
    });
    const done = await finished(w, 'check-1');
    expect(done.status!.phase, done.status!.message).toBe('Succeeded');
    expect(done.status!.result).toMatchObject({ dryRun: true, objects: exported.status!.result!.objects });
    expect(done.status!.maintenanceEtcd).toBeUndefined();
    expect(done.status!.maintenanceRevision).toBeUndefined();
  });

  it('a held maintenance whose etcd key someone else removes ends Failed, saying so', async () => {
    await createMaintenance(w, 'hold-1', { clusterRef: { name: 'alpha' }, operation: 'Maintenance' });
    await until(w, 'hold-1 holding', async () => (await getMaintenance(w, 'hold-1'))?.status?.step === 'Hold', 60_000);
    const etcd = etcdClient();
    try {
      await etcd.delete().key(`${a.etcdPrefix}maintenance`);
    } finally {
      etcd.close();
    }
    const done = await until(
      w,
      'hold-1 failed',
      async () => {
        const m = await getMaintenance(w, 'hold-1');
        return m?.status?.phase === 'Failed' && m;
      },
      60_000,
    );
    expect(done.status!.message).toContain('ended by someone else');
    expect(done.status!.conditions!.find((c) => c.type === 'Stalled')?.status).toBe('True');
    await readyCluster(w, 'alpha');
  }, 120_000);
});
