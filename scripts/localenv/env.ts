// The local environment: etcd + MinIO (+ a Kubernetes control plane) under one state
// directory, described by state.json. Used by `scripts/local-env` and by the tests.
import { S3Client, CreateBucketCommand } from '@aws-sdk/client-s3';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startEtcd } from './etcd.js';
import { startKube } from './kube.js';
import { addNodeIp, claimNode, nodeIp, nodeOwner, releaseNode } from './node/network.js';
import { startNode, type NodeState } from './node/node.js';
import { drainNode, sweepNode } from './node/teardown.js';
import { startMinio } from './minio.js';
import { isRunning, stopProcess, type StartedProcess } from './process.js';
import { binary, ensureTools, toolDir } from './tools.js';

export const defaultBucket = 'configstore';

export interface LocalEnvState {
  dir: string;
  etcd: { endpoint: string };
  /** `kmsKeyId`: MinIO's KMS key (SSE-S3 and SSE-KMS work); absent in an environment started before it had one. */
  s3: { endpoint: string; region: string; accessKeyId: string; secretAccessKey: string; bucket: string; kmsKeyId?: string };
  kube?: { server: string; kubeconfig: string; pkiDir: string };
  /** A real node (kubelet, containerd, CoreDNS, registry): with `node`. */
  node?: NodeState;
  /** When `up` began (ms since the epoch): the sweep removes only what is newer. */
  startedAt: number;
  /** Directory with kubectl, helm, etcd and minio. */
  binDir: string;
  processes: StartedProcess[];
}

export interface UpOptions {
  kube?: boolean;
  /** A real node too (implies kube); etcd, MinIO and the API server listen on the node's address. */
  node?: boolean;
  /** State directory; a new temp dir by default. */
  dir?: string;
}

export async function up(options: UpOptions = {}): Promise<LocalEnvState> {
  const startedAt = Date.now();
  const withNode = options.node === true;
  const withKube = options.kube === true || withNode;
  ensureTools(withNode ? ['etcd', 'minio', 'kubectl', 'kube', 'node'] : withKube ? ['etcd', 'minio', 'kubectl', 'kube'] : ['etcd', 'minio', 'kubectl']);
  const host = withNode ? nodeIp : '127.0.0.1';
  const dir = resolve(options.dir ?? mkdtempSync(join(tmpdir(), 'configstore-env-')));
  mkdirSync(dir, { recursive: true });
  const processes: StartedProcess[] = [];
  const save = (state: Omit<LocalEnvState, 'processes' | 'startedAt'>) => {
    const full = { ...state, processes, startedAt };
    writeFileSync(join(dir, 'state.json'), JSON.stringify(full, null, 2));
    return full;
  };
  try {
    const binDir = linkBinaries(dir, withKube, withNode);
    if (withNode) {
      claimNode(dir, (owner) => {
        try {
          return readState(owner).processes.some(isRunning);
        } catch {
          return false;
        }
      });
      addNodeIp();
    }
    // etcd, MinIO and the control plane start in parallel: the apiserver is the slow one.
    const [etcd, minio, kube] = await Promise.all([
      startEtcd(binary('etcd'), dir, 'etcd', { host }).then((e) => (processes.push(e.process), e)),
      startMinio(binary('minio'), dir, host).then((m) => (processes.push(m.process), m)),
      withKube
        ? startKube({ etcd: binary('etcd'), apiserver: binary('kube', 'kube-apiserver'), controllerManager: binary('kube', 'kube-controller-manager') }, dir, {
            node: withNode,
          }).then((k) => (processes.push(...k.processes), k))
        : undefined,
    ]);
    const node =
      withNode && kube
        ? await startNode({
            bins: {
              kubelet: binary('kube', 'kubelet'),
              scheduler: binary('kube', 'kube-scheduler'),
              proxy: binary('kube', 'kube-proxy'),
              registry: binary('node', 'registry'),
              coredns: binary('node', 'coredns'),
              pause: binary('node', 'pause'),
              etcd: binary('etcd'),
              minio: binary('minio'),
            },
            stateDir: dir,
            kubeDir: join(dir, 'kube'),
            pkiDir: kube.pkiDir,
            adminKubeconfig: kube.kubeconfig,
            processes,
          })
        : undefined;
    const s3 = {
      endpoint: minio.endpoint,
      region: 'us-east-1',
      accessKeyId: minio.accessKeyId,
      secretAccessKey: minio.secretAccessKey,
      bucket: defaultBucket,
      kmsKeyId: minio.kmsKeyId,
    };
    await createBucket(s3, defaultBucket);
    return save({
      dir,
      etcd: { endpoint: etcd.endpoint },
      s3,
      ...(kube ? { kube: { server: kube.server, kubeconfig: kube.kubeconfig, pkiDir: kube.pkiDir } } : {}),
      ...(node ? { node } : {}),
      binDir,
    });
  } catch (err) {
    await stopAll(processes);
    if (withNode && nodeOwner() === dir) {
      await sweepNode({ stateDir: dir, since: startedAt, kubeProxyBin: binary('kube', 'kube-proxy') });
      releaseNode(dir);
    }
    throw err;
  }
}

