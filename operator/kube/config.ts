// Where the operator's Kubernetes credentials come from, and the API clients it uses.
import { AppsV1Api, BatchV1Api, CoordinationV1Api, CoreV1Api, CustomObjectsApi, EventsV1Api, KubeConfig, KubernetesObjectApi } from '@kubernetes/client-node';

export interface LoadKubeConfigOptions {
  /** An explicit kubeconfig file (a --kubeconfig flag); wins over everything else. */
  kubeconfig?: string;
  /** Prefix of /var/run/secrets/kubernetes.io/serviceaccount (tests point it at a temp dir). */
  serviceAccountPrefix?: string;
}

/**
 * The order controller-runtime uses: an explicit file, then $KUBECONFIG, then the
 * in-cluster service account when KUBERNETES_SERVICE_HOST is set, then ~/.kube/config.
 */
export function loadKubeConfig(opts: LoadKubeConfigOptions = {}): KubeConfig {
  const env = process.env;
  const kc = new KubeConfig();
  if (opts.kubeconfig) {
    kc.loadFromFile(opts.kubeconfig);
  } else if (env.KUBECONFIG) {
    kc.loadFromDefault(); // handles a colon-separated list of files
  } else if (env.KUBERNETES_SERVICE_HOST) {
    // reads KUBERNETES_SERVICE_HOST/PORT and the token file, which it re-reads as it rotates
    kc.loadFromCluster(opts.serviceAccountPrefix);
  } else {
    kc.loadFromDefault();
  }
  if (!kc.getCurrentCluster()) throw new Error('no Kubernetes cluster configured: set KUBECONFIG or run in a cluster');
  return kc;
}

/** The namespace of the current context (in a pod: the service account's namespace). */
export function currentNamespace(kc: KubeConfig): string {
  return kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default';
}

export interface KubeClients {
  kc: KubeConfig;
  core: CoreV1Api;
  apps: AppsV1Api;
  batch: BatchV1Api;
  custom: CustomObjectsApi;
  coordination: CoordinationV1Api;
  events: EventsV1Api;
  /** Generic client by apiVersion/kind (discovery first); used for server-side apply. */
  objects: KubernetesObjectApi;
}

export function makeClients(kc: KubeConfig): KubeClients {
  return {
    kc,
    core: kc.makeApiClient(CoreV1Api),
    apps: kc.makeApiClient(AppsV1Api),
    batch: kc.makeApiClient(BatchV1Api),
    custom: kc.makeApiClient(CustomObjectsApi),
    coordination: kc.makeApiClient(CoordinationV1Api),
    events: kc.makeApiClient(EventsV1Api),
    objects: KubernetesObjectApi.makeApiClient(kc),
  };
}
