// Project groups end to end on the real etcd, two instances sharing one prefix: refs by id
// and by URL-encoded path, moves and renames, cycle refusal, uniqueness under concurrency.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Org, ProjectGroup, User } from '../types/index.js';
import type { RemoteError } from '../client/index.js';
import { eventually } from '../../testsupport/eventually.js';
import { raw, remoteError, testCluster, type TestCluster, type TestInstance } from '../../testsupport/instance.js';
import { countingConflicts, synced } from '../../testsupport/concurrency.js';

const pub = 'public' as const;

describe('project groups API on two instances', () => {
  let cluster: TestCluster;
  let a: TestInstance;
  let b: TestInstance;
  let acme: Org;
  let alice: User;

  beforeAll(async () => {
    cluster = await testCluster('projectgroups-api');
    [a, b] = await Promise.all([cluster.start(), cluster.start()]);
    acme = await a.client.createOrg({ name: 'acme', visibility: pub });
    alice = await a.client.createUser({ name: 'alice' });
  });
  afterAll(async () => {
    await cluster?.cleanup();
  });

  it('names the root groups of orgs and users by their owner path', async () => {
    const root = await a.client.getProjectGroup('org/acme');
    expect(root).toMatchObject({ name: '', path: 'org/acme', ownerType: 'org', ownerId: acme.id, parentType: 'org', parentId: acme.id });
    expect(root.parentPath).toBeUndefined();
    expect(await a.client.getProjectGroup(root.id)).toEqual(root);
    expect(await a.client.getProjectGroup('user/alice')).toMatchObject({ path: 'user/alice', ownerType: 'user', ownerId: alice.id });
  });

  it('creates nested groups and reads them by id and by URL-encoded path on both instances', async () => {
    const team = await a.client.createProjectGroup({ name: 'team', parentRef: 'org/acme', visibility: pub });
    expect(team).toMatchObject({ name: 'team', path: 'org/acme/team', parentPath: 'org/acme', ownerType: 'org', ownerId: acme.id, globalVisibility: 'public' });
    const backend = await a.client.createProjectGroup({ name: 'backend', parentRef: team.id, visibility: 'private' });
    expect(backend).toMatchObject({ path: 'org/acme/team/backend', parentPath: 'org/acme/team', parentId: team.id, globalVisibility: 'private' });
    // read-your-writes on a, eventually on b
    expect(await a.client.getProjectGroup('org/acme/team/backend')).toEqual(backend);
    expect(await eventually(() => b.client.getProjectGroup(backend.id))).toEqual(backend);
    const res = await raw(a.url, 'GET', '/api/v1alpha/projectgroups/org%2Facme%2Fteam%2Fbackend');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: backend.id });
    // a public group below a private one is private overall
    const deep = await a.client.createProjectGroup({ name: 'deep', parentRef: 'org/acme/team/backend', visibility: pub });
    expect(deep).toMatchObject({ visibility: 'public', globalVisibility: 'private', path: 'org/acme/team/backend/deep' });
    const mine = await a.client.createProjectGroup({ name: 'mine', parentRef: 'user/alice', visibility: pub });
    expect(mine).toMatchObject({ path: 'user/alice/mine', ownerType: 'user', ownerId: alice.id });
  });

  it('lists subgroups in name order with a cursor', async () => {
    for (const name of ['c', 'a', 'b']) await a.client.createProjectGroup({ name, parentRef: 'user/alice/mine', visibility: pub });
    const first = await a.client.listSubgroups('user/alice/mine', { limit: 2 });
    expect(first.items.map((g) => g.path)).toEqual(['user/alice/mine/a', 'user/alice/mine/b']);
    const second = await a.client.listSubgroups('user/alice/mine', { limit: 2, cursor: first.nextCursor! });
    expect(second.items.map((g) => g.name)).toEqual(['c']);
    expect(second.nextCursor).toBeUndefined();
    expect((await a.client.listGroupProjects('user/alice/mine')).items).toEqual([]);
  });

  it('answers 409 for a name taken in its parent, on either instance', async () => {
    await a.client.createProjectGroup({ name: 'dup', parentRef: 'org/acme', visibility: pub });
    for (const instance of [a, b]) {
      const err = await remoteError(instance.client.createProjectGroup({ name: 'dup', parentRef: 'org/acme', visibility: pub }));
      expect(err.status).toBe(409);
      expect(err.message).toBe('project group "org/acme/dup" already exists');
      expect(err.code).toBe('projectGroupExists');
    }
    // the same name under another parent is fine
    expect(await a.client.createProjectGroup({ name: 'dup', parentRef: 'org/acme/team', visibility: pub })).toMatchObject({ path: 'org/acme/team/dup' });
  });

  it('lets exactly one of many concurrent creations of a name win', async () => {
    const attempts = Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).client.createProjectGroup({ name: 'race', parentRef: 'org/acme', visibility: pub }));
    const results = await Promise.allSettled(attempts);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')) expect((r.reason as RemoteError).status).toBe(409);
    const names = (await a.client.listSubgroups('org/acme', { limit: 500 })).items.map((g) => g.name);
    expect(names.filter((n) => n === 'race')).toHaveLength(1);
  });

  it('renames and moves a group; its subtree follows', async () => {
    const g = await a.client.createProjectGroup({ name: 'old', parentRef: 'org/acme', visibility: pub });
    await a.client.createProjectGroup({ name: 'child', parentRef: 'org/acme/old', visibility: pub });
    const renamed = await a.client.updateProjectGroup('org/acme/old', { name: 'new' });
    expect(renamed).toMatchObject({ id: g.id, name: 'new', path: 'org/acme/new' });
    const err = await remoteError(a.client.getProjectGroup('org/acme/old/child'));
    expect(err.status).toBe(404);
    expect(err.message).toBe('project group "org/acme/old" does not exist');
    expect(await a.client.getProjectGroup('org/acme/new/child')).toMatchObject({ path: 'org/acme/new/child' });

    const moved = await a.client.updateProjectGroup(g.id, { parentRef: 'org/acme/team', visibility: 'private' });
    expect(moved).toMatchObject({ id: g.id, path: 'org/acme/team/new', parentPath: 'org/acme/team', visibility: 'private' });
    expect(await a.client.getProjectGroup('org/acme/team/new/child')).toMatchObject({ globalVisibility: 'private' });
    expect((await a.client.listSubgroups('org/acme/team')).items.map((x) => x.name)).toContain('new');

    // a move or rename onto a taken name is refused
    const taken = await remoteError(a.client.updateProjectGroup('org/acme/team/new', { name: 'backend' }));
    expect(taken.status).toBe(409);
    expect(taken.message).toBe('project group "org/acme/team/backend" already exists');
  });

  it('refuses moves into the group itself, below it, or to another owner', async () => {
    const cases: Array<[string, string, RegExp]> = [
      ['org/acme/team', 'org/acme/team', /cannot move project group "org\/acme\/team" into itself or one of its subgroups/],
      ['org/acme/team', 'org/acme/team/backend/deep', /into itself or one of its subgroups \("org\/acme\/team\/backend\/deep"\)/],
      ['org/acme/team', 'user/alice', /to another owner/],
    ];
    for (const [ref, parentRef, message] of cases) {
      const err = await remoteError(a.client.updateProjectGroup(ref, { parentRef }));
      expect(err.status).toBe(400);
      expect(err.code).toBe('invalidMove');
      expect(err.message).toMatch(message);
    }
    expect(await a.client.getProjectGroup('org/acme/team')).toMatchObject({ path: 'org/acme/team' });
  });

  it('lets only one of two crossing concurrent moves commit (no cycle)', async () => {
    const x = await a.client.createProjectGroup({ name: 'x', parentRef: 'org/acme', visibility: pub });
    const y = await a.client.createProjectGroup({ name: 'y', parentRef: 'org/acme', visibility: pub });
    const results = await Promise.allSettled([a.client.updateProjectGroup(x.id, { parentRef: y.id }), b.client.updateProjectGroup(y.id, { parentRef: x.id })]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const lost = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')!;
    expect([400, 409]).toContain((lost.reason as RemoteError).status);
    // both still resolve to a path that ends at the org's root
    const [gx, gy] = await Promise.all([a.client.getProjectGroup(x.id), a.client.getProjectGroup(y.id)]);
    expect([gx.path, gy.path].sort()).toEqual(results[0].status === 'fulfilled' ? ['org/acme/y', 'org/acme/y/x'] : ['org/acme/x', 'org/acme/x/y']);
  });

  it('never renames, moves or deletes a root group', async () => {
    for (const req of [{ name: 'renamed' }, { parentRef: 'org/acme/team' }]) {
      const err = await remoteError(a.client.updateProjectGroup('org/acme', req));
      expect(err.status).toBe(400);
      expect(err.code).toBe('rootProjectGroup');
    }
    const del = await remoteError(a.client.deleteProjectGroup('org/acme'));
    expect(del.status).toBe(400);
    expect(del.message).toBe('project group "org/acme" is a root project group: delete its org instead');
    // visibility may change
    expect(await a.client.updateProjectGroup('user/alice', { visibility: 'private' })).toMatchObject({ visibility: 'private', globalVisibility: 'private' });
    expect(await a.client.getProjectGroup('user/alice/mine')).toMatchObject({ globalVisibility: 'private' });
  });

  it('refuses to delete a non-empty group, then deletes it once empty', async () => {
    await a.client.createProjectGroup({ name: 'full', parentRef: 'org/acme', visibility: pub });
    await a.client.createProjectGroup({ name: 'inner', parentRef: 'org/acme/full', visibility: pub });
    const err = await remoteError(a.client.deleteProjectGroup('org/acme/full'));
    expect(err.status).toBe(409);
    expect(err.code).toBe('projectGroupNotEmpty');
    expect(err.message).toBe('project group "org/acme/full" is not empty (1 subgroups, 0 projects): delete or move them first');
    await a.client.deleteProjectGroup('org/acme/full/inner');
    await a.client.deleteProjectGroup('org/acme/full');
    expect((await remoteError(a.client.getProjectGroup('org/acme/full'))).status).toBe(404);
    expect((await remoteError(a.client.deleteProjectGroup('org/acme/full'))).message).toBe('project group "org/acme/full" does not exist');
  });

  it('never lets a child creation and its parent deletion both commit', async () => {
    for (let i = 0; i < 3; i++) {
      const p = await a.client.createProjectGroup({ name: `gone${i}`, parentRef: 'org/acme', visibility: pub });
      const [created, deleted] = await Promise.allSettled([
        b.client.createProjectGroup({ name: 'kid', parentRef: p.id, visibility: pub }),
        a.client.deleteProjectGroup(p.id),
      ]);
      expect([created.status, deleted.status].filter((s) => s === 'fulfilled')).toHaveLength(1);
      if (created.status === 'fulfilled') expect(await a.client.getProjectGroup(`org/acme/gone${i}/kid`)).toMatchObject({ id: created.value.id });
      else expect((created.reason as RemoteError).status).toBe(404);
    }
  });

  it('lets 30 concurrent creations of different names under one parent, on both instances, all succeed', async () => {
    const parent = await a.client.createProjectGroup({ name: 'crowd', parentRef: 'org/acme', visibility: pub });
    await synced(a, b);
    const names = Array.from({ length: 30 }, (_, i) => `kid${String(i).padStart(2, '0')}`);
    const { result: created, conflicts } = await countingConflicts([a, b], () =>
      Promise.all(names.map((name, i) => (i % 2 ? a : b).client.createProjectGroup({ name, parentRef: parent.id, visibility: pub }))),
    );
    // siblings never conflict: not even a retry inside the servers
    expect(conflicts).toBe(0);
    expect(created.map((g) => g.path)).toEqual(names.map((n) => `org/acme/crowd/${n}`));
    await synced(a, b);
    for (const i of [a, b]) expect((await i.client.listSubgroups(parent.id, { limit: 500 })).items.map((g) => g.name)).toEqual(names);
  });

  it('never leaves an orphan when many child creations race their parent deletion', async () => {
    for (let round = 0; round < 3; round++) {
      const parent = await a.client.createProjectGroup({ name: `doomed${round}`, parentRef: 'org/acme', visibility: pub });
      await synced(a, b);
      const [deleted, ...created] = await Promise.allSettled([
        (round % 2 ? a : b).client.deleteProjectGroup(parent.id),
        ...Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).client.createProjectGroup({ name: `k${i}`, parentRef: parent.id, visibility: pub })),
      ]);
      const winners = created.filter((r) => r.status === 'fulfilled').length;
      if (deleted.status === 'fulfilled') {
        // every creation saw the deletion: 404
        for (const r of created) expect(r.status === 'rejected' && (r.reason as RemoteError).status).toBe(404);
      } else {
        // the deletion saw a child (409 not empty); siblings never conflict with each other
        expect((deleted.reason as RemoteError).code).toBe('projectGroupNotEmpty');
        expect(winners).toBe(10);
      }
      await synced(a, b);
      for (const i of [a, b]) expect(i.server.stores.readdb.do({}, (tx) => tx.count('projectgroup', parent.id))).toBe(winners);
    }
  });

  it('never lets a move into a group and the deletion of that group both commit', async () => {
    for (let round = 0; round < 3; round++) {
      const target = await a.client.createProjectGroup({ name: `target${round}`, parentRef: 'org/acme', visibility: pub });
      const mover = await a.client.createProjectGroup({ name: `mover${round}`, parentRef: 'org/acme', visibility: pub });
      await synced(a, b);
      const [moved, deleted] = await Promise.allSettled([
        b.client.updateProjectGroup(mover.id, { parentRef: target.id }),
        a.client.deleteProjectGroup(target.id),
      ]);
      expect([moved.status, deleted.status].filter((s) => s === 'fulfilled')).toHaveLength(1);
      await synced(a, b);
      if (moved.status === 'fulfilled') {
        expect((deleted as PromiseRejectedResult).reason).toMatchObject({ status: 409, code: 'projectGroupNotEmpty' });
        expect(await b.client.getProjectGroup(mover.id)).toMatchObject({ path: `org/acme/target${round}/mover${round}`, parentId: target.id });
      } else {
        expect((moved.reason as RemoteError).status).toBe(404);
        expect(await b.client.getProjectGroup(mover.id)).toMatchObject({ path: `org/acme/mover${round}` });
      }
    }
  });

  it('answers 404 naming the missing part', async () => {
    const cases: Array<[string, string, string]> = [
      ['org/nope', 'org "nope" does not exist', 'orgNotFound'],
      ['user/nobody/x', 'user "nobody" does not exist', 'userNotFound'],
      ['org/acme/missing/deeper', 'project group "org/acme/missing" does not exist', 'projectGroupNotFound'],
      ['0b0b0b0b-0000-4000-8000-000000000000', 'project group "0b0b0b0b-0000-4000-8000-000000000000" does not exist', 'projectGroupNotFound'],
    ];
    for (const [ref, message, code] of cases) {
      const err = await remoteError(a.client.getProjectGroup(ref));
      expect([err.status, err.message, err.code]).toEqual([404, message, code]);
    }
    const err = await remoteError(a.client.createProjectGroup({ name: 'z', parentRef: 'org/acme/missing', visibility: pub }));
    expect([err.status, err.message]).toEqual([404, 'project group "org/acme/missing" does not exist']);
  });

  it.each([
    [
      '".." in a path',
      'GET',
      '/projectgroups/org%2Facme%2F..%2Fteam',
      undefined,
      /^params\.ref "org\/acme\/..\/team": ".." is not allowed in a path; give an id or a path like org\/<org>\/<group>$/,
    ],
    ['an empty segment', 'GET', '/projectgroups/org%2F%2Facme', undefined, /empty path segment/],
    ['a trailing slash', 'GET', '/projectgroups/org%2Facme%2F', undefined, /empty path segment/],
    ['a name that is not an id', 'GET', '/projectgroups/team', undefined, /not an id and not a path; give an id or a path like org\/<org>\/<group>/],
    ['an unknown owner type', 'GET', '/projectgroups/team%2Facme', undefined, /a path starts with "org\/" or "user\/"/],
    ['an odd character', 'GET', '/projectgroups/org%2Fac%20me', undefined, /path segment "ac me" must start with a letter/],
    ['".." in a parentRef', 'POST', '/projectgroups', JSON.stringify({ name: 'q', parentRef: 'org/acme/..', visibility: 'public' }), /".." is not allowed/],
    [
      'a bad visibility',
      'POST',
      '/projectgroups',
      JSON.stringify({ name: 'q', parentRef: 'org/acme', visibility: 'secret' }),
      /^body\.visibility must be one of public, private$/,
    ],
    [
      'an invalid name',
      'POST',
      '/projectgroups',
      JSON.stringify({ name: 'a b', parentRef: 'org/acme', visibility: 'public' }),
      /^body\.name "a b": must start with a letter/,
    ],
    ['an unknown field', 'PUT', '/projectgroups/org%2Facme%2Fteam', JSON.stringify({ owner: 'x' }), /unknown field "owner"/],
    [
      'a bad cursor',
      'GET',
      '/projectgroups/org%2Facme/subgroups?cursor=zzz',
      undefined,
      /^querystring\.cursor "zzz" is not the nextCursor of the previous page, unchanged$/,
    ],
  ])('answers %s with a JSON 400 and changes nothing', async (_what, method, path, body, message) => {
    const before: ProjectGroup[] = (await a.client.listSubgroups('org/acme', { limit: 500 })).items;
    const res = await raw(a.url, method, `/api/v1alpha${path}`, body);
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(message);
    expect(typeof res.body.code).toBe('string');
    expect((await a.client.listSubgroups('org/acme', { limit: 500 })).items).toEqual(before);
  });
});
