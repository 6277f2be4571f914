// Start time and idle memory of `configstore serve` in the three forms it can run: TypeScript
// under tsx (development), the tsc build under plain node (dist/), and the esbuild bundle the
// image ships (scripts/bundle.ts). Baseline: a fastify hello world, bundled the same way, under
// plain node: what any Node HTTP server costs on this machine. The bundle runs twice: as it is,
// and with V8's code cache made the way the Dockerfile makes it (NODE_COMPILE_CACHE, primed by
// one `serve` against no etcd), which is how the image runs it. Each form is started
// BENCH_ROUNDS times in turns; start = spawn → first /readyz 200 (polled every 5 ms); idle RSS
// = VmRSS 2 s after ready (and RssAnon, its anonymous part). The medians are compared.
// Targets (issue #15): start ≤ 500 ms, idle RSS ≤ 80 MB.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { bundle } from '../scripts/bundle.js';
import { freePort } from '../scripts/localenv/process.js';
import { repoRoot } from '../scripts/localenv/tools.js';
import { benchEnv, buildServer, median, rssMiB, table, verdict } from './lib.js';

const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const env = await benchEnv('footprint');

interface Form {
  name: string;
  args: string[];
  serverEnv?: (port: number) => Record<string, string>;
}

async function startOnce(form: Form): Promise<{ startMs: number; rss: number; anon: number }> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, form.args, {
    cwd: repoRoot,
    env: {
      ...process.env,
      ...(form.serverEnv?.(port) ?? { PORT: String(port) }),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise((r) => child.once('exit', r));
  try {
    const url = `http://127.0.0.1:${port}/readyz`;
    for (const deadline = Date.now() + 60_000; ; await sleep(5)) {
      if (
        await fetch(url).then(
          (r) => r.ok,
          () => false,
        )
      )
        break;
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`${form.name} did not start`);
    }
    const startMs = performance.now() - started;
    await sleep(2000);
    return { startMs, ...rssMiB(child.pid!) };
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

try {
  process.stdout.write('building: tsc (dist/), the bundle (dist/bundle/), the hello world bundle\n');
  const dist = buildServer('dist');
  const image = buildServer('bundle');
  const hello = await bundle(join(repoRoot, 'bench/hello.ts'), join(env.dir, 'hello'));

  // the image's code cache: one serve against no etcd, stopped after 4 s (as the Dockerfile does)
  const cache = join(env.dir, 'compile-cache');
  const prime = spawn(process.execPath, [image, 'serve'], {
    cwd: repoRoot,
    env: {
      ...process.env,
      CONFIGSTORE_LISTEN: '127.0.0.1:0',
      CONFIGSTORE_ETCD_ENDPOINTS: 'http://127.0.0.1:1',
      CONFIGSTORE_OBJECT_STORAGE: pathToFileURL(join(env.dir, 'prime')).href,
      CONFIGSTORE_LOG_LEVEL: 'error',
      NODE_COMPILE_CACHE: cache,
    },
    stdio: 'ignore',
  });
  await sleep(4000);
  prime.kill('SIGTERM');
  await new Promise((r) => prime.once('exit', r));

  const serve = (port: number) => ({
    CONFIGSTORE_LISTEN: `127.0.0.1:${port}`,
    CONFIGSTORE_ETCD_ENDPOINTS: env.etcd.endpoint,
    CONFIGSTORE_ETCD_PREFIX: `/footprint-${port}/`,
    CONFIGSTORE_OBJECT_STORAGE: pathToFileURL(join(env.dir, `objects-${port}`)).href,
    CONFIGSTORE_LOG_LEVEL: 'warn',
  });
  const forms: Form[] = [
    { name: 'fastify hello, bundled (baseline)', args: [hello] },
    { name: 'configstore, tsx', args: ['--import', 'tsx', 'configstore/cli/main.ts', 'serve'], serverEnv: serve },
    { name: 'configstore, dist (tsc)', args: [dist, 'serve'], serverEnv: serve },
    { name: 'configstore, bundle', args: [image, 'serve'], serverEnv: serve },
    { name: 'configstore, bundle + code cache (image)', args: [image, 'serve'], serverEnv: (port) => ({ ...serve(port), NODE_COMPILE_CACHE: cache }) },
  ];
  const results = new Map<string, { startMs: number[]; rss: number[]; anon: number[] }>(forms.map((f) => [f.name, { startMs: [], rss: [], anon: [] }]));
  for (let round = 1; round <= rounds; round++) {
    for (const form of forms) {
      const r = await startOnce(form);
      results.get(form.name)!.startMs.push(r.startMs);
      results.get(form.name)!.rss.push(r.rss);
      results.get(form.name)!.anon.push(r.anon);
    }
  }
  const med = (name: string) => ({ start: median(results.get(name)!.startMs), rss: median(results.get(name)!.rss), anon: median(results.get(name)!.anon) });
  const base = med(forms[0]!.name);
  const rows = forms.map((f): [string, number, number, number, number, number, string, string] => {
    const m = med(f.name);
    const r = results.get(f.name)!;
    return [
      f.name,
      Math.round(m.start),
      Math.round(Math.max(...r.startMs)),
      Math.round(m.rss),
      Math.round(Math.max(...r.rss)),
      Math.round(m.anon),
      `${(m.start / base.start).toFixed(2)}×`,
      `${(m.rss / base.rss).toFixed(2)}×`,
    ];
  });
  const bundled = med('configstore, bundle + code cache (image)');
  process.stdout.write(
    [
      `footprint: ${rounds} starts of each, in turns; serve on an empty etcd prefix and posix storage, log level warn`,
      table(rows, ['', 'start ms (median)', 'max', 'idle RSS MiB (median)', 'max', 'of it anonymous', 'start / baseline', 'RSS / baseline']),
      "anonymous: the heap and malloc, what is the process's own; the rest of RSS is file pages, mostly of the node binary (shared by the pods of one image on a node, and reclaimable)",
      `image (bundle + code cache): start ${Math.round(bundled.start)} ms (target ≤ 500 ms): ${verdict(bundled.start <= 500)}; idle RSS ${Math.round(bundled.rss)} MiB (target ≤ 80 MB = 76 MiB): ${verdict(bundled.rss <= 76.3)}`,
      '',
    ].join('\n'),
  );
} finally {
  await env.cleanup();
}
