// Projects end to end on the real etcd, two instances: creation against real remote sources
// and linked accounts, refs by id and path, one name scope shared with project groups.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreateProjectRequest, LinkedAccount, RemoteSource } from '../types/index.js';
import type { RemoteError } from '../client/index.js';
import { eventually } from '../../testsupport/eventually.js';
import { raw, remoteError, testCluster, type TestCluster, type TestInstance } from '../../testsupport/instance.js';
import { countingConflicts, synced } from '../../testsupport/concurrency.js';

const pub = 'public' as const;

describe('projects API on two instances', () => {
  let cluster: TestCluster;
  let a: TestInstance;
  let b: TestInstance;
  let gitea1: RemoteSource;
  let gitea2: RemoteSource;
  let la1: LinkedAccount;
  let la2: LinkedAccount;
  const project = (name: string, over: Partial<CreateProjectRequest> = {}): CreateProjectRequest => ({
    name,
    parentRef: 'org/acme/apps',
    visibility: pub,
    remoteRepositoryConfigType: 'remotesource',
    remoteSourceRef: 'gitea1',
    linkedAccountId: la1.id,
    repositoryId: '42',
    repositoryPath: `acme/${name}`,
    ...over,
  });

  beforeAll(async () => {
    cluster = await testCluster('projects-api');
    [a, b] = await Promise.all([cluster.start(), cluster.start()]);
    await a.client.createOrg({ name: 'acme', visibility: pub });
    await a.client.createOrg({ name: 'other', visibility: pub });
    await a.client.createUser({ name: 'alice' });
    const source = (name: string) => ({ name, type: 'gitea' as const, apiUrl: `https://${name}.example.com`, authType: 'password' as const });
    gitea1 = await a.client.createRemoteSource(source('gitea1'));
    gitea2 = await a.client.createRemoteSource(source('gitea2'));
    la1 = await a.client.createLinkedAccount('alice', { remoteSourceRef: 'gitea1', remoteUserId: '1', remoteUserName: 'alice' });
    la2 = await a.client.createLinkedAccount('alice', { remoteSourceRef: 'gitea2', remoteUserId: '1', remoteUserName: 'alice' });
    await a.client.createProjectGroup({ name: 'apps', parentRef: 'org/acme', visibility: pub });
    await a.client.createProjectGroup({ name: 'libs', parentRef: 'org/acme', visibility: 'private' });
  });
  afterAll(async () => {
    await cluster?.cleanup();
  });

  it('creates a project and reads it by id and by URL-encoded path on both instances', async () => {
    const web = await a.client.createProject(project('web', { sshPrivateKey: 'KEY', passVarsToForkedPR: true }));
    expect(web).toMatchObject({
      name: 'web',
      path: 'org/acme/apps/web',
      parentPath: 'org/acme/apps',
      parentType: 'projectgroup',
      ownerType: 'org',
      remoteRepositoryConfigType: 'remotesource',
      remoteSourceId: gitea1.id,
      linkedAccountId: la1.id,
      repositoryId: '42',
      repositoryPath: 'acme/web',
      sshPrivateKey: 'KEY',
      skipSshHostKeyCheck: false,
      passVarsToForkedPR: true,
      globalVisibility: 'public',
    });
    expect(web.webhookSecret.length).toBeGreaterThanOrEqual(32);
    expect(await a.client.getProject('org/acme/apps/web')).toEqual(web);
    expect(await eventually(() => b.client.getProject(web.id))).toEqual(web);
    const res = await raw(a.url, 'GET', '/api/v1alpha/projects/org%2Facme%2Fapps%2Fweb');
    expect([res.status, (res.body as unknown as { id: string }).id]).toEqual([200, web.id]);
    // by remote source id too; a second project gets its own webhook secret
    const api = await a.client.createProject(project('api', { remoteSourceRef: gitea1.id }));
    expect(api.webhookSecret).not.toBe(web.webhookSecret);
    expect((await a.client.listGroupProjects('org/acme/apps')).items.map((p) => p.path)).toEqual(['org/acme/apps/api', 'org/acme/apps/web']);
    // a project in a private group is private overall
    expect(await a.client.createProject(project('core', { parentRef: 'org/acme/libs' }))).toMatchObject({ visibility: 'public', globalVisibility: 'private' });
  });

  it('accepts only the remotesource configuration type', async () => {
    // the schema's enum (the document says it too)
    const err = await remoteError(a.client.createProject(project('manual1', { remoteRepositoryConfigType: 'manual' as never })));
    expect(err.status).toBe(400);
    expect(err.message).toBe('body.remoteRepositoryConfigType must be one of remotesource');
    expect(err.code).toBe('invalidRequest');
    expect((await remoteError(a.client.updateProject('org/acme/apps/web', { remoteRepositoryConfigType: 'manual' as never }))).status).toBe(400);
    expect((await remoteError(a.client.getProject('org/acme/apps/manual1'))).status).toBe(404);
  });

  it('answers 404 for a missing remote source or a linked account not on that source', async () => {
    const cases: Array<[Partial<CreateProjectRequest>, number, string]> = [
      [{ remoteSourceRef: 'nope' }, 404, 'remote source "nope" does not exist'],
      [
        { linkedAccountId: '0b0b0b0b-0000-4000-8000-000000000000' },
        404,
        'linked account "0b0b0b0b-0000-4000-8000-000000000000" does not exist for remote source "gitea1"',
      ],
      [{ linkedAccountId: '' }, 400, 'body.linkedAccountId must NOT have fewer than 36 characters'],
      [{ linkedAccountId: 'not-an-id-but-thirty-six-characters!' }, 400, 'body.linkedAccountId "not-an-id-but-thirty-six-characters!": give an id (a UUID)'],
      [
        { remoteSourceRef: 'a..b' },
        400,
        'body.remoteSourceRef "a..b": give an id (a UUID) or a name (it starts with a letter and has only letters, digits and single "-" separators)',
      ],
    ];
    for (const [over, status, message] of cases) {
      const err = await remoteError(a.client.createProject(project('orphan', over)));
      expect([err.status, err.message]).toEqual([status, message]);
    }
    // la2 exists but belongs to gitea2
    const err = await remoteError(a.client.createProject(project('orphan', { linkedAccountId: la2.id })));
    expect([err.status, err.code]).toEqual([404, 'linkedAccountNotFound']);
    expect((await remoteError(a.client.getProject('org/acme/apps/orphan'))).status).toBe(404);
  });

  it('shares one name scope with project groups', async () => {
    const asGroup = await remoteError(a.client.createProject(project('apps', { parentRef: 'org/acme' })));
    expect([asGroup.status, asGroup.message, asGroup.code]).toEqual([409, 'project group "org/acme/apps" already exists', 'projectGroupExists']);
    const asProject = await remoteError(b.client.createProjectGroup({ name: 'web', parentRef: 'org/acme/apps', visibility: pub }));
    expect([asProject.status, asProject.message, asProject.code]).toEqual([409, 'project "org/acme/apps/web" already exists', 'projectExists']);
    const dup = await remoteError(b.client.createProject(project('web')));
    expect([dup.status, dup.message]).toEqual([409, 'project "org/acme/apps/web" already exists']);
  });

  it('lets exactly one of concurrent group and project creations of one name win', async () => {
    const attempts = Array.from({ length: 8 }, (_, i) =>
      i % 2 ? a.client.createProject(project('contested')) : b.client.createProjectGroup({ name: 'contested', parentRef: 'org/acme/apps', visibility: pub }),
    );
    const results = await Promise.allSettled(attempts);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')) expect((r.reason as RemoteError).status).toBe(409);
    const groups = (await a.client.listSubgroups('org/acme/apps')).items.filter((g) => g.name === 'contested');
    const projects = (await a.client.listGroupProjects('org/acme/apps')).items.filter((p) => p.name === 'contested');
    expect(groups.length + projects.length).toBe(1);
  });

  it('updates, renames and moves a project; changes its remote source with a matching account', async () => {
    const p = await a.client.createProject(project('mover'));
    const renamed = await a.client.updateProject('org/acme/apps/mover', { name: 'moved', visibility: 'private', skipSshHostKeyCheck: true });
    expect(renamed).toMatchObject({ id: p.id, path: 'org/acme/apps/moved', visibility: 'private', skipSshHostKeyCheck: true, webhookSecret: p.webhookSecret });
    const moved = await a.client.updateProject(p.id, { parentRef: 'org/acme/libs' });
    expect(moved).toMatchObject({ path: 'org/acme/libs/moved', parentPath: 'org/acme/libs' });
    expect(await a.client.getProject('org/acme/libs/moved')).toEqual(moved);
    expect((await remoteError(a.client.getProject('org/acme/apps/moved'))).message).toBe('project "org/acme/apps/moved" does not exist');

    // changing the source alone leaves an account of the old source: refused
    const mismatch = await remoteError(a.client.updateProject(p.id, { remoteSourceRef: 'gitea2' }));
    expect([mismatch.status, mismatch.code]).toEqual([404, 'linkedAccountNotFound']);
    const switched = await a.client.updateProject(p.id, { remoteSourceRef: 'gitea2', linkedAccountId: la2.id, repositoryPath: 'acme/moved' });
    expect(switched).toMatchObject({ remoteSourceId: gitea2.id, linkedAccountId: la2.id, repositoryPath: 'acme/moved' });

    const taken = await remoteError(a.client.updateProject(p.id, { name: 'core' }));
    expect([taken.status, taken.message]).toEqual([409, 'project "org/acme/libs/core" already exists']);
    const otherOwner = await remoteError(a.client.updateProject(p.id, { parentRef: 'org/other' }));
    expect([otherOwner.status, otherOwner.code]).toEqual([400, 'invalidMove']);
  });

  it('blocks deleting a group that holds projects; deletes projects', async () => {
    const blocked = await remoteError(a.client.deleteProjectGroup('org/acme/libs'));
    expect([blocked.status, blocked.message]).toEqual([409, 'project group "org/acme/libs" is not empty (0 subgroups, 2 projects): delete or move them first']);
    await a.client.deleteProject('org/acme/libs/moved');
    await b.client.deleteProject((await eventually(() => b.client.getProject('org/acme/libs/core'))).id);
    await eventually(async () => ((await a.client.listGroupProjects('org/acme/libs')).items.length === 0 ? true : undefined));
    await a.client.deleteProjectGroup('org/acme/libs');
    const gone = await remoteError(a.client.deleteProject('org/acme/libs/core'));
    expect([gone.status, gone.message]).toEqual([404, 'project group "org/acme/libs" does not exist']);
  });

  it('lets 30 concurrent creations of different projects using one source and account all succeed', async () => {
    const parent = await a.client.createProjectGroup({ name: 'many', parentRef: 'org/acme', visibility: pub });
    await synced(a, b);
    const names = Array.from({ length: 30 }, (_, i) => `p${String(i).padStart(2, '0')}`);
    const { result: created, conflicts } = await countingConflicts([a, b], () =>
      Promise.all(names.map((name, i) => (i % 2 ? a : b).client.createProject(project(name, { parentRef: parent.id })))),
    );
    // referrers of one source and account never conflict: not even a retry inside the servers
    expect(conflicts).toBe(0);
    expect(created.map((p) => p.path)).toEqual(names.map((n) => `org/acme/many/${n}`));
    await synced(a, b);
    for (const i of [a, b]) expect((await i.client.listGroupProjects(parent.id, { limit: 500 })).items.map((p) => p.name)).toEqual(names);
  });

  it('never lets a project creation and the deletion of its linked account both commit', async () => {
    for (let round = 0; round < 3; round++) {
      const la = await a.client.createLinkedAccount('alice', { remoteSourceRef: 'gitea1', remoteUserId: `short-${round}`, remoteUserName: 'alice' });
      await synced(a, b);
      const [created, deleted] = await Promise.allSettled([
        b.client.createProject(project(`short${round}`, { linkedAccountId: la.id })),
        a.client.deleteLinkedAccount('alice', la.id),
      ]);
      expect([created.status, deleted.status].filter((s) => s === 'fulfilled')).toHaveLength(1);
      if (created.status === 'fulfilled') {
        expect((deleted as PromiseRejectedResult).reason).toMatchObject({ status: 409, code: 'linkedAccountInUse' });
        await a.client.deleteProject(created.value.id);
      } else {
        expect((created.reason as RemoteError).status).toBe(404);
      }
    }
  });

  it.each([
    [
      '".." in a path',
      'GET',
      '/projects/org%2Facme%2Fapps%2F..%2Fweb',
      undefined,
      /^params\.ref "org\/acme\/apps\/..\/web": ".." is not allowed in a path; give an id or a path like org\/<org>\/<group>\/<project>$/,
    ],
    ['a group path', 'GET', '/projects/org%2Facme', undefined, /a project path has at least three segments/],
    ['a name that is not an id', 'DELETE', '/projects/web', undefined, /not an id and not a path/],
    ['an empty segment', 'PUT', '/projects/org%2Facme%2F%2Fweb', JSON.stringify({ visibility: 'private' }), /empty path segment/],
    [
      'a wrong field type',
      'PUT',
      '/projects/org%2Facme%2Fapps%2Fweb',
      JSON.stringify({ passVarsToForkedPR: 'yes' }),
      /body\.passVarsToForkedPR must be boolean/,
    ],
    ['a missing field', 'POST', '/projects', JSON.stringify({ name: 'x', parentRef: 'org/acme/apps', visibility: 'public' }), /missing field/],
  ])('answers %s with a JSON 400 and changes nothing', async (_what, method, path, body, message) => {
    const before = await a.client.getProject('org/acme/apps/web');
    const res = await raw(a.url, method, `/api/v1alpha${path}`, body);
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(message);
    expect(typeof res.body.code).toBe('string');
    expect(await a.client.getProject('org/acme/apps/web')).toEqual(before);
  });
});
