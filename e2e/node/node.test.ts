// The fake node on the real control plane: the real Job and Deployment controllers see the
// pods it runs (real `configstore` processes) succeed, fail and become ready; Services
// resolve by name inside pods; deleting a pod stops its process.
import { AppsV1Api, BatchV1Api, CoreV1Api, type KubeConfig, type V1Container, type V1Pod, type V1Volume } from '@kubernetes/client-node';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolatedEtcdPrefix, isolatedNamespace, localEnv } from '../../scripts/localenv/testenv.js';
import { ContainerConfigError, containerEnv } from './env.js';
import { startFakeNode, type FakeNode } from './node.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await probe();
    if (got !== undefined && got !== false) return got;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

const cli = (args: string[], extra: Partial<V1Container> = {}): V1Container => ({ name: 'cli', image: 'configstore:dev', command: ['configstore'], args, ...extra });
const adminVolume: V1Volume = { name: 'admin', secret: { secretName: 'configstore-admin' } };
const adminMount = { name: 'admin', mountPath: '/etc/configstore/admin', readOnly: true };
const adminEnv = { name: 'CONFIGSTORE_ADMIN_TOKEN_FILE', value: '/etc/configstore/admin/token' };

describe('DNS shim (no cluster)', () => {
  it('resolves Service names for dns.lookup, dns.promises.lookup and global fetch; other names go to the real resolver', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dns-shim-'));
    try {
      const map = join(dir, 'services.json');
      writeFileSync(map, JSON.stringify({ namespaces: ['ns1'], services: { 'web.ns1': ['127.1.250.7'], 'idle.ns1': [] } }));
      const shim = new URL(pathToFileURL(join(import.meta.dirname, 'dns-shim.ts')));
      shim.search = new URLSearchParams({ map, ns: 'ns1' }).toString();
      const script = `
        import dns from 'node:dns';
        import { lookup } from 'node:dns/promises';
        import http from 'node:http';
        const names = ['web.ns1.svc.cluster.local', 'web.ns1.svc', 'web.ns1', 'web', 'idle.ns1.svc', 'other.ns1', 'web.ns2.svc', 'localhost'];
        const out = {};
        for (const n of names) {
          out[n] = [await lookup(n).then((a) => a.address, (e) => e.code), await new Promise((r) => dns.lookup(n, (e, a) => r(e ? e.code : a)))];
        }
        const server = http.createServer((req, res) => res.end('host ' + req.headers.host)).listen(0, '127.1.250.7', async () => {
          out.fetch = await (await fetch('http://web.ns1.svc:' + server.address().port + '/')).text();
          server.close();
          console.log(JSON.stringify(out));
        });`;
      const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { env: { PATH: process.env.PATH, NODE_OPTIONS: `--import=${shim.href}` } });
      const out = JSON.parse(stdout) as Record<string, unknown>;
      expect(out).toMatchObject({
        'web.ns1.svc.cluster.local': ['127.1.250.7', '127.1.250.7'],
        'web.ns1.svc': ['127.1.250.7', '127.1.250.7'],
        'web.ns1': ['127.1.250.7', '127.1.250.7'],
        web: ['127.1.250.7', '127.1.250.7'], // short name, in the pod's namespace
        'idle.ns1.svc': ['ENOTFOUND', 'ENOTFOUND'], // no ready pod
        'other.ns1': ['ENOTFOUND', 'ENOTFOUND'], // no such Service in a namespace of the node
        'web.ns2.svc': ['ENOTFOUND', 'ENOTFOUND'],
        localhost: ['127.0.0.1', '127.0.0.1'],
      });
      expect(out.fetch).toMatch(/^host web\.ns1\.svc:\d+$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('fake node on the real control plane', () => {
  let kc: KubeConfig;
  let namespace: string;
  let cleanupNamespace: () => Promise<void>;
  let etcd: ReturnType<typeof isolatedEtcdPrefix>;
  let workDir: string;
  let node: FakeNode;
  let core: CoreV1Api;
  let batch: BatchV1Api;

  beforeAll(async () => {
    ({ kc, namespace, cleanup: cleanupNamespace } = await isolatedNamespace('fake-node'));
    etcd = isolatedEtcdPrefix('fake-node');
    workDir = mkdtempSync(join(tmpdir(), 'fake-node-'));
    core = kc.makeApiClient(CoreV1Api);
    batch = kc.makeApiClient(BatchV1Api);
    await core.createNamespacedSecret({ namespace, body: { metadata: { name: 'configstore-admin' }, stringData: { token: 'admin-secret-token' } } });
    node = await startFakeNode({ kc, workDir, namespaces: [namespace] });
  });
  afterAll(async () => {
    await node?.stop();
    await cleanupNamespace?.();
    await etcd?.cleanup();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  const jobPod = (job: string) =>
    waitFor(`the pod of job ${job}`, async () => (await core.listNamespacedPod({ namespace, labelSelector: `job-name=${job}` })).items[0]);

  async function runJob(name: string, container: V1Container, volumes: V1Volume[] = []): Promise<{ outcome: string; pod: V1Pod }> {
    await batch.createNamespacedJob({
      namespace,
      body: { metadata: { name }, spec: { backoffLimit: 0, template: { spec: { restartPolicy: 'Never', containers: [container], volumes } } } },
    });
    const outcome = await waitFor(`job ${name} to finish`, async () => {
      const job = await batch.readNamespacedJob({ name, namespace });
      return job.status?.conditions?.find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True')?.type;
    });
    const { metadata } = await jobPod(name);
    return { outcome, pod: await core.readNamespacedPod({ name: metadata!.name!, namespace }) };
  }

  it('runs Jobs: the Job controller sees a CLI that exits 0 succeed and one that fails fail, with its message', { timeout: 180_000 }, async () => {
    const [ok, bad] = await Promise.all([
      runJob('version', cli(['--version'])),
      runJob('no-server', cli(['maintenance', 'status'], { terminationMessagePolicy: 'FallbackToLogsOnError' })),
    ]);
    expect(ok.outcome).toBe('Complete');
    expect(ok.pod.spec!.nodeName).toBe(node.nodeName);
    expect(ok.pod.status!.phase).toBe('Succeeded');
    expect(ok.pod.status!.containerStatuses![0]!.state!.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(node.logsOf(namespace, ok.pod.metadata!.name!).trim()).toBe('0.1.0');

    expect(bad.outcome).toBe('Failed');
    expect(bad.pod.status!.phase).toBe('Failed');
    const terminated = bad.pod.status!.containerStatuses![0]!.state!.terminated!;
    expect(terminated).toMatchObject({ exitCode: 2, reason: 'Error' });
    // the CLI wrote no termination log: the kubelet's fallback, the end of the log
    expect(terminated.message).toContain('no server: set CONFIGSTORE_SERVER or --server');
  });

  it('runs a Deployment of configstore serve to 2 ready replicas; a Service resolves to them inside pods; results come back as termination messages', { timeout: 240_000 }, async () => {
    const apps = kc.makeApiClient(AppsV1Api);
    const dataDir = join(workDir, 'shared-data');
    mkdirSync(dataDir);
    const labels = { app: 'configstore' };
    await apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: 'configstore', labels },
        spec: {
          replicas: 2,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: {
              containers: [
                {
                  name: 'configstore',
                  image: 'configstore:dev',
                  args: ['serve'], // no command: the image's entrypoint is configstore
                  ports: [{ name: 'http', containerPort: 8080 }],
                  env: [
                    { name: 'CONFIGSTORE_ETCD_ENDPOINTS', value: localEnv().etcd.endpoint },
                    { name: 'CONFIGSTORE_ETCD_PREFIX', value: etcd.prefix },
                    { name: 'CONFIGSTORE_OBJECT_STORAGE', value: 'file:///var/lib/configstore/objects' },
                    { name: 'CONFIGSTORE_LISTEN', value: '0.0.0.0:8080' },
                    { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                    adminEnv,
                  ],
                  readinessProbe: { httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 1, failureThreshold: 3 },
                  volumeMounts: [{ name: 'data', mountPath: '/var/lib/configstore' }, adminMount],
                },
              ],
              volumes: [{ name: 'data', hostPath: { path: dataDir } }, adminVolume],
            },
          },
        },
      },
    });
    await core.createNamespacedService({ namespace, body: { metadata: { name: 'configstore' }, spec: { selector: labels, ports: [{ name: 'http', port: 8080, targetPort: 'http' }] } } });

    await waitFor('2 ready replicas', async () => {
      const d = await apps.readNamespacedDeployment({ name: 'configstore', namespace });
      return d.status?.readyReplicas === 2 && d.status.availableReplicas === 2;
    });
    const pods = (await core.listNamespacedPod({ namespace, labelSelector: 'app=configstore' })).items;
    expect(pods).toHaveLength(2);
    const ips = pods.map((p) => p.status!.podIP!);
    expect(new Set(ips).size).toBe(2);
    for (const p of pods) {
      expect(p.status!.podIP).toMatch(/^127\.1\.\d+\.\d+$/);
      expect(node.podIp(namespace, p.metadata!.name!)).toBe(p.status!.podIP);
      expect(p.status!.conditions!.find((c) => c.type === 'Ready')!.status).toBe('True');
      // it listens on its own IP (0.0.0.0 rewritten), with the admin token from the Secret volume
      const res = await fetch(`http://${p.status!.podIP}:8080/api/v1alpha/maintenance`, { headers: { authorization: 'Bearer admin-secret-token' } });
      expect(res.status).toBe(200);
    }

    const status = await runJob('status', cli(['maintenance', 'status', '--server', `http://configstore.${namespace}.svc:8080`], { env: [adminEnv], volumeMounts: [adminMount] }), [adminVolume]);
    expect(status.outcome).toBe('Complete');
    const report = JSON.parse(node.logsOf(namespace, status.pod.metadata!.name!)) as { requested: boolean; instances: { id: string }[] };
    expect(report.requested).toBe(false);
    // POD_NAME from the downward API is each instance's id
    expect(report.instances.map((i) => i.id).sort()).toEqual(pods.map((p) => p.metadata!.name).sort());

    // the short name from inside the namespace; the export's result line is the termination message
    const exported = await runJob('export', cli(['export', '--to', 'backup.ndjson', '--server', 'http://configstore:8080'], { env: [adminEnv], volumeMounts: [adminMount] }), [adminVolume]);
    expect(exported.outcome).toBe('Complete');
    const message = exported.pod.status!.containerStatuses![0]!.state!.terminated!.message!;
    expect(JSON.parse(message)).toMatchObject({ operation: 'export', objects: expect.any(Number), sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(existsSync(join(node.podDir(namespace, exported.pod.metadata!.name!)!, 'backup.ndjson'))).toBe(true);
  });

  it('deleting a pod stops its process before the pod goes; the Deployment replaces it', { timeout: 180_000 }, async () => {
    const apps = kc.makeApiClient(AppsV1Api);
    const [victim] = (await core.listNamespacedPod({ namespace, labelSelector: 'app=configstore' })).items;
    const name = victim!.metadata!.name!;
    const ip = victim!.status!.podIP!;
    await core.deleteNamespacedPod({ name, namespace }); // default grace period: the node must finish it
    await waitFor(`pod ${name} to be gone`, () => core.readNamespacedPod({ name, namespace }).then(() => false, (err: { code?: number }) => err.code === 404));
    const refused = await new Promise<boolean>((resolve) => {
      const socket = connect(8080, ip);
      socket.on('connect', () => (socket.destroy(), resolve(false)));
      socket.on('error', () => resolve(true));
    });
    expect(refused).toBe(true);
    await waitFor('2 ready replicas again', async () => {
      const d = await apps.readNamespacedDeployment({ name: 'configstore', namespace });
      const pods = (await core.listNamespacedPod({ namespace, labelSelector: 'app=configstore' })).items;
      return d.status?.readyReplicas === 2 && !pods.some((p) => p.metadata!.name === name);
    });
  });

  it('builds env from the spec only: Secrets, ConfigMaps, the downward API, $(VAR); a missing key waits as CreateContainerConfigError', { timeout: 180_000 }, async () => {
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'settings' }, data: { CONFIGSTORE_ETCD_ENDPOINTS: 'http://127.0.0.1:2379', PORT: '9000' } } });
    const pod: V1Pod = {
      metadata: { name: 'p', namespace, uid: 'u-1', labels: { tier: 'db' } },
      spec: { containers: [] },
      status: { podIP: '127.1.9.9' },
    };
    const env = await containerEnv(core, pod, {
      name: 'c',
      envFrom: [{ configMapRef: { name: 'settings' }, prefix: 'CM_' }, { secretRef: { name: 'configstore-admin' } }, { secretRef: { name: 'absent', optional: true } }],
      env: [
        { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
        { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
        { name: 'TIER', valueFrom: { fieldRef: { fieldPath: "metadata.labels['tier']" } } },
        { name: 'LISTEN', value: '$(IP):$(CM_PORT) $$(IP) $(UNDEFINED)' },
        { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'configstore-admin', key: 'token' } } },
        { name: 'OPTIONAL', valueFrom: { secretKeyRef: { name: 'configstore-admin', key: 'nope', optional: true } } },
      ],
    });
    expect(env).toEqual({
      CM_CONFIGSTORE_ETCD_ENDPOINTS: 'http://127.0.0.1:2379',
      CM_PORT: '9000',
      token: 'admin-secret-token',
      POD_NAME: 'p',
      NS: namespace,
      IP: '127.1.9.9',
      TIER: 'db',
      LISTEN: '127.1.9.9:9000 $(IP) $(UNDEFINED)',
      TOKEN: 'admin-secret-token',
    });
    await expect(containerEnv(core, pod, { name: 'c', env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'configstore-admin', key: 'nope' } } }] })).rejects.toBeInstanceOf(ContainerConfigError);

    // a real pod: its Secret is missing at first, and nothing of the test process leaks in
    process.env.CONFIGSTORE_LISTEN = 'leaked-from-the-test-process';
    try {
      await core.createNamespacedPod({
        namespace,
        body: {
          metadata: { name: 'env-check' },
          spec: {
            restartPolicy: 'Never',
            containers: [
              cli(['serve'], {
                terminationMessagePolicy: 'FallbackToLogsOnError',
                envFrom: [{ configMapRef: { name: 'settings' } }],
                env: [{ name: 'CONFIGSTORE_LOG_LEVEL', valueFrom: { secretKeyRef: { name: 'late', key: 'level' } } }],
              }),
            ],
          },
        },
      });
      const waiting = await waitFor('CreateContainerConfigError', async () => {
        const p = await core.readNamespacedPod({ name: 'env-check', namespace });
        return p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CreateContainerConfigError' && p;
      });
      expect(waiting.status!.phase).toBe('Pending');
      expect(waiting.status!.containerStatuses![0]!.state!.waiting!.message).toContain('secret "late" not found');
      const events = await waitFor('a Warning event', async () => (await core.listNamespacedEvent({ namespace, fieldSelector: 'involvedObject.name=env-check,type=Warning' })).items[0]);
      expect(events.message).toContain('secret "late" not found');

      await core.createNamespacedSecret({ namespace, body: { metadata: { name: 'late' }, stringData: { level: 'from-the-secret' } } });
      const done = await waitFor('env-check to fail', async () => {
        const p = await core.readNamespacedPod({ name: 'env-check', namespace });
        return p.status?.phase === 'Failed' && p;
      });
      // serve checks its settings in order: listen (default, not the leaked value), endpoints (ConfigMap), log level (Secret)
      expect(done.status!.containerStatuses![0]!.state!.terminated!.message).toContain('CONFIGSTORE_LOG_LEVEL="from-the-secret": not a log level');
    } finally {
      delete process.env.CONFIGSTORE_LISTEN;
    }
  });

  it('restarts a failing container with back-off (OnFailure); a command other than configstore fails to start', { timeout: 180_000 }, async () => {
    await core.createNamespacedPod({ namespace, body: { metadata: { name: 'crash' }, spec: { restartPolicy: 'OnFailure', containers: [cli(['serve'])] } } });
    await core.createNamespacedPod({ namespace, body: { metadata: { name: 'shell' }, spec: { restartPolicy: 'Never', containers: [cli([], { command: ['sh', '-c', 'true'] })] } } });
    const crashing = await waitFor('2 restarts', async () => {
      const p = await core.readNamespacedPod({ name: 'crash', namespace });
      return (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 2 && p;
    });
    expect(crashing.status!.phase).toBe('Running');
    expect(crashing.status!.containerStatuses![0]!.lastState!.terminated).toMatchObject({ exitCode: 2, reason: 'Error' });
    expect(node.logsOf(namespace, 'crash').match(/no etcd endpoints/g)!.length).toBeGreaterThanOrEqual(2);

    const shell = await waitFor('shell to fail', async () => {
      const p = await core.readNamespacedPod({ name: 'shell', namespace });
      return p.status?.phase === 'Failed' && p;
    });
    expect(shell.status!.containerStatuses![0]!.state!.terminated).toMatchObject({ exitCode: 128, reason: 'StartError' });
    const nodeLog = join(workDir, 'node.log'); // written only when something goes wrong
    expect(existsSync(nodeLog) ? readFileSync(nodeLog, 'utf8') : '').not.toMatch(/worker failed|not written/);
  });
});
