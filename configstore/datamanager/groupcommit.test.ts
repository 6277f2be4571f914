// Group commit on a real etcd: concurrent writes on disjoint change groups share txns (fewer
// revisions than writes) and every one commits; a batch with a conflicting write is split so
// the others commit and the loser alone gets the conflict; writes racing the maintenance fence
// never commit after the key exists; the WAL holds each acknowledged write once, at the
// revision it was acknowledged with.
import type { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { etcdClient, isolatedEtcdPrefix } from '../../scripts/localenv/testenv.js';
import { isKind } from '../errors.js';
import { ConcurrentUpdateError, DataManager } from './datamanager.js';
import { decodeWal, type Action } from './wal.js';

const put = (id: string): Action => ({ type: 'put', dataType: 'user', id, data: { id, name: id } });

describe('group commit (real etcd)', () => {
  let etcd: Etcd3;
  const prefixes: { cleanup: () => Promise<void> }[] = [];
  beforeAll(() => {
    etcd = etcdClient();
  });
  afterAll(async () => {
    await Promise.all(prefixes.map((p) => p.cleanup()));
    etcd.close();
  });
  const fresh = (name: string, options = {}) => {
    const p = isolatedEtcdPrefix(name);
    prefixes.push(p);
    return new DataManager(etcd, p.prefix, options);
  };
  const revisionNow = async () => BigInt((await etcd.get('/nothing').exec()).header.revision);
  /** The WAL entries under the manager's prefix: each write's first action id → its mod revision. */
  const wal = async (dm: DataManager) => {
    const kvs = (await etcd.getAll().prefix(dm.keys.walPrefix).exec()).kvs;
    return new Map(kvs.map((kv) => [decodeWal(kv.value).actions[0]!.id, BigInt(kv.mod_revision)]));
  };

  it('commits 64 concurrent disjoint writes in fewer txns, each once, at the revision it was told', async () => {
    const dm = fresh('gc-disjoint');
    const read = await revisionNow();
    const ids = Array.from({ length: 64 }, (_, i) => `u${i}`);
    const revisions = await Promise.all(ids.map((id) => dm.write([put(id)], [`user:${id}`], read)));
    const stored = await wal(dm);
    expect([...stored.keys()].sort()).toEqual([...ids].sort());
    ids.forEach((id, i) => expect(stored.get(id)).toBe(revisions[i]));
    const txns = new Set(revisions).size;
    expect(txns).toBeLessThan(ids.length); // batched: several writes per revision
    console.log(`64 concurrent writes committed in ${txns} txns`);

    const alone = fresh('gc-off', { groupCommit: false });
    const one = await Promise.all(ids.slice(0, 16).map((id) => alone.write([put(id)], [`user:${id}`], read)));
    expect(new Set(one).size).toBe(16); // one txn per write when off
  });

  it('splits a batch when one write conflicts: the others commit, the loser alone gets the conflict', async () => {
    const dm = fresh('gc-conflict');
    const read = await revisionNow();
    await dm.write([put('taken')], ['name:taken'], read); // bumps name:taken after `read`
    const results = await Promise.allSettled([
      dm.write([put('a')], ['name:a'], read),
      dm.write([put('late')], ['name:taken'], read), // planned before the bump: must lose
      dm.write([put('b')], ['name:b'], read),
      dm.write([put('c')], ['name:c'], read),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(ConcurrentUpdateError);
    expect([...(await wal(dm)).keys()].sort()).toEqual(['a', 'b', 'c', 'taken']);
  });

  it('same-group writes are not batched together: exactly one of two racing on a name commits', async () => {
    const dm = fresh('gc-same');
    const read = await revisionNow();
    const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => dm.write([put(`n${i}`)], ['name:shared'], read)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected' && r.reason instanceof ConcurrentUpdateError)).toHaveLength(7);
    expect((await wal(dm)).size).toBe(1);
  });

  it('never commits after the maintenance key exists, while batches race its creation', async () => {
    const dm = fresh('gc-fence');
    let fencedAt = 0n;
    let stop = false;
    const acknowledged: bigint[] = [];
    const refused: unknown[] = [];
    const writers = Array.from({ length: 16 }, async (_, w) => {
      for (let i = 0; !stop; i++) {
        try {
          acknowledged.push(await dm.write([put(`w${w}-${i}`)], [`user:w${w}-${i}`], await revisionNow()));
        } catch (err) {
          refused.push(err);
          if (isKind(err, 'Unavailable')) return;
        }
      }
    });
    await new Promise((r) => setTimeout(r, 300));
    const res = await etcd.put(dm.keys.maintenance).value('{"owner":"test"}').exec();
    fencedAt = BigInt(res.header.revision);
    await new Promise((r) => setTimeout(r, 300));
    stop = true;
    await Promise.all(writers);
    expect(acknowledged.length).toBeGreaterThan(16);
    expect(acknowledged.every((rev) => rev < fencedAt)).toBe(true);
    const stored = await wal(dm);
    expect(stored.size).toBe(acknowledged.length); // every acknowledged write stored, nothing else
    for (const rev of stored.values()) expect(rev).toBeLessThan(fencedAt);
    expect(refused.some((e) => isKind(e, 'Unavailable') && String((e as Error).message).includes('maintenance mode'))).toBe(true);
  });
});