/** Stops what `up` started in `dir` (by recorded pid) and, with `remove`, deletes the dir. */
export async function down(stateDir: string, options: { remove?: boolean } = {}): Promise<string[]> {
  const dir = resolve(stateDir);
  const state = readState(dir);
  const stopped = state.processes.filter(isRunning).map((p) => `${p.name} (pid ${p.pid})`);
  const withNode = state.node !== undefined || state.processes.some((p) => ['kubelet', 'containerd', 'dockerd'].includes(p.name));
  if (withNode && state.kube) {
    // no controller may replace the pods drained next, and no scheduler place them
    await stopAll(state.processes.filter((p) => ['kube-controller-manager', 'kube-scheduler'].includes(p.name)));
    await drainNode(state.kube.kubeconfig);
  }
  // the kubelet before its runtime, the runtime before the rest
  for (const first of ['kubelet', 'containerd']) await stopAll(state.processes.filter((p) => p.name === first));
  await stopAll(state.processes);
  // the machine's node is swept only by the environment that owns it (never another's), or by
  // any when no one owns it (the claim in /run is gone after a reboot; the mounts may not be)
  const owner = nodeOwner();
  if (withNode && (owner === dir || owner === undefined)) {
    await sweepNode({ stateDir: dir, since: state.startedAt ?? 0, kubeProxyBin: join(state.binDir, 'kube-proxy') });
    releaseNode(dir);
  }
  if (options.remove) rmSync(dir, { recursive: true, force: true });
  return stopped;
}

export function readState(dir: string): LocalEnvState {
  try {
    return JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as LocalEnvState;
  } catch (err) {
    throw new Error(`no local environment in ${dir} (state.json unreadable)`, { cause: err });
  }
}

/** The environment variables that point configstore, the AWS SDK and kubectl at it. */
export function envVars(state: LocalEnvState): Record<string, string> {
  const vars: Record<string, string> = {
    LOCAL_ENV_DIR: state.dir,
    CONFIGSTORE_ETCD_ENDPOINTS: state.etcd.endpoint,
    CONFIGSTORE_OBJECT_STORAGE: `s3://${state.s3.bucket}/?endpoint=${state.s3.endpoint}&region=${state.s3.region}`,
    AWS_ACCESS_KEY_ID: state.s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: state.s3.secretAccessKey,
    AWS_REGION: state.s3.region,
    AWS_ENDPOINT_URL_S3: state.s3.endpoint,
  };
  if (state.kube) vars.KUBECONFIG = state.kube.kubeconfig;
  return vars;
}

export function s3ClientFor(s3: LocalEnvState['s3']): S3Client {
  return new S3Client({
    region: s3.region,
    endpoint: s3.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

export async function createBucket(s3: LocalEnvState['s3'], bucket: string): Promise<void> {
  const client = s3ClientFor(s3);
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (err) {
    if ((err as { name?: string }).name !== 'BucketAlreadyOwnedByYou') throw err;
  } finally {
    client.destroy();
  }
}

async function stopAll(processes: StartedProcess[]): Promise<void> {
  // all at once: each gets SIGTERM, then SIGKILL after its grace period
  await Promise.all(processes.map((p) => stopProcess(p)));
}

function linkBinaries(dir: string, kube: boolean, node: boolean): string {
  const binDir = join(dir, 'bin');
  mkdirSync(binDir, { recursive: true });
  const links: Array<[string, string]> = [
    [join(toolDir('etcd'), 'etcd'), 'etcd'],
    [join(toolDir('minio'), 'minio'), 'minio'],
    [join(toolDir('kubectl'), 'kubectl'), 'kubectl'],
    [join(toolDir('kubectl'), 'helm'), 'helm'],
  ];
  if (kube) {
    links.push([join(toolDir('kube'), 'kube-apiserver'), 'kube-apiserver'], [join(toolDir('kube'), 'kube-controller-manager'), 'kube-controller-manager']);
  }
  if (node) {
    for (const name of ['kubelet', 'kube-scheduler', 'kube-proxy']) links.push([join(toolDir('kube'), name), name]);
    for (const name of ['registry', 'coredns']) links.push([join(toolDir('node'), name), name]);
  }
  for (const [target, name] of links) {
    rmSync(join(binDir, name), { force: true });
    symlinkSync(target, join(binDir, name));
  }
  return binDir;
}
