// POST /api/v1alpha/import on the real etcd (and MinIO for the importing clusters): an export
// of one cluster imported into another replaces its data on every instance and exports
// back identically; outside maintenance it is refused, a dry run validates in any mode, and
// every kind of damaged export (on MinIO), or one breaking a rule the API enforces, is a 400
// naming the problem that changes nothing and leaves no staged file behind.
import { createHash, randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { etcdClient, isolatedBucket } from '../../scripts/localenv/testenv.js';
import { snapshotLayout } from '../datamanager/snapshot.js';
import { listAll, type ObjectStorage } from '../objectstorage/objectstorage.js';
import { etcdKeys } from '../types/etcd.js';
import type { CreateRemoteSourceRequest } from '../types/index.js';
import type { InstanceMode } from '../types/maintenance.js';
import { eventually } from '../../testsupport/eventually.js';
import { remoteError, testCluster, type TestCluster, type TestInstance } from '../../testsupport/instance.js';

const pub = 'public' as const;
const noCheckpoints = { checkpoint: false as const };

async function exported(instance: TestInstance): Promise<Buffer> {
  return Buffer.from(await new Response(await instance.client.exportStream()).arrayBuffer());
}

/** The object lines of an export (header and trailer dropped). */
const objectLines = (bytes: Buffer) => bytes.toString().trimEnd().split('\n').slice(1, -1);

/** An export of these header and object lines with a trailer that checks out. */
function build(header: string, objects: string[]): Buffer {
  const body = [header, ...objects].map((l) => l + '\n').join('');
  const sha256 = createHash('sha256').update(body).digest('hex');
  return Buffer.from(body + JSON.stringify({ kind: 'ConfigStoreExportEnd', objects: objects.length, sha256 }) + '\n');
}

function inMode(instances: TestInstance[], mode: InstanceMode): Promise<true> {
  return eventually(async () => (instances.every((i) => i.server.maintenance.mode === mode) ? true : undefined), { timeoutMs: 15_000 });
}

async function stagedKeys(ost: ObjectStorage): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of listAll(ost, 'snapshots/')) keys.push(o.key);
  return keys.sort();
}

const source = (name: string): CreateRemoteSourceRequest => ({ name, type: 'gitea', apiUrl: `https://${name}.example.com`, authType: 'password' });

/** Users, an org with a member, groups, a project on a remote source and linked account (of two, two), secrets and variables. */
async function populate(c: TestInstance['client']): Promise<void> {
  await c.createRemoteSource(source('gitea'));
  await c.createRemoteSource(source('forgejo'));
  await c.createUser({ name: 'alice' });
  await c.createUser({ name: 'bob' });
  await c.createUserToken('alice', { name: 'ci' });
  const la = await c.createLinkedAccount('alice', { remoteSourceRef: 'gitea', remoteUserId: '1', remoteUserName: 'alice' });
  await c.createLinkedAccount('bob', { remoteSourceRef: 'gitea', remoteUserId: '2', remoteUserName: 'bob' });
  await c.createOrg({ name: 'acme', visibility: pub, creatorUserRef: 'alice' });
  await c.setOrgMember('acme', 'bob', 'member');
  await c.createProjectGroup({ name: 'apps', parentRef: 'org/acme', visibility: pub });
  await c.createProjectGroup({ name: 'web', parentRef: 'org/acme/apps', visibility: 'private' });
  await c.createProjectGroup({ name: 'tools', parentRef: 'user/bob', visibility: pub });
  await c.createProject({
    name: 'site',
    parentRef: 'org/acme/apps/web',
    visibility: pub,
    remoteRepositoryConfigType: 'remotesource',
    remoteSourceRef: 'gitea',
    linkedAccountId: la.id,
    repositoryId: '42',
    repositoryPath: 'acme/site',
  });
  await c.createSecret('projectgroup', 'org/acme/apps', { name: 'db', type: 'internal', data: { password: 'p1' } });
  await c.createSecret('project', 'org/acme/apps/web/site', { name: 'deploy', type: 'internal', data: { key: 'k' } });
  await c.createVariable('project', 'org/acme/apps/web/site', { name: 'dbPassword', values: [{ secretName: 'db', secretVar: 'password' }] });
}

