// What the benchmarks share: a throwaway etcd, servers as child processes (so the load
// generator and the server under test each get their own core), autocannon runs, a table.
import autocannon from 'autocannon';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { startEtcd, startEtcdCluster } from '../scripts/localenv/etcd.js';
import { freePort, stopProcess } from '../scripts/localenv/process.js';
import { binary, ensureTools, repoRoot } from '../scripts/localenv/tools.js';

export const connections = Number(process.env.BENCH_CONNECTIONS ?? 32);
export const seconds = Number(process.env.BENCH_SECONDS ?? 5);
/** Baseline and subject run in turns this many times; the verdict takes the median ratio. */
export const rounds = Number(process.env.BENCH_ROUNDS ?? 3);

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
/** Both servers log at this level (pino JSON to /dev/null): info is what production runs. */
export const logLevel = process.env.BENCH_LOG_LEVEL ?? 'info';

export interface Env {
  dir: string;
  /** `endpoint`: the members' client URLs comma-separated (as CONFIGSTORE_ETCD_ENDPOINTS takes them). */
  etcd: { endpoint: string; endpoints: string[] };
  cleanup(): Promise<void>;
}

/** A temp dir and an etcd of `members` members (1: a single etcd; 3: a cluster, as production runs it). */
export async function benchEnv(name: string, members = 1): Promise<Env> {
  ensureTools(['etcd']);
  const dir = mkdtempSync(join(tmpdir(), `configstore-bench-${name}-`));
  const cluster =
    members === 1
      ? await startEtcd(binary('etcd'), dir, 'etcd').then((e) => ({ endpoints: [e.endpoint], processes: [e.process] }))
      : await startEtcdCluster(binary('etcd'), dir, 'etcd', members);
  return {
    dir,
    etcd: { endpoint: cluster.endpoints.join(','), endpoints: cluster.endpoints },
    async cleanup() {
      await Promise.all(cluster.processes.map(stopProcess));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Child {
  url: string;
  pid: number;
  /** Spawn → first /readyz 200, in ms (polled every 10 ms). */
  startMs: number;
  stop(): Promise<void>;
}

async function spawnServer(args: string[], env: Record<string, string>, port: number, startSeconds = 60): Promise<Child> {
  // BENCH_CPU_PROF=DIR: the servers write V8 CPU profiles there (open them in Chrome DevTools)
  const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF] : [];
  // BENCH_NODE_FLAGS: more node/V8 flags for the servers, e.g. --max-semi-space-size=16
  const flags = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
  // compiled JavaScript (dist/, a bundle) runs as the image runs it: plain node, no tsx loader
  const loader = args[0]!.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const started = performance.now();
  const child = spawn(process.execPath, [...prof, ...flags, ...loader, ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise((r) => child.once('exit', r));
  process.once('exit', () => child.kill('SIGKILL'));
  for (
    const deadline = Date.now() + startSeconds * 1000;
    !(await fetch(`${url}/readyz`).then(
      (r) => r.ok,
      () => false,
    ));
    await sleep(10)
  ) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`${args.join(' ')} did not start`);
  }
  return {
    url,
    pid: child.pid!,
    startMs: performance.now() - started,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

const builds = new Map<'dist' | 'bundle', string>();
/** The image's bundle (scripts/bundle.ts) or the tsc build, built once per bench run; returns its entry. */
export function buildServer(form: 'dist' | 'bundle'): string {
  const done = builds.get(form);
  if (done) return done;
  const build = form === 'dist' ? [join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'] : ['--import', 'tsx', 'scripts/bundle.ts'];
  execFileSync(process.execPath, build, { cwd: repoRoot, stdio: 'inherit' });
  const entry = form === 'dist' ? 'dist/configstore/cli/main.js' : 'dist/bundle/main.mjs';
  builds.set(form, entry);
  return entry;
}

/**
 * The server's entry: BENCH_BUNDLE (an esbuild bundle), BENCH_SERVER=bundle the image's bundle
 * or BENCH_SERVER=dist the tsc build, else the TypeScript under tsx.
 */
function serverEntry(): string {
  if (process.env.BENCH_BUNDLE) return process.env.BENCH_BUNDLE;
  const form = process.env.BENCH_SERVER;
  return form === 'dist' || form === 'bundle' ? buildServer(form) : 'configstore/cli/main.ts';
}

/** `startSeconds`: how long it may take to turn ready (it loads the whole snapshot first: about a minute per 5M objects here). */
export async function startConfigstore(
  env: { dir: string; etcd: { endpoint: string } },
  extra: Record<string, string> = {},
  startSeconds = 60,
): Promise<Child> {
  const port = await freePort();
  return spawnServer(
    [serverEntry(), 'serve'],
    {
      CONFIGSTORE_LISTEN: `127.0.0.1:${port}`,
      CONFIGSTORE_ETCD_ENDPOINTS: env.etcd.endpoint,
      CONFIGSTORE_ETCD_PREFIX: '/bench/',
      CONFIGSTORE_OBJECT_STORAGE: pathToFileURL(join(env.dir, 'objects')).href,
      CONFIGSTORE_LOG_LEVEL: logLevel,
      ...extra,
    },
    port,
    startSeconds,
  );
}

/** The baseline: a fastify hello world with the same logger settings. */
export async function startHello(): Promise<Child> {
  const port = await freePort();
  return spawnServer(['bench/hello.ts'], { PORT: String(port), BENCH_LOG_LEVEL: logLevel }, port);
}

export interface Load {
  rps: number;
  /** Requests answered in the run. */
  requests: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

export async function load(options: autocannon.Options): Promise<Load> {
  const r = await autocannon({ connections, duration: seconds, ...options });
  return { rps: r.requests.average, requests: r.requests.total, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.timeouts, non2xx: r.non2xx };
}

export const warmup = (options: autocannon.Options) => autocannon({ connections, duration: 2, ...options });

export function table(rows: Array<[string, ...Array<string | number>]>, header: string[]): string {
  const cells = [header, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? (Number.isInteger(c) ? String(c) : c.toFixed(2)) : c)))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => String(r[i] ?? '').length)));
  return cells.map((r) => r.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]!) : String(c).padStart(widths[i]!))).join('  ')).join('\n');
}

/** CPU seconds (user + system) a process used so far: steadier than wall time on a shared machine. */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in ticks of 10 ms
}

/** VmRSS, and its anonymous part (heap, malloc: the process's own) in MiB; the rest is file pages, mostly of the node binary. */
export function rssMiB(pid: number): { rss: number; anon: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n');
  const field = (name: string) => Number(status.find((l) => l.startsWith(`${name}:`))!.split(/\s+/)[1]) / 1024;
  return { rss: field('VmRSS'), anon: field('RssAnon') };
}

/** A load run with the server's CPU time per answered request, in µs. */
export async function loadWithCpu(pid: number, options: autocannon.Options): Promise<Load & { cpuUs: number }> {
  const before = cpuSeconds(pid);
  const result = await load(options);
  return { ...result, cpuUs: ((cpuSeconds(pid) - before) * 1e6) / Math.max(1, result.requests) };
}

export const verdict = (ok: boolean) => (ok ? 'ok' : 'MISSED');
