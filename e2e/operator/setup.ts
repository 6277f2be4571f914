// One e2e world per test file: a namespace on the real kube-apiserver with the CRDs and the
// chart's RBAC, a fake node running pods as local processes (e2e/node), and the operator as
// a real `configstore operator` process authenticated by its ServiceAccount's token, so a
// missing permission in the chart fails the tests.
import { BatchV1Api, CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiVersion, group, version, type ConfigStoreCluster, type ConfigStoreMaintenance } from '../../operator/api/index.js';
import { startOperatorEnv, type OperatorProcess } from '../../scripts/localenv/operatorenv.js';
import { isolatedBucket, isolatedEtcdPrefix, isolatedNamespace, localEnv } from '../../scripts/localenv/testenv.js';
import type { FakeNode } from '../node/node.js';

export const adminToken = 'e2e-admin-token-0123456789';

export interface World {
  namespace: string;
  kc: KubeConfig;
  core: CoreV1Api;
  batch: BatchV1Api;
  custom: CustomObjectsApi;
  node: FakeNode;
  /** Holds operator.kubeconfig (the ServiceAccount's), operator.log, rbac.yaml, node/. */
  dir: string;
  /** The operator process (restartable); `metricsUrl` serves /metrics of the running one. */
  operator: OperatorProcess;
  /** A bucket for exports, with the `s3` Secret that has its credentials. */
  backups: Awaited<ReturnType<typeof isolatedBucket>>;
  cleanup(): Promise<void>;
}

export async function startWorld(name: string): Promise<World> {
  const env = localEnv();
  const ns = await isolatedNamespace(name);
  const { kc, namespace } = ns;
  const core = kc.makeApiClient(CoreV1Api);
  const dir = mkdtempSync(join(tmpdir(), `e2e-${name}-`));
  // the shared pieces (scripts/localenv/operatorenv.ts, also behind `npm start`)
  const opEnv = await startOperatorEnv({ state: env, kc, namespace, dir, release: 'op', podName: `operator-${name}`, logLevel: 'debug' });

  const secrets: { name: string; data: Record<string, string> }[] = [
    { name: 's3', data: { AWS_ACCESS_KEY_ID: env.s3.accessKeyId, AWS_SECRET_ACCESS_KEY: env.s3.secretAccessKey } },
    { name: 'admin', data: { token: adminToken } },
  ];
  for (const secret of secrets) {
    await core.createNamespacedSecret({ namespace, body: { metadata: { name: secret.name }, stringData: secret.data } });
  }
  const backups = await isolatedBucket(`${name}-backups`);

  return {
    namespace,
    kc,
    core,
    batch: kc.makeApiClient(BatchV1Api),
    custom: kc.makeApiClient(CustomObjectsApi),
    node: opEnv.node,
    dir,
    operator: opEnv.operator,
    backups,
    async cleanup() {
      await opEnv.stop();
      await backups.cleanup().catch(() => undefined);
      await ns.cleanup();
    },
  };
}

/** A ConfigStoreCluster on the local etcd (its own prefix) and MinIO (its own bucket). */
export async function createCluster(w: World, name: string, replicas = 2, opts: { etcd?: ConfigStoreCluster['spec']['etcd'] } = {}) {
  const env = localEnv();
  // another etcd (opts.etcd) belongs to the test; the shared one gets an isolated prefix
  const etcd = opts.etcd ? { prefix: opts.etcd.prefix ?? '/configstore/', cleanup: async () => undefined } : isolatedEtcdPrefix(name);
  const storage = await isolatedBucket(`${name}-data`);
  const body: ConfigStoreCluster = {
    apiVersion,
    kind: 'ConfigStoreCluster',
    metadata: { name, namespace: w.namespace },
    spec: {
      replicas,
      image: 'configstore:e2e',
      etcd: opts.etcd ?? { endpoints: [env.etcd.endpoint], prefix: etcd.prefix },
      objectStorage: { s3: { bucket: storage.bucket, endpoint: env.s3.endpoint, region: env.s3.region, credentialsSecretRef: { name: 's3' } } },
      adminTokenSecretRef: { name: 'admin' },
      logLevel: 'warn',
    },
  };
  await w.custom.createNamespacedCustomObject({ group, version, namespace: w.namespace, plural: 'configstoreclusters', body });
  return { name, etcdPrefix: etcd.prefix, storage, cleanup: async () => (await etcd.cleanup(), await storage.cleanup().catch(() => undefined)) };
}

export async function getCluster(w: World, name: string): Promise<ConfigStoreCluster> {
  return (await w.custom.getNamespacedCustomObject({ group, version, namespace: w.namespace, plural: 'configstoreclusters', name })) as ConfigStoreCluster;
}

export async function getMaintenance(w: World, name: string): Promise<ConfigStoreMaintenance | undefined> {
  try {
    return (await w.custom.getNamespacedCustomObject({ group, version, namespace: w.namespace, plural: 'configstoremaintenances', name })) as ConfigStoreMaintenance;
  } catch (err) {
    if ((err as { code?: number }).code === 404) return undefined;
    throw err;
  }
}

export async function createMaintenance(w: World, name: string, spec: ConfigStoreMaintenance['spec']): Promise<ConfigStoreMaintenance> {
  const body = { apiVersion, kind: 'ConfigStoreMaintenance', metadata: { name, namespace: w.namespace }, spec };
  return (await w.custom.createNamespacedCustomObject({ group, version, namespace: w.namespace, plural: 'configstoremaintenances', body })) as ConfigStoreMaintenance;
}

/** Polls until `probe` returns a value (not undefined/false), or fails with `what` and the operator's last log lines. */
export async function until<T>(w: World, what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 60_000, everyMs = 200, describe?: () => Promise<unknown>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) {
      const state = describe ? `\n--- state ---\n${JSON.stringify(await describe().catch((e: Error) => e.message), null, 1)}` : '';
      throw new Error(`timed out waiting for ${what}${state}\n--- operator log (tail) ---\n${w.operator.logs().split('\n').slice(-30).join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** The S3 location of an export in the backups bucket, as a ConfigStoreMaintenance names it. */
export function backupObject(w: World, key: string) {
  const env = localEnv();
  return { s3: { bucket: w.backups.bucket, key, endpoint: env.s3.endpoint, region: env.s3.region, credentialsSecretRef: { name: 's3' } } };
}
