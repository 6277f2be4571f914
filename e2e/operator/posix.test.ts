// Posix object storage on a volume, on the real node: a ConfigStoreCluster whose
// objectStorage.posix names a PersistentVolumeClaim (a static hostPath PersistentVolume here,
// ReadWriteMany, as an NFS or CephFS one would be). Both pods mount it with their read-only
// roots; the snapshots land on it, and new pods read them back.
import { chmodSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolatedEtcdPrefix } from '../../scripts/localenv/testenv.js';
import { finished, podClients, readyCluster, serverPods, userNames } from './helpers.js';
import { backupObject, createCluster, createMaintenance, startWorld, until, type World } from './setup.js';

describe('posix object storage on a PersistentVolumeClaim', () => {
  let w: World;
  let etcd: ReturnType<typeof isolatedEtcdPrefix>;
  let hostDir = '';
  let pvName = '';

  beforeAll(async () => {
    w = await startWorld('posix');
    etcd = isolatedEtcdPrefix('posix');
    hostDir = join(w.env.dir, 'volumes', w.namespace);
    mkdirSync(hostDir, { recursive: true });
    chmodSync(hostDir, 0o777); // a hostPath volume gets no fsGroup: the pods' uid 1000 must be able to write
    pvName = `${w.namespace}-objects`.slice(0, 63);
    const storageClassName = `manual-${w.namespace}`.slice(0, 63);
    await w.core.createPersistentVolume({
      body: {
        metadata: { name: pvName },
        spec: {
          capacity: { storage: '1Gi' },
          accessModes: ['ReadWriteMany'],
          persistentVolumeReclaimPolicy: 'Retain',
          storageClassName,
          hostPath: { path: hostDir, type: 'Directory' },
        },
      },
    });
    await w.core.createNamespacedPersistentVolumeClaim({
      namespace: w.namespace,
      body: {
        metadata: { name: 'objects' },
        spec: { accessModes: ['ReadWriteMany'], storageClassName, volumeName: pvName, resources: { requests: { storage: '1Gi' } } },
      },
    });
    await createCluster(w, 'files', 2, {
      etcd: { endpoints: [w.env.etcd.endpoint], prefix: etcd.prefix },
      objectStorage: { posix: { path: '/var/lib/configstore/objects', claimName: 'objects' } },
    });
  }, 240_000);
  afterAll(async () => {
    await w?.cleanup();
    await w?.core.deletePersistentVolume({ name: pvName }).catch(() => undefined);
    await etcd?.cleanup();
  });

  it('both pods mount the claim; the snapshots an export takes are on the volume, written by uid 1000', async () => {
    await readyCluster(w, 'files');
    for (const pod of await serverPods(w, 'files')) {
      expect(pod.spec!.volumes!.find((v) => v.name === 'objects')?.persistentVolumeClaim?.claimName).toBe('objects');
    }
    const [first] = await podClients(w, 'files');
    for (let i = 0; i < 10; i++) await first!.client.createUser({ name: `file-user${i}` });
    await createMaintenance(w, 'files-export', {
      clusterRef: { name: 'files' },
      operation: 'Export',
      export: { destination: backupObject(w, 'files.ndjson') },
    });
    const done = await finished(w, 'files-export');
    expect(done.status!.phase, done.status!.message).toBe('Succeeded');
    // the posix layout: <root>/data/<segment>.d/…/<name>.o
    const manifests = join(hostDir, 'data', 'snapshots.d', 'manifests.d');
    expect(existsSync(manifests) ? readdirSync(manifests).length : 0, 'snapshot manifests on the volume').toBeGreaterThan(0);
    expect(statSync(join(manifests, readdirSync(manifests)[0]!)).uid).toBe(1000);
  });

  it('new pods read the data back from the volume', async () => {
    const before = (await serverPods(w, 'files')).map((p) => p.metadata!.name!);
    await Promise.all(before.map((name) => w.core.deleteNamespacedPod({ name, namespace: w.namespace, gracePeriodSeconds: 0 })));
    await until(
      w,
      'two new pods ready',
      async () => {
        const pods = await podClients(w, 'files');
        return pods.length === 2 && pods.every((p) => !before.includes(p.pod)) && pods;
      },
      120_000,
      300,
    );
    for (const { client } of await podClients(w, 'files')) {
      const names = await until(w, 'the users on a new pod', async () => {
        const served = await userNames(client).catch(() => undefined);
        return served?.length === 10 && served;
      });
      expect(names).toEqual(Array.from({ length: 10 }, (_, i) => `file-user${i}`).sort());
    }
  });
});
