// `configstore serve` on an etcd run as in production: TLS with client certificates and
// password auth (its own etcd, started here). The credentials come as a directory laid out as
// the Secret a ConfigStoreCluster names: ca.crt, tls.crt, tls.key, username, password.
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secureEtcdClient, startEtcd, type EtcdServer } from '../../scripts/localenv/etcd.js';
import { freePort, stopProcess } from '../../scripts/localenv/process.js';
import { binary, ensureTools } from '../../scripts/localenv/tools.js';
import { eventually } from '../../testsupport/eventually.js';
import { etcdKeys } from '../types/index.js';
import { finishedWithin, spawnCli, type CliRun } from '../../testsupport/cli.js';

describe('configstore serve on a TLS + password etcd', () => {
  let dir: string;
  let etcd: EtcdServer;
  const running: CliRun[] = [];
  /** A copy of the credentials directory: without `drop`, with `change` written over. */
  const credentials = (name: string, drop: string[] = [], change: Record<string, string> = {}) => {
    const d = join(dir, name);
    cpSync(etcd.credentialsDir!, d, { recursive: true, filter: (src) => !drop.some((f) => src.endsWith(`/${f}`)) });
    for (const [f, v] of Object.entries(change)) writeFileSync(join(d, f), v);
    return d;
  };
  const serve = async (credentialsDir: string) => {
    const port = await freePort();
    const run = spawnCli(['serve'], {
      CONFIGSTORE_LISTEN: `127.0.0.1:${port}`,
      CONFIGSTORE_ETCD_ENDPOINTS: etcd.endpoint,
      CONFIGSTORE_ETCD_CREDENTIALS_DIR: credentialsDir,
      CONFIGSTORE_OBJECT_STORAGE: `file://${dir}/objects`,
      POD_NAME: `secure-${port}`,
    });
    running.push(run);
    return { run, url: `http://127.0.0.1:${port}`, instance: `secure-${port}` };
  };

  beforeAll(async () => {
    ensureTools(['etcd']);
    dir = mkdtempSync(join(tmpdir(), 'configstore-secure-etcd-'));
    etcd = await startEtcd(binary('etcd'), dir, 'etcd', { secure: true });
  }, 60_000);
  afterAll(async () => {
    for (const r of running) if (r.child.exitCode === null) r.child.kill('SIGKILL');
    if (etcd) await stopProcess(etcd.process);
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves with the credentials directory: writes, reads, and its registry entry in etcd', async () => {
    const { run, url, instance } = await serve(credentials('good'));
    await eventually(async () => ((await fetch(`${url}/readyz`).catch(() => undefined))?.status === 200 ? true : undefined), { timeoutMs: 30_000 });
    const created = await fetch(`${url}/api/v1alpha/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"tls-user"}' });
    expect(created.status).toBe(201);
    expect(await (await fetch(`${url}/api/v1alpha/users/tls-user`)).json()).toMatchObject({ name: 'tls-user' });

    const client = secureEtcdClient(etcd);
    try {
      const instances = await client.getAll().prefix(etcdKeys('/configstore/').instancesPrefix).strings();
      expect(Object.keys(instances)).toContain(`${etcdKeys('/configstore/').instancesPrefix}${instance}`);
    } finally {
      client.close();
    }
    run.child.kill('SIGTERM');
    expect((await run.exited).code).toBe(0);
  });

  it('with a wrong password stays unready and logs why', async () => {
    const creds = credentials('wrong-password', [], { password: 'not-the-password' });
    const { run, url } = await serve(creds);
    await eventually(async () => ((await fetch(`${url}/healthz`).catch(() => undefined))?.status === 200 ? true : undefined), { timeoutMs: 30_000 });
    await eventually(async () => (/authentication failed/.test(run.output().stdout) ? true : undefined), { timeoutMs: 20_000 });
    expect((await fetch(`${url}/readyz`)).status).toBe(503);
    run.child.kill('SIGTERM');
    expect((await run.exited).code).toBe(0);
  });

  it('refuses credentials that do not fit, with one line and exit code 2', async () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [
        { CONFIGSTORE_ETCD_CREDENTIALS_DIR: join(dir, 'missing') },
        /^configstore: CONFIGSTORE_ETCD_CREDENTIALS_DIR=".*missing": cannot read the etcd credentials directory: no such file or directory$/,
      ],
      [{ CONFIGSTORE_ETCD_CREDENTIALS_DIR: credentials('no-key', ['tls.key']) }, /: tls\.crt and tls\.key go together: only tls\.crt is set$/],
      [{ CONFIGSTORE_ETCD_CREDENTIALS_DIR: credentials('no-password', ['password']) }, /: username and password go together: only username is set$/],
      [
        { CONFIGSTORE_ETCD_CREDENTIALS_DIR: credentials('empty', ['ca.crt', 'tls.crt', 'tls.key', 'username', 'password']) },
        /: none of ca\.crt, tls\.crt, tls\.key, username, password is in the etcd credentials directory$/,
      ],
      [
        { CONFIGSTORE_ETCD_CREDENTIALS_DIR: etcd.credentialsDir!, CONFIGSTORE_ETCD_ENDPOINTS: 'http://127.0.0.1:2379' },
        /: ca\.crt is for TLS, but these etcd endpoints are plain http:\/\/: http:\/\/127\.0\.0\.1:2379 \(use https:\/\/\)$/,
      ],
    ];
    const results = await Promise.all(
      cases.map(([env]) => {
        const run = spawnCli(['serve'], { CONFIGSTORE_ETCD_ENDPOINTS: etcd.endpoint, CONFIGSTORE_OBJECT_STORAGE: `file://${dir}/objects`, ...env });
        running.push(run);
        return finishedWithin(run, 30_000);
      }),
    );
    results.forEach((r, i) => {
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines, `case ${i}: ${r.stderr}`).toHaveLength(1);
      expect(lines[0], `case ${i}`).toMatch(cases[i]![1]);
      expect(r.code, `case ${i}`).toBe(2);
    });
  });
});
