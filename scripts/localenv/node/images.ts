// Images the node runs, made here (no registry outside can be reached): a Docker engine of
// our own (Debian's docker.io; its layer cache under ~/.cache), the Dockerfile's base from
// scripts/images/base-image, the configstore image from the Dockerfile as users build it,
// and one-binary images of our pause, etcd and MinIO builds, all pushed to the local registry.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { promisify } from 'node:util';
import { isRunning, startProcess, waitReady, type StartedProcess } from '../process.js';
import { repoRoot } from '../tools.js';

const run = promisify(execFile);
export const dockerCli = '/usr/bin/docker';
export const cacheDir = process.env.CONFIGSTORE_CACHE_DIR ?? join(homedir(), '.cache', 'configstore');

export interface DockerEngine {
  host: string;
  process: StartedProcess;
}

export async function startDocker(nodeDir: string): Promise<DockerEngine> {
  const dir = join(nodeDir, 'docker');
  mkdirSync(dir, { recursive: true });
  const socket = join(dir, 'docker.sock');
  const proc = startProcess(
    'dockerd',
    '/usr/sbin/dockerd',
    [
      '--data-root',
      join(cacheDir, 'docker'),
      '--exec-root',
      join(dir, 'exec'),
      '--pidfile',
      join(dir, 'docker.pid'),
      '-H',
      `unix://${socket}`,
      // builds use the host's network; the engine changes nothing on the machine's
      '--bridge=none',
      '--iptables=false',
      '--ip6tables=false',
      '--ip-masq=false',
      '--log-level=warn',
    ],
    { log: join(nodeDir, 'dockerd.log') },
  );
  const host = `unix://${socket}`;
  await waitReady(proc, async () => (await docker(host, ['version', '--format', '{{.Server.Version}}']), true), 60_000);
  return { host, process: proc };
}

export async function docker(host: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const { stdout } = await run(dockerCli, args, { env: { ...process.env, DOCKER_HOST: host, ...env }, maxBuffer: 64 << 20 });
  return stdout.trim();
}

/** A tag from the build context's content (.dockerignore'd paths left out): same sources, same tag. */
export function contextTag(): string {
  const ignored = new Set(
    readFileSync(join(repoRoot, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean),
  );
  const hash = createHash('sha256');
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      const rel = relative(repoRoot, path);
      if (ignored.has(rel) || ignored.has(name) || name.endsWith('.log')) continue;
      if (statSync(path).isDirectory()) walk(path);
      else hash.update(rel).update('\0').update(readFileSync(path)).update('\0');
    }
  };
  for (const top of [
    'Dockerfile',
    'package.json',
    'package-lock.json',
    'tsconfig.json',
    'scripts/bundle.ts',
    'scripts/images/configstore',
    'configstore',
    'operator',
  ]) {
    const path = join(repoRoot, top);
    if (statSync(path).isDirectory()) walk(path);
    else hash.update(top).update('\0').update(readFileSync(path)).update('\0');
  }
  return hash.digest('hex').slice(0, 12);
}

export interface BuiltImage {
  ref: string;
  /** Uncompressed size as the engine reports it. */
  bytes: number;
  buildSeconds: number;
}

/** `docker build` of the repository's Dockerfile (classic builder, the host's network for npm), pushed to `registry`. */
export async function buildConfigstoreImage(engine: DockerEngine, registry: string, log: string): Promise<BuiltImage> {
  const started = Date.now();
  await run(join(repoRoot, 'scripts', 'images', 'base-image'), [], { env: { ...process.env, DOCKER_HOST: engine.host } });
  const ref = `${registry}/configstore:${contextTag()}`;
  const exists = await docker(engine.host, ['image', 'inspect', ref]).then(
    () => true,
    () => false,
  );
  if (!exists) {
    try {
      const out = await docker(engine.host, ['build', '--network', 'host', '-t', ref, repoRoot], { DOCKER_BUILDKIT: '0' });
      writeFileSync(log, out);
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; message: string };
      writeFileSync(log, `${e.stdout ?? ''}\n${e.stderr ?? ''}`);
      throw new Error(
        `docker build of the configstore image failed (log: ${log}): ${String(e.stderr ?? e.message)
          .trim()
          .split('\n')
          .slice(-5)
          .join(' | ')}`,
      );
    }
  }
  await docker(engine.host, ['push', ref]);
  const bytes = Number(await docker(engine.host, ['image', 'inspect', '-f', '{{.Size}}', ref]));
  return { ref, bytes, buildSeconds: (Date.now() - started) / 1000 };
}

/**
 * An image of one static binary (the pause process, etcd, MinIO: all built here from Go
 * modules), with an empty world-writable /tmp for a volume to cover; pushed as `ref`.
 */
export async function pushBinaryImage(engine: DockerEngine, o: { ref: string; binary: string; nodeDir: string }): Promise<string> {
  const name = basename(o.binary);
  const rootfs = join(o.nodeDir, 'images', name, 'rootfs');
  mkdirSync(join(rootfs, 'bin'), { recursive: true });
  mkdirSync(join(rootfs, 'tmp'), { recursive: true, mode: 0o1777 });
  copyFileSync(o.binary, join(rootfs, 'bin', name));
  const tar = join(o.nodeDir, 'images', name, 'rootfs.tar');
  await run('tar', ['-C', rootfs, '--owner=0', '--group=0', '-cf', tar, 'bin', 'tmp']);
  await docker(engine.host, ['import', '--change', `ENTRYPOINT ["/bin/${name}"]`, '--change', 'ENV HOME=/tmp', tar, o.ref]);
  await docker(engine.host, ['push', o.ref]);
  return o.ref;
}

export const engineRunning = (e: DockerEngine) => isRunning(e.process);
