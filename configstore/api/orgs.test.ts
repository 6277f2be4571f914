// Orgs and org members end to end on the real etcd, on two instances sharing one prefix.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RemoteError } from '../client/index.js';
import { raw, remoteError, testCluster, type TestCluster, type TestInstance } from '../../testsupport/instance.js';
import { countingConflicts, synced } from '../../testsupport/concurrency.js';

describe('orgs API on two instances', () => {
  let cluster: TestCluster;
  let a: TestInstance;
  let b: TestInstance;

  beforeAll(async () => {
    cluster = await testCluster('orgs-api');
    [a, b] = await Promise.all([cluster.start(), cluster.start()]);
    for (const name of ['ann', 'ben', 'cat']) await a.client.createUser({ name });
  });
  afterAll(async () => {
    await cluster?.cleanup();
  });

  it('creates an org with its creator as owner, reads it by id and name', async () => {
    const org = await a.client.createOrg({ name: 'acme', visibility: 'public', creatorUserRef: 'ann' });
    const ann = await a.client.getUser('ann');
    expect(org).toMatchObject({ name: 'acme', visibility: 'public', creatorUserId: ann.id });
    expect(await a.client.getOrg('acme')).toEqual(org);
    expect(await a.client.getOrg(org.id)).toEqual(org);
    expect(await a.client.listOrgMembers('acme')).toEqual({ items: [{ user: ann, role: 'owner' }] });
    expect(await a.client.listUserOrgs('ann')).toEqual({ items: [{ org, role: 'owner' }] });
  });

  it('creates an org without a creator, with no members', async () => {
    const org = await a.client.createOrg({ name: 'lonely', visibility: 'private' });
    expect(org.creatorUserId).toBeUndefined();
    expect((await a.client.listOrgMembers(org.id)).items).toEqual([]);
  });

  it('refuses a missing creator with 404 and creates nothing', async () => {
    const err = await remoteError(a.client.createOrg({ name: 'ghost-org', visibility: 'public', creatorUserRef: 'nobody' }));
    expect(err.status).toBe(404);
    expect(err.message).toBe('user "nobody" does not exist');
    expect((await remoteError(a.client.getOrg('ghost-org'))).status).toBe(404);
  });

  it('answers 409 for a taken name, also from the other instance', async () => {
    const err = await remoteError(b.client.createOrg({ name: 'acme', visibility: 'private' }));
    expect(err.status).toBe(409);
    expect(err.message).toBe('org "acme" already exists');
    expect(err.code).toBe('orgExists');
  });

  it('lets exactly one of concurrent creations of an org name win', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).client.createOrg({ name: 'racy-org', visibility: 'public', creatorUserRef: 'ben' })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect((r.reason as RemoteError).status).toBe(409);
    expect((await a.client.listOrgs({ limit: 500 })).items.filter((o) => o.name === 'racy-org')).toHaveLength(1);
    expect((await a.client.listOrgMembers('racy-org')).items).toHaveLength(1);
  });

  it('lists orgs with a cursor', async () => {
    const all = (await a.client.listOrgs({ limit: 500 })).items.map((o) => o.name);
    expect(all).toEqual([...all].sort());
    const first = await a.client.listOrgs({ limit: 2 });
    const second = await a.client.listOrgs({ limit: 2, cursor: first.nextCursor! });
    expect([...first.items, ...second.items].map((o) => o.name)).toEqual(all.slice(0, 4));
  });

  it('renames and changes visibility; a taken name is a 409 that changes nothing', async () => {
    const org = await a.client.createOrg({ name: 'renamable', visibility: 'public' });
    const updated = await a.client.updateOrg('renamable', { name: 'renamed', visibility: 'private' });
    expect(updated).toEqual({ ...org, name: 'renamed', visibility: 'private' });
    expect((await remoteError(a.client.getOrg('renamable'))).status).toBe(404);
    const err = await remoteError(a.client.updateOrg('renamed', { name: 'acme' }));
    expect(err.status).toBe(409);
    expect(err.message).toBe('org "acme" already exists');
    expect(await a.client.getOrg(org.id)).toEqual(updated);
  });

  it('adds members (201), changes roles (200) and removes them (204, then 404)', async () => {
    await a.client.createOrg({ name: 'team', visibility: 'public' });
    const add = await raw(a.url, 'PUT', '/api/v1alpha/orgs/team/members/ben', JSON.stringify({ role: 'member' }));
    expect(add.status).toBe(201);
    expect(add.body).toMatchObject({ user: { name: 'ben' }, role: 'member' });
    const change = await raw(b.url, 'PUT', '/api/v1alpha/orgs/team/members/ben', JSON.stringify({ role: 'owner' }));
    expect(change.status).toBe(200);
    const same = await raw(a.url, 'PUT', '/api/v1alpha/orgs/team/members/ben', JSON.stringify({ role: 'owner' }));
    expect(same.status).toBe(200);
    expect(await a.client.setOrgMember('team', 'cat', 'member')).toMatchObject({ user: { name: 'cat' }, role: 'member' });
    expect((await a.client.listOrgMembers('team')).items.map((m) => [m.user.name, m.role]).sort()).toEqual([
      ['ben', 'owner'],
      ['cat', 'member'],
    ]);
    const page = await a.client.listOrgMembers('team', { limit: 1 });
    expect(page.items).toHaveLength(1);
    const rest = await a.client.listOrgMembers('team', { limit: 1, cursor: page.nextCursor! });
    expect(rest.items).toHaveLength(1);
    expect(rest.items[0]!.user.name).not.toBe(page.items[0]!.user.name);

    await a.client.removeOrgMember('team', 'cat');
    expect((await a.client.listOrgMembers('team')).items.map((m) => m.user.name)).toEqual(['ben']);
    const err = await remoteError(a.client.removeOrgMember('team', 'cat'));
    expect(err.status).toBe(404);
    expect(err.message).toBe('user "cat" is not a member of org "team"');
    expect((await remoteError(a.client.setOrgMember('team', 'nobody', 'member'))).status).toBe(404);
    expect((await remoteError(a.client.setOrgMember('no-team', 'ben', 'member'))).message).toBe('org "no-team" does not exist');
  });

  it('deletes an org with its members and root project group', async () => {
    const org = await a.client.createOrg({ name: 'doomed', visibility: 'public', creatorUserRef: 'cat' });
    await a.client.setOrgMember('doomed', 'ben', 'member');
    const del = await raw(a.url, 'DELETE', '/api/v1alpha/orgs/doomed');
    expect(del.status).toBe(204);
    expect((await remoteError(a.client.getOrg(org.id))).status).toBe(404);
    expect((await a.client.listUserOrgs('cat')).items.map((o) => o.org.name)).not.toContain('doomed');
    expect((await a.client.listUserOrgs('ben')).items.map((o) => o.org.name)).not.toContain('doomed');
    // the name is free again, and the new org starts empty
    await a.client.createOrg({ name: 'doomed', visibility: 'public' });
    expect((await a.client.listOrgMembers('doomed')).items).toEqual([]);
    expect((await remoteError(a.client.deleteOrg(org.id))).status).toBe(404);
  });

  it('lists the orgs of a user with a cursor', async () => {
    for (const name of ['u-org-1', 'u-org-2', 'u-org-3']) await a.client.createOrg({ name, visibility: 'public', creatorUserRef: 'cat' });
    const first = await a.client.listUserOrgs('cat', { limit: 2 });
    expect(first.items.map((o) => o.org.name)).toEqual(['u-org-1', 'u-org-2']);
    const second = await a.client.listUserOrgs('cat', { limit: 2, cursor: first.nextCursor! });
    expect(second.items.map((o) => o.org.name)).toEqual(['u-org-3']);
    expect(second.nextCursor).toBeUndefined();
  });

  it('gives an org a root project group with its visibility, which follows visibility changes', async () => {
    const org = await a.client.createOrg({ name: 'rooted', visibility: 'private' });
    const root = await raw(a.url, 'GET', '/api/v1alpha/projectgroups/org%2Frooted');
    expect(root.status).toBe(200);
    expect(root.body).toMatchObject({ name: '', parentType: 'org', parentId: org.id, visibility: 'private' });
    await a.client.updateOrg('rooted', { visibility: 'public' });
    expect((await raw(a.url, 'GET', '/api/v1alpha/projectgroups/org%2Frooted')).body).toMatchObject({ visibility: 'public' });
  });

  it('refuses to delete an org while its root group holds a project group, then deletes it with the root group', async () => {
    const org = await a.client.createOrg({ name: 'busy', visibility: 'public', creatorUserRef: 'ann' });
    const root = (await raw(a.url, 'GET', '/api/v1alpha/projectgroups/org%2Fbusy')).body as unknown as { id: string };
    const child = await raw(a.url, 'POST', '/api/v1alpha/projectgroups', JSON.stringify({ name: 'web', parentRef: 'org/busy', visibility: 'public' }));
    expect(child.status).toBe(201);
    const err = await remoteError(b.client.deleteOrg('busy'));
    expect(err.status).toBe(409);
    expect(err.code).toBe('orgHasProjects');
    expect(err.message).toBe('org "busy" still owns 1 project group(s) or project(s) at its top level; delete them first');
    expect(await a.client.getOrg(org.id)).toEqual(org);
    expect((await a.client.listOrgMembers('busy')).items).toHaveLength(1);

    const childId = (child.body as unknown as { id: string }).id;
    expect((await raw(a.url, 'DELETE', `/api/v1alpha/projectgroups/${childId}`)).status).toBe(204);
    await a.client.deleteOrg('busy');
    expect((await raw(a.url, 'GET', `/api/v1alpha/projectgroups/${root.id}`)).status).toBe(404);
    expect((await raw(a.url, 'GET', '/api/v1alpha/projectgroups/org%2Fbusy')).status).toBe(404);
  });

  it('never leaves a member behind when an org deletion races member additions', async () => {
    for (let round = 0; round < 4; round++) {
      const org = await a.client.createOrg({ name: `race-${round}`, visibility: 'public' });
      const results = await Promise.allSettled([
        b.client.setOrgMember(org.id, 'ben', 'member'),
        a.client.deleteOrg(org.id),
        b.client.setOrgMember(org.id, 'cat', 'owner'),
      ]);
      for (const r of results) if (r.status === 'rejected') expect([404, 409]).toContain((r.reason as RemoteError).status);
      // a deletion that lost every retry (409) is allowed: then the org simply stays
      if (results[1]!.status === 'rejected') continue;
      // both instances hold no member of the deleted org (b may lag: wait for its read model)
      for (const i of [a, b]) {
        await i.server.stores.readdb.waitFor(a.server.stores.readdb.revision);
        expect(i.server.stores.readdb.do({}, (tx) => tx.count('orgmember', org.id))).toBe(0);
      }
    }
  });

  it('lets 30 concurrent member additions of different users to one org, on both instances, all succeed', async () => {
    const org = await a.client.createOrg({ name: 'crowd', visibility: 'public' });
    const names = Array.from({ length: 30 }, (_, i) => `crowd${String(i).padStart(2, '0')}`);
    const users = await Promise.all(names.map((name, i) => (i % 2 ? a : b).client.createUser({ name })));
    await synced(a, b);
    const { conflicts } = await countingConflicts([a, b], () =>
      Promise.all(users.map((u, i) => (i % 2 ? a : b).client.setOrgMember(org.id, u.id, i % 3 ? 'member' : 'owner'))),
    );
    // members of one org never conflict with each other: not even a retry inside the servers
    expect(conflicts).toBe(0);
    await synced(a, b);
    for (const i of [a, b]) {
      const members = (await i.client.listOrgMembers(org.id, { limit: 500 })).items;
      expect(members.map((m) => m.user.name).sort()).toEqual(names);
    }
  });

  it.each([
    ['a bad visibility', 'POST', '/api/v1alpha/orgs', '{"name":"x","visibility":"secret"}', 400, /body\.visibility must be one of public, private/],
    ['a missing visibility', 'POST', '/api/v1alpha/orgs', '{"name":"x"}', 400, /missing field "visibility"/],
    [
      'a bad name',
      'POST',
      '/api/v1alpha/orgs',
      '{"name":"x--y","visibility":"public"}',
      400,
      /^body\.name "x--y": must start with a letter and have only letters, digits and single "-" separators$/,
    ],
    ['a bad role', 'PUT', '/api/v1alpha/orgs/acme/members/ben', '{"role":"admin"}', 400, /body\.role must be one of owner, member/],
    ['a bad org ref', 'GET', '/api/v1alpha/orgs/a%2F..', undefined, 400, /^params\.ref "a\/..": give an id \(a UUID\) or a name/],
    ['a bad user ref', 'PUT', '/api/v1alpha/orgs/acme/members/b%20n', '{"role":"member"}', 400, /^params\.userRef "b n": give an id \(a UUID\) or a name/],
    ['a missing org', 'GET', '/api/v1alpha/orgs/nope', undefined, 404, /org "nope" does not exist/],
    ['members of a missing org', 'GET', '/api/v1alpha/orgs/nope/members', undefined, 404, /org "nope" does not exist/],
    ['a bad org update', 'PUT', '/api/v1alpha/orgs/acme', '{"visibility":"hidden"}', 400, /must be one of public, private/],
  ])('answers %s with a JSON 4xx and changes nothing', async (_what, method, path, body, status, message) => {
    const before = await a.client.listOrgs({ limit: 500 });
    const members = await a.client.listOrgMembers('acme');
    const res = await raw(a.url, method, path, body);
    expect(res.status).toBe(status);
    expect(res.body.message).toMatch(message);
    expect(typeof res.body.code).toBe('string');
    expect(await a.client.listOrgs({ limit: 500 })).toEqual(before);
    expect(await a.client.listOrgMembers('acme')).toEqual(members);
  });
});
