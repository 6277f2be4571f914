// Users end to end on the real etcd: two instances share one prefix; the exported client
// talks to them over HTTP.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RemoteError } from '../client/index.js';
import { etcdClient } from '../../scripts/localenv/testenv.js';
import { etcdKeys } from '../types/etcd.js';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import type { TSchema } from 'typebox';
import { LinkedAccountData } from '../types/linkedaccount.js';
import { Org, OrgMemberData } from '../types/org.js';
import { RemoteSource as RemoteSourceSchema, type RemoteSource } from '../types/remotesource.js';
import { UserTokenData } from '../types/token.js';
import { User } from '../types/user.js';
import { eventually } from '../../testsupport/eventually.js';
import { raw, remoteError, testCluster, type TestCluster, type TestInstance } from '../../testsupport/instance.js';
import { countingConflicts, synced } from '../../testsupport/concurrency.js';

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
      // each instance leaves maintenance once its watch sees the deletion: writes come back soon
      expect(await eventually(() => a.client.createUser({ name: 'grace' }))).toMatchObject({ name: 'grace' });
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
    [
      'an invalid name',
      'POST',
      '/api/v1alpha/users',
      '{"name":"-bad-"}',
      'application/json',
      400,
      /^body\.name "-bad-": must start with a letter and have only letters, digits and single "-" separators$/,
    ],
    [
      'a UUID-like name',
      'POST',
      '/api/v1alpha/users',
      '{"name":"abcdef01-2345-6789-abcd-ef0123456789"}',
      'application/json',
      400,
      /^body\.name "abcdef01-2345-6789-abcd-ef0123456789": must not look like an id \(a UUID\)$/,
    ],
    [
      'a body over the limit',
      'POST',
      '/api/v1alpha/users',
      JSON.stringify({ name: 'x'.repeat(70_000) }),
      'application/json',
      413,
      /^the request body is too large: this route takes at most 65536 bytes$/,
    ],
    [
      'an empty JSON body',
      'POST',
      '/api/v1alpha/users',
      '',
      'application/json',
      400,
      /^the body is empty but its content type is "application\/json": send a JSON body, or no content type$/,
    ],
    [
      'a wrong content type',
      'POST',
      '/api/v1alpha/users',
      'name=x',
      'application/x-www-form-urlencoded',
      415,
      /unsupported content type "application\/x-www-form-urlencoded": send application\/json/,
    ],
    ['a text body', 'POST', '/api/v1alpha/users', '{"name":"x"}', 'text/plain', 415, /^unsupported content type "text\/plain": send application\/json$/],
    [
      'a text body on a PUT',
      'PUT',
      '/api/v1alpha/users/alice',
      'alice',
      'text/plain; charset=utf-8',
      415,
      /^unsupported content type "text\/plain; charset=utf-8": send application\/json$/,
    ],
    ['".." in a ref', 'GET', '/api/v1alpha/users/..%2Fetc', undefined, undefined, 400, /^params\.ref "..\/etc": give an id \(a UUID\) or a name/],
    [
      'a bad cursor',
      'GET',
      '/api/v1alpha/users?cursor=zzz',
      undefined,
      undefined,
      400,
      /^querystring\.cursor "zzz" is not the nextCursor of the previous page, unchanged$/,
    ],
    [
      'a ref longer than a name',
      'GET',
      `/api/v1alpha/users/${'a'.repeat(200)}`,
      undefined,
      undefined,
      400,
      /^params\.ref must NOT have more than 40 characters$/,
    ],
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

