// One e2e world per test file, on the real node (scripts/local-env up --kube): a namespace
// that enforces Pod Security "restricted", the operator installed as a user installs it
// (`helm install` of the chart, its crds/ included, the image built from the Dockerfile),
// and clusters whose pods the kubelet runs. etcd and MinIO are this machine's, on the node's
// address, so pods and the tests reach the same servers.
import { AppsV1Api, BatchV1Api, CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiVersion, group, version, type ConfigStoreCluster, type ConfigStoreMaintenance } from '../../operator/api/index.js';
import type { LocalEnvState } from '../../scripts/localenv/env.js';
import { defaultRelease as release, helmInstallOperator, kubeTool, operatorLogs } from '../../scripts/localenv/operator.js';
import { isolatedBucket, isolatedEtcdPrefix, isolatedNamespace, localEnv } from '../../scripts/localenv/testenv.js';
import { eventually } from '../../testsupport/eventually.js';

export { release };
export const adminToken = 'e2e-admin-token-0123456789';
const operatorSelector = `app.kubernetes.io/name=${release}`;

export type NodeEnv = LocalEnvState & { node: NonNullable<LocalEnvState['node']>; kube: NonNullable<LocalEnvState['kube']> };

export function nodeEnv(): NodeEnv {
  const env = localEnv();
  if (!env.node || !env.kube)
    throw new Error('these tests need the real node: run them with `npm test` (or LOCAL_ENV_NODE=1 vitest run --config vitest.node.config.ts)');
  return env as NodeEnv;
}

/** The operator as the chart deploys it: a Deployment whose pods the tests kill, stop and start. */
export interface OperatorDeployment {
  replicas: number;
  /** The operator's pods (those being deleted left out). */
  pods(): Promise<V1Pod[]>;
  /** The pod holding the Lease, once one does. */
  leader(): Promise<V1Pod>;
  /** /metrics of the leader. */
  metricsUrl(): Promise<string>;
  /** Force-deletes `pods` (default: all) at once, as a SIGKILL would; the Deployment replaces them. */
  kill(pods?: V1Pod[]): Promise<void>;
  /** Scales to 0 and waits until no operator runs. */
  stop(): Promise<void>;
  /** Scales back to `replicas` (or `n`) and waits until they are ready. */
  start(n?: number): Promise<void>;
  /** The last lines of every operator pod's log. */
  logs(): Promise<string>;
}

export interface World {
  env: NodeEnv;
  namespace: string;
  kc: KubeConfig;
  core: CoreV1Api;
  apps: AppsV1Api;
  batch: BatchV1Api;
  custom: CustomObjectsApi;
  /** A scratch dir of the test process. */
  dir: string;
  operator: OperatorDeployment;
  /** A bucket for exports, with the `s3` Secret that has its credentials. */
  backups: Awaited<ReturnType<typeof isolatedBucket>>;
  /** kubectl as the admin, in the world's namespace (stdin from `input`). */
  kubectl(args: string[], input?: string): Promise<string>;
  helm(args: string[]): Promise<string>;
  cleanup(): Promise<void>;
}

