// Where the plugin's credentials come from, as kubectl decides it: --kubeconfig, else the
// files of $KUBECONFIG (merged, the first to set a name wins; missing files skipped), else
// the in-cluster service account, else ~/.kube/config. Then --context and -n/--namespace
// over the context's own (default: "default"). kubectl passes these flags through to a plugin
// untouched, so the plugin reads them itself.
import { KubeConfig } from '@kubernetes/client-node';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { usageError } from './errors.js';

export interface KubeFlags {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
}

export interface LoadedKube {
  kc: KubeConfig;
  namespace: string;
  context: string;
  server: string;
}

const serviceAccountToken = '/var/run/secrets/kubernetes.io/serviceaccount/token';
const dns1123Label = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function loadKube(flags: KubeFlags, env: Record<string, string | undefined>, home: string): LoadedKube {
  const kc = new KubeConfig();
  if (flags.kubeconfig) {
    if (!existsSync(flags.kubeconfig)) throw usageError(`--kubeconfig ${flags.kubeconfig}: no such file`);
    load(kc, [flags.kubeconfig]);
  } else if (env.KUBECONFIG) {
    const files = env.KUBECONFIG.split(delimiter).filter(Boolean);
    const present = files.filter((f) => existsSync(f));
    if (!present.length) throw usageError(`no kubeconfig: none of the files in KUBECONFIG exists (${files.join(delimiter)})`);
    load(kc, present);
  } else if (env.KUBERNETES_SERVICE_HOST && existsSync(serviceAccountToken)) {
    kc.loadFromCluster();
  } else if (existsSync(join(home, '.kube', 'config'))) {
    load(kc, [join(home, '.kube', 'config')]);
  } else {
    throw usageError('no kubeconfig: pass --kubeconfig FILE, set KUBECONFIG, or create ~/.kube/config (as for kubectl)');
  }
  if (flags.context) {
    if (!kc.getContextObject(flags.context)) {
      const known = kc.getContexts().map((c) => c.name);
      throw usageError(`--context ${flags.context}: no such context in the kubeconfig (${known.length ? `contexts: ${known.join(', ')}` : 'it has none'})`);
    }
    kc.setCurrentContext(flags.context);
  }
  const context = kc.getCurrentContext();
  if (!context || !kc.getContextObject(context))
    throw usageError('the kubeconfig has no current context: pass --context NAME or run `kubectl config use-context NAME`');
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw usageError(`context ${context} names a cluster the kubeconfig does not define`);
  const namespace = flags.namespace ?? kc.getContextObject(context)?.namespace ?? 'default';
  if (!dns1123Label.test(namespace)) throw usageError(`namespace ${JSON.stringify(namespace)} is not a valid namespace name`);
  return { kc, namespace, context, server: cluster.server };
}

/** kubectl's merge: the first file to set current-context, or to define a name, wins. */
function load(kc: KubeConfig, files: string[]): void {
  const parts = files.map((file) => {
    const one = new KubeConfig();
    try {
      one.loadFromFile(file);
    } catch (err) {
      throw usageError(`kubeconfig ${file}: ${(err as Error).message.split('\n')[0]}`);
    }
    return one;
  });
  const firstWins = <T extends { name: string }>(lists: T[][]) => {
    const seen = new Map<string, T>();
    for (const item of lists.flat()) if (!seen.has(item.name)) seen.set(item.name, item);
    return [...seen.values()];
  };
  kc.loadFromOptions({
    clusters: firstWins(parts.map((p) => p.getClusters())),
    users: firstWins(parts.map((p) => p.getUsers())),
    contexts: firstWins(parts.map((p) => p.getContexts())),
    currentContext: parts.map((p) => p.getCurrentContext()).find(Boolean) ?? '',
  });
}
