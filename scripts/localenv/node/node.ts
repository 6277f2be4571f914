// A real single-node cluster on this machine, beside the control plane of ../kube.ts:
// containerd + runc with CNI, the kubelet, kube-scheduler, kube-proxy (iptables), CoreDNS and
// a local registry holding the configstore image built from the Dockerfile. `stopNode` and
// `sweepNode` (teardown.ts) undo all of it.
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { nodeName } from '../kube.js';
import { freePort, startProcess, waitReady, type StartedProcess } from '../process.js';
import { resolvesKubernetesService, startCoreDns } from './dns.js';
import { buildConfigstoreImage, pushBinaryImage, startDocker } from './images.js';
import { writeKubeletConfig, writeKubeProxyConfig } from './kubelet.js';
import { nodeIp } from './network.js';
import { startRegistry } from './registry.js';
import { runtimePaths, writeRuntimeConfig } from './runtime.js';

const run = promisify(execFile);

export interface NodeBins {
  kubelet: string;
  scheduler: string;
  proxy: string;
  registry: string;
  coredns: string;
  pause: string;
  /** etcd and MinIO, for images the cluster can run them from. */
  etcd: string;
  minio: string;
}

export interface NodeState {
  name: string;
  ip: string;
  dir: string;
  /** host:port of the local registry (the kubelet pulls from it). */
  registry: string;
  /** The configstore image built from the Dockerfile, in the registry. */
  image: string;
  imageBytes: number;
  imageBuildSeconds: number;
  /** etcd and MinIO images of this machine's builds, for running them inside the cluster. */
  images: { etcd: string; minio: string };
  dockerHost: string;
  runtimeSocket: string;
}

export async function startNode(o: {
  bins: NodeBins;
  stateDir: string;
  kubeDir: string;
  pkiDir: string;
  adminKubeconfig: string;
  processes: StartedProcess[];
}): Promise<NodeState> {
  const dir = join(o.stateDir, 'node');
  mkdirSync(dir, { recursive: true });
  const keep = <T extends StartedProcess>(p: T) => (o.processes.push(p), p);

  const [registry, engine] = await Promise.all([startRegistry(o.bins.registry, dir), startDocker(dir)]);
  keep(registry.process);
  keep(engine.process);
  const [pauseImage, etcdImage, minioImage] = await Promise.all([
    pushBinaryImage(engine, { ref: `${registry.address}/pause:configstore`, binary: o.bins.pause, nodeDir: dir }),
    pushBinaryImage(engine, { ref: `${registry.address}/etcd:local`, binary: o.bins.etcd, nodeDir: dir }),
    pushBinaryImage(engine, { ref: `${registry.address}/minio:local`, binary: o.bins.minio, nodeDir: dir }),
  ]);
  // the image builds while the node starts (warm: a cache hit and a push of nothing new)
  const image = buildConfigstoreImage(engine, registry.address, join(dir, 'image-build.log'));
  image.catch(() => undefined);

  const runtime = runtimePaths(dir);
  writeRuntimeConfig(runtime, { registry: registry.address, pauseImage, nodeDir: dir });
  const containerd = keep(
    startProcess('containerd', '/usr/bin/containerd', ['--config', runtime.config, '--log-level', 'warn'], { log: join(dir, 'containerd.log') }),
  );
  await waitReady(containerd, async () => (await run('ctr', ['--address', runtime.socket, 'version']), true), 30_000);
  // the kubelet's first pull would unpack ~400 MB while a pod waits: pull it while the node starts
  const pulled = image.then((b) => run('ctr', ['--address', runtime.socket, '-n', 'k8s.io', 'images', 'pull', '--plain-http', b.ref], { maxBuffer: 16 << 20 }));
  pulled.catch(() => undefined);

  const schedulerConfig = join(dir, 'scheduler.yaml');
  writeFileSync(
    schedulerConfig,
    `apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
clientConnection: {kubeconfig: ${join(o.kubeDir, 'scheduler.kubeconfig')}}
leaderElection: {leaderElect: false}
`,
  );
  keep(
    startProcess('kube-scheduler', o.bins.scheduler, ['--config', schedulerConfig, '--secure-port=0', '--v=1'], {
      log: join(o.stateDir, 'kube-scheduler.log'),
    }),
  );

  const proxyConfig = join(dir, 'kube-proxy.yaml');
  writeKubeProxyConfig(proxyConfig, {
    kubeconfig: join(o.kubeDir, 'kube-proxy.kubeconfig'),
    healthzPort: await freePort(),
    metricsPort: await freePort(),
    hostname: nodeName,
  });
  keep(startProcess('kube-proxy', o.bins.proxy, ['--config', proxyConfig, '--v=1'], { log: join(o.stateDir, 'kube-proxy.log') }));

  keep(await startCoreDns(o.bins.coredns, dir, o.adminKubeconfig, await freePort()));

  const kubeletConfig = join(dir, 'kubelet.yaml');
  const resolvConf = join(dir, 'resolv.conf');
  // what pods with dnsPolicy Default get: no resolver off the machine
  writeFileSync(resolvConf, `nameserver ${nodeIp}\n`);
  writeKubeletConfig(kubeletConfig, { pki: o.pkiDir, runtimeSocket: runtime.socket, port: await freePort(), healthzPort: await freePort(), resolvConf });
  keep(
    startProcess(
      'kubelet',
      o.bins.kubelet,
      [
        '--config',
        kubeletConfig,
        '--kubeconfig',
        join(o.kubeDir, 'kubelet.kubeconfig'),
        '--root-dir',
        join(dir, 'kubelet'),
        '--hostname-override',
        nodeName,
        '--node-ip',
        nodeIp,
        '--v=1',
      ],
      { log: join(o.stateDir, 'kubelet.log') },
    ),
  );

  const kc = new KubeConfig();
  kc.loadFromFile(o.adminKubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const kubelet = o.processes.at(-1)!;
  await waitReady(
    kubelet,
    async () => {
      const node = await core.readNode({ name: nodeName });
      return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true && (await resolvesKubernetesService());
    },
    120_000,
  );
  const built = await image;
  await pulled;
  return {
    name: nodeName,
    ip: nodeIp,
    dir,
    registry: registry.address,
    image: built.ref,
    imageBytes: built.bytes,
    imageBuildSeconds: built.buildSeconds,
    images: { etcd: etcdImage, minio: minioImage },
    dockerHost: engine.host,
    runtimeSocket: runtime.socket,
  };
}