export async function startWorld(
  name: string,
  opts: {
    operatorReplicas?: number;
    /** Default 15 s, the chart's. Worlds that kill the leader take 5 s, so a successor takes over within seconds;
     * elsewhere a renew deadline that short (3.3 s) made a starved CI machine's operator step down and exit. */
    leaseDurationSeconds?: number;
    helmValues?: string[];
    /** Another world's backups bucket, taken over (this world cleans it). */ backups?: World['backups'];
  } = {},
): Promise<World> {
  const env = nodeEnv();
  const ns = await isolatedNamespace(name, { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'latest' });
  const { kc, namespace } = ns;
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const dir = mkdtempSync(join(tmpdir(), `e2e-${name}-`));
  const tool = (cmd: 'kubectl' | 'helm', args: string[], input?: string) => kubeTool(env, cmd, args, input);
  const replicas = opts.operatorReplicas ?? 1;
  await helmInstallOperator({
    state: env,
    namespace,
    replicas,
    values: ['--set', `leaderElection.leaseDurationSeconds=${opts.leaseDurationSeconds ?? 15}`, '--set', 'logLevel=debug', ...(opts.helmValues ?? [])],
  });

  const listPods = async () =>
    (await core.listNamespacedPod({ namespace, labelSelector: operatorSelector })).items.filter((p) => !p.metadata?.deletionTimestamp);
  const ready = (p: V1Pod) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
  const poll = async <T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 120_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = await probe().catch(() => undefined);
      if (v !== undefined && v !== false) return v;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const scale = (n: number) =>
    apps.patchNamespacedDeploymentScale(
      { name: release, namespace, body: { spec: { replicas: n } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  const operator: OperatorDeployment = {
    replicas,
    pods: listPods,
    leader: () =>
      poll('an operator leading', async () => {
        const lease = JSON.parse(await tool('kubectl', ['-n', namespace, 'get', 'lease', 'configstore-operator', '-o', 'json'])) as {
          spec?: { holderIdentity?: string };
        };
        const holder = lease.spec?.holderIdentity?.split('_')[0]; // <pod>_<random>
        return (await listPods()).find((p) => p.metadata!.name === holder && ready(p));
      }),
    async metricsUrl() {
      return `http://${(await this.leader()).status!.podIP}:8080/metrics`;
    },
    async kill(pods) {
      const targets = pods ?? (await listPods());
      await Promise.all(targets.map((p) => core.deleteNamespacedPod({ name: p.metadata!.name!, namespace, gracePeriodSeconds: 0 }).catch(() => undefined)));
    },
    async stop() {
      await scale(0);
      await poll('no operator pod', async () => (await core.listNamespacedPod({ namespace, labelSelector: operatorSelector })).items.length === 0);
    },
    async start(n = replicas) {
      await scale(n);
      await poll(`${n} operator pod(s) ready`, async () => (await listPods()).filter(ready).length === n);
    },
    logs: () => operatorLogs(env, namespace),
  };

  const secrets: { name: string; data: Record<string, string> }[] = [
    { name: 's3', data: { AWS_ACCESS_KEY_ID: env.s3.accessKeyId, AWS_SECRET_ACCESS_KEY: env.s3.secretAccessKey } },
    { name: 'admin', data: { token: adminToken } },
  ];
  for (const secret of secrets) {
    await core.createNamespacedSecret({ namespace, body: { metadata: { name: secret.name }, stringData: secret.data } });
  }
  const backups = opts.backups ?? (await isolatedBucket(`${name}-backups`));

  return {
    env,
    namespace,
    kc,
    core,
    apps,
    batch: kc.makeApiClient(BatchV1Api),
    custom: kc.makeApiClient(CustomObjectsApi),
    dir,
    operator,
    backups,
    kubectl: (args, input) => tool('kubectl', ['-n', namespace, ...args], input),
    helm: (args) => tool('helm', ['-n', namespace, ...args]),
    async cleanup() {
      await tool('helm', ['-n', namespace, 'uninstall', release, '--wait', '--timeout', '60s']).catch(() => undefined);
      await backups.cleanup().catch(() => undefined);
      await ns.cleanup();
    },
  };
}

/**
 * A ConfigStoreCluster of the image built here, on the machine's etcd (its own prefix) and
 * MinIO (its own bucket), or on the etcd and object storage the test names (its own to clean).
 */
export async function createCluster(
  w: World,
  name: string,
  replicas = 2,
  opts: {
    etcd?: ConfigStoreCluster['spec']['etcd'];
    objectStorage?: ConfigStoreCluster['spec']['objectStorage'];
    bootstrap?: ConfigStoreCluster['spec']['bootstrap'];
  } = {},
) {
  const env = w.env;
  const etcd = opts.etcd ? { prefix: opts.etcd.prefix ?? '/configstore/', cleanup: async () => undefined } : isolatedEtcdPrefix(name);
  const storage = opts.objectStorage ? undefined : await isolatedBucket(`${name}-data`);
  const body: ConfigStoreCluster = {
    apiVersion,
    kind: 'ConfigStoreCluster',
    metadata: { name, namespace: w.namespace },
    spec: {
      replicas,
      image: env.node.image,
      etcd: opts.etcd ?? { endpoints: [env.etcd.endpoint], prefix: etcd.prefix },
      objectStorage: opts.objectStorage ?? {
        s3: { bucket: storage!.bucket, endpoint: env.s3.endpoint, region: env.s3.region, credentialsSecretRef: { name: 's3' } },
      },
      adminTokenSecretRef: { name: 'admin' },
      logLevel: 'warn',
      ...(opts.bootstrap ? { bootstrap: opts.bootstrap } : {}),
    },
  };
  await w.custom.createNamespacedCustomObject({ group, version, namespace: w.namespace, plural: 'configstoreclusters', body });
  return { name, etcdPrefix: etcd.prefix, storage, cleanup: async () => (await etcd.cleanup(), await storage?.cleanup().catch(() => undefined)) };
}

export async function getCluster(w: World, name: string): Promise<ConfigStoreCluster> {
  return (await w.custom.getNamespacedCustomObject({ group, version, namespace: w.namespace, plural: 'configstoreclusters', name })) as ConfigStoreCluster;
}

export async function getMaintenance(w: World, name: string): Promise<ConfigStoreMaintenance | undefined> {
  try {
    return (await w.custom.getNamespacedCustomObject({
      group,
      version,
      namespace: w.namespace,
      plural: 'configstoremaintenances',
      name,
    })) as ConfigStoreMaintenance;
  } catch (err) {
    if ((err as { code?: number }).code === 404) return undefined;
    throw err;
  }
}

export async function createMaintenance(w: World, name: string, spec: ConfigStoreMaintenance['spec']): Promise<ConfigStoreMaintenance> {
  const body = { apiVersion, kind: 'ConfigStoreMaintenance', metadata: { name, namespace: w.namespace }, spec };
  return (await w.custom.createNamespacedCustomObject({
    group,
    version,
    namespace: w.namespace,
    plural: 'configstoremaintenances',
    body,
  })) as ConfigStoreMaintenance;
}

/**
 * Polls until `probe` returns a value (not undefined/null/false), or fails with `what`, the state
 * `describe` gives and the operator's logs. A probe that throws fails at once.
 */
export function until<T>(
  w: World,
  what: string,
  probe: () => Promise<T>,
  timeoutMs = 60_000,
  everyMs = 200,
  describe?: () => Promise<unknown>,
): Promise<Exclude<T, undefined | null | false>> {
  return eventually(probe, {
    what,
    timeoutMs,
    intervalMs: everyMs,
    retryErrors: false,
    describe: async () => {
      const state = describe ? `\n--- state ---\n${JSON.stringify(await describe().catch((e: Error) => e.message), null, 1)}` : '';
      return `${state}\n--- operator logs (tail) ---\n${await w.operator.logs()}`;
    },
  });
}

/** The S3 location of an export in the backups bucket, as a ConfigStoreMaintenance names it. */
export function backupObject(w: World, key: string) {
  return { s3: { bucket: w.backups.bucket, key, endpoint: w.env.s3.endpoint, region: w.env.s3.region, credentialsSecretRef: { name: 's3' } } };
}