describe('import', () => {
  let clusterA: TestCluster;
  let clusterB: TestCluster;
  let cleanupBucket: () => Promise<void>;
  let a: TestInstance;
  let b1: TestInstance;
  let b2: TestInstance;
  let exportA: Buffer;

  beforeAll(async () => {
    const bucket = await isolatedBucket('import');
    cleanupBucket = bucket.cleanup;
    clusterA = await testCluster('import-a');
    clusterB = await testCluster('import-b', { storage: bucket.storage });
    a = await clusterA.start(noCheckpoints);
    [b1, b2] = await Promise.all([clusterB.start(noCheckpoints), clusterB.start(noCheckpoints)]);
    await populate(a.client);
    exportA = await exported(a);
    await b1.client.createUser({ name: 'old' });
  });
  afterAll(async () => {
    await Promise.allSettled([clusterA?.cleanup(), clusterB?.cleanup()]);
    await cleanupBucket?.();
  });

  it('refuses an import outside maintenance mode (409) and changes nothing', async () => {
    const err = await remoteError(b1.client.importStream(exportA));
    expect(err.httpStatus).toBe(409);
    expect(err.code).toBe('notInMaintenance');
    expect(err.message).toMatch(/maintenance mode/);
    expect((await b1.client.getUser('old')).name).toBe('old');
    expect((await remoteError(b1.client.getUser('alice'))).httpStatus).toBe(404);
  });

  it('refuses a request with no body with a 400, and a JSON or text body with a 415, each saying what to send', async () => {
    for (const [body, type, status, code, message] of [
      [
        undefined,
        undefined,
        400,
        'importBodyMissing',
        'the import needs the export as its body (application/x-ndjson, or application/gzip); this request has none',
      ],
      ['{}', 'application/json', 415, 'unsupportedMediaType', 'unsupported content type "application/json": send application/x-ndjson or application/gzip'],
      ['hello', 'text/plain', 415, 'unsupportedMediaType', 'unsupported content type "text/plain": send application/x-ndjson or application/gzip'],
    ] as const) {
      const res = await fetch(`${b1.url}/api/v1alpha/import?dryRun=true`, {
        method: 'POST',
        ...(body === undefined ? {} : { body, headers: { 'content-type': type! } }),
      });
      const answer = (await res.json()) as { message: string; code: string };
      expect([res.status, answer.code, answer.message], String(type)).toEqual([status, code, message]);
    }
    expect((await b1.client.getUser('old')).name).toBe('old');
  });

  it('validates only on a dry run, in normal mode, plain or gzip', async () => {
    const result = await b1.client.importStream(exportA, { dryRun: true });
    expect(result).toMatchObject({ dryRun: true, objects: objectLines(exportA).length, bytes: exportA.length, epoch: 1 });
    expect(result.sha256).toBe(JSON.parse(exportA.toString().trimEnd().split('\n').at(-1)!).sha256);
    expect(await b1.client.importStream(gzipSync(exportA), { dryRun: true, gzip: true })).toMatchObject({ dryRun: true, objects: result.objects });
    // a streamed body (what the CLI sends)
    expect(await b1.client.importStream(await a.client.exportStream(), { dryRun: true })).toMatchObject({ objects: result.objects });
    expect((await b1.client.getUser('old')).name).toBe('old');
    expect((await remoteError(b1.client.getUser('alice'))).httpStatus).toBe(404);
  });

  it('replaces all data in maintenance; every instance serves it after; it exports back identically', async () => {
    await b1.client.enableMaintenance({ reason: 'import' });
    await inMode([b1, b2], 'maintenance');
    const result = await b1.client.importStream(exportA);
    expect(result).toMatchObject({ dryRun: false, epoch: 1, objects: objectLines(exportA).length });
    // no WAL entry survives the switch
    const etcd = etcdClient();
    try {
      expect(await etcd.getAll().prefix(etcdKeys(clusterB.prefix).walPrefix).keys()).toEqual([]);
    } finally {
      etcd.close();
    }
    await b1.client.disableMaintenance();
    await inMode([b1, b2], 'normal');

    for (const inst of [b1, b2]) {
      expect((await remoteError(inst.client.getUser('old'))).httpStatus).toBe(404);
      expect((await inst.client.getUser('alice')).name).toBe('alice');
      expect((await inst.client.getProject('org/acme/apps/web/site')).repositoryPath).toBe('acme/site');
      expect((await inst.client.getProjectGroup('user/bob/tools')).name).toBe('tools');
      expect((await inst.client.listOrgMembers('acme')).items.map((m) => m.user.name).sort()).toEqual(['alice', 'bob']);
      expect((await inst.client.listSecrets('project', 'org/acme/apps/web/site', { tree: true })).items.map((s) => s.name)).toEqual(['deploy', 'db']);
      expect((await inst.client.listVariables('project', 'org/acme/apps/web/site')).items.map((v) => v.name)).toEqual(['dbPassword']);
    }
    const exportB = await exported(b1);
    expect(objectLines(exportB)).toEqual(objectLines(exportA));
    expect(JSON.parse(exportB.toString().split('\n')[0]!)).toMatchObject({ epoch: 1 });

    // writes go on, with the imported names taken
    expect((await remoteError(b2.client.createUser({ name: 'alice' }))).httpStatus).toBe(409);
    await b2.client.createUser({ name: 'carol' });
    await eventually(() => b1.client.getUser('carol'));
  });

  it('streams an export far larger than the body limit of other routes', async () => {
    // 800 users with their root groups, ids in order: ~250 KiB against a 64 KiB body limit
    const ids = Array.from({ length: 800 }, () => randomUUID()).sort();
    const createdAt = new Date().toISOString();
    const userLines = ids.map((id, i) => JSON.stringify({ type: 'user', id, data: { id, name: `user${i}`, createdAt } }));
    const groupIds = ids.map(() => randomUUID()).sort();
    const groupLines = groupIds.map((id, i) =>
      JSON.stringify({ type: 'projectgroup', id, data: { id, name: '', parentType: 'user', parentId: ids[i], visibility: pub, createdAt } }),
    );
    const big = build(exportA.toString().split('\n')[0]!, [...userLines, ...groupLines]);
    expect(big.length).toBeGreaterThan(200 * 1024);
    expect(await b1.client.importStream(big, { dryRun: true })).toMatchObject({ objects: 1600, bytes: big.length });
  });
});

