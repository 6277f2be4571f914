// A fake Kubernetes node for e2e tests (like kwok, but running real processes): it
// registers a Node, binds unscheduled pods of its namespaces to itself (the scheduler's
// job) and runs each as a local `configstore` process (the kubelet's job, pods.ts).
// Cluster networking is emulated: each pod gets its own loopback IP (127.1.x.y), and
// Service names resolve to Ready pods through dns-shim.ts and the map file kept here.
import { CoreV1Api, type KubeConfig, type V1Node, type V1Pod, type V1Service } from '@kubernetes/client-node';
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { arch } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ServiceMap } from './dns-shim.js';
import { now, podEvent } from './status.js';
import { PodWorker, type NodeContext } from './pods.js';
import { informer, type Informer, type WatchEvent } from './watch.js';

export interface FakeNodeOptions {
  kc: KubeConfig;
  /** Pod directories (working dir, container.log, termination-log, volumes), the service map, node.log. */
  workDir: string;
  /** Default: fake-node-<random>. */
  nodeName?: string;
  /** Namespaces whose pods this node schedules and runs, and whose Services it resolves. Default: all (then it is the cluster's only node). */
  namespaces?: string[];
  /** Back-off before restarting a failed container (doubling): default 1 s to 10 s (the kubelet's 10 s to 5 min, shortened for tests). */
  restartBackoff?: { initialMs: number; maxMs: number };
  /** How long stop() lets processes shut down after SIGTERM: default 2000 ms. */
  stopGraceMs?: number;
}

export interface FakeNode {
  nodeName: string;
  /** The pod's loopback IP (also in its status.podIP), while this node knows the pod. */
  podIp(namespace: string, name: string): string | undefined;
  /** The pod's stdout and stderr, every run appended (also after the pod was deleted); '' if none. */
  logsOf(namespace: string, name: string): string;
  /** The pod's directory (its working directory, container.log, termination-log, volumes/). */
  podDir(namespace: string, name: string): string | undefined;
  /** Kills every process (SIGTERM, then SIGKILL), waits for them, deletes the Node. Pods are left to the pod GC. */
  stop(): Promise<void>;
}

const here = fileURLToPath(new URL('.', import.meta.url));
const usedIps = new Set<string>(); // every node in this process

function allocateIp(): string {
  for (;;) {
    const ip = `127.1.${Math.floor(Math.random() * 256)}.${2 + Math.floor(Math.random() * 252)}`;
    if (!usedIps.has(ip)) {
      usedIps.add(ip);
      return ip;
    }
  }
}

const selects = (selector: Record<string, string>, labels: Record<string, string> = {}) => Object.entries(selector).every(([k, v]) => labels[k] === v);
const isReady = (pod: V1Pod) => pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
const isTerminal = (pod: V1Pod) => pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';

function nodeObject(name: string): V1Node {
  const time = now() as unknown as Date;
  const resources = { cpu: '2', memory: '24Gi', pods: '110', 'ephemeral-storage': '100Gi' };
  const goArch = arch() === 'x64' ? 'amd64' : arch();
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': goArch, 'configstore.io/fake-node': 'true' } },
    spec: {},
    status: {
      capacity: resources,
      allocatable: resources,
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'fake node: pods run as local processes', lastHeartbeatTime: time, lastTransitionTime: time }],
      addresses: [
        { type: 'InternalIP', address: '127.0.0.1' },
        { type: 'Hostname', address: name },
      ],
      nodeInfo: {
        machineID: name, systemUUID: name, bootID: name, kernelVersion: '', osImage: 'fake-node', containerRuntimeVersion: 'fake-node://1',
        kubeletVersion: 'v1.34.0-fake', kubeProxyVersion: '', operatingSystem: 'linux', architecture: goArch,
      },
    },
  };
}

