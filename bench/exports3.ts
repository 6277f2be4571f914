// Export to MinIO vs a raw multipart upload of the same bytes: GET /export streamed into an
// S3 object (what `configstore export --to s3://…` does: lib-storage multipart upload) against
// uploading the finished export file from local disk with the same uploader. Rounds in turns,
// median ratio. Target: ≥ 80 % of the raw upload's throughput. The server runs in this
// process (one core for server, client and uploader) unless BENCH_SPLIT=1: then it is
// `configstore serve` in a child process, as in production where the CLI runs elsewhere.
import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { createServer } from '../configstore/api/server.js';
import { ConfigStoreClient } from '../configstore/client/index.js';
import { PosixObjectStorage } from '../configstore/objectstorage/posix.js';
import { S3ObjectStorage } from '../configstore/objectstorage/s3.js';
import { down, up } from '../scripts/localenv/env.js';
import { median, rounds, startConfigstore, table, verdict } from './lib.js';
import { seedUsers } from './seed.js';

const users = Number(process.env.BENCH_USERS ?? 250_000);
const split = process.env.BENCH_SPLIT === '1';

const env = await up();
try {
  const prefix = '/bench/'; // startConfigstore's
  const ost = new PosixObjectStorage(join(env.dir, 'objects')); // startConfigstore's
  await seedUsers(ost, env.etcd.endpoint, prefix, users);
  const server = split
    ? await startConfigstore(env, { CONFIGSTORE_DATA_DIR: join(env.dir, 'readdb'), CONFIGSTORE_LOG_LEVEL: 'warn' })
    : await createServer({ etcdEndpoints: [env.etcd.endpoint], etcdPrefix: prefix, objectStorage: ost, logger: false, dataDir: env.dir, checkpoint: false });
  const client = new ConfigStoreClient('url' in server ? server.url : await server.app.listen({ host: '127.0.0.1', port: 0 }));
  const s3 = new S3ObjectStorage({
    bucket: env.s3.bucket,
    endpoint: env.s3.endpoint,
    region: env.s3.region,
    credentials: { accessKeyId: env.s3.accessKeyId, secretAccessKey: env.s3.secretAccessKey },
  });
  const file = join(env.dir, 'export.ndjson');
  await pipeline(Readable.fromWeb((await client.exportStream()) as WebReadableStream), createWriteStream(file));
  const bytes = (await stat(file)).size;

  const rows: Array<[string, number, number]> = [];
  const ratios: number[] = [];
  for (let round = 1; round <= rounds; round++) {
    let t = performance.now();
    await s3.put(`raw/${round}.ndjson`, createReadStream(file));
    const rawS = (performance.now() - t) / 1000;
    t = performance.now();
    await s3.put(`export/${round}.ndjson`, Readable.fromWeb((await client.exportStream()) as WebReadableStream));
    const exportS = (performance.now() - t) / 1000;
    ratios.push(rawS / exportS);
    rows.push([`round ${round}: raw multipart upload of the file`, bytes / 2 ** 20 / rawS, rawS]);
    rows.push([`round ${round}: export streamed to MinIO`, bytes / 2 ** 20 / exportS, exportS]);
  }
  await ('url' in server ? server.stop() : server.close(1000));
  await s3.close();
  const ratio = median(ratios);
  process.stdout.write(
    [
      `export to MinIO: ${users} users + ${users} root groups (${(bytes / 2 ** 20).toFixed(0)} MB), ${rounds} rounds; same uploader (lib-storage, 8 MiB parts, 2 in flight) on both sides; server ${split ? 'in a child process' : 'in this process'}`,
      table(rows, ['', 'MB/s', 'seconds']),
      `ratio per round ${ratios.map((r) => `${(r * 100).toFixed(0)} %`).join(', ')}; median ${(ratio * 100).toFixed(0)} % of the raw upload (target ≥ 80 %): ${verdict(ratio >= 0.8)}`,
      '',
    ].join('\n'),
  );
} finally {
  await down(env.dir, { remove: true });
}
