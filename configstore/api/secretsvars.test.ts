// Secrets and variables of projects and project groups end to end on the real etcd, two
// instances: CRUD, validation, inheritance (`tree=true`, nearest first), and deletion with
// their project or group.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Project, VariableValue } from '../types/index.js';
import type { RemoteError } from '../client/index.js';
import { DataType } from '../types/datatypes.js';
import { raw, remoteError, testCluster, type TestCluster, type TestInstance } from '../../testsupport/instance.js';
import { countingConflicts, synced } from '../../testsupport/concurrency.js';

const pub = 'public' as const;
const internal = (data: Record<string, string>) => ({ type: 'internal' as const, data });
const appPath = 'org/acme/team/sub/app';

describe('secrets and variables API on two instances', () => {
  let cluster: TestCluster;
  let a: TestInstance;
  let b: TestInstance;
  let app: Project;
  let linkedAccountId: string;
  const stored = (type: DataType, id: string) => a.server.stores.readdb.do({}, (tx) => tx.get(type, id));
  const createApp = (name: string, parentRef: string) =>
    a.client.createProject({
      name,
      parentRef,
      visibility: pub,
      remoteRepositoryConfigType: 'remotesource',
      remoteSourceRef: 'gitea',
      linkedAccountId,
      repositoryId: name,
      repositoryPath: `acme/${name}`,
    });

  beforeAll(async () => {
    cluster = await testCluster('secretsvars-api');
    [a, b] = await Promise.all([cluster.start(), cluster.start()]);
    await a.client.createOrg({ name: 'acme', visibility: pub });
    await a.client.createUser({ name: 'alice' });
    await a.client.createRemoteSource({ name: 'gitea', type: 'gitea', apiUrl: 'https://gitea.example.com', authType: 'password' });
    linkedAccountId = (await a.client.createLinkedAccount('alice', { remoteSourceRef: 'gitea', remoteUserId: '1', remoteUserName: 'alice' })).id;
    await a.client.createProjectGroup({ name: 'team', parentRef: 'org/acme', visibility: pub });
    await a.client.createProjectGroup({ name: 'sub', parentRef: 'org/acme/team', visibility: pub });
    app = await createApp('app', 'org/acme/team/sub');
  });
  afterAll(async () => {
    await cluster?.cleanup();
  });

  it('creates, lists, updates, renames and deletes a project secret', async () => {
    const db = await a.client.createSecret('project', appPath, { name: 'db', ...internal({ password: 'p1' }) });
    expect(db).toMatchObject({ name: 'db', type: 'internal', data: { password: 'p1' }, parentType: 'project', parentId: app.id, parentPath: appPath });
    expect((await a.client.listSecrets('project', app.id)).items).toEqual([db]);
    const updated = await a.client.updateSecret('project', appPath, 'db', { data: { password: 'p2', user: 'u' } });
    expect(updated).toMatchObject({ id: db.id, name: 'db', data: { password: 'p2', user: 'u' } });
    const renamed = await a.client.updateSecret('project', appPath, 'db', { name: 'database' });
    expect(renamed).toMatchObject({ id: db.id, name: 'database', data: { password: 'p2', user: 'u' } });
    await a.client.createSecret('project', appPath, { name: 'other', ...internal({ k: 'v' }) });
    const clash = await remoteError(a.client.updateSecret('project', appPath, 'other', { name: 'database' }));
    expect([clash.status, clash.message, clash.code]).toEqual([409, `secret "database" already exists in project "${appPath}"`, 'secretExists']);
    await a.client.deleteSecret('project', appPath, 'other');
    const gone = await remoteError(a.client.deleteSecret('project', appPath, 'other'));
    expect([gone.status, gone.message, gone.code]).toEqual([404, `secret "other" does not exist in project "${appPath}"`, 'secretNotFound']);
    expect((await a.client.listSecrets('project', appPath)).items.map((s) => s.name)).toEqual(['database']);
  });

  it('validates secrets: internal type only, non-empty data, unique names', async () => {
    const cases: Array<[object, string, string]> = [
      // the schema's rules (the document says them too)
      [{ name: 'ext', type: 'external', data: { k: 'v' } }, 'body.type must be one of internal', 'invalidRequest'],
      [{ name: 'empty', ...internal({}) }, 'body.data needs at least 1 key', 'invalidRequest'],
      [{ name: 'blank', ...internal({ ' \u00a0': 'v' }) }, 'body.data " \u00a0" is not a key: 1 to 256 characters, not all whitespace', 'invalidRequest'],
    ];
    for (const [req, message, code] of cases) {
      const err = await remoteError(a.client.createSecret('projectgroup', 'org/acme/team', req as never));
      expect([err.status, err.message, err.code]).toEqual([400, message, code]);
    }
    await a.client.createSecret('projectgroup', 'org/acme/team', { name: 'shared', ...internal({ k: 'v' }) });
    const dup = await remoteError(b.client.createSecret('projectgroup', 'org/acme/team', { name: 'shared', ...internal({ k: 'w' }) }));
    expect([dup.status, dup.message]).toEqual([409, 'secret "shared" already exists in project group "org/acme/team"']);
    const emptied = await remoteError(a.client.updateSecret('projectgroup', 'org/acme/team', 'shared', { data: {} }));
    expect([emptied.status, emptied.message]).toEqual([400, 'body.data needs at least 1 key']);
    expect((await a.client.listSecrets('projectgroup', 'org/acme/team')).items.map((s) => [s.name, s.data])).toEqual([['shared', { k: 'v' }]]);
  });

  it('lets exactly one of many concurrent creations of a secret name win', async () => {
    const attempts = Array.from({ length: 8 }, (_, i) =>
      (i % 2 ? a : b).client.createSecret('project', appPath, { name: 'race', ...internal({ n: String(i) }) }),
    );
    const results = await Promise.allSettled(attempts);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')) expect((r.reason as RemoteError).status).toBe(409);
    await a.client.deleteSecret('project', appPath, 'race');
  });

  it('lists inherited secrets with tree=true, nearest first, each with its parentPath, page by page', async () => {
    await a.client.createSecret('projectgroup', 'org/acme/team/sub', { name: 'database', ...internal({ password: 'group' }) });
    await a.client.createSecret('projectgroup', 'org/acme/team/sub', { name: 'cache', ...internal({ url: 'redis' }) });
    await a.client.createSecret('projectgroup', 'org/acme', { name: 'global', ...internal({ k: 'root' }) });
    const own = await a.client.listSecrets('project', appPath);
    expect(own.items.map((s) => s.name)).toEqual(['database']);
    const tree = await a.client.listSecrets('project', appPath, { tree: true });
    expect(tree.items.map((s) => [s.parentPath, s.name])).toEqual([
      [appPath, 'database'],
      ['org/acme/team/sub', 'cache'],
      ['org/acme/team/sub', 'database'],
      ['org/acme/team', 'shared'],
      ['org/acme', 'global'],
    ]);
    expect(tree.nextCursor).toBeUndefined();
    // pages of 2 walk the same list
    const paged = [];
    let cursor: string | undefined;
    do {
      const page = await b.client.listSecrets('project', app.id, { tree: true, limit: 2, ...(cursor ? { cursor } : {}) });
      paged.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    expect(paged).toEqual(tree.items);
    // a group's tree starts at the group
    const groupTree = await a.client.listSecrets('projectgroup', 'org/acme/team', { tree: true });
    expect(groupTree.items.map((s) => s.parentPath)).toEqual(['org/acme/team', 'org/acme']);
  });

  it('creates, validates, updates and lists variables with tree=true', async () => {
    const values: VariableValue[] = [
      {
        secretName: 'database',
        secretVar: 'password',
        when: {
          branch: {
            include: [
              { type: 'simple', match: 'main' },
              { type: 'regexp', match: '^release-.*$' },
            ],
          },
        },
      },
      { secretName: 'database', secretVar: 'password' },
    ];
    const v = await a.client.createVariable('project', appPath, { name: 'DBPASS', values });
    expect(v).toMatchObject({ name: 'DBPASS', values, parentType: 'project', parentPath: appPath });
    await a.client.createVariable('projectgroup', 'org/acme', { name: 'GLOBAL', values: [{ secretName: 'global', secretVar: 'k' }] });

    const badRegexp = await remoteError(
      a.client.createVariable('project', appPath, {
        name: 'BAD',
        values: [{ secretName: 's', secretVar: 'k', when: { tag: { exclude: [{ type: 'regexp', match: '(' }] } } }],
      }),
    );
    expect(badRegexp.status).toBe(400);
    expect(badRegexp.code).toBe('invalidRequest');
    expect(badRegexp.message).toBe('body.values.0.when.tag.exclude.0.match "(" is not a regular expression that compiles (JavaScript syntax)');
    const noValues = await remoteError(a.client.createVariable('project', appPath, { name: 'NONE', values: [] }));
    expect([noValues.status, noValues.message]).toEqual([400, 'body.values must NOT have fewer than 1 items']);
    const dup = await remoteError(b.client.createVariable('project', app.id, { name: 'DBPASS', values }));
    expect([dup.status, dup.message, dup.code]).toEqual([409, `variable "DBPASS" already exists in project "${appPath}"`, 'variableExists']);
    const badUpdate = await remoteError(
      a.client.updateVariable('project', appPath, 'DBPASS', {
        values: [{ secretName: 's', secretVar: 'k', when: { ref: { include: [{ type: 'regexp', match: '[' }] } } }],
      }),
    );
    expect(badUpdate.status).toBe(400);

    const updated = await a.client.updateVariable('project', appPath, 'DBPASS', { name: 'DB-PASS', values: values.slice(1) });
    expect(updated).toMatchObject({ id: v.id, name: 'DB-PASS', values: values.slice(1) });
    const tree = await a.client.listVariables('project', appPath, { tree: true });
    expect(tree.items.map((x) => [x.parentPath, x.name])).toEqual([
      [appPath, 'DB-PASS'],
      ['org/acme', 'GLOBAL'],
    ]);
    await a.client.deleteVariable('projectgroup', 'org/acme', 'GLOBAL');
    const gone = await remoteError(a.client.deleteVariable('projectgroup', 'org/acme', 'GLOBAL'));
    expect([gone.status, gone.message, gone.code]).toEqual([404, 'variable "GLOBAL" does not exist in project group "org/acme"', 'variableNotFound']);
  });

  it('deletes a project with its secrets and variables, and an empty group with its own', async () => {
    const p = await createApp('doomed', 'org/acme/team');
    const s = await a.client.createSecret('project', p.id, { name: 's', ...internal({ k: 'v' }) });
    const v = await a.client.createVariable('project', p.id, { name: 'V', values: [{ secretName: 's', secretVar: 'k' }] });
    await a.client.deleteProject(p.id);
    expect([stored(DataType.secret, s.id), stored(DataType.variable, v.id)]).toEqual([undefined, undefined]);
    // a new project of the same name starts empty
    const again = await createApp('doomed', 'org/acme/team');
    expect((await a.client.listSecrets('project', again.id)).items).toEqual([]);

    const g = await a.client.createProjectGroup({ name: 'temp', parentRef: 'org/acme', visibility: pub });
    const gs = await a.client.createSecret('projectgroup', g.id, { name: 's', ...internal({ k: 'v' }) });
    const gv = await a.client.createVariable('projectgroup', g.id, { name: 'V', values: [{ secretName: 's', secretVar: 'k' }] });
    await a.client.deleteProjectGroup('org/acme/temp');
    expect([stored(DataType.secret, gs.id), stored(DataType.variable, gv.id)]).toEqual([undefined, undefined]);
  });

  it('never lets a secret creation and its project deletion both commit', async () => {
    for (let i = 0; i < 3; i++) {
      const p = await createApp(`short${i}`, 'org/acme/team');
      const [created, deleted] = await Promise.allSettled([
        b.client.createSecret('project', p.id, { name: 's', ...internal({ k: 'v' }) }),
        a.client.deleteProject(p.id),
      ]);
      expect(deleted.status).toBe('fulfilled');
      if (created.status === 'fulfilled') expect(stored(DataType.secret, created.value.id)).toBeUndefined();
      else expect((created.reason as RemoteError).status).toBe(404);
    }
  });

  it('lets 30 concurrent creations of different secret names in one project, on both instances, all succeed', async () => {
    const p = await createApp('crowded', 'org/acme/team');
    await synced(a, b);
    const names = Array.from({ length: 30 }, (_, i) => `s${String(i).padStart(2, '0')}`);
    const { result: created, conflicts } = await countingConflicts([a, b], () =>
      Promise.all(names.map((name, i) => (i % 2 ? a : b).client.createSecret('project', p.id, { name, ...internal({ n: String(i) }) }))),
    );
    // siblings never conflict: not even a retry inside the servers
    expect(conflicts).toBe(0);
    expect(created.map((s) => s.name)).toEqual(names);
    await synced(a, b);
    for (const i of [a, b]) expect((await i.client.listSecrets('project', p.id, { limit: 500 })).items.map((s) => s.name)).toEqual(names);
    // and variables under one group
    const vars = Array.from({ length: 30 }, (_, i) => `V${String(i).padStart(2, '0')}`);
    const variables = await countingConflicts([a, b], () =>
      Promise.all(vars.map((name, i) => (i % 2 ? a : b).client.createVariable('project', p.id, { name, values: [{ secretName: 's00', secretVar: 'n' }] }))),
    );
    expect(variables.conflicts).toBe(0);
    expect((await a.client.listVariables('project', p.id, { limit: 500 })).items.map((v) => v.name).sort()).toEqual(vars);
  });

  it('publishes the routes in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${a.url}/api/v1alpha/openapi.json`)).json()) as { paths: Record<string, object> };
    for (const path of [
      '/api/v1alpha/projectgroups/{ref}/subgroups',
      '/api/v1alpha/projects/{ref}',
      '/api/v1alpha/projects/{ref}/secrets/{name}',
      '/api/v1alpha/projectgroups/{ref}/variables',
    ]) {
      expect(Object.keys(doc.paths)).toContain(path);
    }
  });

  it.each([
    ['".." in a project ref', 'GET', '/projects/org%2Facme%2F..%2Fapp/secrets', undefined, 400, /".." is not allowed in a path/],
    ['a name that is not an id', 'GET', '/projectgroups/team/variables', undefined, 400, /not an id and not a path/],
    [
      'an invalid secret name',
      'PUT',
      `/projects/${encodeURIComponent(appPath)}/secrets/%2E%2E%2Fx`,
      JSON.stringify({ data: { k: 'v' } }),
      400,
      /^params\.name "\.\.\/x": must start with a letter/,
    ],
    ['a bad tree flag', 'GET', `/projects/${encodeURIComponent(appPath)}/secrets?tree=maybe`, undefined, 400, /tree must be boolean/],
    ['a bad cursor', 'GET', `/projects/${encodeURIComponent(appPath)}/secrets?cursor=zzz`, undefined, 400, /^querystring\.cursor "zzz" is not the nextCursor/],
    [
      'a bad when type',
      'POST',
      '/projectgroups/org%2Facme/variables',
      JSON.stringify({ name: 'W', values: [{ secretName: 's', secretVar: 'k', when: { branch: { include: [{ type: 'glob', match: '*' }] } } }] }),
      400,
      /^body\.values\.0\.when\.branch\.include\.0\.type must be one of simple, regexp$/,
    ],
    [
      'a missing project',
      'POST',
      '/projects/org%2Facme%2Fteam%2Fnope/secrets',
      JSON.stringify({ name: 'x', type: 'internal', data: { k: 'v' } }),
      404,
      /project "org\/acme\/team\/nope" does not exist/,
    ],
    ['a missing group', 'GET', '/projectgroups/org%2Facme%2Fnope/secrets', undefined, 404, /project group "org\/acme\/nope" does not exist/],
  ])('answers %s with a JSON 4xx and changes nothing', async (_what, method, path, body, status, message) => {
    const before = await a.client.listSecrets('project', appPath, { tree: true });
    const res = await raw(a.url, method, `/api/v1alpha${path}`, body);
    expect(res.status).toBe(status);
    expect(res.body.message).toMatch(message);
    expect(typeof res.body.code).toBe('string');
    expect(await a.client.listSecrets('project', appPath, { tree: true })).toEqual(before);
  });
});
