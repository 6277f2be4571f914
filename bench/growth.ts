// How the server's costs grow with the data: the same server on 10k, 100k and 1M objects
// (BENCH_OBJECTS = users per size, each with its root project group: default 5000,50000,500000),
// each seeded as a snapshot on its own etcd. Per size: start → /readyz (the read model loads the
// snapshot), RSS once idle, then GET of a random user (by name) and POST of a new user, loaded
// in turns across the sizes for BENCH_ROUNDS rounds (so a noisy moment moves one round of every
// size alike), with the server's CPU time per request. Every figure is also given as a ratio
// to the smallest size's in this run. Export and import at each size: bench/dataops.ts with the
// same BENCH_OBJECTS.
// What is expected: reads and writes flat (SQLite lookups by index: O(log n)), start and RSS
// growing with the data the read model loads (linear), which is what the figures show.
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PosixObjectStorage } from '../configstore/objectstorage/posix.js';
import { benchEnv, connections, loadWithCpu, median, rounds, rssMiB, seconds, startConfigstore, table, warmup, type Child, type Env } from './lib.js';
import { seedUsers } from './seed.js';

const sizes = (process.env.BENCH_OBJECTS ?? '5000,50000,500000').split(',').map(Number);

interface Sized {
  users: number;
  server: Child;
  idle: { rss: number; anon: number };
  reads: Array<{ rps: number; p99: number; cpuUs: number }>;
  writes: Array<{ rps: number; p99: number; cpuUs: number }>;
}

const all: Sized[] = [];
const envs: Env[] = []; // cleaned up even when a server did not start
try {
  for (const users of sizes) {
    const env = await benchEnv(`growth-${users}`);
    envs.push(env);
    await seedUsers(new PosixObjectStorage(join(env.dir, 'objects')), env.etcd.endpoint, '/bench/', users);
    const server = await startConfigstore(env, { CONFIGSTORE_DATA_DIR: join(env.dir, 'readdb') }, 60 + users / 5_000);
    all.push({ users, server, idle: { rss: 0, anon: 0 }, reads: [], writes: [] });
    await sleep(2000);
    all[all.length - 1]!.idle = rssMiB(server.pid);
  }

  let n = 0;
  const readRequest = (users: number) => ({ setupRequest: (req: object) => ({ ...req, path: `/api/v1alpha/users/user${Math.floor(Math.random() * users)}` }) });
  const writeRequest = {
    method: 'POST' as const,
    headers: { 'content-type': 'application/json' },
    setupRequest: (req: object) => ({ ...req, body: JSON.stringify({ name: `growth-${process.pid}-${n++}` }) }),
  };
  for (const s of all) {
    await warmup({ url: `${s.server.url}/api/v1alpha/users/user0`, requests: [readRequest(s.users)] });
    await warmup({ url: `${s.server.url}/api/v1alpha/users`, requests: [writeRequest] });
  }
  for (let round = 1; round <= rounds; round++) {
    for (const s of all) {
      const r = await loadWithCpu(s.server.pid, { url: `${s.server.url}/api/v1alpha/users/user0`, requests: [readRequest(s.users)] });
      if (r.errors + r.non2xx) throw new Error(`reads at ${s.users * 2} objects: ${r.errors} errors, ${r.non2xx} non-2xx`);
      s.reads.push(r);
      const w = await loadWithCpu(s.server.pid, { url: `${s.server.url}/api/v1alpha/users`, requests: [writeRequest] });
      if (w.errors + w.non2xx) throw new Error(`writes at ${s.users * 2} objects: ${w.errors} errors, ${w.non2xx} non-2xx`);
      s.writes.push(w);
    }
  }

  const med = (xs: Array<{ rps: number; p99: number; cpuUs: number }>) => ({
    rps: median(xs.map((x) => x.rps)),
    p99: median(xs.map((x) => x.p99)),
    cpuUs: median(xs.map((x) => x.cpuUs)),
  });
  const base = all[0]!;
  const [baseReads, baseWrites] = [med(base.reads), med(base.writes)];
  const x = (v: number, b: number) => `${(v / b).toFixed(2)}×`;
  const rows = all.map((s): [string, ...Array<string | number>] => {
    const [r, w] = [med(s.reads), med(s.writes)];
    return [
      `${s.users * 2} objects`,
      Math.round(s.server.startMs),
      x(s.server.startMs, base.server.startMs),
      Math.round(s.idle.rss),
      x(s.idle.rss, base.idle.rss),
      Math.round(r.rps),
      r.p99,
      Math.round(r.cpuUs),
      x(r.rps, baseReads.rps),
      Math.round(w.rps),
      w.p99,
      Math.round(w.cpuUs),
      x(w.rps, baseWrites.rps),
    ];
  });
  process.stdout.write(
    [
      `growth: ${connections} connections, ${seconds} s per run, ${rounds} rounds in turns across the sizes (medians); read model on disk, posix storage, one local etcd each`,
      table(rows, [
        '',
        'start ms',
        'vs smallest',
        'idle RSS MiB',
        'vs smallest',
        'GET req/s',
        'p99 ms',
        'CPU µs/req',
        'vs smallest',
        'POST req/s',
        'p99 ms',
        'CPU µs/req',
        'vs smallest',
      ]),
      '',
    ].join('\n'),
  );
} finally {
  for (const s of all) await s.server.stop();
  for (const env of envs) await env.cleanup();
}
