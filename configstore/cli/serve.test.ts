// `configstore serve` as a real process: settings checks, readiness, a user over HTTP,
// graceful SIGTERM with a request in flight, and a start while etcd is unreachable.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../scripts/localenv/process.js';
import { isolatedEtcdPrefix, localEnv } from '../../scripts/localenv/testenv.js';
import { eventually } from '../../testsupport/eventually.js';
import { finishedWithin, spawnCli, type CliRun } from '../../testsupport/cli.js';

const status = async (url: string) => (await fetch(url)).status;

describe('configstore serve', () => {
  let dir: string;
  let etcdPrefix: ReturnType<typeof isolatedEtcdPrefix>;
  const running: CliRun[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'configstore-cli-'));
    etcdPrefix = isolatedEtcdPrefix('cli-serve');
  });
  afterAll(async () => {
    for (const r of running) if (r.child.exitCode === null) r.child.kill('SIGKILL');
    await etcdPrefix?.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses bad settings with one line on stderr and exit code 2', async () => {
    await writeFile(join(dir, 'empty-token'), '\n');
    const etcd = localEnv().etcd.endpoint;
    const base = { CONFIGSTORE_ETCD_ENDPOINTS: etcd, CONFIGSTORE_OBJECT_STORAGE: `file://${dir}/objects` };
    const cases: Array<[Record<string, string>, string[], RegExp]> = [
      [{ CONFIGSTORE_OBJECT_STORAGE: `file://${dir}/objects` }, [], /^configstore: no etcd endpoints: set CONFIGSTORE_ETCD_ENDPOINTS/],
      [{ ...base, CONFIGSTORE_ETCD_ENDPOINTS: ' , ' }, [], /^configstore: no etcd endpoints/],
      [
        { ...base, CONFIGSTORE_ETCD_ENDPOINTS: 'etcd:2379' },
        [],
        /^configstore: CONFIGSTORE_ETCD_ENDPOINTS="etcd:2379": etcd endpoint "etcd:2379" is not an http\(s\):\/\/host:port URL$/,
      ],
      [{ ...base, CONFIGSTORE_LISTEN: '127.0.0.1:70000' }, [], /^configstore: CONFIGSTORE_LISTEN="127.0.0.1:70000": port 70000 is out of range/],
      [base, ['--listen', 'localhost'], /^configstore: --listen="localhost": expected host:port/],
      [
        { ...base, CONFIGSTORE_OBJECT_STORAGE: 'ftp://host/x' },
        [],
        /^configstore: CONFIGSTORE_OBJECT_STORAGE: invalid object storage URL "ftp:\/\/host\/x": unsupported scheme/,
      ],
      [
        { ...base, CONFIGSTORE_OBJECT_STORAGE: 's3://x' },
        [],
        /^configstore: CONFIGSTORE_OBJECT_STORAGE: invalid object storage URL "s3:\/\/x": bucket name "x" is not a valid S3 bucket name/,
      ],
      [{ CONFIGSTORE_ETCD_ENDPOINTS: etcd }, [], /^configstore: no object storage: set CONFIGSTORE_OBJECT_STORAGE/],
      [
        { ...base, CONFIGSTORE_ADMIN_TOKEN_FILE: join(dir, 'missing') },
        [],
        /^configstore: CONFIGSTORE_ADMIN_TOKEN_FILE=".*missing": cannot read the admin token file: no such file or directory$/,
      ],
      [{ ...base, CONFIGSTORE_ADMIN_TOKEN_FILE: join(dir, 'empty-token') }, [], /: the admin token file is empty$/],
      [
        { ...base, CONFIGSTORE_ETCD_PREFIX: 'configstore' },
        [],
        /^configstore: CONFIGSTORE_ETCD_PREFIX="configstore": the etcd prefix must start and end with "\/"/,
      ],
      [{ ...base, CONFIGSTORE_LOG_LEVEL: 'loud' }, [], /^configstore: CONFIGSTORE_LOG_LEVEL="loud": not a log level/],
      [
        { ...base, CONFIGSTORE_DATA_DIR: join(dir, 'empty-token', 'data') },
        [],
        /^configstore: CONFIGSTORE_DATA_DIR=".*": the data directory is not usable: a parent is not a directory$/,
      ],
      [base, ['--no-such-flag'], /^configstore: unknown option '--no-such-flag'$/],
    ];
    // three at a time: eight CLI processes starting at once on a loaded 2-core machine can take
    // longer than the bound below, which is there to catch a case that starts a server
    const results: Awaited<ReturnType<typeof finishedWithin>>[] = [];
    for (let i = 0; i < cases.length; i += 3) {
      const batch = cases.slice(i, i + 3).map(([env, args]) => {
        const run = spawnCli(['serve', ...args], env);
        running.push(run);
        return finishedWithin(run, 30_000); // a case that starts a server fails, not hangs
      });
      results.push(...(await Promise.all(batch)));
    }
    results.forEach((r, i) => {
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines, `case ${i}: ${r.stderr}`).toHaveLength(1);
      expect(lines[0], `case ${i}`).toMatch(cases[i]![2]);
      expect(r.code, `case ${i}: ${r.stderr}`).toBe(2);
      expect(r.stdout).toBe('');
    });
  }, 120_000);

  it('serves once ready, and on SIGTERM finishes the request in flight and exits 0', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const run = spawnCli(['serve', '--listen', `127.0.0.1:${port}`], {
      CONFIGSTORE_ETCD_ENDPOINTS: localEnv().etcd.endpoint,
      CONFIGSTORE_ETCD_PREFIX: etcdPrefix.prefix,
      CONFIGSTORE_DATA_DIR: join(dir, 'data'),
      POD_NAME: 'cli-test-0',
    });
    running.push(run);
    await eventually(async () => ((await status(`${url}/readyz`)) === 200 ? true : undefined), { timeoutMs: 30_000 });

    const created = await fetch(`${url}/api/v1alpha/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"alice"}' });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ name: 'alice' });

    // a request whose body is still arriving when SIGTERM comes
    const body = '{"name":"bob"}';
    const inFlight = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        `${url}/api/v1alpha/users`,
        { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': body.length } },
        (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode!, body: text }));
        },
      );
      req.on('error', reject);
      req.write(body.slice(0, 5));
      setTimeout(() => {
        run.child.kill('SIGTERM');
        setTimeout(() => {
          expect(run.child.exitCode).toBeNull(); // still waiting for the request in flight
          req.end(body.slice(5));
        }, 500);
      }, 200);
    });
    const answer = await inFlight;
    expect(answer.status).toBe(201);
    expect(JSON.parse(answer.body)).toMatchObject({ name: 'bob' });

    const exit = await run.exited;
    expect(exit.code).toBe(0);
    expect(exit.stderr).toBe('');
    const logs = exit.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { msg: string; instance?: string });
    expect(logs.every((l) => l.instance === 'cli-test-0')).toBe(true);
    expect(logs.map((l) => l.msg)).toEqual(expect.arrayContaining(['shutting down: finishing requests in flight', 'stopped']));
  });

  it('starts while etcd is unreachable: /healthz 200, /readyz 503, then ready once etcd answers', async () => {
    // a TCP proxy in front of the real etcd that refuses connections until opened
    const [proxyPort, port] = [await freePort(), await freePort()];
    const target = new URL(localEnv().etcd.endpoint);
    let open = false;
    const sockets = new Set<Socket>();
    const proxy: Server = createServer((client) => {
      sockets.add(client);
      client.on('close', () => sockets.delete(client));
      if (!open) return void client.destroy();
      const upstream = createConnection(Number(target.port), target.hostname);
      sockets.add(upstream);
      client.pipe(upstream).pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(proxyPort, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${port}`;
      const run = spawnCli(['serve'], {
        CONFIGSTORE_LISTEN: `127.0.0.1:${port}`,
        CONFIGSTORE_ETCD_ENDPOINTS: `http://127.0.0.1:${proxyPort}`,
        CONFIGSTORE_ETCD_PREFIX: etcdPrefix.prefix,
        CONFIGSTORE_OBJECT_STORAGE: `file://${dir}/objects`,
      });
      running.push(run);
      await eventually(async () => ((await status(`${url}/healthz`)) === 200 ? true : undefined), { timeoutMs: 30_000 });
      await new Promise((r) => setTimeout(r, 1000)); // let a few sync attempts fail
      expect(await status(`${url}/readyz`)).toBe(503);
      const api = await fetch(`${url}/api/v1alpha/users`);
      expect(api.status).toBe(503);
      expect(await api.json()).toEqual({ message: 'configstore is not ready: the read model is not synced with etcd yet', code: 'notReady' });

      open = true;
      await eventually(async () => ((await status(`${url}/readyz`)) === 200 ? true : undefined), { timeoutMs: 30_000 });
      const created = await fetch(`${url}/api/v1alpha/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"carol"}' });
      expect(created.status).toBe(201);

      run.child.kill('SIGTERM');
      const exit = await run.exited;
      expect(exit.code).toBe(0);
      expect(exit.stdout).toContain('read model sync failed (is etcd reachable?); retrying');
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => proxy.close(resolve));
    }
  });
});