describe('user rename, tokens, linked accounts and deletion on two instances', () => {
  let cluster: TestCluster;
  let a: TestInstance;
  let b: TestInstance;
  let gitea: RemoteSource;

  beforeAll(async () => {
    cluster = await testCluster('users-more-api');
    // no checkpoints: a test reads the WAL entries back from etcd
    [a, b] = await Promise.all([cluster.start({ checkpoint: false }), cluster.start({ checkpoint: false })]);
    gitea = await a.client.createRemoteSource({ name: 'gitea', type: 'gitea', apiUrl: 'https://gitea.example.com', authType: 'password' });
  });
  afterAll(async () => {
    await cluster?.cleanup();
  });

  it('renames a user, keeping its id; the old name is free; a taken name is a 409 that changes nothing', async () => {
    const u = await a.client.createUser({ name: 'before' });
    const renamed = await a.client.updateUser('before', { name: 'after' });
    expect(renamed).toEqual({ ...u, name: 'after' });
    expect(await a.client.getUser(u.id)).toEqual(renamed);
    expect((await remoteError(a.client.getUser('before'))).status).toBe(404);
    // renaming to its own name is a no-op
    expect(await a.client.updateUser(u.id, { name: 'after' })).toEqual(renamed);
    await a.client.createUser({ name: 'before' });
    const err = await remoteError(b.client.updateUser('after', { name: 'before' }));
    expect(err.status).toBe(409);
    expect(err.message).toBe('user "before" already exists');
    expect(await a.client.getUser(u.id)).toEqual(renamed);
    expect((await remoteError(a.client.updateUser('nobody', { name: 'x' }))).status).toBe(404);
    const bad = await raw(a.url, 'PUT', `/api/v1alpha/users/${u.id}`, '{"name":"bad name"}');
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/^body\.name "bad name": must start with a letter/);
  });

  it('lets exactly one of concurrent renames to the same name win', async () => {
    const users = await Promise.all(['r1', 'r2', 'r3', 'r4'].map((name) => a.client.createUser({ name })));
    const results = await Promise.allSettled(users.map((u, i) => (i % 2 ? a : b).client.updateUser(u.id, { name: 'winner' })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect((r.reason as RemoteError).status).toBe(409);
  });

  it('creates tokens returned once, lists them without secrets, and deletes them', async () => {
    await a.client.createUser({ name: 'tok' });
    const t1 = await a.client.createUserToken('tok', { name: 'ci' });
    expect(t1.name).toBe('ci');
    expect(t1.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const t2 = await a.client.createUserToken('tok', { name: 'laptop' });
    expect(t2.token).not.toBe(t1.token);
    const listed = await a.client.listUserTokens('tok');
    expect(listed.items.map((t) => Object.keys(t).sort())).toEqual([
      ['createdAt', 'name'],
      ['createdAt', 'name'],
    ]);
    expect(JSON.stringify(listed)).not.toContain(t1.token);
    const page = await a.client.listUserTokens('tok', { limit: 1 });
    expect(page.items.map((t) => t.name)).toEqual(['ci']);
    expect((await a.client.listUserTokens('tok', { limit: 1, cursor: page.nextCursor! })).items.map((t) => t.name)).toEqual(['laptop']);

    const dup = await remoteError(b.client.createUserToken('tok', { name: 'ci' }));
    expect(dup.status).toBe(409);
    expect(dup.message).toBe('token "ci" of user "tok" already exists');
    // another user may use the same token name
    await a.client.createUser({ name: 'tok2' });
    expect((await a.client.createUserToken('tok2', { name: 'ci' })).name).toBe('ci');

    const del = await raw(a.url, 'DELETE', '/api/v1alpha/users/tok/tokens/ci');
    expect(del.status).toBe(204);
    expect((await a.client.listUserTokens('tok')).items.map((t) => t.name)).toEqual(['laptop']);
    const gone = await remoteError(a.client.deleteUserToken('tok', 'ci'));
    expect(gone.status).toBe(404);
    expect(gone.message).toBe('token "ci" of user "tok" does not exist');
    expect((await remoteError(a.client.createUserToken('nobody', { name: 'x' }))).status).toBe(404);
    expect((await raw(a.url, 'DELETE', '/api/v1alpha/users/tok/tokens/..%2Fx')).status).toBe(400);
    expect((await raw(a.url, 'POST', '/api/v1alpha/users/tok/tokens', '{"name":"a b"}')).status).toBe(400);
  });

  it('stores only the sha256 of a token', async () => {
    await a.client.createUser({ name: 'hashed' });
    const { token } = await a.client.createUserToken('hashed', { name: 'secret' });
    const etcd = etcdClient();
    try {
      const wals = await etcd.getAll().prefix(etcdKeys(cluster.prefix).walPrefix).strings();
      const all = Object.values(wals).join('\n');
      expect(all).not.toContain(token);
      expect(all).toContain(createHash('sha256').update(token).digest('hex'));
    } finally {
      etcd.close();
    }
  });

  it('links accounts, one per remote user across all users, and updates and deletes them', async () => {
    await a.client.createUser({ name: 'linker' });
    await a.client.createUser({ name: 'other' });
    const la = await a.client.createLinkedAccount('linker', { remoteSourceRef: 'gitea', remoteUserId: '7', remoteUserName: 'seven', userAccessToken: 'pat' });
    const linker = await a.client.getUser('linker');
    expect(la).toMatchObject({ userId: linker.id, remoteSourceId: gitea.id, remoteUserId: '7', remoteUserName: 'seven', userAccessToken: 'pat' });
    expect(await a.client.getLinkedAccount('linker', la.id)).toEqual(la);
    expect(await a.client.listLinkedAccounts(linker.id)).toEqual({ items: [la] });

    const dup = await remoteError(b.client.createLinkedAccount('other', { remoteSourceRef: gitea.id, remoteUserId: '7', remoteUserName: 'x' }));
    expect(dup.status).toBe(409);
    expect(dup.message).toBe('linked account for remote user "7" of remote source "gitea" already exists');
    expect((await a.client.listLinkedAccounts('other')).items).toEqual([]);

    const noSource = await remoteError(a.client.createLinkedAccount('linker', { remoteSourceRef: 'gitlab', remoteUserId: '1', remoteUserName: 'x' }));
    expect(noSource.status).toBe(404);
    expect(noSource.message).toBe('remote source "gitlab" does not exist');

    const updated = await a.client.updateLinkedAccount('linker', la.id, { oauth2AccessToken: 'at', oauth2AccessTokenExpiresAt: '2030-01-01T00:00:00Z' });
    expect(updated).toEqual({ ...la, oauth2AccessToken: 'at', oauth2AccessTokenExpiresAt: '2030-01-01T00:00:00Z' });
    // another user's account is not reachable under this user
    expect((await remoteError(a.client.getLinkedAccount('other', la.id))).status).toBe(404);
    expect((await remoteError(a.client.updateLinkedAccount('other', la.id, { remoteUserName: 'y' }))).status).toBe(404);
    // changing the remote user id checks it is free
    const second = await a.client.createLinkedAccount('other', { remoteSourceRef: 'gitea', remoteUserId: '8', remoteUserName: 'eight' });
    expect((await remoteError(a.client.updateLinkedAccount('other', second.id, { remoteUserId: '7' }))).status).toBe(409);
    expect(await a.client.getLinkedAccount('other', second.id)).toEqual(second);

    expect((await raw(a.url, 'DELETE', `/api/v1alpha/users/linker/linkedaccounts/${la.id}`)).status).toBe(204);
    expect((await remoteError(a.client.deleteLinkedAccount('linker', la.id))).status).toBe(404);
    // the remote user is free again
    expect((await a.client.createLinkedAccount('linker', { remoteSourceRef: 'gitea', remoteUserId: '7', remoteUserName: 'seven' })).remoteUserId).toBe('7');
  });

  it('lets exactly one of concurrent links of one remote user win', async () => {
    const users = await Promise.all(['l1', 'l2', 'l3', 'l4'].map((name) => a.client.createUser({ name })));
    const results = await Promise.allSettled(
      users.map((u, i) => (i % 2 ? a : b).client.createLinkedAccount(u.id, { remoteSourceRef: 'gitea', remoteUserId: 'racy', remoteUserName: 'r' })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect((r.reason as RemoteError).status).toBe(409);
  });

  it.each([
    ['a bad linked account id', 'GET', '/api/v1alpha/users/linker/linkedaccounts/nope', undefined, 400, /^params\.id must NOT have fewer than 36 characters$/],
    ['a missing linked account', 'GET', '/api/v1alpha/users/linker/linkedaccounts/00000000-0000-4000-8000-000000000000', undefined, 404, /does not exist/],
    [
      'a missing remote user id',
      'POST',
      '/api/v1alpha/users/linker/linkedaccounts',
      '{"remoteSourceRef":"gitea","remoteUserName":"x"}',
      400,
      /missing field "remoteUserId"/,
    ],
    [
      'a bad expiry',
      'POST',
      '/api/v1alpha/users/linker/linkedaccounts',
      '{"remoteSourceRef":"gitea","remoteUserId":"9","remoteUserName":"x","oauth2AccessTokenExpiresAt":"soon"}',
      400,
      /must match format "date-time"/,
    ],
    [
      'a bad remote source ref',
      'POST',
      '/api/v1alpha/users/linker/linkedaccounts',
      '{"remoteSourceRef":"../x","remoteUserId":"9","remoteUserName":"x"}',
      400,
      /^body\.remoteSourceRef "..\/x": give an id \(a UUID\) or a name/,
    ],
    [
      'an unknown field in an update',
      'PUT',
      '/api/v1alpha/users/linker/linkedaccounts/00000000-0000-4000-8000-000000000000',
      '{"remoteSourceId":"x"}',
      400,
      /unknown field "remoteSourceId"/,
    ],
  ])('answers %s with a JSON 4xx and changes nothing', async (_what, method, path, body, status, message) => {
    const before = await a.client.listLinkedAccounts('linker');
    const res = await raw(a.url, method, path, body);
    expect(res.status).toBe(status);
    expect(res.body.message).toMatch(message);
    expect(await a.client.listLinkedAccounts('linker')).toEqual(before);
  });

  it('refuses to delete a user while its root group holds a project group, then deletes it with the root group', async () => {
    const u = await a.client.createUser({ name: 'owner' });
    const root = await raw(a.url, 'GET', '/api/v1alpha/projectgroups/user%2Fowner');
    expect(root.body).toMatchObject({ name: '', parentType: 'user', parentId: u.id, visibility: 'public' });
    const child = await raw(a.url, 'POST', '/api/v1alpha/projectgroups', JSON.stringify({ name: 'stuff', parentRef: 'user/owner', visibility: 'public' }));
    expect(child.status).toBe(201);
    const err = await remoteError(b.client.deleteUser('owner'));
    expect(err.status).toBe(409);
    expect(err.code).toBe('userHasProjects');
    expect(err.message).toBe('user "owner" still owns 1 project group(s) or project(s) at its top level; delete them first');
    expect(await a.client.getUser(u.id)).toEqual(u);
    expect((await raw(a.url, 'DELETE', `/api/v1alpha/projectgroups/${(child.body as unknown as { id: string }).id}`)).status).toBe(204);
    await a.client.deleteUser('owner');
    expect((await raw(a.url, 'GET', `/api/v1alpha/projectgroups/${(root.body as unknown as { id: string }).id}`)).status).toBe(404);
  });

  it('never leaves a token or linked account behind when a user deletion races their creation', async () => {
    for (let round = 0; round < 4; round++) {
      const u = await a.client.createUser({ name: `racer-${round}` });
      const results = await Promise.allSettled([
        b.client.createUserToken(u.id, { name: 't' }),
        a.client.deleteUser(u.id),
        b.client.createLinkedAccount(u.id, { remoteSourceRef: 'gitea', remoteUserId: `racer-${round}`, remoteUserName: 'r' }),
      ]);
      for (const r of results) if (r.status === 'rejected') expect([404, 409]).toContain((r.reason as RemoteError).status);
      if (results[1]!.status === 'rejected') continue;
      for (const i of [a, b]) {
        await i.server.stores.readdb.waitFor(a.server.stores.readdb.revision);
        i.server.stores.readdb.do({}, (tx) => {
          expect(tx.count('usertoken', u.id)).toBe(0);
          expect(tx.count('linkedaccount', u.id)).toBe(0);
          expect(tx.getByName('projectgroup', '', u.id)).toBeUndefined();
        });
      }
    }
  });

  it('deletes a user with its tokens, linked accounts and memberships, in one write', async () => {
    const u = await a.client.createUser({ name: 'leaver' });
    await a.client.createUserToken('leaver', { name: 't' });
    const la = await a.client.createLinkedAccount('leaver', { remoteSourceRef: 'gitea', remoteUserId: 'leaver-1', remoteUserName: 'l' });
    await a.client.createOrg({ name: 'club', visibility: 'public', creatorUserRef: 'leaver' });
    await a.client.createOrg({ name: 'guild', visibility: 'private' });
    await a.client.setOrgMember('guild', 'leaver', 'member');
    await a.client.setOrgMember('guild', 'other', 'owner');

    expect((await raw(b.url, 'DELETE', `/api/v1alpha/users/leaver`)).status).toBe(204);
    expect((await remoteError(b.client.getUser(u.id))).status).toBe(404);
    expect((await b.client.listOrgMembers('club')).items).toEqual([]);
    expect((await b.client.listOrgMembers('guild')).items.map((m) => m.user.name)).toEqual(['other']);
    // the linked account is gone: its remote user can be linked again, and the source deleted after
    const again = await b.client.createLinkedAccount('other', { remoteSourceRef: 'gitea', remoteUserId: 'leaver-1', remoteUserName: 'l' });
    expect(again.id).not.toBe(la.id);
    // a user with the same name starts with nothing
    await b.client.createUser({ name: 'leaver' });
    expect((await b.client.listUserTokens('leaver')).items).toEqual([]);
    expect((await b.client.listLinkedAccounts('leaver')).items).toEqual([]);
    expect((await b.client.listUserOrgs('leaver')).items).toEqual([]);
    // the WAL entry of the deletion holds every delete
    const etcd = etcdClient();
    try {
      const wals = Object.values(await etcd.getAll().prefix(etcdKeys(cluster.prefix).walPrefix).strings()).map(
        (v) => JSON.parse(v) as { actions: Array<{ type: string; dataType: string; id: string }> },
      );
      const deletion = wals.find((w) => w.actions.some((x) => x.type === 'delete' && x.dataType === 'user' && x.id === u.id))!;
      expect(deletion.actions.map((x) => `${x.type} ${x.dataType}`).sort()).toEqual([
        'delete linkedaccount',
        'delete orgmember',
        'delete orgmember',
        'delete projectgroup',
        'delete user',
        'delete usertoken',
      ]);
    } finally {
      etcd.close();
    }
  });

  it('lets 30 concurrent creations of different token names of one user, on both instances, all succeed', async () => {
    const u = await a.client.createUser({ name: 'many-tokens' });
    await synced(a, b);
    const names = Array.from({ length: 30 }, (_, i) => `t${String(i).padStart(2, '0')}`);
    const { result: created, conflicts } = await countingConflicts([a, b], () =>
      Promise.all(names.map((name, i) => (i % 2 ? a : b).client.createUserToken(u.id, { name }))),
    );
    // siblings never conflict: not even a retry inside the servers
    expect(conflicts).toBe(0);
    expect(created.map((t) => t.name)).toEqual(names);
    await synced(a, b);
    for (const i of [a, b]) expect((await i.client.listUserTokens(u.id, { limit: 500 })).items.map((t) => t.name)).toEqual(names);
  });

  it('lets 30 concurrent links of different remote users to one user and one source all succeed', async () => {
    const u = await a.client.createUser({ name: 'many-links' });
    await synced(a, b);
    const { result: created, conflicts } = await countingConflicts([a, b], () =>
      Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          (i % 2 ? a : b).client.createLinkedAccount(u.id, { remoteSourceRef: gitea.id, remoteUserId: `many-${i}`, remoteUserName: 'm' }),
        ),
      ),
    );
    expect(conflicts).toBe(0);
    expect(new Set(created.map((la) => la.remoteUserId)).size).toBe(30);
    await synced(a, b);
    for (const i of [a, b]) expect((await i.client.listLinkedAccounts(u.id, { limit: 500 })).items).toHaveLength(30);
  });

  it('stores objects that match their exported schemas', async () => {
    const ajv = (addFormats as unknown as (a: Ajv) => Ajv)(new Ajv({ strict: false }));
    const schemas: Record<string, TSchema> = {
      user: User,
      usertoken: UserTokenData,
      linkedaccount: LinkedAccountData,
      org: Org,
      orgmember: OrgMemberData,
      remotesource: RemoteSourceSchema,
    };
    const seen: Record<string, number> = {};
    a.server.stores.readdb.do({}, (tx) => {
      const check = (type: string, data: unknown) => {
        seen[type] = (seen[type] ?? 0) + 1;
        const validate = ajv.compile(schemas[type]!);
        expect(validate(data), `${type} ${JSON.stringify(data)}: ${ajv.errorsText(validate.errors)}`).toBe(true);
      };
      for (const rs of tx.list('remotesource', { limit: 500 })) check('remotesource', rs.data);
      for (const u of tx.list('user', { limit: 500 })) {
        check('user', u.data);
        for (const t of tx.list('usertoken', { parent: u.id, limit: 500 })) check('usertoken', t.data);
        for (const la of tx.list('linkedaccount', { parent: u.id, limit: 500 })) check('linkedaccount', la.data);
      }
      for (const o of tx.list('org', { limit: 500 })) {
        check('org', o.data);
        for (const m of tx.list('orgmember', { parent: o.id, limit: 500 })) check('orgmember', m.data);
      }
    });
    expect(Object.keys(seen).sort()).toEqual(['linkedaccount', 'org', 'orgmember', 'remotesource', 'user', 'usertoken']);
  });
});
