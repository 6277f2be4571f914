// What age encryption costs `configstore export` / `import`: the CLI (a child process, as in
// a Job) exporting the same data to MinIO plain, gzip, and each encrypted (with and without
// the identity that reads it back in full), then a dry-run import of each; its peak RSS
// (/usr/bin/time's maximum resident set) and wall time. BENCH_USERS users + their root groups
// (default 330 000: a ~100 MB export). Target: the encrypted runs' peak RSS stays within
// 50 MB of the plain ones' (memory must not grow with the export).
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { generateIdentity, identityToRecipient } from 'age-encryption';
import { PosixObjectStorage } from '../configstore/objectstorage/posix.js';
import { S3ObjectStorage } from '../configstore/objectstorage/s3.js';
import { down, up } from '../scripts/localenv/env.js';
import { repoRoot } from '../scripts/localenv/tools.js';
import { startConfigstore, table, verdict } from './lib.js';
import { seedUsers } from './seed.js';

const users = Number(process.env.BENCH_USERS ?? 330_000);
const run = promisify(execFile);

const env = await up();
try {
  await seedUsers(new PosixObjectStorage(join(env.dir, 'objects')), env.etcd.endpoint, '/bench/', users);
  const server = await startConfigstore(env, { CONFIGSTORE_DATA_DIR: join(env.dir, 'readdb'), CONFIGSTORE_LOG_LEVEL: 'warn' });
  const identity = await generateIdentity();
  const identityFile = join(env.dir, 'identity.txt');
  await writeFile(identityFile, identity + '\n');
  const recipient = await identityToRecipient(identity);
  const s3 = new S3ObjectStorage({
    bucket: env.s3.bucket,
    endpoint: env.s3.endpoint,
    region: env.s3.region,
    credentials: { accessKeyId: env.s3.accessKeyId, secretAccessKey: env.s3.secretAccessKey },
  });
  const url = (key: string) => `s3://${env.s3.bucket}/${key}?endpoint=${encodeURIComponent(env.s3.endpoint)}&region=${env.s3.region}`;
  const cliEnv = {
    PATH: process.env.PATH ?? '',
    CONFIGSTORE_SERVER: server.url,
    AWS_ACCESS_KEY_ID: env.s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: env.s3.secretAccessKey,
  };
  /** The CLI under /usr/bin/time: peak RSS in MB and seconds. */
  const cli = async (args: string[]) => {
    const { stderr } = await run('/usr/bin/time', ['-f', 'TIME %M %e', process.execPath, '--import', 'tsx', 'configstore/cli/main.ts', ...args], {
      cwd: repoRoot,
      env: cliEnv,
      maxBuffer: 16 * 1024 * 1024,
    });
    const [, kb, s] = /TIME (\d+) ([\d.]+)/.exec(stderr)!;
    return { mb: Number(kb) / 1024, s: Number(s) };
  };
  const cases: [string, string, string[]][] = [
    ['export ndjson', 'plain.ndjson', []],
    ['export ndjson → age', 'plain.ndjson.age', ['--encrypt-to', recipient]],
    ['export ndjson → age, read back with the identity', 'full.ndjson.age', ['--encrypt-to', recipient, '--identity-file', identityFile]],
    ['export gzip', 'gz.ndjson.gz', []],
    ['export gzip → age', 'gz.ndjson.gz.age', ['--encrypt-to', recipient]],
  ];
  const rows: [string, number, number, number][] = [];
  const peaks: Record<string, number> = {};
  for (const [name, key, args] of cases) {
    const r = await cli(['export', '--to', url(key), ...args]);
    const { size } = await s3.head(key);
    peaks[name] = r.mb;
    rows.push([`${name} (${(size / 2 ** 20).toFixed(0)} MB stored)`, r.mb, r.s, size / 2 ** 20 / r.s]);
  }
  for (const [key, args] of [
    ['plain.ndjson', []],
    ['plain.ndjson.age', ['--identity-file', identityFile]],
    ['gz.ndjson.gz.age', ['--identity-file', identityFile]],
  ] as const) {
    const r = await cli(['import', '--from', url(key), '--dry-run', ...args]);
    const { size } = await s3.head(key);
    rows.push([`import --dry-run ${key}`, r.mb, r.s, size / 2 ** 20 / r.s]);
  }
  await server.stop();
  await s3.close();
  const growth = Math.max(peaks['export ndjson → age']! - peaks['export ndjson']!, peaks['export gzip → age']! - peaks['export gzip']!);
  process.stdout.write(
    [
      `age encryption of exports: ${users} users + ${users} root groups, CLI under tsx in a child process, MinIO and the server on the same 2 cores`,
      table(rows, ['', 'peak RSS MB', 'seconds', 'MB/s stored']),
      `peak RSS of an encrypted export over the plain one: +${growth.toFixed(0)} MB (target ≤ 50 MB): ${verdict(growth <= 50)}`,
      '',
    ].join('\n'),
  );
} finally {
  await down(env.dir, { remove: true });
}
