// Remote sources end to end on the real etcd, on two instances sharing one prefix.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RemoteError } from '../client/index.js';
import type { CreateRemoteSourceRequest } from '../types/remotesource.js';
import { raw, remoteError, testCluster, type TestCluster, type TestInstance } from '../../testsupport/instance.js';
import { synced } from '../../testsupport/concurrency.js';

const gitea = (name: string): CreateRemoteSourceRequest => ({ name, type: 'gitea', apiUrl: 'https://gitea.example.com/api', authType: 'password' });
const github = (name: string): CreateRemoteSourceRequest => ({
  name,
  type: 'github',
  apiUrl: 'https://api.github.com',
  authType: 'oauth2',
  clientId: 'cid',
  clientSecret: 'csecret',
});

describe('remote sources API on two instances', () => {
  let cluster: TestCluster;
  let a: TestInstance;
  let b: TestInstance;

  beforeAll(async () => {
    cluster = await testCluster('remotesources-api');
    [a, b] = await Promise.all([cluster.start(), cluster.start()]);
  });
  afterAll(async () => {
    await cluster?.cleanup();
  });

  it('creates with defaults, reads by id and name, lists with a cursor', async () => {
    const rs = await a.client.createRemoteSource(gitea('gitea1'));
    expect(rs).toMatchObject({
      name: 'gitea1',
      type: 'gitea',
      authType: 'password',
      skipVerify: false,
      skipSshHostKeyCheck: false,
      registrationEnabled: true,
      loginEnabled: true,
    });
    expect(await a.client.getRemoteSource('gitea1')).toEqual(rs);
    expect(await a.client.getRemoteSource(rs.id)).toEqual(rs);
    const gh = await a.client.createRemoteSource({ ...github('github1'), registrationEnabled: false });
    expect(gh).toMatchObject({ clientId: 'cid', clientSecret: 'csecret', registrationEnabled: false });
    await a.client.createRemoteSource(gitea('gitea2'));
    const first = await a.client.listRemoteSources({ limit: 2 });
    expect(first.items.map((r) => r.name)).toEqual(['gitea1', 'gitea2']);
    const second = await a.client.listRemoteSources({ limit: 2, cursor: first.nextCursor! });
    expect(second.items.map((r) => r.name)).toEqual(['github1']);
    expect(second.nextCursor).toBeUndefined();
  });

  it('answers 409 for a taken name, also from the other instance', async () => {
    await a.client.createRemoteSource(gitea('taken'));
    const err = await remoteError(b.client.createRemoteSource(gitea('taken')));
    expect(err.status).toBe(409);
    expect(err.message).toBe('remote source "taken" already exists');
    expect(err.code).toBe('remoteSourceExists');
  });

  it('lets exactly one of concurrent creations of a name win', async () => {
    const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => (i % 2 ? a : b).client.createRemoteSource(gitea('racy'))));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect((r.reason as { status: number }).status).toBe(409);
  });

  it('keeps the current id when the update body carries another one', async () => {
    const rs = await a.client.createRemoteSource(gitea('keepid'));
    const other = await a.client.createRemoteSource(gitea('keepid-other'));
    const updated = await a.client.updateRemoteSource('keepid', { ...gitea('keepid'), id: other.id, apiUrl: 'http://gitea.local:3000', skipVerify: true });
    expect(updated).toMatchObject({ id: rs.id, name: 'keepid', apiUrl: 'http://gitea.local:3000', skipVerify: true, createdAt: rs.createdAt });
    expect(await b.client.getRemoteSource(rs.id).catch(() => undefined)).toBeDefined();
    // the other source is untouched
    expect(await a.client.getRemoteSource(other.id)).toEqual(other);
  });

  it('renames, frees the old name, and refuses a taken new name without changing anything', async () => {
    const rs = await a.client.createRemoteSource(gitea('old-name'));
    const renamed = await a.client.updateRemoteSource(rs.id, gitea('new-name'));
    expect(renamed).toMatchObject({ id: rs.id, name: 'new-name' });
    expect((await remoteError(a.client.getRemoteSource('old-name'))).status).toBe(404);
    expect(await a.client.createRemoteSource(gitea('old-name'))).toMatchObject({ name: 'old-name' });

    const err = await remoteError(a.client.updateRemoteSource('new-name', { ...gitea('old-name'), skipVerify: true }));
    expect(err.status).toBe(409);
    expect(err.message).toBe('remote source "old-name" already exists');
    expect(await a.client.getRemoteSource('new-name')).toEqual(renamed);
  });

  it('refuses settings Agola refuses, with a message saying what to fix', async () => {
    const cases: Array<[CreateRemoteSourceRequest, RegExp]> = [
      // the schema's rules, which the OpenAPI document says too
      [{ ...gitea('bad1'), apiUrl: 'not a url' }, /^body\.apiUrl "not a url" is not an http:\/\/ or https:\/\/ URL$/],
      [{ ...gitea('bad2'), apiUrl: 'ftp://x.example.com' }, /is not an http:\/\/ or https:\/\/ URL/],
      [{ ...github('bad3'), authType: 'password' }, /^body\.authType must be one of oauth2$/],
      [{ ...gitea('bad4'), authType: 'oauth2' }, /^body: missing field "clientId"$/],
      [{ ...gitea('bad5'), authType: 'oauth2', clientId: '', clientSecret: 's' }, /^body\.clientId must NOT have fewer than 1 characters$/],
      [gitea('abcdef01-2345-6789-abcd-ef0123456789'), /^body\.name "abcdef01-2345-6789-abcd-ef0123456789": must not look like an id \(a UUID\)$/],
    ];
    for (const [req, message] of cases) {
      const err = await remoteError(a.client.createRemoteSource(req));
      expect(err.status).toBe(400);
      expect(err.message).toMatch(message);
      expect((await remoteError(a.client.getRemoteSource(req.name))).status).toBeGreaterThanOrEqual(400);
    }
    // an update is checked the same way and changes nothing
    const before = await a.client.getRemoteSource('gitea1');
    expect((await remoteError(a.client.updateRemoteSource('gitea1', { ...gitea('gitea1'), apiUrl: 'nope' }))).status).toBe(400);
    expect(await a.client.getRemoteSource('gitea1')).toEqual(before);
  });

  it.each([
    [
      'an unknown type',
      'POST',
      '/api/v1alpha/remotesources',
      JSON.stringify({ ...gitea('x'), type: 'bitbucket' }),
      400,
      /body\.type must be one of gitea, github, gitlab/,
    ],
    [
      'an unknown auth type',
      'POST',
      '/api/v1alpha/remotesources',
      JSON.stringify({ ...gitea('x'), authType: 'magic' }),
      400,
      /body\.authType must be one of password, oauth2/,
    ],
    [
      'a missing apiUrl',
      'POST',
      '/api/v1alpha/remotesources',
      JSON.stringify({ name: 'x', type: 'gitea', authType: 'password' }),
      400,
      /missing field "apiUrl"/,
    ],
    ['an unknown field', 'POST', '/api/v1alpha/remotesources', JSON.stringify({ ...gitea('x'), admin: true }), 400, /unknown field "admin"/],
    ['a bad ref', 'GET', '/api/v1alpha/remotesources/..%2Fx', undefined, 400, /^params\.ref "..\/x": give an id \(a UUID\) or a name/],
    ['a missing source', 'GET', '/api/v1alpha/remotesources/nope', undefined, 404, /remote source "nope" does not exist/],
    ['an update of a missing source', 'PUT', '/api/v1alpha/remotesources/nope', JSON.stringify(gitea('nope')), 404, /remote source "nope" does not exist/],
    ['a delete of a missing source', 'DELETE', '/api/v1alpha/remotesources/nope', undefined, 404, /remote source "nope" does not exist/],
  ])('answers %s with a JSON 4xx and changes nothing', async (_what, method, path, body, status, message) => {
    const before = await a.client.listRemoteSources({ limit: 500 });
    const res = await raw(a.url, method, path, body);
    expect(res.status).toBe(status);
    expect(res.body.message).toMatch(message);
    expect(typeof res.body.code).toBe('string');
    expect(await a.client.listRemoteSources({ limit: 500 })).toEqual(before);
  });

  it('deletes an unused source and refuses while a linked account uses it', async () => {
    const rs = await a.client.createRemoteSource(gitea('in-use'));
    const user = await a.client.createUser({ name: 'rs-user' });
    const la = await a.client.createLinkedAccount(user.name, { remoteSourceRef: rs.name, remoteUserId: '42', remoteUserName: 'octo' });
    const err = await remoteError(b.client.deleteRemoteSource('in-use'));
    expect(err.status).toBe(409);
    expect(err.code).toBe('remoteSourceInUse');
    expect(err.message).toBe('remote source "in-use" is used by 1 linked account(s) and 0 project(s); delete or move them first');
    expect(await a.client.getRemoteSource(rs.id)).toEqual(rs);
    await a.client.deleteLinkedAccount(user.name, la.id);
    const res = await raw(a.url, 'DELETE', `/api/v1alpha/remotesources/${rs.id}`);
    expect(res.status).toBe(204);
    expect((await remoteError(a.client.getRemoteSource('in-use'))).status).toBe(404);
  });

  it('refuses to delete a source while a project uses it', async () => {
    const rs = await a.client.createRemoteSource(gitea('for-projects'));
    const user = await a.client.createUser({ name: 'proj-user' });
    await a.client.createOrg({ name: 'proj-org', visibility: 'public', creatorUserRef: user.id });
    expect((await a.client.getRemoteSource(rs.id.toUpperCase())).id).toBe(rs.id);
    const la = await a.client.createLinkedAccount(user.id, { remoteSourceRef: rs.id, remoteUserId: '1', remoteUserName: 'p' });
    const project = await raw(
      a.url,
      'POST',
      '/api/v1alpha/projects',
      JSON.stringify({
        name: 'app',
        parentRef: 'org/proj-org',
        visibility: 'public',
        remoteRepositoryConfigType: 'remotesource',
        remoteSourceRef: rs.name,
        linkedAccountId: la.id,
        repositoryId: '99',
        repositoryPath: 'p/app',
      }),
    );
    expect(project.status).toBe(201);
    expect((await remoteError(a.client.deleteRemoteSource(rs.name))).message).toBe(
      'remote source "for-projects" is used by 1 linked account(s) and 1 project(s); delete or move them first',
    );
    // neither the linked account nor its user can go while the project uses the account
    const inUse = await remoteError(b.client.deleteLinkedAccount(user.id, la.id));
    expect(inUse.status).toBe(409);
    expect(inUse.message).toBe(`linked account "${la.id}" is used by 1 project(s); give them another linked account or delete them first`);
    const userErr = await remoteError(b.client.deleteUser(user.id));
    expect(userErr.code).toBe('linkedAccountInUse');
    expect(userErr.message).toBe('user "proj-user" has linked accounts used by 1 project(s); give them another linked account or delete them first');
    expect((await raw(a.url, 'DELETE', `/api/v1alpha/projects/${(project.body as unknown as { id: string }).id}`)).status).toBe(204);
    await a.client.deleteLinkedAccount(user.id, la.id);
    await a.client.deleteRemoteSource(rs.name);
    expect((await remoteError(a.client.getRemoteSource(rs.id))).status).toBe(404);
  });

  it('never lets a linked account creation and its source deletion both commit', async () => {
    const user = await a.client.createUser({ name: 'racer' });
    for (let round = 0; round < 3; round++) {
      const rs = await a.client.createRemoteSource(gitea(`racy${round}`));
      await synced(a, b);
      const [linked, deleted] = await Promise.allSettled([
        b.client.createLinkedAccount(user.id, { remoteSourceRef: rs.id, remoteUserId: '1', remoteUserName: 'r' }),
        a.client.deleteRemoteSource(rs.id),
      ]);
      expect([linked.status, deleted.status].filter((s) => s === 'fulfilled')).toHaveLength(1);
      if (linked.status === 'fulfilled') {
        expect((deleted as PromiseRejectedResult).reason).toMatchObject({ status: 409, code: 'remoteSourceInUse' });
        await b.client.deleteLinkedAccount(user.id, linked.value.id);
      } else {
        expect((linked.reason as RemoteError).status).toBe(404);
      }
    }
  });
});
