// Export and import throughput and memory: N users + their N root project groups
// (BENCH_OBJECTS = N list, default 50000,500000: 100k and 1M objects; 500000,2500000 for
// 1M and 5M) seeded as a snapshot, then GET /export streamed to a file and POST /import of
// that file (in maintenance), then the server's resync to the imported snapshot. The server
// is `configstore serve` in a child process (SQLite read model on disk, posix object
// storage); its peak RSS per phase is VmHWM, reset before each phase (/proc/PID/clear_refs),
// and its CPU time is reported too (steadier than wall time on a shared machine). No
// baseline runs here: the verdicts are absolute. Targets (issue 15): export ≥ 100k
// objects/s, import ≥ 150k/s with a peak RSS ≤ 200 MB, and peaks that do not grow with the
// size (the largest size's within 15 % of the smallest's, per phase).
import { createReadStream, createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigStoreClient } from '../configstore/client/index.js';
import { PosixObjectStorage } from '../configstore/objectstorage/posix.js';
import { benchEnv, startConfigstore, table, verdict } from './lib.js';
import { seedUsers } from './seed.js';

const sizes = (process.env.BENCH_OBJECTS ?? '50000,500000').split(',').map(Number);
const prefix = '/bench/'; // startConfigstore's

/** RSS of a process in MB (now, and the peak since `resetPeak`) and its CPU seconds so far. */
function procOf(pid: number): { rss(): number; resetPeak(): void; peak(): number; cpu(): number } {
  const field = (name: string) => Math.round(Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024);
  const cpu = () => {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(stat[11]) + Number(stat[12])) / 100; // utime + stime, in clock ticks of 10 ms
  };
  return { rss: () => field('VmRSS'), resetPeak: () => writeFileSync(`/proc/${pid}/clear_refs`, '5'), peak: () => field('VmHWM'), cpu };
}

const rows: Array<[string, number, number, number, number, number, string]> = [];

/** The server's V8 heap (total, used) and external memory in MB now, from its /metrics: what of its RSS is JavaScript's. */
async function heapOf(url: string): Promise<string> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const mb = (name: string) => Math.round(Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN) / 2 ** 20);
  return `${mb('nodejs_heap_size_total_bytes')}/${mb('nodejs_heap_size_used_bytes')}/${mb('nodejs_external_memory_bytes')}`;
}
const checks: string[] = [];
const peaks: Array<{ objects: number; export: number; import: number; resync: number }> = [];
for (const n of sizes) {
  const env = await benchEnv('dataops');
  try {
    await seedUsers(new PosixObjectStorage(join(env.dir, 'objects')), env.etcd.endpoint, prefix, n);
    const server = await startConfigstore(env, { CONFIGSTORE_DATA_DIR: join(env.dir, 'readdb'), CONFIGSTORE_LOG_LEVEL: 'warn' }, 60 + n / 10_000);
    const client = new ConfigStoreClient(server.url);
    const proc = procOf(server.pid);
    const out = join(env.dir, 'export.ndjson');
    const objects = 2 * n;
    const phase = async (name: string, run: () => Promise<void>) => {
      const before = proc.rss();
      proc.resetPeak();
      const cpu = proc.cpu();
      const t = performance.now();
      await run();
      const s = (performance.now() - t) / 1000;
      rows.push([name, Math.round(objects / s), s, proc.cpu() - cpu, before, proc.peak(), await heapOf(server.url)]);
      return { rate: objects / s, peak: proc.peak() };
    };

    const exp = await phase(`export ${objects} objects`, async () => {
      await pipeline(Readable.fromWeb((await client.exportStream()) as WebReadableStream), createWriteStream(out));
    });
    const bytes = (await stat(out)).size;
    rows[rows.length - 1]![0] += ` (${(bytes / 2 ** 20).toFixed(0)} MB)`;

    await client.enableMaintenance({ owner: 'bench' });
    let revision = '';
    const imp = await phase(`import ${objects} objects`, async () => {
      const result = await client.importStream(createReadStream(out));
      if (result.objects !== objects) throw new Error(`import reported ${result.objects} objects, expected ${objects}`);
      revision = result.revision;
    });
    // the import answers with the revision its switch committed at: wait until the read model has it
    const resync = await phase('resync to the imported snapshot', async () => {
      for (const deadline = Date.now() + 300_000; ; await sleep(50)) {
        const status = await client.getMaintenance();
        if (status.instances.every((i) => BigInt(i.appliedRevision) >= BigInt(revision))) break;
        if (Date.now() > deadline) throw new Error('the server did not resync to the imported snapshot within 300 s');
      }
    });
    await client.disableMaintenance({ owner: 'bench' });
    await server.stop();

    peaks.push({ objects, export: exp.peak, import: imp.peak, resync: resync.peak });
    checks.push(
      `${objects} objects: export ${Math.round(exp.rate)}/s (≥ 100k: ${verdict(exp.rate >= 100_000)}), import ${Math.round(imp.rate)}/s (≥ 150k: ${verdict(imp.rate >= 150_000)}), ` +
        `peak RSS export ${exp.peak} MB, import ${imp.peak} MB (≤ 200: ${verdict(imp.peak <= 200)}), resync ${resync.peak} MB`,
    );
  } finally {
    await env.cleanup();
  }
}
if (peaks.length > 1) {
  // memory bounded by construction: the peak of each phase must not grow with the data
  const [small, large] = [peaks[0]!, peaks[peaks.length - 1]!];
  const growth = (phase: 'export' | 'import' | 'resync') => {
    const ratio = large[phase] / small[phase];
    return `${phase} ${small[phase]} → ${large[phase]} MB (×${ratio.toFixed(2)}: ${verdict(ratio <= 1.15)})`;
  };
  checks.push(`peak RSS from ${small.objects} to ${large.objects} objects: ${growth('export')}, ${growth('import')}, ${growth('resync')}`);
}
process.stdout.write(
  [
    "export/import: configstore serve in a child process (SQLite read model on disk, posix object storage), the client in this one; RSS is the server's",
    table(rows, ['', 'objects/s', 'seconds', 'server CPU s', 'RSS before MB', 'peak RSS MB', 'heap total/used/external MB after']),
    ...checks,
    '',
  ].join('\n'),
);
