// What the ConfigStoreCluster reconciler needs beyond testsupport/fakeoperator.ts: the apps
// and core calls it makes (server-side apply of the Deployment and Service) and the cluster's
// etcd, read through the real EtcdPool.calling (so an unreachable etcd reads as the operator
// says it). The fake API server runs no controllers: the Deployment's status is given here.
import type { AppsV1Api, CoreV1Api, V1Deployment, V1DeploymentStatus } from '@kubernetes/client-node';
import type { Etcd3 } from 'etcd3';
import { etcdKeys } from '../../../configstore/types/index.js';
import type { fakeWorld } from '../../../testsupport/fakeoperator.js';
import { FakeBackupObjects } from '../../../testsupport/fakeoperator.js';
import { ClusterReconciler } from '../../../operator/controllers/cluster/reconcile.js';
import { EtcdPool, type EtcdTarget } from '../../../operator/controllers/etcd.js';

type World = ReturnType<typeof fakeWorld>;

/** The cluster's etcd as the fake fence holds it (maintenance key, registry, data or none); `down` makes every read fail as grpc does. */
function fakeEtcd(w: World, prefix: string, down: () => Error | undefined): Etcd3 {
  const keys = etcdKeys(prefix);
  const kv = (value: unknown, revision = '1') => ({ value: Buffer.from(JSON.stringify(value)), create_revision: revision });
  const read = (key: string, isPrefix: boolean) => {
    const err = down();
    if (err) throw err;
    if (isPrefix) return key === keys.instancesPrefix ? w.fence.instances.map((i) => kv(i)) : [];
    if (key === keys.maintenance && w.fence.key) return [kv({ owner: w.fence.key.owner, requestedBy: 'configstore-operator' }, w.fence.key.revision)];
    if (key === keys.snapshot && !w.fence.empty) return [kv({ epoch: 0, revision: '50' })];
    return [];
  };
  const getAll = () => {
    let prefixOf = '';
    const q = {
      prefix: (p: string) => ((prefixOf = p), q),
      limit: () => q,
      exec: async () => ({ kvs: read(prefixOf, true) }),
      keys: async () => read(prefixOf, true).map((k) => k.value.toString()),
    };
    return q;
  };
  return { get: (key: string) => ({ exec: async () => ({ kvs: read(key, false) }) }), getAll } as unknown as Etcd3;
}

class FakeEtcdPool extends EtcdPool {
  constructor(
    private readonly w: World,
    private readonly down: () => Error | undefined,
  ) {
    super(w.deps.core, w.clock.now);
  }
  override async connect(namespace: string, target: EtcdTarget & { prefix?: string }) {
    // a named Secret is read as the operator reads it (a missing one is its EtcdCredentialsError)
    if (target.credentialsSecretRef) await super.connect(namespace, target);
    return { client: fakeEtcd(this.w, target.prefix ?? '/configstore/', this.down), fingerprint: undefined };
  }
  override async run<T>(namespace: string, target: EtcdTarget, fn: (etcd: Etcd3) => Promise<T>): Promise<T> {
    const { client } = await this.connect(namespace, target);
    return this.calling(target, () => fn(client));
  }
}

/** A ClusterReconciler on the world, its Deployment reporting `rollout` and its etcd failing with `etcdDown` when set. */
export function clusterReconciler(w: World, objects = new FakeBackupObjects()) {
  const state: { rollout: V1DeploymentStatus; etcdDown?: Error } = { rollout: {} };
  const apps = {
    patchNamespacedDeployment: async (r: { body: V1Deployment }) =>
      ({ ...r.body, metadata: { ...r.body.metadata, generation: 1 }, status: { observedGeneration: 1, ...state.rollout } }) as V1Deployment,
  } as unknown as AppsV1Api;
  const core = {
    patchNamespacedService: async (r: { body: unknown }) => r.body,
    readNamespacedSecret: (r: { name: string; namespace: string }) => w.deps.core.readNamespacedSecret(r),
  } as unknown as CoreV1Api;
  const reconciler = new ClusterReconciler({
    custom: w.deps.custom,
    apps,
    core,
    etcd: new FakeEtcdPool(w, () => state.etcdDown),
    objects,
    log: w.deps.log,
    now: w.clock.now,
  });
  return { state, objects, reconcile: (name = 'main') => reconciler.reconcile(w.namespace, name) };
}
