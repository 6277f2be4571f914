// The server's memory: a default request and limit, and V8's heap sized under the limit.
// Measured on the local node (Node 24 in the image): V8 sizes its heap from the cgroup limit,
// but not below ~259 MiB: under a 256Mi limit its heap may outgrow the container, which is
// then OOM-killed instead of collecting. So the heap gets an explicit ceiling at 3/4 of the
// limit, leaving the rest for buffers, SQLite and the code.
import type { V1EnvVar } from '@kubernetes/client-node';

const units: Record<string, number> = { '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };

/** Bytes of a Kubernetes memory quantity ("512Mi", "1G", "1073741824"); undefined when it is not one. */
export function memoryBytes(quantity: unknown): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(String(quantity ?? '').trim());
  if (!m) return undefined;
  const bytes = Number(m[1]) * units[m[2] ?? '']!;
  return Number.isFinite(bytes) && bytes > 0 ? bytes : undefined;
}

/** NODE_OPTIONS with V8's old-space ceiling at 3/4 of the memory limit (none without a limit). */
export function heapEnv(resources: { limits?: Record<string, unknown> } | undefined): V1EnvVar[] {
  const limit = memoryBytes(resources?.limits?.memory);
  if (limit === undefined) return [];
  const mib = Math.max(64, Math.floor((limit * 0.75) / 2 ** 20));
  return [{ name: 'NODE_OPTIONS', value: `--max-old-space-size=${mib}` }];
}
