// Container filesystem emulation: each volume of the pod is a directory under the pod's
// directory (emptyDir empty, secret/configMap filled with their keys), and any env value or
// argument that names a path under a volumeMount's mountPath (plain, after "=", or in a
// file:// URL) is rewritten to the emulated directory. Files are written once, at start.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import type { CoreV1Api, V1Container, V1KeyToPath, V1Pod } from '@kubernetes/client-node';
import { ContainerConfigError } from './env.js';

export interface Mount {
  mountPath: string;
  hostPath: string;
}

async function readData(core: CoreV1Api, kind: 'Secret' | 'ConfigMap', name: string, namespace: string): Promise<Record<string, Buffer> | undefined> {
  try {
    if (kind === 'Secret') {
      const s = await core.readNamespacedSecret({ name, namespace });
      return Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')]));
    }
    const c = await core.readNamespacedConfigMap({ name, namespace });
    return {
      ...Object.fromEntries(Object.entries(c.data ?? {}).map(([k, v]) => [k, Buffer.from(v)])),
      ...Object.fromEntries(Object.entries(c.binaryData ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
    };
  } catch (err) {
    if ((err as { code?: number }).code === 404) return undefined;
    throw err;
  }
}

function writeKeys(dir: string, data: Record<string, Buffer>, items: V1KeyToPath[] | undefined, defaultMode: number | undefined, what: string): void {
  const files = items ?? Object.keys(data).map((key) => ({ key, path: key }) as V1KeyToPath);
  for (const item of files) {
    const content = data[item.key];
    if (content === undefined) throw new ContainerConfigError(`${what}: no key ${item.key}`, 'ContainerCreating');
    const file = join(dir, normalize(item.path));
    if (!file.startsWith(dir + '/')) throw new ContainerConfigError(`${what}: path ${item.path} leaves the volume`, 'ContainerCreating');
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content);
    chmodSync(file, item.mode ?? defaultMode ?? 0o644);
  }
}

/** Materializes the container's mounted volumes under `podDir/volumes`; returns where each mount lives. */
export async function prepareVolumes(core: CoreV1Api, pod: V1Pod, container: V1Container, podDir: string): Promise<Mount[]> {
  const namespace = pod.metadata!.namespace!;
  const mounts: Mount[] = [];
  for (const vm of container.volumeMounts ?? []) {
    const volume = pod.spec?.volumes?.find((v) => v.name === vm.name);
    if (!volume) throw new ContainerConfigError(`volumeMount ${vm.name}: no such volume`);
    let dir = join(podDir, 'volumes', volume.name);
    if (volume.hostPath) dir = volume.hostPath.path;
    mkdirSync(dir, { recursive: true });
    const source = volume.secret
      ? { kind: 'Secret' as const, name: volume.secret.secretName ?? '', ...volume.secret }
      : volume.configMap
        ? { kind: 'ConfigMap' as const, name: volume.configMap.name ?? '', ...volume.configMap }
        : undefined;
    if (source) {
      const data = await readData(core, source.kind, source.name, namespace);
      const what = `volume ${volume.name} (${source.kind} ${source.name})`;
      // the kubelet keeps the pod in ContainerCreating (FailedMount) until it exists
      if (!data && !source.optional) throw new ContainerConfigError(`MountVolume.SetUp failed for ${what}: not found`, 'ContainerCreating');
      writeKeys(dir, data ?? {}, source.items, source.defaultMode, what);
    }
    // emptyDir, projected and the rest: an empty directory
    mounts.push({ mountPath: vm.mountPath.replace(/\/+$/, '') || '/', hostPath: vm.subPath ? join(dir, vm.subPath) : dir });
  }
  return mounts.sort((a, b) => b.mountPath.length - a.mountPath.length);
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `value` with every path under a mount (at the start, after "=", or in file://) pointing at the emulated directory. */
export function rewritePaths(value: string, mounts: Mount[]): string {
  const usable = mounts.filter((m) => m.mountPath !== '/'); // longest first: the innermost mount wins
  if (usable.length === 0) return value;
  const re = new RegExp(`(^|=|file://)(${usable.map((m) => escape(m.mountPath)).join('|')})(?=/|$)`, 'g');
  return value.replace(re, (_all, lead: string, path: string) => lead + usable.find((m) => m.mountPath === path)!.hostPath);
}
