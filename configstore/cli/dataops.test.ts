// The data commands as real processes against an in-process server on the local etcd:
// export to a file and to MinIO (verified), import with local checks, a server error passed
// through, an export rewritten between the CLI's check and its send refused by the server,
// maintenance enable/status/disable with --wait.
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateExport } from '../datamanager/exportformat.js';
import { readAll } from '../objectstorage/index.js';
import { isolatedBucket, localEnv } from '../../scripts/localenv/testenv.js';
import { eventually } from '../../testsupport/eventually.js';
import { remoteError, testCluster, type TestCluster, type TestInstance } from '../../testsupport/instance.js';
import { finishedWithin, spawnCli, type CliExit } from '../../testsupport/cli.js';
import { s3Proxy } from '../../testsupport/s3proxy.js';

type Exit = CliExit;

/** The command to its end (killed after a minute: a case fails rather than hangs). */
function runCli(args: string[], env: Record<string, string> = {}): Promise<Exit> {
  return finishedWithin(spawnCli(args, env), 60_000);
}

const resultOf = (exit: Exit) => {
  expect(exit.stderr, exit.stderr).toBe('');
  expect(exit.code).toBe(0);
  const lines = exit.stdout.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0]!) as { operation: string; objects: number; bytes: number; sha256: string; revision: string; location: string; dryRun?: boolean };
};