export async function startFakeNode(options: FakeNodeOptions): Promise<FakeNode> {
  const { kc } = options;
  const core = kc.makeApiClient(CoreV1Api);
  const nodeName = options.nodeName ?? `fake-node-${Math.random().toString(36).slice(2, 8)}`;
  const workDir = resolve(options.workDir);
  mkdirSync(workDir, { recursive: true });
  const mapFile = join(workDir, 'services.json');
  const log = (msg: string) => appendFileSync(join(workDir, 'node.log'), `${new Date().toISOString()} ${msg}\n`);
  const imports = (namespace: string) => {
    const dns = new URL(pathToFileURL(join(here, 'dns-shim.ts')));
    dns.search = new URLSearchParams({ map: mapFile, ns: namespace }).toString();
    const guard = new URL(pathToFileURL(join(here, 'pod-guard.ts')));
    guard.search = new URLSearchParams({ parent: String(process.pid) }).toString();
    return `--import=${dns.href} --import=${guard.href}`;
  };
  const ctx: NodeContext = { core, nodeName, nodeOptions: imports, restartBackoff: options.restartBackoff ?? { initialMs: 1000, maxMs: 10_000 }, log };

  // A leftover Node of the same name (a crashed run) is taken over.
  const node = nodeObject(nodeName);
  await core.createNode({ body: node }).catch((err: { code?: number }) => {
    if (err.code !== 409) throw err;
  });
  // read-then-replace: a controller (node IPAM, taints) may write the Node in between → retry
  for (let attempt = 0; ; attempt++) {
    try {
      await core.replaceNodeStatus({ name: nodeName, body: { ...(await core.readNode({ name: nodeName })), status: node.status } });
      break;
    } catch (err) {
      if ((err as { code?: number }).code !== 409 || attempt >= 10) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  const workers = new Map<string, PodWorker>(); // "ns/name" → the worker of its current pod
  const dirs = new Map<string, string>(); // "ns/name" → the last pod's dir (logs outlive pods)
  const ips = new Map<string, string>();
  const binding = new Set<string>(); // uids being bound
  const pods = new Map<string, V1Pod>();
  const services = new Map<string, V1Service>();
  let stopped = false;

  let mapTimer: NodeJS.Timeout | undefined;
  const writeServiceMap = () => {
    mapTimer = undefined;
    const map: ServiceMap = { namespaces: options.namespaces ?? [], services: {} };
    for (const svc of services.values()) {
      const { name, namespace } = svc.metadata as { name: string; namespace: string };
      const selector = svc.spec?.selector;
      const matching = selector ? [...pods.values()].filter((p) => p.metadata?.namespace === namespace && selects(selector, p.metadata?.labels) && isReady(p) && p.status?.podIP && !p.metadata?.deletionTimestamp) : [];
      map.services[`${name}.${namespace}`] = matching.map((p) => p.status!.podIP!).sort();
    }
    const text = JSON.stringify(map);
    if (existsSync(mapFile) && readFileSync(mapFile, 'utf8') === text) return;
    writeFileSync(`${mapFile}.tmp`, text);
    renameSync(`${mapFile}.tmp`, mapFile); // the shim never reads half a file
  };
  const serviceMapChanged = () => (mapTimer ??= setTimeout(writeServiceMap, 10));
  writeServiceMap();

  const bind = (pod: V1Pod) => {
    const { name, namespace, uid } = pod.metadata as { name: string; namespace: string; uid: string };
    if (binding.has(uid)) return;
    binding.add(uid);
    core
      .createNamespacedPodBinding({ name, namespace, body: { apiVersion: 'v1', kind: 'Binding', metadata: { name, uid }, target: { apiVersion: 'v1', kind: 'Node', name: nodeName } } })
      .then(
        () => podEvent(core, pod, nodeName, 'Normal', 'Scheduled', `Successfully assigned ${namespace}/${name} to ${nodeName}`),
        (err: { code?: number; body?: string }) => {
          if (err.code === 404 || err.code === 409) return; // gone, or bound meanwhile
          log(`binding ${namespace}/${name} failed: ${err.body ?? String(err)}; again in 1 s`);
          setTimeout(() => {
            binding.delete(uid);
            const latest = pods.get(`${namespace}/${name}`);
            if (!stopped && latest?.metadata?.uid === uid && !latest.spec?.nodeName) bind(latest);
          }, 1000);
        },
      );
  };

  const onPod = (type: WatchEvent, pod: V1Pod) => {
    if (stopped) return;
    const { name, namespace, uid } = pod.metadata as { name: string; namespace: string; uid: string };
    const key = `${namespace}/${name}`;
    serviceMapChanged();
    let worker = workers.get(key);
    if (worker && worker.uid !== uid) {
      // a new pod under an old name: the old one was force-deleted
      void worker.gone();
      worker = undefined;
    }
    if (type === 'DELETED') {
      pods.delete(key);
      binding.delete(uid);
      if (worker) void worker.gone();
      workers.delete(key);
      const ip = ips.get(uid);
      if (ip) void (worker?.done ?? Promise.resolve()).then(() => usedIps.delete(ip));
      ips.delete(uid);
      return;
    }
    pods.set(key, pod);
    if (!pod.spec?.nodeName) {
      if (!pod.metadata?.deletionTimestamp && !isTerminal(pod)) bind(pod);
      return;
    }
    if (pod.spec.nodeName !== nodeName) return;
    if (worker) return worker.update(pod);
    if (isTerminal(pod) || pod.metadata?.deletionTimestamp) {
      // nothing runs for it here: a deleted one goes at once
      if (pod.metadata?.deletionTimestamp) void core.deleteNamespacedPod({ name, namespace, gracePeriodSeconds: 0 }).catch(() => undefined);
      return;
    }
    const ip = allocateIp();
    ips.set(uid, ip);
    const dir = join(workDir, `${namespace}_${name}_${uid.slice(0, 8)}`);
    dirs.set(key, dir);
    worker = new PodWorker(ctx, pod, ip, dir);
    workers.set(key, worker);
  };
  const onService = (type: WatchEvent, svc: V1Service) => {
    const key = `${svc.metadata?.namespace}/${svc.metadata?.name}`;
    if (type === 'DELETED') services.delete(key);
    else services.set(key, svc);
    serviceMapChanged();
  };

  const informers: Informer[] = [];
  for (const namespace of options.namespaces ?? [undefined]) {
    const prefix = namespace ? `/api/v1/namespaces/${namespace}` : '/api/v1';
    informers.push(
      informer<V1Pod>({ kc, path: `${prefix}/pods`, list: () => (namespace ? core.listNamespacedPod({ namespace }) : core.listPodForAllNamespaces()), onEvent: onPod, log }),
      informer<V1Service>({ kc, path: `${prefix}/services`, list: () => (namespace ? core.listNamespacedService({ namespace }) : core.listServiceForAllNamespaces()), onEvent: onService, log }),
    );
  }
  await Promise.all(informers.map((i) => i.synced));

  const podIp = (namespace: string, name: string) => {
    const w = workers.get(`${namespace}/${name}`);
    return w ? w.ip : undefined;
  };
  return {
    nodeName,
    podIp,
    podDir: (namespace, name) => dirs.get(`${namespace}/${name}`),
    logsOf: (namespace, name) => {
      const dir = dirs.get(`${namespace}/${name}`);
      return dir && existsSync(join(dir, 'container.log')) ? readFileSync(join(dir, 'container.log'), 'utf8') : '';
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      for (const i of informers) i.stop();
      clearTimeout(mapTimer);
      await Promise.all([...workers.values()].map((w) => w.stop(options.stopGraceMs ?? 2000)));
      for (const ip of ips.values()) usedIps.delete(ip);
      await core.deleteNode({ name: nodeName }).catch(() => undefined);
    },
  };
}
