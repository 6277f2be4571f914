// An import failing while its body is still coming, on the real etcd: maintenance ends (or
// ends and starts again) or the snapshot pointer moves meanwhile → 409; the client goes
// away half-way → nothing changes, the server lives on and the next import works; an error
// early in a large export → a 400 once the body is in (not a connection left hanging).
// Each time the old data stays served and the import's staged files go.
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { etcdClient } from '../../scripts/localenv/testenv.js';
import { allDataTypes } from '../types/datatypes.js';
import { listAll } from '../objectstorage/objectstorage.js';
import { exportFormatVersion, exportHeaderKind, exportTrailerKind } from '../types/export.js';
import { etcdKeys } from '../types/etcd.js';
import { eventually } from '../../testsupport/eventually.js';
import { remoteError, testCluster, type TestCluster, type TestInstance } from '../../testsupport/instance.js';
import { manyUsers, seedSnapshot } from '../../testsupport/snapshot.js';

const users = 5000;

/** A valid export of `users` users and their root groups, and where its user lines end. */
function buildExport(header: string): { body: Buffer; afterUsers: number } {
  const objects = [...manyUsers(users)].sort((a, b) => (a.type === b.type ? 0 : a.type === 'user' ? -1 : 1));
  const lines = [header, ...objects.map((o) => JSON.stringify(o))].map((l) => l + '\n');
  const text = lines.join('');
  const sha256 = createHash('sha256').update(text).digest('hex');
  const trailer = JSON.stringify({ kind: exportTrailerKind, objects: objects.length, sha256 }) + '\n';
  // 100 group lines past the users: the server has then staged the users' data file
  return { body: Buffer.from(text + trailer), afterUsers: Buffer.byteLength(lines.slice(0, 1 + users + 100).join('')) };
}

type Answer = { status: number; body: { message: string; code: string } };

/** A POST /import whose body the test sends piece by piece, or abandons. */
function upload(url: string, gzip = false) {
  const req = request(`${url}/api/v1alpha/import`, { method: 'POST', headers: { 'content-type': gzip ? 'application/gzip' : 'application/x-ndjson' } });
  const answer = new Promise<Answer>((resolve, reject) => {
    req.on('response', (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) as Answer['body'] }));
    });
    req.on('error', reject);
  });
  return {
    write: (chunk: Buffer) => new Promise<void>((resolve, reject) => req.write(chunk, (err) => (err ? reject(err) : resolve()))),
    end: (chunk: Buffer) => (req.end(chunk), answer),
    abort: () => (answer.catch(() => undefined), req.destroy()),
  };
}

