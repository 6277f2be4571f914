// Maintenance switch latency: PUT /maintenance on one of N instances → every instance reports
// `maintenance` in the etcd registry (what the operator waits for), then DELETE → every
// instance back to `normal`. p50/p99 over BENCH_CYCLES (20) cycles, for each count of
// BENCH_INSTANCES (default 1,10,100: how the cost grows; the first count is the baseline the
// others are compared with). Target (issue #15): p99 ≤ 100 ms to enter at 100 instances.
// Instances run in this process (what is measured is etcd's watch, the drain and the
// registry updates, not HTTP), on one local etcd, each count on a prefix of its own.
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigStoreClient } from '../configstore/client/index.js';
import { PosixObjectStorage } from '../configstore/objectstorage/posix.js';
import { createServer, type ConfigStoreServer } from '../configstore/api/server.js';
import { benchEnv, table, verdict } from './lib.js';

const counts = (process.env.BENCH_INSTANCES ?? '1,10,100').split(',').map(Number);
const cycles = Number(process.env.BENCH_CYCLES ?? 20);
const pct = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;

const env = await benchEnv('maintenance');

interface Run {
  instances: number;
  startSeconds: number;
  enter: number[];
  exit: number[];
}

async function measure(instances: number): Promise<Run> {
  const servers: ConfigStoreServer[] = [];
  const prefix = `/bench-maintenance-${instances}/`;
  try {
    const storage = new PosixObjectStorage(mkdtempSync(join(env.dir, 'objects-')));
    const started = performance.now();
    for (let i = 0; i < instances; i++) {
      servers.push(
        await createServer({
          etcdEndpoints: [env.etcd.endpoint],
          etcdPrefix: prefix,
          objectStorage: storage,
          logger: false,
          instanceId: `bench-${i}`,
          checkpoint: false,
        }),
      );
    }
    // the validators and serialisers each instance compiles once ready: done before measuring
    for (const s of servers) await s.compilers.compilePending();
    const startSeconds = (performance.now() - started) / 1000;
    const url = await servers[0]!.app.listen({ host: '127.0.0.1', port: 0 });
    const client = new ConfigStoreClient(url);
    const everyInstanceIn = async (mode: string) => {
      for (;;) {
        const status = await client.getMaintenance();
        if (status.instances.length === instances && status.instances.every((i) => i.mode === mode)) return;
        await new Promise((r) => setTimeout(r, 2));
      }
    };
    await client.createUser({ name: 'warm' });
    const run: Run = { instances, startSeconds, enter: [], exit: [] };
    for (let c = 0; c < cycles; c++) {
      let t = performance.now();
      await client.enableMaintenance({ owner: 'bench' });
      await everyInstanceIn('maintenance');
      run.enter.push(performance.now() - t);
      t = performance.now();
      await client.disableMaintenance({ owner: 'bench' });
      await everyInstanceIn('normal');
      run.exit.push(performance.now() - t);
    }
    return run;
  } finally {
    await Promise.allSettled(servers.map((s) => s.close(1000)));
  }
}

try {
  const runs: Run[] = [];
  for (const n of counts) runs.push(await measure(n));
  const base = runs[0]!;
  const rows = runs.map((r): [string, number, number, number, number, number, string, string] => [
    `${r.instances} instance${r.instances === 1 ? '' : 's'}`,
    Math.round(pct(r.enter, 0.5)),
    Math.round(pct(r.enter, 0.99)),
    Math.round(pct(r.exit, 0.5)),
    Math.round(pct(r.exit, 0.99)),
    Number(r.startSeconds.toFixed(1)),
    `${(pct(r.enter, 0.5) / pct(base.enter, 0.5)).toFixed(1)}×`,
    `${(pct(r.enter, 0.99) / pct(base.enter, 0.99)).toFixed(1)}×`,
  ]);
  const largest = runs[runs.length - 1]!;
  const p99 = pct(largest.enter, 0.99);
  process.stdout.write(
    [
      `maintenance: ${cycles} cycles per count, one local etcd; time until every instance reports the mode in the registry`,
      table(rows, ['', 'enter p50 ms', 'enter p99 ms', 'exit p50 ms', 'exit p99 ms', 'start all, s', 'p50 / first', 'p99 / first']),
      `enter p99 at ${largest.instances} instances ${p99.toFixed(0)} ms (target ≤ 100 ms at 100): ${verdict(p99 <= 100)}`,
      '',
    ].join('\n'),
  );
} finally {
  await env.cleanup();
}
