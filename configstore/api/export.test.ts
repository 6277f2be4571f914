// GET /api/v1alpha/export on the real etcd and MinIO: the stream is a valid export of one
// revision (header, sorted objects, trailer with count and sha256), plain or gzip, writes
// made once it started stay out of it, it answers in maintenance mode and behind the admin
// token, and the snapshot GC never collects the files of a young snapshot under it.
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { etcdClient, isolatedBucket } from '../../scripts/localenv/testenv.js';
import { allDataTypes } from '../types/datatypes.js';
import { Checkpointer } from '../datamanager/checkpoint.js';
import { validateExport } from '../datamanager/exportformat.js';
import { compareIds, readManifest, snapshotLayout } from '../datamanager/snapshot.js';
import { parsePointer } from '../datamanager/state.js';
import type { Log } from '../log.js';
import { listAll, readAll } from '../objectstorage/objectstorage.js';
import { etcdKeys } from '../types/etcd.js';
import type { ExportHeader, ExportObjectLine, ExportTrailer } from '../types/export.js';
import { remoteError, testCluster, type TestCluster, type TestInstance } from '../../testsupport/instance.js';

const pub = 'public' as const;
const noCheckpoints = { checkpoint: false as const };
const quiet: Log = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

interface Parsed {
  bytes: Buffer;
  header: ExportHeader;
  objects: ExportObjectLine[];
  trailer: ExportTrailer;
}

function parse(bytes: Buffer): Parsed {
  const lines = bytes.toString().trimEnd().split('\n');
  return {
    bytes,
    header: JSON.parse(lines[0]!) as ExportHeader,
    objects: lines.slice(1, -1).map((l) => JSON.parse(l) as ExportObjectLine),
    trailer: JSON.parse(lines.at(-1)!) as ExportTrailer,
  };
}

async function exported(instance: TestInstance, options: { gzip?: boolean } = {}): Promise<Buffer> {
  return Buffer.from(await new Response(await instance.client.exportStream(options)).arrayBuffer());
}

