// A long export and garbage collection, on the real etcd: while an export streams, writes
// and checkpoints replace its snapshot and a collection that keeps nothing by age runs; the
// export still ends complete and valid (its snapshot is pinned), and once it ends the pin
// is gone and the old snapshot is collected.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { etcdClient } from '../../scripts/localenv/testenv.js';
import { validateExport } from '../datamanager/exportformat.js';
import { snapshotLayout } from '../datamanager/snapshot.js';
import { listAll } from '../objectstorage/objectstorage.js';
import { etcdKeys } from '../types/etcd.js';
import { eventually } from '../../testsupport/eventually.js';
import { testCluster, type TestCluster, type TestInstance } from '../../testsupport/instance.js';
import { manyUsers, seedSnapshot } from '../../testsupport/snapshot.js';

describe('an export while its snapshot is replaced and collected', () => {
  let cluster: TestCluster;
  let inst: TestInstance;

  beforeAll(async () => {
    cluster = await testCluster('export-pin');
    await seedSnapshot(cluster, manyUsers(20_000)); // ~7 MB
    // collections keep no old snapshot, however young: only a pin can save one
    inst = await cluster.start({ checkpoint: { intervalMs: 3_600_000, keep: 0, minSnapshotAgeMs: 0 } });
  }, 120_000);
  afterAll(async () => {
    await cluster?.cleanup();
  });

  const manifests = async () => {
    const keys: string[] = [];
    for await (const o of listAll(cluster.storage, snapshotLayout.manifestsPrefix)) keys.push(o.key);
    return keys;
  };

  it('ends complete and valid, then lets the collection take the old snapshot', async () => {
    const res = await fetch(`${inst.url}/api/v1alpha/export`, { headers: { 'accept-encoding': 'identity' } });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const chunks: Uint8Array[] = [(await reader.read()).value!]; // started; then the client pauses

    // meanwhile the data changes (a user and its root group: the files the export reads next)
    // and a checkpoint replaces the snapshot and collects
    await inst.client.createUser({ name: 'meanwhile' });
    const round = await inst.server.checkpointer.run({ force: true });
    expect(round.done).toBe(true);
    expect(await manifests()).toHaveLength(2); // the export's, pinned, and the new one

    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
    }
    const summary = await validateExport([Buffer.concat(chunks)]);
    expect(summary.objects).toBe(40_000); // the state at the export's revision: without "meanwhile"

    // the pin goes with the export; the next collection takes the old snapshot
    const etcd = etcdClient();
    try {
      await eventually(async () => ((await etcd.getAll().prefix(etcdKeys(cluster.prefix).readersPrefix).keys()).length === 0 ? true : undefined));
    } finally {
      etcd.close();
    }
    await inst.client.createUser({ name: 'after' });
    expect((await inst.server.checkpointer.run({ force: true })).done).toBe(true);
    expect(await manifests()).toHaveLength(1);
  }, 120_000);
});
