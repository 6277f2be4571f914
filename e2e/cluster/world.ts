// One world per test file on the real node (scripts/local-env up --node): a namespace that
// enforces Pod Security "restricted", the operator installed by `helm install` of the chart
// (its crds/ included) with the image built from the Dockerfile, and the user's manifests
// from examples/ applied with kubectl, their endpoints pointed at this machine's etcd and MinIO.
import { AppsV1Api, BatchV1Api, CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { group, version, type ConfigStoreCluster, type ConfigStoreMaintenance } from '../../operator/api/index.js';
import type { LocalEnvState } from '../../scripts/localenv/env.js';
import { isolatedBucket, isolatedEtcdPrefix, isolatedNamespace, localEnv } from '../../scripts/localenv/testenv.js';
import { repoRoot } from '../../scripts/localenv/tools.js';

const run = promisify(execFile);
export const release = 'configstore-operator';
export const chartDir = join(repoRoot, 'charts', 'configstore-operator');
export const waitMs = 120_000;

export interface NodeWorld {
  env: LocalEnvState & { node: NonNullable<LocalEnvState['node']> };
  namespace: string;
  kc: KubeConfig;
  core: CoreV1Api;
  apps: AppsV1Api;
  batch: BatchV1Api;
  custom: CustomObjectsApi;
  dir: string;
  /** kubectl (or helm) as the admin, in the world's namespace. */
  kubectl(args: string[], input?: string): Promise<string>;
  helm(args: string[]): Promise<string>;
  /** The operator pods' logs (all containers, the last lines). */
  operatorLogs(): Promise<string>;
  cleanup(): Promise<void>;
}

export function nodeEnv(): NodeWorld['env'] {
  const env = localEnv();
  if (!env.node) throw new Error('these tests need the real node: run them with `npm test` (or LOCAL_ENV_NODE=1 vitest --config vitest.node.config.ts)');
  return env as NodeWorld['env'];
}

const toolEnv = (env: LocalEnvState) => ({ ...process.env, KUBECONFIG: env.kube!.kubeconfig, PATH: `${env.binDir}:${process.env.PATH ?? ''}`, HOME: process.env.HOME ?? '/root' });

export async function startNodeWorld(name: string, opts: { operatorValues?: string[] } = {}): Promise<NodeWorld> {
  const env = nodeEnv();
  const ns = await isolatedNamespace(name, { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'latest' });
  const dir = mkdtempSync(join(tmpdir(), `e2e-node-${name}-`));
  const tool = async (cmd: string, args: string[], input?: string) => {
    const child = run(cmd, args, { env: toolEnv(env), maxBuffer: 32 << 20 });
    if (input !== undefined) child.child.stdin!.end(input);
    return (await child).stdout;
  };
  const w: NodeWorld = {
    env,
    namespace: ns.namespace,
    kc: ns.kc,
    core: ns.kc.makeApiClient(CoreV1Api),
    apps: ns.kc.makeApiClient(AppsV1Api),
    batch: ns.kc.makeApiClient(BatchV1Api),
    custom: ns.kc.makeApiClient(CustomObjectsApi),
    dir,
    kubectl: (args, input) => tool('kubectl', ['-n', ns.namespace, ...args], input),
    helm: (args) => tool('helm', ['-n', ns.namespace, ...args]),
    operatorLogs: () => tool('kubectl', ['-n', ns.namespace, 'logs', '-l', `app.kubernetes.io/name=${release}`, '--tail=40', '--prefix']).catch((e: Error) => e.message),
    async cleanup() {
      await tool('helm', ['-n', ns.namespace, 'uninstall', release, '--wait', '--timeout', '60s']).catch(() => undefined);
      await ns.cleanup();
    },
  };
  const [repository, tag] = splitImage(env.node.image);
  await w.helm([
    'install', release, chartDir,
    '--set', `image.repository=${repository}`, '--set', `image.tag=${tag}`,
    '--set', `watchNamespace=${ns.namespace}`,
    // a short lease: a killed leader's stand-by takes over within seconds
    '--set', 'leaderElection.leaseDurationSeconds=5',
    '--set', 'logLevel=debug',
    ...(opts.operatorValues ?? []),
    '--wait', '--timeout', '180s',
  ]);
  return w;
}

/** registry:port/name:tag → [registry:port/name, tag] */
export function splitImage(ref: string): [string, string] {
  const at = ref.lastIndexOf(':');
  return [ref.slice(0, at), ref.slice(at + 1)];
}

export const adminToken = 'node-e2e-admin-token-0123456789';

/**
 * examples/secrets.yaml and examples/cluster.yaml as a user edits them: this machine's MinIO
 * and etcd, a fresh bucket and prefix, the image in the local registry. Applied with kubectl.
 */
export async function applyExampleCluster(w: NodeWorld, name: string, replicas = 3) {
  const etcd = isolatedEtcdPrefix(name);
  const storage = await isolatedBucket(`${name}-data`);
  const secrets = readFileSync(join(repoRoot, 'examples', 'secrets.yaml'), 'utf8')
    .replace('replace-me-access-key-id', w.env.s3.accessKeyId)
    .replace('replace-me-secret-access-key', w.env.s3.secretAccessKey)
    .replace('replace-me-with-a-long-random-token', adminToken);
  const cluster = readFileSync(join(repoRoot, 'examples', 'cluster.yaml'), 'utf8')
    .replace(/^  name: main$/m, `  name: ${name}`)
    .replace(/replicas: 3 /, `replicas: ${replicas} `)
    .replace('ghcr.io/example/configstore:0.1.0', w.env.node.image)
    .replace('http://etcd.etcd.svc:2379', w.env.etcd.endpoint)
    .replace('/configstore/main/', etcd.prefix)
    .replace('bucket: configstore', `bucket: ${storage.bucket}`)
    .replace('http://minio.minio.svc:9000', w.env.s3.endpoint);
  writeFileSync(join(w.dir, 'secrets.yaml'), secrets);
  writeFileSync(join(w.dir, `${name}.yaml`), cluster);
  await w.kubectl(['apply', '-f', join(w.dir, 'secrets.yaml'), '-f', join(w.dir, `${name}.yaml`)]);
  return { name, etcdPrefix: etcd.prefix, storage, cleanup: async () => (await etcd.cleanup(), await storage.cleanup().catch(() => undefined)) };
}

export async function getCluster(w: NodeWorld, name: string): Promise<ConfigStoreCluster> {
  return (await w.custom.getNamespacedCustomObject({ group, version, namespace: w.namespace, plural: 'configstoreclusters', name })) as ConfigStoreCluster;
}

export async function getMaintenance(w: NodeWorld, name: string): Promise<ConfigStoreMaintenance | undefined> {
  try {
    return (await w.custom.getNamespacedCustomObject({ group, version, namespace: w.namespace, plural: 'configstoremaintenances', name })) as ConfigStoreMaintenance;
  } catch (err) {
    if ((err as { code?: number }).code === 404) return undefined;
    throw err;
  }
}

/** Polls until `probe` gives a value; on time-out fails with `what`, the state `describe` gives, and the operator's logs. */
export async function until<T>(w: NodeWorld, what: string, probe: () => Promise<T | undefined | false>, timeoutMs = waitMs, describe?: () => Promise<unknown>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) {
      const state = describe ? `\n--- state ---\n${JSON.stringify(await describe().catch((e: Error) => e.message), null, 1)}` : '';
      throw new Error(`timed out waiting for ${what}${state}\n--- operator logs ---\n${await w.operatorLogs()}`);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
}