/** A plain node:http GET (fetch always asks for gzip and undoes it). */
function httpGet(url: string, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    request(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

const byType = (p: Parsed, type: string) => p.objects.filter((o) => o.type === type);

describe('export', () => {
  let cluster: TestCluster;
  let cleanupStorage: () => Promise<void>;
  let a: TestInstance;

  beforeAll(async () => {
    const bucket = await isolatedBucket('export');
    cleanupStorage = bucket.cleanup;
    cluster = await testCluster('export', { storage: bucket.storage });
    a = await cluster.start(noCheckpoints);
  });
  afterAll(async () => {
    await cluster?.cleanup();
    await cleanupStorage?.();
  });

  it('exports an empty configstore as a header and a trailer', async () => {
    const p = parse(await exported(a));
    expect(p.header).toMatchObject({ kind: 'ConfigStoreExport', formatVersion: 1, epoch: 0, types: allDataTypes });
    expect(p.objects).toEqual([]);
    expect(p.trailer).toMatchObject({ kind: 'ConfigStoreExportEnd', objects: 0 });
    expect(await validateExport([p.bytes])).toMatchObject({ objects: 0 });
  });

  it('streams every object, grouped by type and sorted by id, with a trailer that checks out', async () => {
    const alice = await a.client.createUser({ name: 'alice' });
    const bob = await a.client.createUser({ name: 'bob' });
    const acme = await a.client.createOrg({ name: 'acme', visibility: pub, creatorUserRef: 'alice' });
    const team = await a.client.createProjectGroup({ name: 'team', parentRef: 'org/acme', visibility: pub });
    await a.client.createSecret('projectgroup', 'org/acme/team', { name: 'db', type: 'internal', data: { password: 'p1' } });

    const bytes = await exported(a);
    const p = parse(bytes);
    expect(p.header).toMatchObject({ kind: 'ConfigStoreExport', formatVersion: 1, epoch: 0, types: allDataTypes });
    expect(Number.isNaN(Date.parse(p.header.createdAt))).toBe(false);
    // the trailer: every object counted, the sha256 of every byte before it
    const trailerStart = bytes.lastIndexOf('\n', bytes.length - 2) + 1;
    expect(p.trailer).toEqual({
      kind: 'ConfigStoreExportEnd',
      objects: p.objects.length,
      sha256: createHash('sha256').update(bytes.subarray(0, trailerStart)).digest('hex'),
    });
    // types in the header's order, ids sorted within a type, no duplicate
    const typeIndexes = p.objects.map((o) => allDataTypes.indexOf(o.type as never));
    expect(typeIndexes).toEqual([...typeIndexes].sort((x, y) => x - y));
    for (const type of allDataTypes) {
      const ids = byType(p, type).map((o) => o.id);
      for (let i = 1; i < ids.length; i++) expect(compareIds(ids[i - 1]!, ids[i]!)).toBeLessThan(0);
    }
    expect(byType(p, 'user').map((o) => o.data.name)).toEqual(expect.arrayContaining(['alice', 'bob']));
    expect(
      byType(p, 'user')
        .map((o) => o.id)
        .sort(),
    ).toEqual([alice.id, bob.id].sort());
    expect(byType(p, 'org')).toEqual([{ type: 'org', id: acme.id, data: expect.objectContaining({ name: 'acme' }) }]);
    expect(byType(p, 'orgmember')).toHaveLength(1);
    expect(byType(p, 'projectgroup').map((o) => o.id)).toContain(team.id); // with the root groups of users and org
    expect(byType(p, 'secret').map((o) => o.data.name)).toEqual(['db']);
    for (const o of p.objects) if ('id' in o.data) expect(o.data.id).toBe(o.id);
    // the reader the import uses agrees
    expect(await validateExport([bytes])).toMatchObject({ objects: p.objects.length, sha256: p.trailer.sha256, bytes: bytes.length });
    // and the export is of the revision its header names: the pointer's, after the forced checkpoint
    const etcd = etcdClient();
    try {
      const pointer = parsePointer((await etcd.get(etcdKeys(cluster.prefix).snapshot).string())!);
      expect(p.header.revision).toBe(pointer.revision);
    } finally {
      etcd.close();
    }
  });

  it('compresses with Accept-Encoding: gzip, answers the gzip file itself with ?gzip=true', async () => {
    const plain = parse(await exported(a));
    const url = `${a.url}/api/v1alpha/export`;

    const identity = await httpGet(url, {});
    expect(identity.status).toBe(200);
    expect(identity.headers['content-type']).toMatch(/^application\/x-ndjson/);
    expect(identity.headers['content-encoding']).toBeUndefined();
    expect(parse(identity.body).objects).toEqual(plain.objects);

    const encoded = await httpGet(url, { 'accept-encoding': 'br;q=1, gzip;q=0.8' });
    expect(encoded.headers['content-encoding']).toBe('gzip');
    expect(encoded.headers['content-type']).toMatch(/^application\/x-ndjson/);
    expect(parse(gunzipSync(encoded.body)).objects).toEqual(plain.objects);
    expect((await httpGet(url, { 'accept-encoding': 'gzip;q=0' })).headers['content-encoding']).toBeUndefined();

    const file = await exported(a, { gzip: true });
    expect([...file.subarray(0, 2)]).toEqual([0x1f, 0x8b]);
    const unzipped = gunzipSync(file);
    expect(parse(unzipped).objects).toEqual(plain.objects);
    expect(await validateExport([unzipped])).toMatchObject({ objects: plain.objects.length });
    const raw = await httpGet(`${url}?gzip=true`, { 'accept-encoding': 'gzip' });
    expect(raw.headers['content-type']).toBe('application/gzip');
    expect(raw.headers['content-encoding']).toBeUndefined();
    expect(raw.headers['content-disposition']).toMatch(/^attachment; filename="configstore-export-0-\d+\.ndjson\.gz"$/);

    const bad = await httpGet(`${url}?gzip=maybe`, {});
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body.toString())).toMatchObject({ code: 'invalidRequest' });
  });

  it('holds the state of the revision it started at: later writes and checkpoints stay out, GC spares its files', async () => {
    // enough data that the stream cannot sit whole in socket buffers
    const big = 'x'.repeat(8 * 1024);
    for (let i = 0; i < 300; i += 30) {
      await Promise.all(
        Array.from({ length: 30 }, (_, j) =>
          a.client.createSecret('projectgroup', 'org/acme/team', { name: `big${String(i + j).padStart(3, '0')}`, type: 'internal', data: { v: big } }),
        ),
      );
    }
    const stream = await a.client.exportStream();
    const reader = stream.getReader();
    const chunks: Uint8Array[] = [];
    const first = await reader.read();
    chunks.push(first.value!);
    const header = JSON.parse(Buffer.from(first.value!).toString().split('\n')[0]!) as ExportHeader;

    // meanwhile: writes, checkpoints rewriting users and secrets, and a GC keeping no old snapshot
    await a.client.createUser({ name: 'late' });
    await a.client.deleteUser('bob');
    await a.client.createSecret('projectgroup', 'org/acme/team', { name: 'late', type: 'internal', data: { v: 'late' } });
    const etcd = etcdClient();
    const keys = etcdKeys(cluster.prefix);
    const gc = new Checkpointer(etcd, cluster.storage, keys, quiet, { keep: 0 });
    try {
      expect(await gc.run({ force: true })).toMatchObject({ done: true });
      await a.client.createUser({ name: 'later' });
      expect(await gc.run({ force: true })).toMatchObject({ done: true });
      // the exported snapshot is no longer the pointer's nor kept by `keep`, but it is young
      const exportedManifest = (await listKeys(snapshotLayout.manifestsPrefix)).find((k) => k.endsWith(`-${header.revision.padStart(20, '0')}.json`))!;
      expect(exportedManifest).toBeDefined();
      const files = Object.values((await readManifest(cluster.storage, exportedManifest)).files).map((f) => f.key);
      const present = new Set(await listKeys(snapshotLayout.dataPrefix));
      expect(files.filter((f) => !present.has(f))).toEqual([]);

      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
      }
      const bytes = Buffer.concat(chunks);
      const p = parse(bytes);
      expect(await validateExport([bytes])).toMatchObject({ objects: p.objects.length });
      expect(p.header.revision).toBe(header.revision);
      const userNames = byType(p, 'user').map((o) => o.data.name);
      expect(userNames).toContain('bob');
      expect(userNames).not.toContain('late');
      const secretNames = byType(p, 'secret').map((o) => o.data.name);
      expect(secretNames).toHaveLength(301);
      expect(secretNames).not.toContain('late');

      // the next export has them all
      const next = parse(await exported(a));
      expect(BigInt(next.header.revision)).toBeGreaterThan(BigInt(header.revision));
      expect(byType(next, 'user').map((o) => o.data.name)).toEqual(expect.arrayContaining(['late', 'later']));
      expect(byType(next, 'user').map((o) => o.data.name)).not.toContain('bob');

      // once old enough (here: at once) the exported snapshot is collected like any other
      const collector = new Checkpointer(etcd, cluster.storage, keys, quiet, { keep: 0, minSnapshotAgeMs: 0 });
      const collected = await collector.collectGarbage();
      expect(collected.manifests).toBeGreaterThan(0);
      expect(await listKeys(snapshotLayout.manifestsPrefix)).not.toContain(exportedManifest);
      const left = new Set(await listKeys(snapshotLayout.dataPrefix));
      const pointer = parsePointer((await etcd.get(keys.snapshot).string())!);
      const current = Object.values((await readManifest(cluster.storage, pointer.manifest)).files).map((f) => f.key);
      expect(current.every((f) => left.has(f))).toBe(true);
      expect(files.filter((f) => !current.includes(f) && left.has(f))).toEqual([]);
    } finally {
      etcd.close();
    }
  });

  it('answers in maintenance mode, when writes are refused', async () => {
    const etcd = etcdClient();
    const keys = etcdKeys(cluster.prefix);
    try {
      await etcd
        .put(keys.maintenance)
        .value(JSON.stringify({ requestedAt: new Date().toISOString(), requestedBy: 'export.test', reason: 'test', owner: 'export.test' }));
      const err = await remoteError(a.client.createUser({ name: 'during-maintenance' }));
      expect(err.status).toBe(503);
      const p = parse(await exported(a));
      expect(await validateExport([p.bytes])).toMatchObject({ objects: p.objects.length });
      expect(byType(p, 'user').map((o) => o.data.name)).toEqual(expect.arrayContaining(['alice', 'late', 'later']));
    } finally {
      await etcd.delete().key(keys.maintenance);
      etcd.close();
    }
  });

  it('needs the admin token when the server has one', async () => {
    const guarded = await cluster.start({ ...noCheckpoints, adminToken: 's3cret' });
    expect((await remoteError(guarded.client.exportStream())).status).toBe(401);
    const { ConfigStoreClient } = await import('../client/index.js');
    expect((await remoteError(new ConfigStoreClient(guarded.url, { token: 'wrong' }).exportStream())).status).toBe(403);
    const bytes = Buffer.from(await new Response(await new ConfigStoreClient(guarded.url, { token: 's3cret' }).exportStream()).arrayBuffer());
    expect(await validateExport([bytes])).toMatchObject({ objects: parse(bytes).objects.length });
  });

  it('answers a JSON error, not a stream, when the snapshot cannot be read', async () => {
    const etcd = etcdClient();
    try {
      const pointer = parsePointer((await etcd.get(etcdKeys(cluster.prefix).snapshot).string())!);
      const body = await readAll(cluster.storage, pointer.manifest);
      await cluster.storage.delete(pointer.manifest);
      try {
        const res = await fetch(`${a.url}/api/v1alpha/export`);
        expect(res.status).toBe(503);
        expect(res.headers.get('content-type')).toMatch(/^application\/json/);
        // the forced checkpoint's GC trips on the missing manifest first, or the export's own read does
        const error = (await res.json()) as { message: string; code: string };
        expect(error.code).toMatch(/^snapshot(Unavailable|Unreadable)$/);
        expect(error.message).toMatch(/^the snapshot to export (could not be taken|cannot be read)/);
      } finally {
        await cluster.storage.put(pointer.manifest, body);
      }
    } finally {
      etcd.close();
    }
  });

  async function listKeys(prefix: string): Promise<string[]> {
    const out: string[] = [];
    for await (const o of listAll(cluster.storage, prefix)) out.push(o.key);
    return out;
  }
});
