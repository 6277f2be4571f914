// The operator on the local control plane, as both the e2e tests (e2e/operator/setup.ts) and
// the demo (`npm start`, scripts/demo.ts) run it: the CRDs, the Helm chart's RBAC, a
// kubeconfig with the operator ServiceAccount's token (so a permission missing from the chart
// fails), the fake node of e2e/node (pods as local processes: there is no kubelet here), and
// `configstore operator` as a real process. No vitest here: the demo imports it too.
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startFakeNode, type FakeNode } from '../../e2e/node/node.js';
import type { ConfigStoreCluster } from '../../operator/api/index.js';
import { installCrds } from './crds.js';
import type { LocalEnvState } from './env.js';
import { freePort } from './process.js';
import { repoRoot } from './tools.js';

const run = promisify(execFile);
export const chartDir = join(repoRoot, 'charts', 'configstore-operator');

/** Environment for kubectl and helm: the admin kubeconfig and the env's bin dir first on PATH. */
export function kubeToolsEnv(state: LocalEnvState, kubeconfig = state.kube?.kubeconfig): NodeJS.ProcessEnv {
  if (!kubeconfig) throw new Error('the local environment has no Kubernetes control plane (start it with --kube)');
  return { ...process.env, KUBECONFIG: kubeconfig, PATH: `${state.binDir}:${process.env.PATH ?? ''}` };
}

export function kubectl(state: LocalEnvState, args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run('kubectl', args, { env: kubeToolsEnv(state), maxBuffer: 16 << 20 });
}

/**
 * Installs what `helm install` of the chart would, except its Deployment (the operator runs
 * as a local process): the CRDs and the RBAC for a release named `release` watching
 * `namespace`. Returns the path of a kubeconfig (`<dir>/operator.kubeconfig`) with a token of
 * the release's ServiceAccount.
 */
export async function installOperatorAccess(o: { state: LocalEnvState; kc: KubeConfig; namespace: string; release: string; dir: string }): Promise<string> {
  await installCrds(o.state, o.kc);
  const args = ['template', o.release, chartDir, '-n', o.namespace, '--set', `watchNamespace=${o.namespace}`, '--show-only', 'templates/rbac.yaml'];
  const { stdout: rbac } = await run('helm', args, { env: kubeToolsEnv(o.state) });
  writeFileSync(join(o.dir, 'rbac.yaml'), rbac);
  await kubectl(o.state, ['apply', '-n', o.namespace, '-f', join(o.dir, 'rbac.yaml')]);

  const core = o.kc.makeApiClient(CoreV1Api);
  const token = await core.createNamespacedServiceAccountToken({
    name: o.release,
    namespace: o.namespace,
    body: { spec: { audiences: [], expirationSeconds: 24 * 3600 } },
  });
  const cluster = o.kc.getCurrentCluster()!;
  const saKc = new KubeConfig();
  saKc.loadFromOptions({
    clusters: [{ name: 'local', server: cluster.server, caData: cluster.caData, caFile: cluster.caFile, skipTLSVerify: false }],
    users: [{ name: o.release, token: token.status!.token }],
    contexts: [{ name: o.release, cluster: 'local', user: o.release, namespace: o.namespace }],
    currentContext: o.release,
  });
  const kubeconfig = join(o.dir, 'operator.kubeconfig');
  writeFileSync(kubeconfig, saKc.exportConfig());
  return kubeconfig;
}

export interface OperatorProcess {
  /** The running process, if any. */
  proc: { child: ChildProcess; exited: Promise<{ code: number | null }> } | undefined;
  /** /metrics of the running process (also /healthz, /readyz). */
  metricsUrl: string;
  /** Starts it (again, after kill); output is appended to the log file. */
  start(): void;
  /** Sends `signal` (default SIGKILL) and waits for the exit; nothing if it is not running. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Everything the process wrote, every run. */
  logs(): string;
  logFile: string;
}

/** `configstore operator` with the given kubeconfig, watching one namespace (its Lease there too). */
export async function operatorProcess(o: { kubeconfig: string; namespace: string; logFile: string; podName: string; logLevel?: string }): Promise<OperatorProcess> {
  const port = await freePort();
  const operator: OperatorProcess = {
    proc: undefined,
    metricsUrl: `http://127.0.0.1:${port}/metrics`,
    logFile: o.logFile,
    start() {
      const fd = openSync(o.logFile, 'a');
      try {
        const args = ['operator', '--kubeconfig', o.kubeconfig, '--watch-namespace', o.namespace, '--lease-namespace', o.namespace, '--listen', `127.0.0.1:${port}`];
        // a clean environment: only what a pod of the chart would get (and PATH for tsx)
        const child = spawn(process.execPath, ['--import', 'tsx', 'configstore/cli/main.ts', ...args], {
          cwd: repoRoot,
          // a short lease: a killed operator's successor takes over in seconds (tests kill it on purpose)
          env: { PATH: process.env.PATH ?? '', CONFIGSTORE_LOG_LEVEL: o.logLevel ?? 'info', POD_NAME: o.podName, CONFIGSTORE_OPERATOR_LEASE_DURATION: '5' },
          stdio: ['ignore', fd, fd],
        });
        const exited = new Promise<{ code: number | null }>((resolve) => child.once('exit', (code) => resolve({ code })));
        this.proc = { child, exited };
      } finally {
        closeSync(fd);
      }
    },
    async kill(signal = 'SIGKILL') {
      const proc = this.proc;
      if (!proc || proc.child.exitCode !== null || proc.child.signalCode !== null) return;
      proc.child.kill(signal);
      await proc.exited;
      this.proc = undefined;
    },
    logs: () => {
      try {
        return readFileSync(o.logFile, 'utf8');
      } catch {
        return '';
      }
    },
  };
  return operator;
}

export interface OperatorEnv {
  kubeconfig: string;
  node: FakeNode;
  operator: OperatorProcess;
  /** Operator (SIGTERM), then the node's pods; the namespace and the env stay. */
  stop(): Promise<void>;
}

/** Everything above in one namespace: CRDs, RBAC, fake node, the operator started. */
export async function startOperatorEnv(o: {
  state: LocalEnvState;
  kc: KubeConfig;
  namespace: string;
  dir: string;
  release?: string;
  podName?: string;
  logLevel?: string;
}): Promise<OperatorEnv> {
  const release = o.release ?? 'configstore-operator';
  const kubeconfig = await installOperatorAccess({ state: o.state, kc: o.kc, namespace: o.namespace, release, dir: o.dir });
  const node = await startFakeNode({ kc: o.kc, workDir: join(o.dir, 'node'), namespaces: [o.namespace] });
  const operator = await operatorProcess({
    kubeconfig,
    namespace: o.namespace,
    logFile: join(o.dir, 'operator.log'),
    podName: o.podName ?? `${release}-local`,
    ...(o.logLevel ? { logLevel: o.logLevel } : {}),
  });
  operator.start();
  return {
    kubeconfig,
    node,
    operator,
    async stop() {
      await operator.kill('SIGTERM');
      await node.stop();
    },
  };
}

/** Ready=True, mode normal and (if given) that many ready replicas. */
export function isClusterReady(c: ConfigStoreCluster | undefined, replicas?: number): boolean {
  const ready = c?.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True') ?? false;
  return ready && c!.status!.mode === 'normal' && (replicas === undefined || c!.status!.readyReplicas === replicas);
}