describe('import of a damaged export', () => {
  let cluster: TestCluster;
  let c: TestInstance;
  let valid: Buffer;
  let header: string;
  let lines: string[];
  let cleanupBucket: () => Promise<void>;

  beforeAll(async () => {
    const bucket = await isolatedBucket('import-bad');
    cleanupBucket = bucket.cleanup;
    cluster = await testCluster('import-bad', { storage: bucket.storage });
    c = await cluster.start(noCheckpoints);
    await populate(c.client);
    valid = await exported(c);
    header = valid.toString().split('\n')[0]!;
    lines = objectLines(valid);
    await c.client.enableMaintenance();
    await inMode([c], 'maintenance');
  });
  afterAll(async () => {
    await cluster?.cleanup();
    await cleanupBucket?.();
  });

  const edit = (type: string, change: (o: { type: string; id: string; data: Record<string, unknown> }) => void) =>
    lines.map((l) => {
      const o = JSON.parse(l) as { type: string; id: string; data: Record<string, unknown> };
      if (o.type !== type) return l;
      change(o);
      return JSON.stringify(o);
    });
  const users = () => lines.filter((l) => l.includes('"type":"user"'));
  const forgejo = () => (JSON.parse(lines.find((l) => l.includes('"name":"forgejo"'))!) as { id: string }).id;
  const badRegexp = { type: 'regexp', match: '(' };
  const cases: Array<[string, () => Buffer | string, RegExp]> = [
    ['empty', () => '', /the export is empty/],
    ['not JSON', () => 'hello\n', /line 1 is not JSON/],
    ['truncated', () => valid.subarray(0, valid.length - 200), /truncated|line \d+ is not JSON/],
    ['without its trailer', () => Buffer.from([header, ...lines].join('\n') + '\n'), /without its trailer line: it is truncated/],
    [
      'a wrong hash',
      () => Buffer.from(valid.toString().replace(/"sha256":"[0-9a-f]{64}"/, `"sha256":"${'0'.repeat(64)}"`)),
      /the export was altered or damaged/,
    ],
    [
      'a wrong count',
      () => Buffer.from(valid.toString().replace(/"objects":\d+/, `"objects":${lines.length + 1}`)),
      /the trailer counts \d+ objects but the export holds \d+/,
    ],
    ['a wrong version', () => build(header.replace('"formatVersion":1', '"formatVersion":2'), lines), /format version 2 is not supported/],
    [
      'a duplicate id',
      () =>
        build(
          header,
          lines.flatMap((l) => (l === users()[0] ? [l, l] : [l])),
        ),
      /duplicate user id/,
    ],
    [
      'the wrong order',
      () =>
        build(
          header,
          lines.map((l) => (l === users()[0] ? users()[1]! : l === users()[1] ? users()[0]! : l)),
        ),
      /must be sorted by id/,
    ],
    [
      'a dangling parent',
      () =>
        build(
          header,
          edit('secret', (o) => (o.data.parentId = randomUUID())),
        ),
      /secret .*parentId .* names no (project|projectgroup) of the export/,
    ],
    [
      'an invalid object',
      () =>
        build(
          header,
          edit('user', (o) => delete o.data.createdAt),
        ),
      /line \d+: user .*missing field "createdAt"/,
    ],
    [
      'an invalid name',
      () =>
        build(
          header,
          edit('org', (o) => (o.data.name = 'no spaces')),
        ),
      /line \d+: org .*data.name must match/,
    ],
    [
      'a name taken twice',
      () =>
        build(
          header,
          edit('user', (o) => (o.data.name = 'same')),
        ),
      /name "same" is taken twice/,
    ],
    // the API's own rules (action/), which the importer enforces too
    [
      'a project whose linked account is of another remote source',
      () =>
        build(
          header,
          edit('project', (o) => (o.data.remoteSourceId = forgejo())),
        ),
      /line \d+: project "[^"]+": linked account \S+ \(linkedAccountId\) is an account of remote source \S+, not of the project's remote source/,
    ],
    [
      'two linked accounts of one remote user',
      () =>
        build(
          header,
          edit('linkedaccount', (o) => (o.data.remoteUserId = '1')),
        ),
      /line \d+: linkedaccount "[^"]+": remote user "1" of remote source \S+ has a second linked account/,
    ],
    [
      'an unsupported repository config type',
      () =>
        build(
          header,
          edit('project', (o) => (o.data.remoteRepositoryConfigType = 'github')),
        ),
      /line \d+: project .*remoteRepositoryConfigType "github" is not supported/,
    ],
    [
      'a secret with a blank data key',
      () =>
        build(
          header,
          edit('secret', (o) => (o.data.data = { ' ': 'x' })),
        ),
      /line \d+: secret "[^"]+": secret "\w+": data keys must not be empty/,
    ],
    [
      'a variable with an invalid regexp',
      () =>
        build(
          header,
          edit('variable', (o) => ((o.data.values as Array<Record<string, unknown>>)[0]!.when = { branch: { include: [badRegexp] } })),
        ),
      /line \d+: variable .*invalid regular expression "\("/,
    ],
    ['an unknown type', () => build(header.replace('"variable"', '"gadget"'), lines), /unknown type "gadget"/],
    ['broken gzip', () => Buffer.from('not gzip at all'), /not valid gzip/],
  ];

  it.each(cases)('answers 400 to an export with %s and changes nothing', async (what, body, message) => {
    const before = await stagedKeys(cluster.storage);
    for (const dryRun of [true, false]) {
      const err = await remoteError(c.client.importStream(body(), { dryRun, gzip: what === 'broken gzip' }));
      expect(err.httpStatus, err.message).toBe(400);
      expect(err.code).toBe('invalidExport');
      expect(err.message).toMatch(message);
    }
    expect(await stagedKeys(cluster.storage)).toEqual(before);
  });

  it('still serves the old data after leaving maintenance, and the valid export imports', async () => {
    expect((await c.client.importStream(valid, { dryRun: true })).objects).toBe(lines.length);
    await c.client.disableMaintenance();
    await inMode([c], 'normal');
    expect((await c.client.getProject('org/acme/apps/web/site')).name).toBe('site');
    expect(objectLines(await exported(c))).toEqual(lines);
    // no snapshot of a new epoch was ever staged
    expect((await stagedKeys(cluster.storage)).filter((k) => k.startsWith(snapshotLayout.dataPrefix) && k.includes('/0000000001-'))).toEqual([]);
  });
});
