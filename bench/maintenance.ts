// Maintenance switch latency: PUT /maintenance on one of 10 instances → every instance
// reports `maintenance` in the etcd registry (what the operator waits for), then DELETE →
// every instance back to `normal`. p50/p99 over BENCH_CYCLES (20) cycles.
// Target: p99 ≤ 250 ms to enter. Instances run in this process (the latency measured is
// etcd's watch, the drain and the readdb catch-up, not CPU), on one local etcd.
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigStoreClient } from '../configstore/client/index.js';
import { PosixObjectStorage } from '../configstore/objectstorage/posix.js';
import { createServer, type ConfigStoreServer } from '../configstore/api/server.js';
import { benchEnv, table, verdict } from './lib.js';

const instances = Number(process.env.BENCH_INSTANCES ?? 10);
const cycles = Number(process.env.BENCH_CYCLES ?? 20);

const env = await benchEnv('maintenance');
const servers: ConfigStoreServer[] = [];
try {
  const storage = new PosixObjectStorage(mkdtempSync(join(env.dir, 'objects-')));
  for (let i = 0; i < instances; i++) {
    servers.push(
      await createServer({
        etcdEndpoints: [env.etcd.endpoint],
        etcdPrefix: '/bench-maintenance/',
        objectStorage: storage,
        logger: false,
        instanceId: `bench-${i}`,
        checkpoint: false,
      }),
    );
  }
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
  const enter: number[] = [];
  const exit: number[] = [];
  for (let c = 0; c < cycles; c++) {
    let t = performance.now();
    await client.enableMaintenance({ owner: 'bench' });
    await everyInstanceIn('maintenance');
    enter.push(performance.now() - t);
    t = performance.now();
    await client.disableMaintenance({ owner: 'bench' });
    await everyInstanceIn('normal');
    exit.push(performance.now() - t);
  }
  const pct = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;
  const p99Enter = pct(enter, 0.99);
  process.stdout.write(
    [
      `maintenance: ${instances} instances, ${cycles} cycles, one local etcd; time until every instance reports the mode in the registry`,
      table(
        [
          ['enter (PUT → all in maintenance)', pct(enter, 0.5), p99Enter, Math.max(...enter)],
          ['exit (DELETE → all normal)', pct(exit, 0.5), pct(exit, 0.99), Math.max(...exit)],
        ],
        ['', 'p50 ms', 'p99 ms', 'max ms'],
      ),
      `enter p99 ${p99Enter.toFixed(0)} ms (target ≤ 250 ms): ${verdict(p99Enter <= 250)}`,
      '',
    ].join('\n'),
  );
} finally {
  await Promise.allSettled(servers.map((s) => s.close(1000)));
  await env.cleanup();
}
