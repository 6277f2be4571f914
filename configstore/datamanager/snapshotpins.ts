// Pins: a long reader of a snapshot (an export) names its manifest under `<prefix>readers/`,
// on a lease kept alive while it reads; garbage collection keeps every pinned snapshot. A
// reader that dies drops its pin when the lease expires. (The age rule of the collection,
// minSnapshotAgeMs, stays as a second guard.)
import { randomUUID } from 'node:crypto';
import type { Etcd3 } from 'etcd3';
import type { etcdKeys } from '../types/etcd.js';

export interface SnapshotPin {
  /** Drops the pin (revokes its lease); never rejects. */
  release(): Promise<void>;
}

const pinTtlSeconds = 30;

export async function pinSnapshot(etcd: Etcd3, keys: ReturnType<typeof etcdKeys>, manifest: string): Promise<SnapshotPin> {
  const lease = etcd.lease(pinTtlSeconds, { autoKeepAlive: true });
  lease.on('lost', () => undefined); // its end is the reader's (an expiry only lets GC collect earlier)
  try {
    await lease.put(keys.readersPrefix + randomUUID()).value(JSON.stringify({ manifest, since: new Date().toISOString() }));
  } catch (err) {
    await lease.revoke().catch(() => undefined);
    throw err;
  }
  let released: Promise<void> | undefined;
  return {
    release: () =>
      (released ??= lease.revoke().then(
        () => undefined,
        () => undefined,
      )),
  };
}

/** Every manifest a live reader pins. */
export async function pinnedManifests(etcd: Etcd3, keys: ReturnType<typeof etcdKeys>): Promise<Set<string>> {
  const res = await etcd.getAll().prefix(keys.readersPrefix).strings();
  const pinned = new Set<string>();
  for (const raw of Object.values(res)) {
    try {
      const { manifest } = JSON.parse(raw) as { manifest?: unknown };
      if (typeof manifest === 'string') pinned.add(manifest);
    } catch {
      // not ours to judge: a malformed pin pins nothing
    }
  }
  return pinned;
}