describe('configstore export, import and maintenance', () => {
  let cluster: TestCluster;
  let instance: TestInstance;
  let dir: string;
  let bucket: Awaited<ReturnType<typeof isolatedBucket>>;
  let server: Record<string, string>;
  let s3Env: Record<string, string>;
  let s3Url: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'configstore-dataops-'));
    cluster = await testCluster('cli-dataops');
    instance = await cluster.start();
    for (const name of ['alice', 'bob', 'carol']) await instance.client.createUser({ name });
    await instance.client.createOrg({ name: 'acme', visibility: 'public' });
    server = { CONFIGSTORE_SERVER: instance.url };
    bucket = await isolatedBucket('cli-dataops');
    const s3 = localEnv().s3;
    s3Env = { AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey };
    s3Url = `s3://${bucket.bucket}/backups/x.ndjson?endpoint=${encodeURIComponent(s3.endpoint)}&region=${s3.region}`;
  }, 60_000);
  afterAll(async () => {
    await cluster?.cleanup();
    await bucket?.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  it('exports to a file: a valid export with the objects, the result on stdout and in the termination log', async () => {
    const file = join(dir, 'backup.ndjson');
    const log = join(dir, 'termination-log');
    const result = resultOf(await runCli(['export', '--to', file], { ...server, CONFIGSTORE_TERMINATION_LOG: log }));
    const content = await readFile(file);
    const summary = await validateExport([content]);
    expect(summary.objects).toBeGreaterThanOrEqual(4); // 3 users, 1 org (and their root groups)
    expect(content.toString()).toContain('"name":"carol"');
    expect(result).toEqual({
      operation: 'export',
      objects: summary.objects,
      bytes: content.length,
      sha256: summary.sha256,
      revision: summary.header.revision,
      location: file,
    });
    expect(JSON.parse(await readFile(log, 'utf8'))).toEqual(result);
  });

  it('exports gzip to a .gz file', async () => {
    const file = join(dir, 'backup.ndjson.gz');
    const result = resultOf(await runCli(['export', '--to', file, '--verify-import'], server));
    const summary = await validateExport([gunzipSync(await readFile(file))]);
    expect(result).toMatchObject({ objects: summary.objects, sha256: summary.sha256 });
  });

  it('exports to MinIO (verified there, and by a dry-run import), then imports it with --dry-run and the right --sha256', async () => {
    const exported = resultOf(await runCli(['export', '--to', s3Url, '--verify-import'], { ...server, ...s3Env }));
    expect(exported.location).toBe(`s3://${bucket.bucket}/backups/x.ndjson`);
    const stored = await readAll(bucket.storage, 'backups/x.ndjson');
    const summary = await validateExport([stored]);
    expect(exported).toMatchObject({ objects: summary.objects, sha256: summary.sha256, bytes: stored.length });

    const imported = resultOf(await runCli(['import', '--from', s3Url, '--dry-run', '--sha256', exported.sha256], { ...server, ...s3Env }));
    expect(imported).toMatchObject({ operation: 'import', objects: summary.objects, sha256: summary.sha256, dryRun: true });
  });

  it('refuses a wrong --sha256 or a bad local file before sending: exit 2, one line', async () => {
    const file = join(dir, 'backup.ndjson');
    const wrong = 'ab'.repeat(32);
    const exit = await runCli(['import', '--from', file, '--dry-run', '--sha256', wrong], server);
    expect(exit.code).toBe(2);
    expect(exit.stdout).toBe('');
    expect(exit.stderr).toMatch(
      new RegExp(`^configstore: .*backup\\.ndjson: the export's sha256 is [0-9a-f]{64}, not ${wrong} \\(--sha256\\): refusing to import it\\n$`),
    );

    const broken = join(dir, 'broken.ndjson');
    const lines = (await readFile(file, 'utf8')).trimEnd().split('\n');
    await writeFile(broken, lines.slice(0, -1).join('\n') + '\n'); // no trailer
    const cut = await runCli(['import', '--from', broken, '--dry-run'], server);
    expect(cut.code).toBe(2);
    expect(cut.stderr).toMatch(/^configstore: .*broken\.ndjson: invalid export: the export ends at line \d+ without its trailer line: it is truncated\n$/);

    const badFlag = await runCli(['import', '--from', file, '--sha256', 'xyz'], server);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toBe('configstore: --sha256="xyz": expected 64 hex digits\n');
  });

  it("passes the server's error through: an import outside maintenance is a 409, exit 1", async () => {
    const exit = await runCli(['import', '--from', join(dir, 'backup.ndjson')], server);
    expect(exit.code).toBe(1);
    expect(exit.stdout).toBe('');
    expect(exit.stderr).toMatch(/^error: .+ \(HTTP 409, notInMaintenance\)\n$/);
  });

  it('enables maintenance and waits, imports for real, then disables it', async () => {
    const enabled = await runCli(['maintenance', 'enable', '--owner', 'cli-test', '--reason', 'restore', '--wait', '--timeout', '30s'], server);
    expect(enabled.stderr).toBe('');
    expect(enabled.code).toBe(0);
    expect(JSON.parse(enabled.stdout)).toMatchObject({ requested: true, owner: 'cli-test', reason: 'restore', allInstancesInRequestedMode: true });

    const status = await runCli(['maintenance', 'status'], server);
    expect(JSON.parse(status.stdout)).toMatchObject({ requested: true, instances: [{ mode: 'maintenance' }] });

    const other = await runCli(['maintenance', 'enable', '--owner', 'someone-else'], server);
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/^error: .+ \(HTTP 409, \w+\)\n$/);

    const imported = resultOf(await runCli(['import', '--from', join(dir, 'backup.ndjson.gz')], server));
    expect(imported).toMatchObject({ operation: 'import', dryRun: false });

    const disabled = await runCli(['maintenance', 'disable', '--owner', 'cli-test', '--wait'], server);
    expect(disabled.code).toBe(0);
    expect(JSON.parse(disabled.stdout)).toMatchObject({ requested: false, allInstancesInRequestedMode: true });
    expect((await instance.client.getUser('carol')).name).toBe('carol');
  }, 60_000);

  it('refuses an export rewritten between the local check and the send: the server answers 400 sha256Mismatch before the switch', async () => {
    const original = Buffer.from(await new Response(await instance.client.exportStream()).arrayBuffer());
    // the same export with one user renamed, trailer recomputed: as valid and as long
    const lines = original.toString().trimEnd().split('\n');
    const body = lines.slice(0, -1).join('\n').replace('"name":"alice"', '"name":"zlice"') + '\n';
    const trailer = { ...JSON.parse(lines.at(-1)!), sha256: createHash('sha256').update(body).digest('hex') };
    const rewritten = Buffer.from(body + JSON.stringify(trailer) + '\n');
    expect(rewritten.length).toBe(original.length);
    await bucket.storage.put('backups/rewritten.ndjson', original);
    const proxy = await s3Proxy((nth) => (nth === 1 ? 'pass' : { replaceWith: rewritten })); // read 1: the check; 2: the send
    await instance.client.enableMaintenance({ owner: 'sha-test' });
    try {
      const url = `s3://${bucket.bucket}/backups/rewritten.ndjson?endpoint=${encodeURIComponent(proxy.endpoint)}&region=${localEnv().s3.region}`;
      const exit = await runCli(['import', '--from', url], { ...server, ...s3Env });
      expect(exit.stdout).toBe('');
      expect(exit.stderr).toMatch(
        /^error: the export received has sha256 [0-9a-f]{64}, not [0-9a-f]{64} \(the sha256 query parameter\): it was not imported and nothing changed; .+ \(HTTP 400, sha256Mismatch\)\n$/,
      );
      expect(exit.code).toBe(1);
      // nothing changed: alice is there, no zlice
      await instance.client.disableMaintenance({ owner: 'sha-test' });
      await eventually(async () => (instance.server.maintenance.mode === 'normal' ? true : undefined), { timeoutMs: 10_000 });
      expect((await instance.client.getUser('alice')).name).toBe('alice');
      expect((await remoteError(instance.client.getUser('zlice'))).status).toBe(404);
      // the client's own option: a wrong sha256 is refused, the right one accepted
      const wrong = await remoteError(
        instance.client.importStream(rewritten, { dryRun: true, sha256: trailer.sha256.replace(/^./, (c: string) => (c === '0' ? '1' : '0')) }),
      );
      expect(wrong).toMatchObject({ status: 400, code: 'sha256Mismatch' });
      expect((await instance.client.importStream(rewritten, { dryRun: true, sha256: trailer.sha256 })).sha256).toBe(trailer.sha256);
    } finally {
      await instance.client.disableMaintenance({ owner: 'sha-test' }).catch(() => undefined);
      await proxy.close();
    }
  });

  it('refuses bad usage with exit 2', async () => {
    const cases: Array<[string[], Record<string, string>, RegExp]> = [
      [['export', '--to', join(dir, 'x.ndjson')], {}, /^configstore: no server: set CONFIGSTORE_SERVER or --server/],
      [
        ['export', '--to', join(dir, 'x.ndjson')],
        { CONFIGSTORE_SERVER: 'localhost:4000' },
        /^configstore: CONFIGSTORE_SERVER="localhost:4000": expected an http\(s\):\/\/ URL$/,
      ],
      [['export', '--to', join(dir, 'missing', 'x.ndjson')], server, /^configstore: --to=".*": the directory .* does not exist or is not writable$/],
      [['export', '--to', `s3://${bucket.bucket}`], server, /^configstore: --to=.*: the URL names a bucket but no object key/],
      [['import', '--from', join(dir, 'nope.ndjson')], server, /^configstore: --from=".*nope.ndjson": no such file$/],
      [['maintenance', 'enable', '--wait', '--timeout', 'soon'], server, /^configstore: --timeout="soon": expected a duration/],
    ];
    const exits = await Promise.all(cases.map(([args, env]) => runCli(args, env)));
    exits.forEach((exit, i) => {
      expect(exit.code, `case ${i}: ${exit.stderr}`).toBe(2);
      expect(exit.stderr.trimEnd().split('\n'), `case ${i}`).toHaveLength(1);
      expect(exit.stderr.trimEnd(), `case ${i}`).toMatch(cases[i]![2]);
      expect(exit.stdout).toBe('');
    });
  }, 60_000);
});