describe('an import failing mid-body', () => {
  let cluster: TestCluster;
  let c: TestInstance;
  let exp: ReturnType<typeof buildExport>;

  /** Files of the import's snapshot (epoch 1): data files and manifest. */
  async function staged(): Promise<string[]> {
    const keys: string[] = [];
    for await (const o of listAll(cluster.storage, 'snapshots/')) if (o.key.includes('/0000000001-')) keys.push(o.key);
    return keys;
  }
  const inMode = (mode: 'normal' | 'maintenance') => eventually(async () => (c.server.maintenance.mode === mode ? true : undefined), { timeoutMs: 15_000 });

  /** Sends the export up to past its users, waits until the server has staged them, runs `meanwhile`, sends the rest. */
  async function interrupted(meanwhile: () => Promise<void>): Promise<Answer> {
    const up = upload(c.url);
    try {
      await up.write(exp.body.subarray(0, exp.afterUsers));
      await eventually(async () => ((await staged()).length > 0 ? true : undefined), { timeoutMs: 30_000 });
      await meanwhile();
    } catch (err) {
      up.abort(); // else the import waits for the rest, holding the lock
      throw err;
    }
    return up.end(exp.body.subarray(exp.afterUsers));
  }

  /** Leaves maintenance: the old data is served (with what was written meanwhile), nothing of the import's, no staged file. */
  async function oldDataServed(): Promise<void> {
    if ((await c.client.getMaintenance()).requested) await c.client.disableMaintenance();
    await inMode('normal');
    expect((await c.client.getUser('old')).name).toBe('old');
    expect((await remoteError(c.client.getUser('seeded0'))).httpStatus).toBe(404);
    await eventually(async () => ((await staged()).length === 0 ? true : undefined), { timeoutMs: 10_000 });
  }

  beforeAll(async () => {
    cluster = await testCluster('import-fail');
    // the old data, in a snapshot (a pointer to move)
    const createdAt = new Date().toISOString();
    const [user, group] = ['a0000000-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-000000000002'];
    await seedSnapshot(cluster, [
      { type: 'user', id: user, data: { id: user, name: 'old', createdAt } },
      { type: 'projectgroup', id: group, data: { id: group, name: '', parentType: 'user', parentId: user, visibility: 'public', createdAt } },
    ]);
    c = await cluster.start({ checkpoint: false });
    exp = buildExport(
      JSON.stringify({
        kind: exportHeaderKind,
        formatVersion: exportFormatVersion,
        revision: '1',
        epoch: 0,
        createdAt: new Date().toISOString(),
        types: allDataTypes,
      }),
    );
  }, 60_000);
  afterAll(() => cluster?.cleanup());
  beforeEach(async () => {
    await c.client.enableMaintenance({ owner: 'test' });
    await inMode('maintenance');
  });

  it('answers 409 when maintenance ends meanwhile; writes made after are kept', async () => {
    const answer = await interrupted(async () => {
      await c.client.disableMaintenance();
      await inMode('normal');
      await c.client.createUser({ name: 'meanwhile' });
    });
    expect(answer.status).toBe(409);
    expect(answer.body).toMatchObject({ code: 'importSuperseded' });
    expect(answer.body.message).toMatch(/maintenance mode ended while the import was running/);
    await oldDataServed();
    expect((await c.client.getUser('meanwhile')).name).toBe('meanwhile');
  });

  it('answers 409 when maintenance ends and starts again meanwhile (writes may have come in between)', async () => {
    const answer = await interrupted(async () => {
      await c.client.disableMaintenance();
      await inMode('normal');
      await c.client.enableMaintenance({ owner: 'test' });
    });
    expect(answer.status).toBe(409);
    expect(answer.body.message).toMatch(/maintenance mode ended while the import was running/);
    await oldDataServed();
  });

  it('answers 409 when the snapshot pointer moves meanwhile', async () => {
    const answer = await interrupted(async () => {
      const etcd = etcdClient();
      try {
        // what a checkpoint that took the lock after ours expired would do
        const key = etcdKeys(cluster.prefix).snapshot;
        await etcd.put(key).value((await etcd.get(key).string())!);
      } finally {
        etcd.close();
      }
    });
    expect(answer.status).toBe(409);
    expect(answer.body.message).toMatch(/the snapshot pointer moved while the import was running/);
    await oldDataServed();
  });

  it.each([['plain'], ['gzip']])('survives a client that goes away half-way (%s body)', async (kind) => {
    const gzip = kind === 'gzip';
    // gzip: two members, the first ending past the users (a gunzip reads them as one stream)
    const first = exp.body.subarray(0, exp.afterUsers);
    const up = upload(c.url, gzip);
    await up.write(gzip ? gzipSync(first) : first);
    await eventually(async () => ((await staged()).length > 0 ? true : undefined), { timeoutMs: 30_000 });
    up.abort();
    // the import gives up and its files go; the server goes on
    await eventually(async () => ((await staged()).length === 0 ? true : undefined), { timeoutMs: 10_000 });
    expect((await fetch(`${c.url}/readyz`)).ok).toBe(true);
    await oldDataServed();
  });

  it.each([
    ['line 2 is not JSON', false, /line 2 is not JSON/],
    ['an invalid object half-way', true, /line \d+: projectgroup "[^"]+": data: missing field "name"/],
  ] as const)('answers 400 to a large export where %s (dryRun %s) at once, not a reset connection', async (_, dryRun, message) => {
    const lines = exp.body.toString().split('\n');
    if (dryRun) lines[users + 10] = lines[users + 10]!.replace('"name":"",', '');
    else lines[1] = 'not json';
    const started = Date.now();
    const err = await remoteError(c.client.importStream(Buffer.from(lines.join('\n')), { dryRun, signal: AbortSignal.timeout(30_000) }));
    expect(err.httpStatus).toBe(400);
    expect(err.message).toMatch(message);
    // the rest of the body is read as it comes, not waited for until the 10 s bound
    expect(Date.now() - started).toBeLessThan(8000);
    await oldDataServed();
  });

  it('after all that, the import goes through (the failed ones released the lock) in plain and gzip', async () => {
    const gzip = Buffer.concat([gzipSync(exp.body.subarray(0, exp.afterUsers)), gzipSync(exp.body.subarray(exp.afterUsers))]);
    expect(await c.client.importStream(gzip, { gzip: true, dryRun: true })).toMatchObject({ objects: 2 * users });
    expect(await c.client.importStream(exp.body)).toMatchObject({ objects: 2 * users, epoch: 1, dryRun: false });
    await c.client.disableMaintenance();
    await inMode('normal');
    expect((await c.client.getUser('seeded0')).name).toBe('seeded0');
    expect((await remoteError(c.client.getUser('old'))).httpStatus).toBe(404);
  });
});
