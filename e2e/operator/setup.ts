// One e2e world per test file: a namespace on the real kube-apiserver with the CRDs and the
// chart's RBAC, a fake node running pods as local processes (e2e/node), and the operator as
// a real `configstore operator` process authenticated by its ServiceAccount's token, so a
// missing permission in the chart fails the tests.
import { BatchV1Api, CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { spawnCli, type CliRun } from '../../configstore/cli/testcli.js';
import { apiVersion, group, version, type ConfigStoreCluster, type ConfigStoreMaintenance } from '../../operator/api/index.js';
import { applyCrds } from '../../operator/kube/crds.js';
import { repoRoot } from '../../scripts/localenv/tools.js';
import { isolatedBucket, isolatedEtcdPrefix, isolatedNamespace, localEnv } from '../../scripts/localenv/testenv.js';
import { startFakeNode, type FakeNode } from '../node/node.js';

const run = promisify(execFile);
export const adminToken = 'e2e-admin-token-0123456789';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface World {
  namespace: string;
  kc: KubeConfig;
  core: CoreV1Api;
  batch: BatchV1Api;
  custom: CustomObjectsApi;
  node: FakeNode;
  dir: string;
  /** The operator process (restartable); `metricsUrl` serves /metrics of the running one. */
  operator: { proc: CliRun | undefined; metricsUrl: string; start(): void; kill(signal?: NodeJS.Signals): Promise<void>; logs: () => string };
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
  await applyCrds(kc);

  // the chart's RBAC (not its Deployment: the operator runs below as a process)
  const kubeEnv = { ...process.env, KUBECONFIG: env.kube!.kubeconfig, PATH: `${env.binDir}:${process.env.PATH}` };
  const { stdout: rbac } = await run(
    'helm',
    ['template', 'op', join(repoRoot, 'charts/configstore-operator'), '-n', namespace, '--set', `watchNamespace=${namespace}`, '--show-only', 'templates/rbac.yaml'],
    { env: kubeEnv },
  );
  writeFileSync(join(dir, 'rbac.yaml'), rbac);
  await run('kubectl', ['apply', '-n', namespace, '-f', join(dir, 'rbac.yaml')], { env: kubeEnv });

  // a kubeconfig with the operator ServiceAccount's token
  const token = await core.createNamespacedServiceAccountToken({ name: 'op', namespace, body: { spec: { audiences: [], expirationSeconds: 7200 } } });
  const cluster = kc.getCurrentCluster()!;
  const saKc = new KubeConfig();
  saKc.loadFromOptions({
    clusters: [{ name: 'local', server: cluster.server, caData: cluster.caData, caFile: cluster.caFile, skipTLSVerify: false }],
    users: [{ name: 'op', token: token.status!.token }],
    contexts: [{ name: 'op', cluster: 'local', user: 'op', namespace }],
    currentContext: 'op',
  });
  const kubeconfig = join(dir, 'operator.kubeconfig');
  writeFileSync(kubeconfig, saKc.exportConfig());

  const secrets: { name: string; data: Record<string, string> }[] = [
    { name: 's3', data: { AWS_ACCESS_KEY_ID: env.s3.accessKeyId, AWS_SECRET_ACCESS_KEY: env.s3.secretAccessKey } },
    { name: 'admin', data: { token: adminToken } },
  ];
  for (const secret of secrets) {
    await core.createNamespacedSecret({ namespace, body: { metadata: { name: secret.name }, stringData: secret.data } });
  }
  const backups = await isolatedBucket(`${name}-backups`);
  const node = await startFakeNode({ kc, workDir: join(dir, 'node'), namespaces: [namespace] });

  const port = await freePort();
  let logs = '';
  const operator: World['operator'] = {
    proc: undefined,
    metricsUrl: `http://127.0.0.1:${port}/metrics`,
    start() {
      const proc = spawnCli(['operator', '--kubeconfig', kubeconfig, '--watch-namespace', namespace, '--lease-namespace', namespace, '--listen', `127.0.0.1:${port}`], {
        CONFIGSTORE_LOG_LEVEL: 'debug',
        POD_NAME: `operator-${name}`,
      });
      proc.child.stdout?.on('data', (d: Buffer) => (logs += d.toString()));
      proc.child.stderr?.on('data', (d: Buffer) => (logs += d.toString()));
      this.proc = proc;
    },
    async kill(signal = 'SIGKILL') {
      const proc = this.proc;
      if (!proc || proc.child.exitCode !== null) return;
      proc.child.kill(signal);
      await proc.exited;
      this.proc = undefined;
    },
    logs: () => logs,
  };
  operator.start();

  return {
    namespace,
    kc,
    core,
    batch: kc.makeApiClient(BatchV1Api),
    custom: kc.makeApiClient(CustomObjectsApi),
    node,
    dir,
    operator,
    backups,
    async cleanup() {
      await operator.kill('SIGTERM');
      await node.stop();
      await backups.cleanup().catch(() => undefined);
      await ns.cleanup();
    },
  };
}

/** A ConfigStoreCluster on the local etcd (its own prefix) and MinIO (its own bucket). */
export async function createCluster(w: World, name: string, replicas = 2) {
  const env = localEnv();
  const etcd = isolatedEtcdPrefix(name);
  const storage = await isolatedBucket(`${name}-data`);
  const body: ConfigStoreCluster = {
    apiVersion,
    kind: 'ConfigStoreCluster',
    metadata: { name, namespace: w.namespace },
    spec: {
      replicas,
      image: 'configstore:e2e',
      etcd: { endpoints: [env.etcd.endpoint], prefix: etcd.prefix },
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
