// Test harness: a cluster's data written straight into a snapshot, as a checkpoint writes
// it, for data the API would refuse (as an older version may have stored) or many objects
// fast. Seed before starting the cluster's instances: they load the snapshot at start.
import { etcdClient } from '../scripts/localenv/testenv.js';
import { snapshotFormatVersion, writeDataFile, writeManifest, type SnapshotEntry, type SnapshotFile } from '../configstore/datamanager/snapshot.js';
import type { SnapshotPointer } from '../configstore/datamanager/state.js';
import { etcdKeys } from '../configstore/types/etcd.js';
import type { TestCluster } from './instance.js';

export interface SeedObject {
  type: string;
  id: string;
  data: Record<string, unknown>;
}

/** The objects of an export's object lines (header and trailer dropped). */
export function exportObjects(exported: Buffer | string): SeedObject[] {
  return exported
    .toString()
    .trimEnd()
    .split('\n')
    .slice(1, -1)
    .map((l) => JSON.parse(l) as SeedObject);
}

/** Makes these objects (any order) the cluster's data: one snapshot of epoch 0 at etcd's current revision. */
export async function seedSnapshot(cluster: TestCluster, objects: Iterable<SeedObject>): Promise<void> {
  const byType = new Map<string, SnapshotEntry[]>();
  for (const o of objects) {
    if (!byType.has(o.type)) byType.set(o.type, []);
    byType.get(o.type)!.push({ id: o.id, data: o.data });
  }
  const etcd = etcdClient();
  try {
    const revision = BigInt((await etcd.get('probe').exec()).header.revision);
    const files: Record<string, SnapshotFile> = {};
    for (const [type, entries] of byType) {
      entries.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      files[type] = await writeDataFile(cluster.storage, type, 0, revision, toAsync(entries));
    }
    const createdAt = new Date().toISOString();
    const manifest = await writeManifest(cluster.storage, { formatVersion: snapshotFormatVersion, epoch: 0, revision: String(revision), createdAt, files });
    const pointer: SnapshotPointer = { epoch: 0, revision: String(revision), manifest, createdAt };
    await etcd.put(etcdKeys(cluster.prefix).snapshot).value(JSON.stringify(pointer));
  } finally {
    etcd.close();
  }
}

/** `n` users with their root groups, ids in one range (to make an export large). */
export function* manyUsers(n: number): Generator<SeedObject> {
  const id = (prefix: string, i: number) => `00000000-0000-4000-${prefix}-${i.toString(16).padStart(12, '0')}`;
  const createdAt = new Date().toISOString();
  for (let i = 0; i < n; i++) {
    yield { type: 'user', id: id('8000', i), data: { id: id('8000', i), name: `seeded${i}`, createdAt } };
    yield {
      type: 'projectgroup',
      id: id('9000', i),
      data: { id: id('9000', i), name: '', parentType: 'user', parentId: id('8000', i), visibility: 'public', createdAt },
    };
  }
}

async function* toAsync<T>(items: T[]): AsyncGenerator<T> {
  yield* items;
}
