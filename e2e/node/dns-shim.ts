// Cluster DNS for the fake node's pods: loaded into every pod process by
// NODE_OPTIONS=--import=<this file's URL>?map=<service map file>&ns=<pod namespace>.
// Node runs it with its own type stripping (erasable syntax only, node: imports only).
//
// `<svc>.<ns>.svc[.cluster.local]`, `<svc>.<ns>` and, inside the pod's namespace, `<svc>`
// resolve to the IP of a Ready pod selected by that Service (the map the harness keeps;
// read at every lookup). There are no cluster IPs (nothing may be sent to 10.x here), so a
// Service resolves straight to a pod, and its port must equal its targetPort.
// Everything else goes to the real resolver. net.connect (so http, and undici's global
// fetch) looks names up through dns.lookup at call time, which is what is patched here.
import dns from 'node:dns';
import { readFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

export interface ServiceMap {
  /** Namespaces the node watches: an unknown `<svc>.<ns>` in one of them does not exist. */
  namespaces: string[];
  /** "<svc>.<ns>" → IPs of its Ready pods (empty: the Service has no ready endpoint). */
  services: Record<string, string[]>;
}

const params = new URL(import.meta.url).searchParams;
const mapFile = params.get('map');
const podNamespace = params.get('ns');

function readMap(): ServiceMap {
  try {
    return JSON.parse(readFileSync(mapFile ?? '', 'utf8')) as ServiceMap;
  } catch {
    return { namespaces: [], services: {} };
  }
}

/** The pod IPs for a cluster name, 'nxdomain' for a cluster name that has none, undefined for any other name. */
export function resolveClusterName(hostname: string, map: ServiceMap, namespace: string | null): string[] | 'nxdomain' | undefined {
  const name = hostname.toLowerCase().replace(/\.$/, '');
  const full = /^([a-z0-9-]+)\.([a-z0-9-]+)\.svc(?:\.cluster\.local)?$/.exec(name);
  const short = full ?? /^([a-z0-9-]+)\.([a-z0-9-]+)$/.exec(name);
  let key: string | undefined;
  if (short) key = `${short[1]}.${short[2]}`;
  else if (namespace && /^[a-z0-9-]+$/.test(name)) key = `${name}.${namespace}`;
  if (key === undefined) return undefined;
  const ips = map.services[key];
  if (ips) return ips.length > 0 ? ips : 'nxdomain';
  if (full || (short && map.namespaces.includes(short[2]!))) return 'nxdomain';
  return undefined;
}

function notFound(hostname: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', errno: -3008, syscall: 'getaddrinfo', hostname });
}

interface LookupOpts {
  family?: number | string;
  all?: boolean;
}

/** Addresses for a cluster name in lookup's shape, or undefined to use the real resolver. */
function lookupCluster(hostname: string, options: LookupOpts): { error: NodeJS.ErrnoException } | { addresses: dns.LookupAddress[] } | undefined {
  if (typeof hostname !== 'string') return undefined;
  const ips = resolveClusterName(hostname, readMap(), podNamespace);
  if (ips === undefined) return undefined;
  if (ips === 'nxdomain' || options.family === 6 || options.family === 'IPv6') return { error: notFound(hostname) };
  // a random ready pod first: spreads connections like a Service does
  const start = Math.floor(Math.random() * ips.length);
  const rotated = [...ips.slice(start), ...ips.slice(0, start)];
  return { addresses: rotated.map((address) => ({ address, family: 4 })) };
}

const normalize = (options: unknown): LookupOpts => (typeof options === 'number' ? { family: options } : ((options ?? {}) as LookupOpts));

const realLookup = dns.lookup;
function lookup(hostname: string, options: unknown, callback?: unknown): void {
  const cb = (typeof options === 'function' ? options : callback) as (err: Error | null, address?: unknown, family?: number) => void;
  const opts = typeof options === 'function' ? {} : normalize(options);
  const found = lookupCluster(hostname, opts);
  if (!found) {
    (realLookup as (...a: unknown[]) => void)(hostname, ...(typeof options === 'function' ? [] : [options]), cb);
    return;
  }
  if ('error' in found) process.nextTick(cb, found.error);
  else if (opts.all) process.nextTick(cb, null, found.addresses);
  else process.nextTick(cb, null, found.addresses[0]!.address, 4);
}
dns.lookup = lookup as typeof dns.lookup;

const realPromiseLookup = dns.promises.lookup;
async function promiseLookup(hostname: string, options?: unknown): Promise<unknown> {
  const opts = normalize(options);
  const found = lookupCluster(hostname, opts);
  if (!found) return (realPromiseLookup as (...a: unknown[]) => Promise<unknown>)(hostname, options);
  if ('error' in found) throw found.error;
  return opts.all ? found.addresses : found.addresses[0];
}
dns.promises.lookup = promiseLookup as typeof dns.promises.lookup;

// `import { lookup } from 'node:dns'` sees the patched functions too
syncBuiltinESMExports();
