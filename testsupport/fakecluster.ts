// In-memory dependencies of the ConfigStoreCluster reconciler (ClusterDeps) on a fakeWorld:
// server-side apply of the Service and Deployment stores them as given, the Deployment reports
// the rollout the test sets, and the etcd pool answers from the world's FakeFence (its
// registry, and whether the prefix is empty) or is unreachable.
import type { AppsV1Api, CoreV1Api, V1Deployment, V1Service } from '@kubernetes/client-node';
import type { Etcd3 } from 'etcd3';
import type { ClusterDeps } from '../operator/controllers/cluster/reconcile.js';
import { EtcdUnreachableError, type EtcdPool } from '../operator/controllers/etcd.js';
import type { BackupObjects } from '../operator/controllers/backupobjects.js';
import type { fakeWorld } from './fakeoperator.js';

type World = ReturnType<typeof fakeWorld>;

export interface FakeClusterControls {
  /** readyReplicas the Deployment reports (all replicas are updated and observed). */
  readyReplicas: number;
  /** Set: every etcd call fails as unreachable. */
  etcdUnreachable: boolean;
}

export function fakeClusterDeps(w: World, objects: BackupObjects): { deps: ClusterDeps; controls: FakeClusterControls } {
  const controls: FakeClusterControls = { readyReplicas: 0, etcdUnreachable: false };
  const store = (kind: string, o: unknown) => w.api.put(kind, o as Parameters<typeof w.api.put>[1]);
  const apps = {
    patchNamespacedDeployment: async (r: { name: string; namespace: string; body: V1Deployment }) => {
      const replicas = r.body.spec?.replicas ?? 1;
      const status = { observedGeneration: 1, replicas, updatedReplicas: replicas, readyReplicas: controls.readyReplicas };
      return store('Deployment', { ...r.body, metadata: { ...r.body.metadata, name: r.name, namespace: r.namespace, generation: 1 }, status });
    },
  } as unknown as AppsV1Api;
  const core = {
    patchNamespacedService: async (r: { name: string; namespace: string; body: V1Service }) =>
      store('Service', { ...r.body, metadata: { ...r.body.metadata, name: r.name, namespace: r.namespace } }),
  } as unknown as CoreV1Api;
  // the few etcd3 calls readRegistry, readMaintenance and isPrefixEmpty make
  const client = {
    // the maintenance key is the fence's; every other single key is absent
    get: (key: string) => ({
      exec: async () => ({
        kvs:
          key.endsWith('/maintenance') && w.fence.key
            ? [{ value: JSON.stringify({ owner: w.fence.key.owner, reason: '', requestedBy: w.fence.key.owner }), create_revision: w.fence.key.revision }]
            : [],
      }),
    }),
    getAll: () => ({
      prefix: () => ({
        exec: async () => ({ kvs: w.fence.instances.map((i) => ({ value: JSON.stringify(i) })) }),
        limit: () => ({ keys: async () => (w.fence.empty ? [] : ['wal/1']) }),
      }),
    }),
  } as unknown as Etcd3;
  const calling = async <T>(target: { endpoints: string[] }, fn: () => Promise<T>): Promise<T> => {
    if (controls.etcdUnreachable) throw new EtcdUnreachableError(target.endpoints, w.clock.now(), 'connect ECONNREFUSED');
    return fn();
  };
  const etcd = {
    connect: async () => ({ client, fingerprint: undefined }),
    calling,
    run: async <T>(_ns: string, target: { endpoints: string[] }, fn: (e: Etcd3) => Promise<T>) => calling(target, () => fn(client)),
  } as unknown as EtcdPool;
  return { deps: { custom: w.deps.custom, apps, core, etcd, objects, log: w.deps.log, now: w.clock.now }, controls };
}
