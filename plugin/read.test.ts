// The reading subcommands (status, backups) against the real kube-apiserver with the CRDs of
// crds/ installed; no operator runs, so the statuses are written by the test, as the operator
// would (testsupport/plugin.ts: seedWorld). Also the errors every subcommand shares: no such
// cluster, no kubeconfig, CRDs not served, RBAC forbidden (a ServiceAccount token without rights).
import { CoreV1Api, CustomObjectsApi, RbacAuthorizationV1Api, type V1ClusterRole } from '@kubernetes/client-node';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { installCrds } from '../scripts/localenv/crds.js';
import { isolatedNamespace, localEnv } from '../scripts/localenv/testenv.js';
import { eventually } from '../testsupport/eventually.js';
import { condition, manifestOf, runPlugin, s3Dest, seedWorld } from '../testsupport/plugin.js';
import { describeApiError } from './errors.js';

let ns: Awaited<ReturnType<typeof isolatedNamespace>>;
const scratch = mkdtempSync(join(tmpdir(), 'plugin-read-'));
let world: Awaited<ReturnType<typeof seedWorld>>;
const env = () => ({ KUBECONFIG: localEnv().kube!.kubeconfig });
const plugin = (...args: string[]) => runPlugin(['-n', ns.namespace, ...args], { env: env() });

beforeAll(async () => {
  ns = await isolatedNamespace('plugin-read');
  await installCrds(localEnv(), ns.kc);
  world = await seedWorld(ns.kc, ns.namespace);
});
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c().catch(() => undefined);
  await ns?.cleanup();
});

describe('status', () => {
  it('shows the instances and their modes, the schedule, the last good backup and the next run', async () => {
    const r = await plugin('status', 'main');
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toContain(`Cluster main (namespace ${ns.namespace}): Ready, 2/2 instances ready, mode normal`);
    expect(r.stdout).toMatch(/main-configstore-a\s+main-configstore-a\s+normal\s+120/);
    expect(r.stdout).toMatch(/nightly\s+0 2 \* \* \* \(UTC\)\s+\S+ \(12h ago\)\s+\S+ \(in 12h\)\s+True/);
    expect(r.stdout).toMatch(/last good backup: nightly-good, \S+ \(24h ago\), 41 objects, 4.0 KiB, s3:\/\/backups\/main\/nightly-good.ndjson.gz/);
    expect(r.stdout).toMatch(/next scheduled run: \S+ \(in 12h\) \(nightly\)/);
    expect(r.stdout).toMatch(/export-running\s+Export\s+Running\s+RunJob\s+running Job export-running-1234/);
  });

  it('-o json: one cluster as an object, every cluster as a list; -o yaml too', async () => {
    const one = await plugin('status', 'main', '-o', 'json');
    expect(one.code).toBe(0);
    expect(JSON.parse(one.stdout)).toMatchObject({
      name: 'main',
      namespace: ns.namespace,
      seenByOperator: true,
      ready: { status: 'True', reason: 'InstancesReady' },
      readyReplicas: 2,
      instances: [{ id: 'main-configstore-a', mode: 'normal' }, { id: 'main-configstore-b' }],
      lastGoodBackup: { name: 'nightly-good', available: 'True', sha256: 'c'.repeat(64) },
      nextScheduledRun: { schedule: 'nightly' },
      operations: [{ name: 'export-running', phase: 'Running' }],
    });
    const all = JSON.parse((await plugin('status', '-o', 'json')).stdout) as { items: { name: string; ready: { status: string } }[] };
    expect(all.items.map((c) => [c.name, c.ready.status])).toEqual([
      ['main', 'True'],
      ['other', 'False'],
    ]);
    expect((await plugin('status', 'other', '-o', 'yaml')).stdout).toMatch(/^namespace: .*\nname: other\n/);
    // kubectl's flags anywhere, as kubectl takes them
    const after = await runPlugin(['status', 'other', '-o', 'json', `--namespace=${ns.namespace}`], { env: env() });
    expect(JSON.parse(after.stdout)).toMatchObject({ name: 'other', namespace: ns.namespace });
  });
});

