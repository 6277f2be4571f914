// `report` against the real kube-apiserver: the bundle holds the custom resources, the events
// and what logs there are (pods stay Pending without a node: their logs become notes), is
// redacted, and never holds a Secret.
import { CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installCrds } from '../scripts/localenv/crds.js';
import { isolatedNamespace, localEnv } from '../scripts/localenv/testenv.js';
import { runPlugin, seedWorld } from '../testsupport/plugin.js';

let ns: Awaited<ReturnType<typeof isolatedNamespace>>;
const out = mkdtempSync(join(tmpdir(), 'plugin-report-'));
const plugin = (...args: string[]) => runPlugin(['-n', ns.namespace, ...args], { env: { KUBECONFIG: localEnv().kube!.kubeconfig } });
const secrets = ['TOPSECRET-in-the-secret', 'hunter2', 'sekrit-token-abc', 'plain-in-the-spec'];

const pod = (name: string, labels: Record<string, string>): V1Pod => ({
  metadata: { name, labels },
  spec: { containers: [{ name: 'server', image: 'configstore:test', env: [{ name: 'AWS_SECRET_ACCESS_KEY', value: 'plain-in-the-spec' }] }] },
});

function readTree(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (d: string, rel: string) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p, `${rel}${f}/`);
      else files.set(`${rel}${f}`, readFileSync(p, 'utf8'));
    }
  };
  walk(dir, '');
  return files;
}

beforeAll(async () => {
  ns = await isolatedNamespace('plugin-report');
  await installCrds(localEnv(), ns.kc);
  const world = await seedWorld(ns.kc, ns.namespace);
  await world.setStatus('maintenance', 'export-running', { message: 'S3 refused: password=hunter2 in the URL' });
  const core = ns.kc.makeApiClient(CoreV1Api);
  await core.createNamespacedSecret({
    namespace: ns.namespace,
    body: { metadata: { name: 's3-backups' }, stringData: { AWS_SECRET_ACCESS_KEY: 'TOPSECRET-in-the-secret' } },
  });
  await core.createNamespacedPod({
    namespace: ns.namespace,
    body: pod('main-configstore-a', {
      'app.kubernetes.io/name': 'configstore',
      'app.kubernetes.io/component': 'server',
      'app.kubernetes.io/instance': 'main',
      'configstore.io/cluster': 'main',
    }),
  });
  await core.createNamespacedPod({ namespace: ns.namespace, body: pod('configstore-operator-x', { 'app.kubernetes.io/name': 'configstore-operator' }) });
  for (const [name, kind, message] of [
    ['main', 'ConfigStoreCluster', 'Ready: 2/2 instances ready'],
    ['main-configstore-a', 'Pod', 'Pulled with Authorization: Bearer sekrit-token-abc'],
    ['someone-else', 'Pod', 'not about configstore'],
  ]) {
    await core.createNamespacedEvent({
      namespace: ns.namespace,
      body: {
        metadata: { name: `${name}.1` },
        involvedObject: { kind, name, namespace: ns.namespace },
        reason: 'Test',
        message,
        type: 'Normal',
        firstTimestamp: new Date(),
        lastTimestamp: new Date(),
      },
    });
  }
});
afterAll(async () => ns?.cleanup());

describe('report', () => {
  it('writes a redacted .tar.gz of one cluster: resources, events, notes for the logs it could not read, no Secret', async () => {
    const file = join(out, 'bundle.tar.gz');
    const r = await plugin('report', 'main', '-o', file, '--operator-namespace', ns.namespace);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^wrote ${file} \\(12 files, .*\\):\\n`));
    expect(r.stdout).toContain('no Secret: Secrets are never read');
    expect(r.stdout).toMatch(/not collected \(also in its README.txt\):\n {2}no log for logs\/main-configstore-a\/server.log: /);
    execFileSync('tar', ['-xzf', file], { cwd: out });
    const files = readTree(join(out, 'bundle'));
    expect([...files.keys()].sort()).toEqual([
      'README.txt',
      'events.yaml',
      'resources/configstorebackuplocations.yaml',
      'resources/configstorebackups.yaml',
      'resources/configstorebackupschedules.yaml',
      'resources/configstoreclusters.yaml',
      'resources/configstoremaintenances.yaml',
      'resources/deployments.yaml',
      'resources/jobs.yaml',
      'resources/pods.yaml',
      'resources/services.yaml',
      'summary.json',
    ]);
    expect(files.get('resources/configstoreclusters.yaml')).toMatch(/name: main\n/);
    expect(files.get('resources/configstoreclusters.yaml')).not.toMatch(/name: other\n/);
    expect(files.get('resources/configstorebackups.yaml')).toContain('nightly-good');
    expect(files.get('resources/configstorebackups.yaml')).not.toContain('other-1');
    expect(files.get('resources/configstoremaintenances.yaml')).toContain('password=[REDACTED] in the URL');
    expect(files.get('resources/pods.yaml')).toContain("value: '[REDACTED]'");
    expect(files.get('events.yaml')).toContain('Ready: 2/2 instances ready');
    expect(files.get('events.yaml')).toContain('Authorization: Bearer [REDACTED]');
    expect(files.get('events.yaml')).not.toContain('not about configstore');
    expect(files.get('README.txt')).toMatch(/no log for logs\/operator\/configstore-operator-x\/server.log/);
    // the two events made above, and on a real node the kubelet's own about the cluster's pods
    const summary = JSON.parse(files.get('summary.json')!) as { counts: { events: number } };
    expect(summary).toMatchObject({ namespace: ns.namespace, cluster: 'main', counts: { logs: 0, operatorLogs: 0 } });
    expect(summary.counts.events).toBeGreaterThanOrEqual(2);
    const all = [...files.values()].join('\n');
    for (const s of secrets) expect(all, s).not.toContain(s);
  });

  it('writes a directory instead, with every cluster; never over an existing bundle', async () => {
    const dir = join(out, 'as-dir');
    const r = await plugin('report', '-o', dir, '--operator-namespace', ns.namespace);
    expect(r.code).toBe(0);
    const files = readTree(dir);
    expect(files.get('resources/configstoreclusters.yaml')).toMatch(/name: other\n/);
    for (const s of secrets) expect([...files.values()].join('\n'), s).not.toContain(s);
    expect(await plugin('report', '-o', dir)).toMatchObject({ code: 2, stderr: expect.stringContaining('the directory exists and is not empty') });
    expect(await plugin('report', '-o', join(out, 'bundle.tar.gz'))).toMatchObject({ code: 2, stderr: expect.stringContaining('the file exists') });
  });
});
