// Who may write, and on what: a write commits only on the data it was planned on (an
// import in between makes it plan again on the imported data) and only from an instance
// that is in the instance registry (one whose lease expired is invisible to maintenance).
// Real etcd; the write's commit is held back by wrapping the instance's datamanager, as a
// partitioned instance or a retried transaction would hold it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { etcdClient } from '../../scripts/localenv/testenv.js';
import { etcdKeys } from '../types/etcd.js';
import { eventually } from '../../testsupport/eventually.js';
import { remoteError, testCluster, type TestCluster, type TestInstance } from '../../testsupport/instance.js';

/** Holds the next datamanager commit of `instance` until `release()`; `held` resolves when one is waiting. */
function holdNextCommit(instance: TestInstance) {
  const dm = instance.server.stores.dm;
  const original = dm.write.bind(dm);
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let signalHeld!: () => void;
  const held = new Promise<void>((r) => (signalHeld = r));
  dm.write = async (...args) => {
    dm.write = original;
    signalHeld();
    await gate;
    return original(...args);
  };
  return { held, release };
}

describe('a write planned before an import', () => {
  let target: TestCluster;
  let source: TestCluster;
  let inst: TestInstance;
  let other: TestInstance;

  beforeAll(async () => {
    // a short drain: entering maintenance does not wait for the held request, as it does
    // not wait for an instance partitioned from etcd past its registry lease
    target = await testCluster('fence-target');
    source = await testCluster('fence-source');
    inst = await target.start({ checkpoint: false, maintenanceDrainMs: 200 });
    other = await source.start({ checkpoint: false });
  });
  afterAll(async () => {
    await target?.cleanup();
    await source?.cleanup();
  });

  it('never commits on top of the imported data: it is planned again there (a name the import brought is a 409)', async () => {
    await inst.client.createUser({ name: 'alice' });
    await other.client.createUser({ name: 'bob' });
    const backup = Buffer.from(await new Response(await other.client.exportStream()).arrayBuffer());

    // bob does not exist yet where the write is planned: it validates, then its commit waits
    const hold = holdNextCommit(inst);
    const creating = inst.client.createUser({ name: 'bob' }).then(
      (u) => ({ created: u }),
      (err: unknown) => ({ err }),
    );
    await hold.held;

    await inst.client.enableMaintenance({ owner: 'restore' });
    await eventually(async () => (inst.server.maintenance.mode === 'maintenance' ? true : undefined), { timeoutMs: 10_000 });
    const imported = await inst.client.importStream(backup);
    expect(imported.objects).toBeGreaterThan(0);
    await inst.client.disableMaintenance({ owner: 'restore' });
    await eventually(async () => (inst.server.maintenance.mode === 'normal' ? true : undefined), { timeoutMs: 10_000 });

    hold.release();
    const outcome = await creating;
    expect('err' in outcome).toBe(true);
    const err = (outcome as { err: { status?: number; code?: string } }).err;
    expect(err.status).toBe(409);
    expect(err.code).toBe('userExists');

    // the data is the import's, exactly: one bob, no alice, and its export imports again
    const users = await inst.client.listUsers();
    expect(users.items.map((u) => u.name)).toEqual(['bob']);
    const again = Buffer.from(await new Response(await inst.client.exportStream()).arrayBuffer());
    expect((await inst.client.importStream(again, { dryRun: true })).objects).toBe(imported.objects);
  });

  it('a write planned after the import commits as usual', async () => {
    expect((await inst.client.createUser({ name: 'carol' })).name).toBe('carol');
  });
});

describe('an instance out of the registry', () => {
  let cluster: TestCluster;
  let inst: TestInstance;

  beforeAll(async () => {
    cluster = await testCluster('fence-registry');
    // no refresh during the test: the test decides when it registers again
    inst = await cluster.start({ checkpoint: false, registry: { ttlSeconds: 3, refreshMs: 600_000 } });
  });
  afterAll(async () => {
    await cluster?.cleanup();
  });

  it('refuses writes (503 notRegistered, nothing stored) until it registers again; reads go on', async () => {
    await inst.client.createUser({ name: 'before' });
    const etcd = etcdClient();
    try {
      // its lease expires (revoked here, as etcd does when keepalives stop past the TTL)
      const key = etcdKeys(cluster.prefix).instancesPrefix;
      const entry = (await etcd.getAll().prefix(key).exec()).kvs.find((kv) => kv.key.toString().endsWith(inst.server.registry.key.slice(key.length)))!;
      expect(entry).toBeDefined();
      await etcd.leaseClient.leaseRevoke({ ID: entry.lease });

      const refused = await remoteError(inst.client.createUser({ name: 'while-unregistered' }));
      expect(refused.status).toBe(503);
      expect(refused.code).toBe('notRegistered');
      expect(refused.message).toMatch(/not in the instance registry/);
      expect((await inst.client.listUsers()).items.map((u) => u.name)).toEqual(['before']);
      expect((await fetch(`${inst.url}/readyz`)).status).toBe(200); // reads are still served

      // registering again (the next refresh) lets writes in
      await eventually(
        async () => {
          await inst.server.registry.publish();
          return inst.server.registry.registered ? true : undefined;
        },
        { timeoutMs: 15_000 },
      );
      expect((await inst.client.createUser({ name: 'after' })).name).toBe('after');
      expect((await inst.client.listUsers()).items.map((u) => u.name)).toEqual(['after', 'before']);
    } finally {
      etcd.close();
    }
  });
});