describe('backups', () => {
  it("lists a cluster's records newest first: name, created, objects, bytes, source, available", async () => {
    const r = await plugin('backups', 'main');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+CREATED\s+OBJECTS\s+BYTES\s+SOURCE\s+AVAILABLE$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual(['nightly-missing', 'nightly-good', 'nightly-old']);
    expect(lines[1]).toMatch(new RegExp(`nightly-missing\\s+\\S+\\s+40\\s+3.9 KiB\\s+${ns.namespace}/main\\s+False$`));
    expect((await plugin('backups')).stdout).toContain('other-1');
    expect((await plugin('backups', '-o', 'wide')).stdout).toMatch(/nightly-good .*schedule\/nightly\s+s3:\/\/backups\/main\/nightly-good.ndjson.gz/);
  });

  it('-o json', async () => {
    const r = JSON.parse((await plugin('backups', 'other', '-o', 'json')).stdout);
    expect(r).toEqual({
      namespace: ns.namespace,
      cluster: 'other',
      items: [
        {
          name: 'other-1',
          created: expect.any(String),
          objects: 41,
          bytes: 4100,
          source: `${ns.namespace}/other`,
          available: 'True',
          location: 's3://backups/other/other-1.ndjson.gz',
          sha256: 'a'.repeat(64),
        },
      ],
    });
  });

  it('lists the backups of a cluster that is gone, by its name (listed again in a new namespace); a name with neither is exit code 2', async () => {
    await world.create(
      'backup',
      'gone-1',
      {
        location: { ...s3Dest, key: 'gone/gone-1.ndjson.gz' },
        manifest: manifestOf({ createdAt: '2026-01-01T00:00:00Z', objects: 7, source: { namespace: 'lost-ns', name: 'gone', uid: 'old' } }),
      },
      { conditions: [condition('Available', 'True', 'ManifestFound')] },
    );
    const r = await plugin('backups', 'gone');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/gone-1\s+2026-01-01T00:00:00Z\s+7\s+700 B\s+lost-ns\/gone\s+True/);
    const neither = await plugin('backups', 'lost');
    expect(neither).toMatchObject({
      code: 2,
      stderr: `kubectl configstore: no ConfigStoreCluster "lost" in namespace ${ns.namespace}, and no ConfigStoreBackup of a cluster of that name\n`,
    });
  });
});

