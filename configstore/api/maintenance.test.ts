// Maintenance mode end to end on three instances over the real etcd: the key fences every
// instance, the registry reports it, and no write commits after the key's creation.
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigStoreClient } from '../client/index.js';
import { etcdClient } from '../../scripts/localenv/testenv.js';
import { InstanceRegistry } from '../datamanager/registry.js';
import { etcdKeys } from '../types/etcd.js';
import type { MaintenanceStatus } from '../types/maintenance.js';
import { eventually } from '../../testsupport/eventually.js';
import { raw, remoteError, testCluster, type TestCluster, type TestInstance } from '../../testsupport/instance.js';

/** The status once every live instance is in the requested mode (and there are `count`). */
function settled(client: ConfigStoreClient, count: number, timeoutMs = 15_000): Promise<MaintenanceStatus> {
  return eventually(
    async () => {
      const s = await client.getMaintenance();
      return s.allInstancesInRequestedMode && s.instances.length === count ? s : undefined;
    },
    { timeoutMs },
  );
}

describe('maintenance mode on three instances', () => {
  let cluster: TestCluster;
  let all: TestInstance[];

  beforeAll(async () => {
    cluster = await testCluster('maintenance');
    all = await Promise.all([0, 1, 2].map((i) => cluster.start({ instanceId: `pod-${i}`, registry: { refreshMs: 300 } })));
  });
  afterAll(async () => {
    await cluster?.cleanup();
  });

  it('registers every instance in normal mode', async () => {
    const s = await settled(all[0]!.client, 3);
    expect(s.requested).toBe(false);
    expect(s.instances.map((i) => i.id)).toEqual(['pod-0', 'pod-1', 'pod-2']);
    for (const i of s.instances) {
      expect(i).toMatchObject({ mode: 'normal', version: expect.any(String) as string });
      expect(BigInt(i.appliedRevision)).toBeGreaterThanOrEqual(0n);
      expect(i.fenceRevision).toBeUndefined();
    }
  });

  it('PUT fences every instance on the key revision; only health, metrics, OpenAPI and admin routes answer; DELETE ends it', async () => {
    const [a, b, c] = all as [TestInstance, TestInstance, TestInstance];
    const alice = await a.client.createUser({ name: 'alice' });

    const put = await raw(a.url, 'PUT', '/api/v1alpha/maintenance', JSON.stringify({ owner: 'op-1', reason: 'backup', requestedBy: 'tests' }));
    expect(put.status).toBe(201);
    const created = put.body as unknown as MaintenanceStatus;
    expect(created).toMatchObject({ requested: true, owner: 'op-1', reason: 'backup', requestedBy: 'tests' });
    const revision = created.revision!;
    expect(created.since).toMatch(/^\d{4}-\d\d-\d\dT/);

    const s = await settled(b.client, 3);
    expect(s.revision).toBe(revision);
    for (const i of s.instances) {
      expect(i).toMatchObject({ mode: 'maintenance', fenceRevision: revision });
      expect(BigInt(i.appliedRevision)).toBeGreaterThanOrEqual(0n);
    }

    for (const inst of all) {
      expect(inst.server.maintenance.mode).toBe('maintenance');
      const write = await raw(inst.url, 'POST', '/api/v1alpha/users', JSON.stringify({ name: 'bob' }));
      expect(write.status).toBe(503);
      expect(write.headers.get('content-type')).toMatch(/application\/json/);
      expect(write.headers.get('retry-after')).toBe('5');
      expect(write.body.code).toBe('maintenanceMode');
      expect(write.body.message).toMatch(/maintenance mode/);
      const read = await remoteError(inst.client.getUser(alice.id));
      expect(read.status).toBe(503);
      expect(read.code).toBe('maintenanceMode');
      expect((await fetch(`${inst.url}/healthz`)).status).toBe(200);
      expect((await fetch(`${inst.url}/readyz`)).status).toBe(200); // ready: it serves the admin routes
      const metrics = await (await fetch(`${inst.url}/metrics`)).text();
      expect(metrics).toContain('configstore_maintenance_mode{mode="maintenance"} 1');
      expect(metrics).toContain('configstore_maintenance_mode{mode="normal"} 0');
      expect((await fetch(`${inst.url}/api/v1alpha/openapi.json`)).status).toBe(200);
    }

    // idempotent for its owner, refused to another
    const again = await raw(c.url, 'PUT', '/api/v1alpha/maintenance', JSON.stringify({ owner: 'op-1' }));
    expect(again.status).toBe(200);
    expect((again.body as unknown as MaintenanceStatus).revision).toBe(revision);
    const other = await remoteError(c.client.enableMaintenance({ owner: 'op-2' }));
    expect(other.status).toBe(409);
    expect(other.code).toBe('maintenanceOwnedByOther');
    expect(other.message).toContain('"op-1"');
    const wrongExit = await remoteError(c.client.disableMaintenance({ owner: 'op-2' }));
    expect(wrongExit.status).toBe(409);
    const bad = await raw(c.url, 'PUT', '/api/v1alpha/maintenance', JSON.stringify({ owner: 'op-1', when: 'now' }));
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain('unknown field "when"');
    expect((await a.client.getMaintenance()).revision).toBe(revision); // nothing changed

    await c.client.disableMaintenance({ owner: 'op-1' });
    const off = await settled(a.client, 3);
    expect(off.requested).toBe(false);
    expect(off.instances.every((i) => i.mode === 'normal' && i.fenceRevision === undefined)).toBe(true);
    for (const [n, inst] of all.entries()) {
      await eventually(async () => (inst.server.maintenance.mode === 'normal' ? true : undefined));
      await inst.client.createUser({ name: `after-${n}` });
      expect(await inst.client.getUser(alice.id)).toEqual(alice);
    }
    await a.client.disableMaintenance(); // already off: still 204
  });

  it('lets no write commit after the key: every acknowledged write is kept, no WAL entry is newer than the fence', async () => {
    const stop = new AbortController();
    const acknowledged: string[] = [];
    let refused = 0;
    const writers = all.flatMap((inst, n) =>
      [0, 1].map(async (w) => {
        for (let k = 0; !stop.signal.aborted; k++) {
          const name = `hammer-${n}-${w}-${k}`;
          try {
            await inst.client.createUser({ name });
            acknowledged.push(name);
          } catch (err) {
            const status = (err as { status?: number }).status;
            if (status !== 503) throw err;
            refused++;
            await new Promise((r) => setTimeout(r, 5));
          }
        }
      }),
    );
    await new Promise((r) => setTimeout(r, 300));
    const on = await all[1]!.client.enableMaintenance({ owner: 'hammer' });
    const fence = BigInt(on.revision!);
    await settled(all[2]!.client, 3);
    await new Promise((r) => setTimeout(r, 200)); // writers keep knocking on closed doors
    stop.abort();
    await Promise.all(writers);
    expect(acknowledged.length).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);

    const etcd = etcdClient();
    try {
      const wals = await etcd.getAll().prefix(etcdKeys(cluster.prefix).walPrefix).exec();
      const newest = wals.kvs.reduce((max, kv) => (BigInt(kv.mod_revision) > max ? BigInt(kv.mod_revision) : max), 0n);
      expect(newest).toBeLessThan(fence);
    } finally {
      etcd.close();
    }
    await all[0]!.client.disableMaintenance({ owner: 'hammer' });
    await settled(all[0]!.client, 3);
    for (const inst of all) {
      const listed = new Set<string>();
      let cursor: string | undefined;
      do {
        const page = await inst.client.listUsers({ limit: 500, ...(cursor ? { cursor } : {}) });
        for (const u of page.items) listed.add(u.name);
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      expect(acknowledged.filter((n) => !listed.has(n))).toEqual([]);
    }
  });

  it('entering waits for the requests in flight; a write that commits after the key is refused by the fence', async () => {
    const inst = all[0]!;
    // a write whose body is still arriving: admitted, in flight
    const body = JSON.stringify({ name: 'slow-writer' });
    const req = request(`${inst.url}/api/v1alpha/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(body.length) },
    });
    const answered = new Promise<{ status: number; body: string }>((resolve, reject) => {
      req.on('response', (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
    });
    req.write(body.slice(0, 5));
    await new Promise((r) => setTimeout(r, 100));
    await all[1]!.client.enableMaintenance({ owner: 'drain' });
    await eventually(async () => (all[1]!.server.maintenance.mode === 'maintenance' ? true : undefined));
    await new Promise((r) => setTimeout(r, 300));
    expect(inst.server.maintenance.mode).toBe('entering'); // still waiting for the slow request
    req.end(body.slice(5));
    const res = await answered;
    expect(res.status).toBe(503); // validated before, but its commit comes after the key
    expect(JSON.parse(res.body)).toMatchObject({ code: 'maintenanceMode' });
    await settled(inst.client, 3);
    await inst.client.disableMaintenance({ owner: 'drain' });
    await settled(inst.client, 3);
    await remoteError(inst.client.getUser('slow-writer')).then((e) => expect(e.status).toBe(404));
  });

  it('an instance started during maintenance starts in maintenance; close() removes it from the registry', async () => {
    const on = await all[0]!.client.enableMaintenance({ owner: 'late' });
    const late = await cluster.start({ instanceId: 'pod-late', registry: { refreshMs: 300 } });
    expect(late.server.maintenance.mode).not.toBe('normal'); // closed before its first request
    const write = await remoteError(late.client.createUser({ name: 'late-write' }));
    expect(write.code).toBe('maintenanceMode');
    const s = await settled(late.client, 4);
    expect(s.instances.find((i) => i.id === 'pod-late')).toMatchObject({ mode: 'maintenance', fenceRevision: on.revision });

    await late.server.close();
    const after = await all[0]!.client.getMaintenance(); // revoked: gone at once
    expect(after.instances.map((i) => i.id)).toEqual(['pod-0', 'pod-1', 'pod-2']);
    await all[0]!.client.disableMaintenance({ owner: 'late' });
    await settled(all[0]!.client, 3);
  });

  it('an instance that dies without revoking drops out when its lease expires', async () => {
    const etcd = etcdClient();
    const log = { debug() {}, info() {}, warn() {}, error() {} };
    const ghost = new InstanceRegistry(etcd, cluster.prefix, log, {
      id: 'pod-ghost',
      ttlSeconds: 2,
      refreshMs: 200,
      report: () => ({ mode: 'normal', appliedRevision: 0n }),
    });
    try {
      ghost.start();
      await eventually(async () => ((await all[0]!.client.getMaintenance()).instances.some((i) => i.id === 'pod-ghost') ? true : undefined));
      ghost.abandon(); // keepalives stop, as when the process is killed
      const started = Date.now();
      await eventually(async () => ((await all[0]!.client.getMaintenance()).instances.some((i) => i.id === 'pod-ghost') ? undefined : true), {
        timeoutMs: 8000,
      });
      expect(Date.now() - started).toBeGreaterThan(500); // it was the lease, not a delete
    } finally {
      etcd.close();
    }
  });
});

describe('maintenance routes with an admin token', () => {
  let cluster: TestCluster;
  let inst: TestInstance;

  beforeAll(async () => {
    cluster = await testCluster('maintenance-admin');
    inst = await cluster.start({ adminToken: 's3cret' });
  });
  afterAll(async () => {
    await cluster?.cleanup();
  });

  it('needs the admin token: none → 401, a wrong one → 403, the right one → 200', async () => {
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const none = await raw(inst.url, method, '/api/v1alpha/maintenance', method === 'PUT' ? '{}' : undefined);
      expect(none.status).toBe(401);
      expect(none.body.code).toBe('adminTokenRequired');
    }
    const wrong = await remoteError(new ConfigStoreClient(inst.url, { token: 'nope' }).enableMaintenance());
    expect(wrong.status).toBe(403);
    expect((await inst.client.createUser({ name: 'still-open' })).name).toBe('still-open'); // nothing changed
    const admin = new ConfigStoreClient(inst.url, { token: 's3cret' });
    expect((await admin.getMaintenance()).requested).toBe(false);
  });
});
