// The operator installed on the local node as a user installs it: `helm install` of the chart
// (its crds/ included) with the image built from the Dockerfile. Shared by the e2e world
// (e2e/operator/setup.ts), the demo (`npm start`) and bench/operator.ts. No vitest here.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ConfigStoreCluster } from '../../operator/api/index.js';
import type { LocalEnvState } from './env.js';
import { repoRoot } from './tools.js';

const run = promisify(execFile);
export const chartDir = join(repoRoot, 'charts', 'configstore-operator');
export const defaultRelease = 'configstore-operator';

/** Environment for kubectl and helm: the admin kubeconfig and the env's bin dir first on PATH. */
export function kubeToolsEnv(state: LocalEnvState, kubeconfig = state.kube?.kubeconfig): NodeJS.ProcessEnv {
  if (!kubeconfig) throw new Error('the local environment has no Kubernetes control plane (start it with --kube)');
  return { ...process.env, KUBECONFIG: kubeconfig, PATH: `${state.binDir}:${process.env.PATH ?? ''}` };
}

/** kubectl or helm as the admin; `input` goes to its stdin. */
export async function kubeTool(state: LocalEnvState, cmd: 'kubectl' | 'helm', args: string[], input?: string): Promise<string> {
  const child = run(cmd, args, { env: kubeToolsEnv(state), maxBuffer: 32 << 20 });
  if (input !== undefined) child.child.stdin!.end(input);
  return (await child).stdout;
}

/** registry:port/name:tag → [registry:port/name, tag] */
export function splitImage(ref: string): [string, string] {
  const at = ref.lastIndexOf(':');
  return [ref.slice(0, at), ref.slice(at + 1)];
}

/** The node's configstore image (`up --kube` built it). */
export function nodeImage(state: LocalEnvState): string {
  if (!state.node) throw new Error('the local environment has no node (start it with `scripts/local-env up --kube`)');
  return state.node.image;
}

/** `helm install` of the chart in `namespace`, watching that namespace only, and waits until its pods are ready. */
export async function helmInstallOperator(o: {
  state: LocalEnvState;
  namespace: string;
  release?: string;
  replicas?: number;
  values?: string[];
}): Promise<void> {
  const [repository, tag] = splitImage(nodeImage(o.state));
  await kubeTool(o.state, 'helm', [
    '-n',
    o.namespace,
    'install',
    o.release ?? defaultRelease,
    chartDir,
    '--set',
    `image.repository=${repository}`,
    '--set',
    `image.tag=${tag}`,
    '--set',
    `watchNamespace=${o.namespace}`,
    ...(o.replicas !== undefined ? ['--set', `replicas=${o.replicas}`] : []),
    ...(o.values ?? []),
    '--wait',
    '--timeout',
    '180s',
  ]);
}

/** The last lines of every operator pod's log. */
export function operatorLogs(state: LocalEnvState, namespace: string, release = defaultRelease, lines = 30): Promise<string> {
  return kubeTool(state, 'kubectl', [
    '-n',
    namespace,
    'logs',
    '-l',
    `app.kubernetes.io/name=${release}`,
    `--tail=${lines}`,
    '--prefix',
    '--all-containers',
  ]).catch((e: Error) => `(no operator logs: ${e.message})`);
}

/** Ready=True, mode normal and (if given) that many ready replicas. */
export function isClusterReady(c: ConfigStoreCluster | undefined, replicas?: number): boolean {
  const ready = c?.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True') ?? false;
  return ready && c!.status!.mode === 'normal' && (replicas === undefined || c!.status!.readyReplicas === replicas);
}