describe('errors', () => {
  it('no such cluster: exit code 2, naming the clusters that are there', async () => {
    const want = `kubectl configstore: no ConfigStoreCluster "nope" in namespace ${ns.namespace} (clusters here: main, other)\n`;
    for (const args of [
      ['status', 'nope'],
      ['backup', 'nope'],
      ['restore', 'nightly-good', '--to', 'nope', '--yes'],
      ['maintenance', 'on', 'nope', '--yes'],
      ['report', 'nope'],
    ]) {
      const r = await plugin(...args);
      expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: 2, stderr: want });
    }
    const empty = await runPlugin(['-n', 'default', 'status', 'nope'], { env: env() });
    expect(empty.stderr).toBe('kubectl configstore: no ConfigStoreCluster "nope" in namespace default (there is none here; another namespace? -n NAMESPACE)\n');
  });

  it('bad usage: exit code 2 with one line', async () => {
    expect(await plugin('status', '-o', 'xml')).toMatchObject({ code: 2, stderr: 'kubectl configstore: -o xml: expected one of table, json, yaml\n' });
    expect(await plugin('backup')).toMatchObject({ code: 2, stderr: "kubectl configstore: missing required argument 'cluster'\n" });
    expect(await plugin('statsu')).toMatchObject({ code: 2, stderr: expect.stringContaining('(Did you mean status?)') });
    expect(await runPlugin(['status'], { env: {} })).toMatchObject({ code: 2, stderr: expect.stringContaining('no kubeconfig: pass --kubeconfig FILE') });
    expect(await runPlugin(['status', '--kubeconfig', '/nope'], { env: {} })).toMatchObject({
      code: 2,
      stderr: 'kubectl configstore: --kubeconfig /nope: no such file\n',
    });
    expect(await runPlugin(['status', '--context', 'qa'], { env: env() })).toMatchObject({
      code: 2,
      stderr: 'kubectl configstore: --context qa: no such context in the kubeconfig (contexts: local)\n',
    });
  });

  it("a resource the API server does not serve reads as the CRDs not installed (the real server's 404)", async () => {
    const custom = ns.kc.makeApiClient(CustomObjectsApi);
    const err = await custom
      .listNamespacedCustomObject({ group: 'absent.configstore.io', version: 'v1', namespace: ns.namespace, plural: 'configstoreclusters' })
      .catch((e: unknown) => e);
    const server = ns.kc.getCurrentCluster()!.server;
    expect(describeApiError(err, { verb: 'list', resource: 'configstoreclusters.configstore.io', namespace: ns.namespace }, server).message).toBe(
      `the ConfigStore CRDs are not installed on ${server} (configstoreclusters.configstore.io is not served): kubectl apply --server-side -f crds/, or install the operator's Helm chart`,
    );
  });

  it('RBAC forbidden (a ServiceAccount token): exit code 1 naming the verb and the resource; plugin/rbac.yaml allows every subcommand', async () => {
    const core = ns.kc.makeApiClient(CoreV1Api);
    await core.createNamespacedServiceAccount({ namespace: ns.namespace, body: { metadata: { name: 'viewer' } } });
    const token = await core.createNamespacedServiceAccountToken({
      namespace: ns.namespace,
      name: 'viewer',
      body: { spec: { audiences: [], expirationSeconds: 600 } },
    });
    const cluster = ns.kc.getCurrentCluster()!;
    const kubeconfig = join(scratch, 'viewer.kubeconfig');
    writeFileSync(
      kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'local', cluster: { server: cluster.server, 'certificate-authority': cluster.caFile } }],
        users: [{ name: 'viewer', user: { token: token.status!.token } }],
        contexts: [{ name: 'viewer', context: { cluster: 'local', user: 'viewer', namespace: ns.namespace } }],
        'current-context': 'viewer',
      }),
    );
    const asViewer = (...args: string[]) => runPlugin(['--kubeconfig', kubeconfig, ...args], { env: {} });
    const sa = `system:serviceaccount:${ns.namespace}:viewer`;
    const nothing = await asViewer('status', 'main');
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toBe(
      `kubectl configstore: forbidden: RBAC does not allow get on configstoreclusters.configstore.io in namespace ${ns.namespace}: ` +
        `configstoreclusters.configstore.io "main" is forbidden: User "${sa}" cannot get resource "configstoreclusters" in API group "configstore.io" in the namespace "${ns.namespace}" ` +
        `(ask for a Role with "get" on "configstoreclusters.configstore.io")\n`,
    );

    // reading the clusters only: status stops at the next kind it needs, backup at creating the Export
    const rbac = ns.kc.makeApiClient(RbacAuthorizationV1Api);
    await rbac.createNamespacedRole({
      namespace: ns.namespace,
      body: {
        metadata: { name: 'viewer' },
        rules: [{ apiGroups: ['configstore.io'], resources: ['configstoreclusters', 'configstorebackupschedules'], verbs: ['get', 'list'] }],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: ns.namespace,
      body: {
        metadata: { name: 'viewer' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'viewer' },
        subjects: [{ kind: 'ServiceAccount', name: 'viewer', namespace: ns.namespace }],
      },
    });
    let partial = await asViewer('status', 'main');
    for (let i = 0; i < 50 && partial.stderr.includes('cannot get resource "configstoreclusters"'); i++) {
      await new Promise((r) => setTimeout(r, 100)); // the RBAC cache catching up
      partial = await asViewer('status', 'main');
    }
    expect(partial.code).toBe(1);
    expect(partial.stderr).toMatch(
      /^kubectl configstore: forbidden: RBAC does not allow list on configstore(backups|maintenances)\.configstore\.io in namespace /,
    );
    const backup = await asViewer('backup', 'main');
    expect(backup).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('forbidden: RBAC does not allow create on configstoremaintenances.configstore.io in namespace'),
    });

    // plugin/rbac.yaml, the ClusterRole the docs give, is enough for every subcommand
    const role = parse(readFileSync(join(import.meta.dirname, 'rbac.yaml'), 'utf8')) as V1ClusterRole;
    const roleName = `configstore-plugin-${ns.namespace}`;
    await rbac.createClusterRole({ body: { ...role, metadata: { name: roleName } } });
    cleanups.push(() => rbac.deleteClusterRole({ name: roleName }).then(() => undefined));
    await rbac.createNamespacedRoleBinding({
      namespace: ns.namespace,
      body: {
        metadata: { name: 'plugin' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName },
        subjects: [{ kind: 'ServiceAccount', name: 'viewer', namespace: ns.namespace }],
      },
    });
    await eventually(async () => (await asViewer('status', 'main')).code === 0, { what: 'the ClusterRole in force', timeoutMs: 10_000 });
    for (const args of [
      ['backups', 'main'],
      ['backup', 'main', '--name', 'by-viewer'],
      ['restore', 'latest', '--to', 'main', '--dry-run'],
      ['restore', 'nightly-good', '--to', 'main', '--yes', '--name', 'restore-by-viewer'],
      ['maintenance', 'on', 'main', '--yes'],
      ['maintenance', 'off', 'main', '--yes'],
      ['report', 'main', '-o', join(scratch, 'viewer.tar.gz'), '--operator-namespace', ns.namespace],
    ]) {
      const r = await asViewer(...args);
      expect({ args, code: r.code, error: r.stderr.match(/kubectl configstore: .*/)?.[0] }).toEqual({ args, code: 0, error: undefined });
    }
  });
});
