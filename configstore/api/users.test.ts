// Users end to end on the real etcd: two instances share one prefix; the exported client
// talks to them over HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RemoteError } from '../client/index.js';
import { etcdClient } from '../../scripts/localenv/testenv.js';
import { etcdKeys } from '../types/etcd.js';
import { raw, remoteError, testCluster, type TestCluster, type TestInstance } from './testinstance.js';

describe('users API on two instances', () => {
  let cluster: TestCluster;
  let prefix: string;
  let a: TestInstance;
  let b: TestInstance;

  beforeAll(async () => {
    cluster = await testCluster('users-api');
    prefix = cluster.prefix;
    [a, b] = await Promise.all([cluster.start(), cluster.start()]);
  });
  afterAll(async () => {
    await cluster?.cleanup();
  });

  it('creates a user on one instance and reads it back at once there and soon on the other', async () => {
    const created = await a.client.createUser({ name: 'alice' });
    expect(created).toMatchObject({ name: 'alice' });
    expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
    // read-your-writes on the instance that wrote
    expect(await a.client.getUser('alice')).toEqual(created);
    let onB;
    for (let i = 0; i < 50 && !onB; i++) {
      onB = await b.client.getUser(created.id).catch(() => undefined);
      if (!onB) await new Promise((r) => setTimeout(r, 20));
    }
    expect(onB).toEqual(created);
  });

  it('answers 409 for a taken name, with the message', async () => {
    await a.client.createUser({ name: 'bob' });
    // b may not have applied bob yet: the change group still refuses the second creation
    const err = await remoteError(b.client.createUser({ name: 'bob' }));
    expect(err.status).toBe(409);
    expect(err.message).toBe('user "bob" already exists');
    expect(err.code).toBe('userExists');
  });

  it('lets exactly one of many concurrent creations of a name win', async () => {
    const attempts = Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).client.createUser({ name: 'carol' }));
    const results = await Promise.allSettled(attempts);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(11);
    for (const r of lost) expect((r.reason as RemoteError).status).toBe(409);
    const list = await a.client.listUsers({ limit: 500 });
    expect(list.items.filter((u) => u.name === 'carol')).toHaveLength(1);
  });

  it('lists with a cursor and deletes', async () => {
    for (const name of ['dave', 'erin', 'frank']) await a.client.createUser({ name });
    const first = await a.client.listUsers({ limit: 2 });
    expect(first.items.map((u) => u.name)).toEqual(['alice', 'bob']);
    const second = await a.client.listUsers({ limit: 2, cursor: first.nextCursor! });
    expect(second.items.map((u) => u.name)).toEqual(['carol', 'dave']);
    await a.client.deleteUser('dave');
    expect((await remoteError(a.client.getUser('dave'))).status).toBe(404);
    expect((await remoteError(a.client.deleteUser('dave'))).message).toBe('user "dave" does not exist');
  });

  it('refuses writes while the maintenance key exists (the fence) and takes them again after', async () => {
    const etcd = etcdClient();
    try {
      await etcd.put(etcdKeys(prefix).maintenance).value(JSON.stringify({ owner: 'test' }));
      const err = await remoteError(a.client.createUser({ name: 'grace' }));
      expect(err.status).toBe(503);
      expect(err.code).toBe('maintenanceMode');
      expect(err.retryAfterSeconds).toBe(5);
      await etcd.delete().key(etcdKeys(prefix).maintenance);
      expect(await a.client.createUser({ name: 'grace' })).toMatchObject({ name: 'grace' });
    } finally {
      await etcd.delete().key(etcdKeys(prefix).maintenance);
      etcd.close();
    }
  });

  it.each([
    ['malformed JSON', 'POST', '/api/v1alpha/users', '{"name":', 'application/json', 400, /JSON/],
    ['a wrong type', 'POST', '/api/v1alpha/users', '{"name":42}', 'application/json', 400, /body\.name must be string/],
    ['an unknown field', 'POST', '/api/v1alpha/users', '{"name":"x","admin":true}', 'application/json', 400, /body: unknown field "admin"/],
    ['a missing field', 'POST', '/api/v1alpha/users', '{}', 'application/json', 400, /body: missing field "name"/],
    ['an invalid name', 'POST', '/api/v1alpha/users', '{"name":"-bad-"}', 'application/json', 400, /body\.name must match pattern/],
    ['a UUID-like name', 'POST', '/api/v1alpha/users', '{"name":"abcdef01-2345-6789-abcd-ef0123456789"}', 'application/json', 400, /must not look like an id/],
    ['a body over the limit', 'POST', '/api/v1alpha/users', JSON.stringify({ name: 'x'.repeat(70_000) }), 'application/json', 413, /too large/i],
    ['a wrong content type', 'POST', '/api/v1alpha/users', 'name=x', 'application/x-www-form-urlencoded', 415, /unsupported content type "application\/x-www-form-urlencoded": send application\/json/],
    ['".." in a ref', 'GET', '/api/v1alpha/users/..%2Fetc', undefined, undefined, 400, /invalid user ref "..\/etc"/],
    ['a bad cursor', 'GET', '/api/v1alpha/users?cursor=zzz', undefined, undefined, 400, /invalid list cursor/],
    ['a limit over 500', 'GET', '/api/v1alpha/users?limit=501', undefined, undefined, 400, /limit must be <= 500/],
    ['an unknown route', 'GET', '/api/v1alpha/nope', undefined, undefined, 404, /no route GET \/api\/v1alpha\/nope/],
  ])('answers %s with a JSON 4xx and changes nothing', async (_what, method, path, body, type, status, message) => {
    const before = (await a.client.listUsers({ limit: 500 })).items.length;
    const res = await raw(a.url, method, path, body, type);
    expect(res.status).toBe(status);
    expect(res.body.message).toMatch(message);
    expect(typeof res.body.code).toBe('string');
    expect((await a.client.listUsers({ limit: 500 })).items.length).toBe(before);
  });
});
