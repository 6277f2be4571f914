// Seeds a cluster with n users and their n root project groups written straight as a
// snapshot (as a checkpoint would have), so benches start from big data in seconds.
import { Etcd3 } from 'etcd3';
import { snapshotFormatVersion, writeDataFile, writeManifest, type SnapshotEntry } from '../configstore/datamanager/snapshot.js';
import type { SnapshotPointer } from '../configstore/datamanager/state.js';
import type { ObjectStorage } from '../configstore/objectstorage/objectstorage.js';
import { etcdKeys } from '../configstore/types/etcd.js';

// ids sorted by construction
const userId = (i: number) => `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
const rootId = (i: number) => `00000000-0000-4000-9000-${i.toString(16).padStart(12, '0')}`;

async function* users(n: number): AsyncGenerator<SnapshotEntry> {
  const createdAt = new Date().toISOString();
  for (let i = 0; i < n; i++) yield { id: userId(i), data: { id: userId(i), name: `user${i}`, createdAt } };
}

/** Every user owns a root project group (the import checks it). */
async function* rootGroups(n: number): AsyncGenerator<SnapshotEntry> {
  const createdAt = new Date().toISOString();
  for (let i = 0; i < n; i++)
    yield { id: rootId(i), data: { id: rootId(i), name: '', parentType: 'user', parentId: userId(i), visibility: 'public', createdAt } };
}

export async function seedUsers(ost: ObjectStorage, etcdEndpoint: string, prefix: string, n: number): Promise<void> {
  const etcd = new Etcd3({ hosts: etcdEndpoint });
  try {
    const revision = BigInt((await etcd.get('probe').exec()).header.revision);
    const files = {
      user: await writeDataFile(ost, 'user', 0, revision, users(n)),
      projectgroup: await writeDataFile(ost, 'projectgroup', 0, revision, rootGroups(n)),
    };
    const manifest = await writeManifest(ost, {
      formatVersion: snapshotFormatVersion,
      epoch: 0,
      revision: String(revision),
      createdAt: new Date().toISOString(),
      files,
    });
    const pointer: SnapshotPointer = { epoch: 0, revision: String(revision), manifest, createdAt: new Date().toISOString() };
    await etcd.put(etcdKeys(prefix).snapshot).value(JSON.stringify(pointer));
  } finally {
    etcd.close();
  }
}
