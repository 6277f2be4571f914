// A ConfigStoreCluster on an etcd run as in production (TLS with client certificates, password
// auth), its credentials in a Secret: the pods mount it, the operator reads it to put the
// maintenance key and read the registry. A missing Secret is named in the cluster's status.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { group, version } from '../../operator/api/index.js';
import { secureEtcdClient, startEtcd, type EtcdServer } from '../../scripts/localenv/etcd.js';
import { stopProcess } from '../../scripts/localenv/process.js';
import { binary, ensureTools } from '../../scripts/localenv/tools.js';
import { eventsOf, finished, gone, podClients, serverPods } from './helpers.js';
import { backupObject, createCluster, createMaintenance, getCluster, getMaintenance, startWorld, until, type World } from './setup.js';

describe('a cluster on a TLS + password etcd', () => {
  let w: World;
  let etcd: EtcdServer;
  let c: Awaited<ReturnType<typeof createCluster>>;
  const credentialFiles = ['ca.crt', 'tls.crt', 'tls.key', 'username', 'password'];

  beforeAll(async () => {
    ensureTools(['etcd']);
    w = await startWorld('secure');
    etcd = await startEtcd(binary('etcd'), w.dir, 'secure-etcd', { secure: true, host: w.env.node.ip }); // pods reach it on the node's address
    expect(readdirSync(etcd.credentialsDir!)).toEqual(expect.arrayContaining(credentialFiles));
    const data = Object.fromEntries(credentialFiles.map((f) => [f, readFileSync(join(etcd.credentialsDir!, f)).toString('base64')]));
    await w.core.createNamespacedSecret({ namespace: w.namespace, body: { metadata: { name: 'etcd-credentials' }, data } });
    c = await createCluster(w, 'secure', 2, { etcd: { endpoints: [etcd.endpoint], prefix: '/secure/', credentialsSecretRef: { name: 'etcd-credentials' } } });
  }, 180_000);
  afterAll(async () => {
    await w?.cleanup();
    await c?.cleanup();
    if (etcd) await stopProcess(etcd.process);
  });

  it('runs the cluster: Ready, every instance reported from the registry over TLS', async () => {
    const cluster = await until(
      w,
      'cluster secure Ready',
      async () => {
        const x = await getCluster(w, 'secure');
        return x.status?.conditions?.some((k) => k.type === 'Ready' && k.status === 'True') && x.status.instances?.length === 2 && x;
      },
      90_000,
      200,
      async () => (await getCluster(w, 'secure')).status,
    );
    expect(cluster.status).toMatchObject({ mode: 'normal', readyReplicas: 2 });
  });

  it('exports with quiesce: the operator puts and releases the maintenance key on the secured etcd', async () => {
    await (await podClients(w, 'secure'))[0]!.client.createUser({ name: 'over-tls' });
    await createMaintenance(w, 'secure-export', {
      clusterRef: { name: 'secure' },
      operation: 'Export',
      export: { destination: backupObject(w, 'secure.ndjson'), quiesce: true },
    });
    const done = await finished(w, 'secure-export');
    expect(done.status!.phase, done.status!.message).toBe('Succeeded');
    expect(done.status).toMatchObject({
      maintenanceReleased: true,
      maintenanceEtcd: { endpoints: [etcd.endpoint], prefix: '/secure/', credentialsSecretRef: { name: 'etcd-credentials' } },
    });
    expect(done.status!.result!.objects).toBeGreaterThanOrEqual(1); // the user written through the secured etcd
  });

  it('rotating the credentials Secret (a new etcd password) rolls the pods onto it', async () => {
    const before = (await serverPods(w, 'secure')).map((p) => p.metadata!.name!);
    const password = `rotated-${Date.now()}`;
    const admin = secureEtcdClient(etcd);
    try {
      await admin.user('root').setPassword(password);
    } finally {
      admin.close();
    }
    const secret = await w.core.readNamespacedSecret({ namespace: w.namespace, name: 'etcd-credentials' });
    await w.core.replaceNamespacedSecret({
      namespace: w.namespace,
      name: 'etcd-credentials',
      body: { ...secret, data: { ...secret.data, password: Buffer.from(password).toString('base64') } },
    });

    const rolled = await until(
      w,
      'the pods to roll onto the new password',
      async () => {
        const pods = await serverPods(w, 'secure');
        const c = await getCluster(w, 'secure');
        const ready = c.status?.conditions?.some((k) => k.type === 'Ready' && k.status === 'True');
        return ready && c.status!.instances?.length === 2 && pods.length === 2 && pods.every((p) => !before.includes(p.metadata!.name!)) && pods;
      },
      120_000,
      500,
      async () => ({ status: (await getCluster(w, 'secure')).status, pods: (await serverPods(w, 'secure')).map((p) => p.metadata!.name) }),
    );
    expect(new Set(rolled.map((p) => p.metadata!.annotations?.['configstore.io/etcd-credentials'])).size).toBe(1);
  }, 150_000);

  it('deleting a held Maintenance while the credentials Secret is gone keeps the finalizer and says why, until the Secret is back', async () => {
    await createMaintenance(w, 'hold-secure', { clusterRef: { name: 'secure' }, operation: 'Maintenance' });
    await until(
      w,
      'hold-secure to hold',
      async () => (await getMaintenance(w, 'hold-secure'))?.status?.step === 'Hold',
      60_000,
      200,
      async () => (await getMaintenance(w, 'hold-secure'))?.status,
    );
    const secret = await w.core.readNamespacedSecret({ namespace: w.namespace, name: 'etcd-credentials' });
    await w.core.deleteNamespacedSecret({ namespace: w.namespace, name: 'etcd-credentials' });
    try {
      await w.custom.deleteNamespacedCustomObject({ group, version, namespace: w.namespace, plural: 'configstoremaintenances', name: 'hold-secure' });
      const event = await until(w, 'a ReleaseFailed event', async () => (await eventsOf(w, 'hold-secure')).find((e) => e.reason === 'ReleaseFailed'), 30_000);
      expect(event.note).toMatch(/cannot release maintenance yet, retrying: etcd credentials Secret etcd-credentials not found/);
      expect((await getMaintenance(w, 'hold-secure'))?.metadata.deletionTimestamp).toBeDefined(); // the finalizer holds it
    } finally {
      await w.core.createNamespacedSecret({ namespace: w.namespace, body: { metadata: { name: 'etcd-credentials' }, data: secret.data } });
    }
    await gone(w, 'hold-secure'); // once the Secret is back
    const cluster = await until(
      w,
      'the cluster out of maintenance',
      async () => {
        const c = await getCluster(w, 'secure');
        return c.status?.mode === 'normal' && !c.status.maintenanceOwner && c;
      },
      60_000,
      200,
      async () => (await getCluster(w, 'secure')).status,
    );
    expect(cluster.status!.instances!.every((i) => i.mode === 'normal')).toBe(true);
  }, 150_000);

  it('a cluster whose credentials Secret is missing says so in its Ready condition', async () => {
    const missing = await createCluster(w, 'no-secret', 1, {
      etcd: { endpoints: [etcd.endpoint], prefix: '/no-secret/', credentialsSecretRef: { name: 'not-there' } },
    });
    try {
      const cond = await until(
        w,
        'no-secret to report the missing Secret',
        async () => {
          const ready = (await getCluster(w, 'no-secret')).status?.conditions?.find((k) => k.type === 'Ready');
          return ready?.status === 'False' && ready.message?.includes('etcd credentials Secret not-there not found') && ready;
        },
        60_000,
        200,
        async () => (await getCluster(w, 'no-secret')).status,
      );
      expect(cond.message).toMatch(/etcd credentials Secret not-there not found in namespace/);
    } finally {
      await missing.cleanup();
    }
  });
});
