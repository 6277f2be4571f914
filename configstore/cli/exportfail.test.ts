// `configstore export` when things go wrong, as a real process against a real server on the
// local etcd: a stored export the server's own dry-run import refuses (exit 3), an S3 object
// that reads back with other bytes than were sent (exit 3) or whose read-back is reset
// (exit 1), and an export stream cut mid-way by the network (exit 1); none leaves a file or
// temp object behind, and a previous backup at the destination survives each of them.
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTcpProxy } from '../../scripts/localenv/tcpproxy.js';
import { isolatedBucket, localEnv } from '../../scripts/localenv/testenv.js';
import { readAll } from '../objectstorage/objectstorage.js';
import { parseExportManifest } from '../types/exportmanifest.js';
import { eventually } from '../../testsupport/eventually.js';
import { testCluster, type TestCluster, type TestInstance } from '../../testsupport/instance.js';
import { exportObjects, manyUsers, seedSnapshot } from '../../testsupport/snapshot.js';
import { finishedWithin, spawnCli, type CliRun } from '../../testsupport/cli.js';
import { s3Proxy } from '../../testsupport/s3proxy.js';

/** The command to its end (killed after a minute: a case fails rather than hangs). */
const finished = (run: CliRun) => finishedWithin(run, 60_000);

describe('configstore export failures', () => {
  let source: TestCluster;
  let target: TestCluster;
  let instance: TestInstance;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'configstore-exportfail-'));
    // valid data made through the API...
    source = await testCluster('cli-exportfail-src');
    const c = (await source.start({ checkpoint: false })).client;
    for (const name of ['gitea', 'forgejo']) await c.createRemoteSource({ name, type: 'gitea', apiUrl: `https://${name}.example.com`, authType: 'password' });
    await c.createUser({ name: 'alice' });
    const la = await c.createLinkedAccount('alice', { remoteSourceRef: 'gitea', remoteUserId: '1', remoteUserName: 'alice' });
    const common = {
      parentRef: 'user/alice',
      visibility: 'public',
      remoteRepositoryConfigType: 'remotesource',
      remoteSourceRef: 'gitea',
      linkedAccountId: la.id,
      repositoryId: '1',
    } as const;
    await c.createProject({ ...common, name: 'site', repositoryPath: 'alice/site' });
    const objects = exportObjects(Buffer.from(await new Response(await c.exportStream()).arrayBuffer()));
    // ...stored with one project on a linked account of another remote source (a rule the
    // importer enforces), and with 20k users more so that an export takes a while
    const forgejo = objects.find((o) => o.type === 'remotesource' && o.data.name === 'forgejo')!.id;
    objects.find((o) => o.type === 'project')!.data.remoteSourceId = forgejo;
    target = await testCluster('cli-exportfail');
    await seedSnapshot(target, [...objects, ...manyUsers(20_000)]);
    instance = await target.start({ checkpoint: false });
  }, 120_000);
  afterAll(async () => {
    await Promise.allSettled([source?.cleanup(), target?.cleanup()]);
    await rm(dir, { recursive: true, force: true });
  });

  it('exits 3 when the server refuses a dry-run import of the stored export, and keeps no file', async () => {
    const file = join(dir, 'backup.ndjson');
    const plain = await finished(spawnCli(['export', '--to', file], { CONFIGSTORE_SERVER: instance.url }));
    expect(plain.code, plain.stderr).toBe(0); // the export itself is complete and valid
    await rm(file);

    const verified = await finished(spawnCli(['export', '--to', file, '--verify-import'], { CONFIGSTORE_SERVER: instance.url }));
    expect(verified.code).toBe(3);
    expect(verified.stdout).toBe('');
    expect(verified.stderr).toMatch(
      /^configstore: verification failed: the server refuses to import the stored export: invalid export: line \d+: project "[^"]+": linked account \S+ \(linkedAccountId\) is an account of remote source \S+, not of the project's remote source \S+\n$/,
    );
    expect(await readdir(dir)).toEqual([]);
  }, 60_000);

  const previousBackup = 'the previous backup: never overwritten or deleted by a failed export\n';
  const s3Env = () => ({
    CONFIGSTORE_SERVER: instance.url,
    AWS_ACCESS_KEY_ID: localEnv().s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: localEnv().s3.secretAccessKey,
  });

  it.each([
    [
      'flip',
      3,
      /^configstore: verification failed: the export stored at s3:\/\/\S+\/backups\/daily\.ndjson \(its temp copy\) differs from what the server sent/,
    ],
    [
      'reset',
      1,
      /^configstore: could not read back the export stored at s3:\/\/\S+\/backups\/daily\.ndjson \(its temp copy\) to verify it: .*(ECONNRESET|socket hang up|aborted).*; nothing was replaced, retry the export\n$/i,
    ],
  ] as const)(
    'keeps the previous S3 backup when the export reads back damaged (%s), exits %i and leaves no temp object',
    async (damage, code, message) => {
      const bucket = await isolatedBucket('cli-exportfail');
      const proxy = await s3Proxy(() => damage);
      try {
        await bucket.storage.put('backups/daily.ndjson', previousBackup);
        const url = `s3://${bucket.bucket}/backups/daily.ndjson?endpoint=${encodeURIComponent(proxy.endpoint)}&region=${localEnv().s3.region}`;
        const run = await finished(spawnCli(['export', '--to', url], s3Env()));
        expect(run.stdout).toBe('');
        expect(run.stderr).toMatch(message);
        expect(run.code, run.stderr).toBe(code);
        expect((await bucket.storage.list('backups/')).items.map((o) => o.key)).toEqual(['backups/daily.ndjson']);
        expect((await readAll(bucket.storage, 'backups/daily.ndjson')).toString()).toBe(previousBackup);
      } finally {
        await proxy.close();
        await bucket.cleanup();
      }
    },
    60_000,
  );

  it('keeps the previous S3 backup when the server refuses a dry-run import of the new one (exit 3), and replaces it once one verifies', async () => {
    const bucket = await isolatedBucket('cli-exportfail');
    try {
      await bucket.storage.put('backups/daily.ndjson', previousBackup);
      const url = `s3://${bucket.bucket}/backups/daily.ndjson?endpoint=${encodeURIComponent(localEnv().s3.endpoint)}&region=${localEnv().s3.region}`;
      const refused = await finished(spawnCli(['export', '--to', url, '--verify-import'], s3Env()));
      expect(refused.code, refused.stderr).toBe(3);
      expect(refused.stderr).toMatch(/^configstore: verification failed: the server refuses to import the stored export/);
      expect((await bucket.storage.list('backups/')).items.map((o) => o.key)).toEqual(['backups/daily.ndjson']);
      expect((await readAll(bucket.storage, 'backups/daily.ndjson')).toString()).toBe(previousBackup);

      const plain = await finished(spawnCli(['export', '--to', url], s3Env()));
      expect(plain.code, plain.stderr).toBe(0);
      const stored = await readAll(bucket.storage, 'backups/daily.ndjson');
      expect(JSON.parse(plain.stdout)).toMatchObject({ operation: 'export', bytes: stored.length, location: `s3://${bucket.bucket}/backups/daily.ndjson` });
      expect(stored.toString().startsWith('{"kind":"ConfigStoreExport"')).toBe(true);
      // and, written last, its manifest (the commit marker an inventory reads)
      expect((await bucket.storage.list('backups/')).items.map((o) => o.key)).toEqual(['backups/daily.ndjson', 'backups/daily.ndjson.manifest.json']);
      const manifest = parseExportManifest((await readAll(bucket.storage, 'backups/daily.ndjson.manifest.json')).toString());
      expect(manifest).toMatchObject({ key: 'backups/daily.ndjson', bytes: stored.length, sha256: JSON.parse(plain.stdout).sha256, gzip: false });
      expect(manifest!.storedSha256).toBe(createHash('sha256').update(stored).digest('hex'));

      // a failed export after it leaves both in place
      const again = await finished(spawnCli(['export', '--to', url, '--verify-import'], s3Env()));
      expect(again.code).toBe(3);
      expect((await bucket.storage.list('backups/')).items.map((o) => o.key)).toEqual(['backups/daily.ndjson', 'backups/daily.ndjson.manifest.json']);
      expect(parseExportManifest((await readAll(bucket.storage, 'backups/daily.ndjson.manifest.json')).toString())).toEqual(manifest);
    } finally {
      await bucket.cleanup();
    }
  }, 60_000);

  it.each([['backup.ndjson'], ['backup.ndjson.gz']])(
    'exits 1 when the export stream to %s is cut mid-way, and keeps no file',
    async (name) => {
      const url = new URL(instance.url);
      const proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port) });
      try {
        const run = spawnCli(['export', '--to', join(dir, name)], { CONFIGSTORE_SERVER: `http://${proxy.address}` });
        // the CLI writes its temp file beside the destination as the stream comes: cut once it holds bytes
        const temp = join(dir, `.${name}.${run.child.pid}.tmp`);
        const written = await eventually(async () => ((await stat(temp)).size > 0 ? (await stat(temp)).size : undefined), { timeoutMs: 30_000 });
        proxy.cut();
        const exit = await finished(run);
        expect(exit.code, `${written} bytes written before the cut; ${exit.stderr}`).toBe(1);
        expect(exit.stdout).toBe('');
        expect(exit.stderr).toMatch(/^configstore: the server's export stream was cut after \d+ bytes \(.+\): nothing was kept\n$/);
        expect(await readdir(dir)).toEqual([]);
        // the server lives on (its export's reads were aborted, not left to fail unheard)
        expect((await fetch(`${instance.url}/readyz`)).ok).toBe(true);
      } finally {
        await proxy.close();
      }
    },
    60_000,
  );
});
