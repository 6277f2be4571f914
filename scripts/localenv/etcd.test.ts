// Smoke test: the local etcd is a real etcd (transactions with compare, watches).
import { afterAll, describe, expect, it } from 'vitest';
import { etcdClient, isolatedEtcdPrefix } from './testenv.js';

describe('local etcd', () => {
  const { prefix, cleanup } = isolatedEtcdPrefix('etcd-smoke');
  const client = etcdClient();
  afterAll(async () => {
    await cleanup();
    client.close();
  });

  it('runs compare-and-swap transactions on mod revisions', async () => {
    await client.put(`${prefix}k`).value('v1');
    const kv = (await client.get(`${prefix}k`).exec()).kvs[0]!;
    const ok = await client
      .if(`${prefix}k`, 'Mod', '==', kv.mod_revision)
      .then(client.put(`${prefix}k`).value('v2'))
      .commit();
    expect(ok.succeeded).toBe(true);
    const stale = await client
      .if(`${prefix}k`, 'Mod', '==', kv.mod_revision)
      .then(client.put(`${prefix}k`).value('v3'))
      .else(client.get(`${prefix}k`))
      .commit();
    expect(stale.succeeded).toBe(false);
    expect(await client.get(`${prefix}k`).string()).toBe('v2');
    const absent = await client
      .if(`${prefix}new`, 'Create', '==', 0)
      .then(client.put(`${prefix}new`).value('x'))
      .commit();
    expect(absent.succeeded).toBe(true);
    const again = await client
      .if(`${prefix}new`, 'Create', '==', 0)
      .then(client.put(`${prefix}new`).value('y'))
      .commit();
    expect(again.succeeded).toBe(false);
  });

  it('delivers watch events from another client, in order, from a start revision', async () => {
    const other = etcdClient();
    const seen: string[] = [];
    const watcher = await client.watch().prefix(`${prefix}w/`).create();
    const done = new Promise<void>((resolve) =>
      watcher.on('data', (res) => {
        for (const ev of res.events) seen.push(`${ev.type}:${ev.kv.key.toString().slice(prefix.length)}`);
        if (seen.length >= 3) resolve();
      }),
    );
    const put = await other.put(`${prefix}w/a`).value('1').exec();
    await other.put(`${prefix}w/b`).value('2');
    await other.delete().key(`${prefix}w/a`);
    await done;
    await watcher.cancel();
    expect(seen).toEqual(['Put:w/a', 'Put:w/b', 'Delete:w/a']);

    // replay from a revision: history comes back
    const replay: string[] = [];
    const w2 = await client.watch().prefix(`${prefix}w/`).startRevision(put.header.revision).create();
    await new Promise<void>((resolve) =>
      w2.on('data', (res) => {
        for (const ev of res.events) replay.push(ev.kv.key.toString().slice(prefix.length));
        if (replay.length >= 3) resolve();
      }),
    );
    await w2.cancel();
    other.close();
    expect(replay).toEqual(['w/a', 'w/b', 'w/a']);
  });
});
