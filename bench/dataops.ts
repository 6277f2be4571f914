// Export and import throughput and memory: N users + their N root project groups
// (BENCH_OBJECTS = N list, default 50000,500000: 100k and 1M objects) seeded as a snapshot, then GET /export streamed to a file and POST /import of that file
// (in maintenance). Reports objects/s and the peak RSS of this process, which runs the
// server (SQLite on disk) and the client. Targets: export ≥ 100k objects/s, import ≥ 50k/s,
// peak RSS flat and < 150 MB at 1M.
import { createReadStream, createWriteStream, mkdtempSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { pipeline } from 'node:stream/promises';
import { createServer } from '../configstore/api/server.js';
import { ConfigStoreClient } from '../configstore/client/index.js';
import { PosixObjectStorage } from '../configstore/objectstorage/posix.js';
import { benchEnv, table, verdict } from './lib.js';
import { seedUsers } from './seed.js';

const sizes = (process.env.BENCH_OBJECTS ?? '50000,500000').split(',').map(Number);

/** Samples RSS every 20 ms; `stop` returns the peak in MB. */
function rssSampler(): { start: number; stop(): number } {
  const start = Math.round(process.memoryUsage.rss() / 2 ** 20);
  let peak = process.memoryUsage.rss();
  const t = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
  return { start, stop: () => (clearInterval(t), Math.round(peak / 2 ** 20)) };
}

const rows: Array<[string, number, number, number, number]> = [];
const checks: string[] = [];
for (const n of sizes) {
  const env = await benchEnv('dataops');
  try {
    const ost = new PosixObjectStorage(join(env.dir, 'objects'));
    const prefix = '/bench-dataops/';
    await seedUsers(ost, env.etcd.endpoint, prefix, n);

    const server = await createServer({ etcdEndpoints: [env.etcd.endpoint], etcdPrefix: prefix, objectStorage: ost, logger: false, dataDir: mkdtempSync(join(env.dir, 'readdb-')), checkpoint: false });
    const url = await server.app.listen({ host: '127.0.0.1', port: 0 });
    const client = new ConfigStoreClient(url);
    const out = join(env.dir, 'export.ndjson');
    global.gc?.();

    let rss = rssSampler();
    let t = performance.now();
    await pipeline(Readable.fromWeb((await client.exportStream()) as WebReadableStream), createWriteStream(out));
    const exportS = (performance.now() - t) / 1000;
    const exportRss = rss.stop();
    const exportBase = rss.start;
    const bytes = (await stat(out)).size;

    await client.enableMaintenance({ owner: 'bench' });
    global.gc?.();
    rss = rssSampler();
    t = performance.now();
    const result = await client.importStream(createReadStream(out)) // a Node stream: Readable.toWeb reads ahead without backpressure;
    const importS = (performance.now() - t) / 1000;
    const importRss = rss.stop();
    const importBase = rss.start;
    const objects = 2 * n;
    if (result.objects !== objects) throw new Error(`import reported ${result.objects} objects, expected ${objects}`);
    await client.disableMaintenance({ owner: 'bench' });
    await server.close(1000);

    rows.push([`export ${objects} objects (${(bytes / 2 ** 20).toFixed(0)} MB)`, Math.round(objects / exportS), exportS, exportBase, exportRss]);
    rows.push([`import ${objects} objects`, Math.round(objects / importS), importS, importBase, importRss]);
    checks.push(`${objects} objects: export ${Math.round(objects / exportS)}/s (≥ 100k: ${verdict(objects / exportS >= 100_000)}), import ${Math.round(objects / importS)}/s (≥ 50k: ${verdict(objects / importS >= 50_000)}), peak RSS ${Math.max(exportRss, importRss)} MB (< 150: ${verdict(Math.max(exportRss, importRss) < 150)})`);
  } finally {
    await env.cleanup();
  }
}
process.stdout.write(
  [
    'export/import: one process runs the server (SQLite on disk, posix object storage) and the client; peak RSS of that process',
    table(rows, ['', 'objects/s', 'seconds', 'RSS before MB', 'peak RSS MB']),
    ...checks,
    '',
  ].join('\n'),
);
