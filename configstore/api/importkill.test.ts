// Import is atomic even when the importing instance dies: a real `configstore serve`
// process is killed with SIGKILL at several points of an import; afterwards a fresh
// instance serves either all the old data or all the new, never a mix, and no stale
// WAL entry is replayed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigStoreClient } from '../client/index.js';
import { etcdClient, localEnv } from '../../scripts/localenv/testenv.js';
import { freePort } from '../../scripts/localenv/process.js';
import { snapshotFormatVersion, writeDataFile, writeManifest, type SnapshotEntry } from '../datamanager/snapshot.js';
import type { SnapshotPointer } from '../datamanager/state.js';
import type { PosixObjectStorage } from '../objectstorage/posix.js';
import { etcdKeys } from '../types/etcd.js';
import { spawnCli } from '../../testsupport/cli.js';
import { eventually } from '../../testsupport/eventually.js';
import { testCluster, type TestCluster } from '../../testsupport/instance.js';

const newUsers = 20_000;
const id = (prefix: string, i: number) => `00000000-0000-4000-${prefix}-${i.toString(16).padStart(12, '0')}`;

async function* entries(n: number, make: (i: number) => SnapshotEntry): AsyncGenerator<SnapshotEntry> {
  for (let i = 0; i < n; i++) yield make(i);
}

/** The export of a cluster holding `newUsers` users (seeded as a snapshot, then exported). */
async function bigExport(source: TestCluster): Promise<Buffer> {
  const etcd = etcdClient();
  try {
    const revision = BigInt((await etcd.get('probe').exec()).header.revision);
    const createdAt = new Date().toISOString();
    const files = {
      user: await writeDataFile(
        source.storage,
        'user',
        0,
        revision,
        entries(newUsers, (i) => ({ id: id('8000', i), data: { id: id('8000', i), name: `new${i}`, createdAt } })),
      ),
      projectgroup: await writeDataFile(
        source.storage,
        'projectgroup',
        0,
        revision,
        entries(newUsers, (i) => ({
          id: id('9000', i),
          data: { id: id('9000', i), name: '', parentType: 'user', parentId: id('8000', i), visibility: 'public', createdAt },
        })),
      ),
    };
    const manifest = await writeManifest(source.storage, { formatVersion: snapshotFormatVersion, epoch: 0, revision: String(revision), createdAt, files });
    const pointer: SnapshotPointer = { epoch: 0, revision: String(revision), manifest, createdAt };
    await etcd.put(etcdKeys(source.prefix).snapshot).value(JSON.stringify(pointer));
  } finally {
    etcd.close();
  }
  const instance = await source.start({ checkpoint: false });
  const chunks: Buffer[] = [];
  for await (const c of await instance.client.exportStream()) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

async function serve(cluster: TestCluster): Promise<{ url: string; kill(): Promise<void> }> {
  const port = await freePort();
  // a posix storage's location is already its file:// URL
  const storageUrl = (cluster.storage as PosixObjectStorage).location;
  const { child, exited } = spawnCli(
    ['serve'],
    {
      CONFIGSTORE_LISTEN: `127.0.0.1:${port}`,
      CONFIGSTORE_ETCD_ENDPOINTS: localEnv().etcd.endpoint,
      CONFIGSTORE_ETCD_PREFIX: cluster.prefix,
      CONFIGSTORE_OBJECT_STORAGE: storageUrl,
      CONFIGSTORE_LOG_LEVEL: 'warn',
    },
    'inherit',
  );
  const url = `http://127.0.0.1:${port}`;
  await eventually(async () => ((await fetch(`${url}/readyz`)).ok ? true : undefined), { timeoutMs: 60_000 });
  return {
    url,
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

describe('import under SIGKILL', () => {
  let source: TestCluster;
  let target: TestCluster;
  let exported: Buffer;

  beforeAll(async () => {
    source = await testCluster('import-kill-src');
    target = await testCluster('import-kill-dst');
    exported = await bigExport(source);
  }, 120_000);
  afterAll(async () => {
    await source?.cleanup();
    await target?.cleanup();
  });

  it('leaves wholly old or wholly new data whenever the importing instance dies', async () => {
    const seed = await target.start({ checkpoint: false });
    for (const name of ['old1', 'old2', 'old3']) await seed.client.createUser({ name });
    await seed.client.enableMaintenance({ owner: 'test' });
    const outcomes: string[] = [];
    for (const delayMs of [50, 250, 600, 1200, 2500]) {
      // a killed import held the checkpoint lock: let its lease expire, so this round's
      // import really runs (rather than waiting for the lock) when it is killed
      await eventually(
        async () => {
          const etcd = etcdClient();
          try {
            return (await etcd.getAll().prefix(etcdKeys(target.prefix).checkpointLock).count()) === 0 ? true : undefined;
          } finally {
            etcd.close();
          }
        },
        { timeoutMs: 30_000 },
      );
      const server = await serve(target);
      const client = new ConfigStoreClient(server.url);
      const importing = client.importStream(exported).then(
        () => 'answered',
        () => 'cut',
      );
      await new Promise((r) => setTimeout(r, delayMs));
      await server.kill();
      await importing;
      // what a fresh instance serves: all old or all new
      const check = await target.start({ checkpoint: false });
      await eventually(async () => (check.server.ready() ? true : undefined), { timeoutMs: 30_000 });
      const etcd = etcdClient();
      const epoch = JSON.parse((await etcd.get(etcdKeys(target.prefix).snapshot).string()) ?? '{"epoch":0}').epoch as number;
      etcd.close();
      // resource routes are closed in maintenance: read the model directly
      const names = check.server.stores.readdb.do({}, (tx) => tx.list('user', { limit: newUsers + 10 }).map((o) => o.name));
      if (epoch === 0) {
        expect(names).toEqual(['old1', 'old2', 'old3']);
        outcomes.push(`${delayMs} ms: old`);
      } else {
        expect(names).toHaveLength(newUsers);
        expect(names).not.toContain('old1');
        outcomes.push(`${delayMs} ms: new`);
      }
      await check.server.close();
    }
    expect(outcomes[0]).toMatch(/old$/); // killed 50 ms in: nothing switched
    // an import that is let finish wins (the lock a killed import held expires first)
    const server = await serve(target);
    const result = await eventually(() => new ConfigStoreClient(server.url).importStream(exported), { timeoutMs: 90_000 });
    expect(result.objects).toBe(2 * newUsers);
    await server.kill();
    const after = await target.start({ checkpoint: false });
    expect(after.server.stores.readdb.do({}, (tx) => tx.count('user', null))).toBe(newUsers);
    outcomes.push('final: new');
    console.info(`import under SIGKILL: ${outcomes.join(', ')}`);
    // no staged file of a failed attempt stays referenced; the WAL is empty after the switch
    const etcd = etcdClient();
    expect(await etcd.getAll().prefix(etcdKeys(target.prefix).walPrefix).count()).toBe(0);
    etcd.close();
  }, 240_000);
});
