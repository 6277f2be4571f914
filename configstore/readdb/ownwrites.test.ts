// Read-your-writes without the watch's echo, on the real etcd: an instance applies what it
// committed at once when the commit's revision is the next one its read model expects, and
// leaves everything else to the watch (another instance's write in between, a revision it
// has not seen). Nothing is applied twice or lost either way. Its own etcd: etcd's revision
// counts every txn of every prefix, so the other test files' traffic would make the gaps.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEtcd, type EtcdServer } from '../../scripts/localenv/etcd.js';
import { stopProcess } from '../../scripts/localenv/process.js';
import { binary } from '../../scripts/localenv/tools.js';
import { testCluster, type TestCluster } from '../../testsupport/instance.js';
import type { ServerOptions } from '../api/server.js';
import { etcdKeys } from '../types/etcd.js';

describe('read-your-writes without the watch echo (real etcd)', () => {
  let cluster: TestCluster;
  let etcd: EtcdServer;
  const dir = mkdtempSync(join(tmpdir(), 'configstore-ownwrites-'));
  let options: Partial<ServerOptions>;
  beforeAll(async () => {
    etcd = await startEtcd(binary('etcd'), dir, 'etcd');
    options = { checkpoint: false, etcdEndpoints: [etcd.endpoint] };
    cluster = await testCluster('ownwrites');
  }, 60_000);
  afterAll(async () => {
    await cluster?.cleanup();
    if (etcd) await stopProcess(etcd.process);
    rmSync(dir, { recursive: true, force: true });
  });

  it('applies its own commits at once when they are the next revision; the echo is not applied again', async () => {
    const a = await cluster.start(options);
    const readdb = a.server.stores.readdb;
    const before = { ...readdb.ownCommits };
    for (let i = 0; i < 20; i++) {
      await a.client.createUser({ name: `own${i}` });
      expect((await a.client.getUser(`own${i}`)).name).toBe(`own${i}`);
    }
    // an etcd of its own: a write is the next revision (lease keep-alives make none) unless the
    // registry refreshed its entry (every 3 s) in between. Applied at once, or echoed when the
    // watch brought it before the txn's answer was handled (on a loaded machine, half of them)
    const after = readdb.ownCommits;
    expect(after.applied - before.applied).toBeGreaterThan(0);
    expect(after.leftToWatch - before.leftToWatch).toBeLessThanOrEqual(2);
    expect(after.applied + after.echoed + after.leftToWatch - (before.applied + before.echoed + before.leftToWatch)).toBe(20);
    const client = new Etcd3({ hosts: etcd.endpoint });
    try {
      const wal = await client.getAll().prefix(etcdKeys(cluster.prefix).walPrefix).keys();
      // once the echoes are in, one object per write: none applied twice
      await new Promise((r) => setTimeout(r, 200));
      const names = (await a.client.listUsers({ limit: 100 })).items.map((u) => u.name).filter((n) => n.startsWith('own'));
      expect(names.sort()).toEqual(Array.from({ length: 20 }, (_, i) => `own${i}`).sort());
      expect(wal.length).toBeGreaterThanOrEqual(20);
    } finally {
      client.close();
    }
  });

  it('two instances writing in turns each read their own writes and end with the same data', async () => {
    const [a, b] = [await cluster.start(options), await cluster.start(options)];
    const writes = Array.from({ length: 30 }, (_, i) => ({ by: i % 2 ? b : a, name: `turn${i}` }));
    await Promise.all(
      [a, b].map(async (me) => {
        for (const w of writes.filter((x) => x.by === me)) {
          await me.client.createUser({ name: w.name });
          expect((await me.client.getUser(w.name)).name).toBe(w.name);
        }
      }),
    );
    const list = async (i: typeof a) => (await i.client.listUsers({ limit: 200 })).items.map((u) => u.name).filter((n) => n.startsWith('turn'));
    const expected = writes.map((w) => w.name).sort();
    for (const i of [a, b]) {
      for (let t = 0; JSON.stringify((await list(i)).sort()) !== JSON.stringify(expected) && t < 100; t++) await new Promise((r) => setTimeout(r, 20));
      expect((await list(i)).sort()).toEqual(expected);
    }
  });

  it('ignores a commit that is not the next revision (something it has not seen came between)', async () => {
    const a = await cluster.start(options);
    const readdb = a.server.stores.readdb;
    const applied = readdb.revision;
    const counted = { ...readdb.ownCommits };
    readdb.applyCommitted(applied + 2n, [[{ type: 'put', dataType: 'user', id: 'ghost-id', data: { id: 'ghost-id', name: 'ghost' } }]]);
    expect(readdb.ownCommits).toEqual({ ...counted, leftToWatch: counted.leftToWatch + 1 });
    expect(readdb.revision).toBe(applied);
    await expect(a.client.getUser('ghost')).rejects.toMatchObject({ status: 404 });
  });
});
