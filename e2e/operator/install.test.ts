// What a user gets on a real node: `helm install` of the chart (CRDs included) runs the
// operator from the image built from the Dockerfile, examples/ applied with kubectl run a
// cluster, and an Export then an Import CR round-trip its data through MinIO, all under Pod
// Security "restricted" with read-only roots, results read from the kubelet's termination log.
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request as httpRequest } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigStoreMaintenance } from '../../operator/api/index.js';
import { s3ClientFor } from '../../scripts/localenv/env.js';
import { isolatedBucket, isolatedEtcdPrefix } from '../../scripts/localenv/testenv.js';
import { repoRoot } from '../../scripts/localenv/tools.js';
import { finished, podClients, userNames } from './helpers.js';
import { adminToken, getCluster, release, startWorld, until, type World } from './setup.js';

const serverSelector = (cluster: string) => `app.kubernetes.io/component=server,configstore.io/cluster=${cluster}`;

/**
 * examples/secrets.yaml and examples/cluster.yaml as a user edits them: this machine's MinIO
 * and etcd, a fresh bucket and prefix, the image in the local registry. Applied with kubectl.
 */
async function applyExampleCluster(w: World, name: string, replicas = 3) {
  const etcd = isolatedEtcdPrefix(name);
  const storage = await isolatedBucket(`${name}-data`);
  const secrets = readFileSync(join(repoRoot, 'examples', 'secrets.yaml'), 'utf8')
    .replace('replace-me-access-key-id', w.env.s3.accessKeyId)
    .replace('replace-me-secret-access-key', w.env.s3.secretAccessKey)
    .replace('replace-me-with-a-long-random-token', adminToken);
  const cluster = readFileSync(join(repoRoot, 'examples', 'cluster.yaml'), 'utf8')
    .replace(/^ {2}name: main$/m, `  name: ${name}`)
    .replace(/replicas: 3 /, `replicas: ${replicas} `)
    .replace('ghcr.io/example/configstore:0.1.0', w.env.node.image)
    .replace('http://etcd.etcd.svc:2379', w.env.etcd.endpoint)
    .replace('/configstore/main/', etcd.prefix)
    .replace('bucket: configstore', `bucket: ${storage.bucket}`)
    .replace('http://minio.minio.svc:9000', w.env.s3.endpoint);
  writeFileSync(join(w.dir, 'secrets.yaml'), secrets);
  writeFileSync(join(w.dir, `${name}.yaml`), cluster);
  await w.kubectl(['apply', '-f', join(w.dir, 'secrets.yaml'), '-f', join(w.dir, `${name}.yaml`)]);
  return { name, etcdPrefix: etcd.prefix, storage, cleanup: async () => (await etcd.cleanup(), await storage.cleanup().catch(() => undefined)) };
}

describe('on a real node: the chart, the image and examples/', () => {
  let w: World;
  let main: Awaited<ReturnType<typeof applyExampleCluster>>;
  let backups: Awaited<ReturnType<typeof isolatedBucket>>;

  beforeAll(async () => {
    w = await startWorld('install', { operatorReplicas: 2 });
    backups = await isolatedBucket('install-backups');
  }, 240_000);
  afterAll(async () => {
    await w?.cleanup();
    await main?.cleanup();
    await backups?.cleanup();
  });

  /** examples/<file> with this world's names and endpoints, applied with kubectl. */
  const applyExample = async (file: string, edits: Array<[string | RegExp, string]>) => {
    let text = readFileSync(join(repoRoot, 'examples', file), 'utf8')
      .replace('bucket: configstore-backups', `bucket: ${backups.bucket}`)
      .replace('http://minio.minio.svc:9000', w.env.s3.endpoint);
    for (const [from, to] of edits) text = text.replace(from, to);
    writeFileSync(join(w.dir, file), text);
    return w.kubectl(['apply', '-f', join(w.dir, file)]);
  };
  it('helm install runs the operator from the image, restricted, with the chart’s CRDs established', async () => {
    const deployment = await w.apps.readNamespacedDeployment({ name: release, namespace: w.namespace });
    expect(deployment.status?.readyReplicas).toBe(2);
    const pods = (await w.core.listNamespacedPod({ namespace: w.namespace, labelSelector: `app.kubernetes.io/name=${release}` })).items;
    expect(pods).toHaveLength(2);
    for (const pod of pods) {
      expect(pod.spec!.nodeName).toBe(w.env.node.name);
      expect(pod.spec!.containers[0]!.image).toBe(w.env.node.image);
      expect(pod.spec!.securityContext?.seccompProfile?.type).toBe('RuntimeDefault');
      expect(pod.status!.containerStatuses![0]!.imageID).toContain('sha256:');
    }
    const crds = await w.kubectl([
      'get',
      'crd',
      'configstoreclusters.configstore.io',
      'configstoremaintenances.configstore.io',
      '-o',
      'jsonpath={range .items[*]}{.status.conditions[?(@.type=="Established")].status}{" "}{end}',
    ]);
    expect(crds.trim()).toBe('True True');
    const leader = await w.operator.leader();
    expect(pods.map((p) => p.metadata!.name)).toContain(leader.metadata!.name);
  });

  it('examples/cluster.yaml runs 3 instances on the node; each is ready seconds after it is scheduled', async () => {
    main = await applyExampleCluster(w, 'main', 3);
    const cluster = await until(
      w,
      'cluster main Ready',
      async () => {
        const c = await getCluster(w, 'main');
        return c.status?.readyReplicas === 3 && c.status.mode === 'normal' && c.status.conditions?.some((x) => x.type === 'Ready' && x.status === 'True') && c;
      },
      180_000,
      300,
      async () => (await getCluster(w, 'main')).status,
    );
    expect(cluster.status!.instances).toHaveLength(3);
    const pods = (await w.core.listNamespacedPod({ namespace: w.namespace, labelSelector: serverSelector('main') })).items;
    const startSeconds = pods.map((p) => {
      const at = (type: string) => new Date(p.status!.conditions!.find((c) => c.type === type)!.lastTransitionTime!).getTime();
      return (at('Ready') - at('PodScheduled')) / 1000;
    });
    console.log(
      `server pods, PodScheduled → Ready (readiness probe every 2 s; 1 s resolution): ${startSeconds.join(', ')} s; image ${(w.env.node.imageBytes / 1e6).toFixed(0)} MB`,
    );
    for (const pod of pods) {
      expect(pod.spec!.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } });
      expect(pod.spec!.containers[0]!.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
      expect(pod.spec!.volumes!.find((v) => v.name === 'scratch')?.emptyDir).toBeDefined();
      // the CRD's default resources, and V8's heap ceiling under the limit
      expect(pod.spec!.containers[0]!.resources).toEqual({ requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '1Gi' } });
      expect(pod.spec!.containers[0]!.env).toContainEqual({ name: 'NODE_OPTIONS', value: '--max-old-space-size=768' });
    }
    // what V8 makes of it inside the running container (kubectl exec through the kubelet)
    const heap = JSON.parse(
      await w.kubectl([
        'exec',
        pods[0]!.metadata!.name!,
        '--',
        'node',
        '-e',
        "console.log(JSON.stringify({heapLimitMiB: Math.round(require('v8').getHeapStatistics().heap_size_limit / 2 ** 20), cgroupMiB: Math.round(process.constrainedMemory() / 2 ** 20)}))",
      ]),
    ) as { heapLimitMiB: number; cgroupMiB: number };
    expect(heap.cgroupMiB).toBe(1024);
    expect(heap.heapLimitMiB).toBeGreaterThanOrEqual(768);
    expect(heap.heapLimitMiB).toBeLessThan(1024);
    console.log(`V8 in a server pod with a 1Gi limit: heap limit ${heap.heapLimitMiB} MiB (old space capped at 768)`);
  });

  let exported: ConfigStoreMaintenance;
  let rotated = '';
  it('an Export CR from examples/ succeeds; its result came through the termination log and matches the stored object', async () => {
    const client = (await podClients(w, 'main'))[0]!.client;
    for (let i = 0; i < 30; i++) await client.createUser({ name: `user${i}` });
    await applyExample('export.yaml', []);
    exported = await finished(w, 'export-1');
    expect(exported.status!.phase, exported.status!.message).toBe('Succeeded');
    const result = exported.status!.result!;
    expect(result.objects).toBeGreaterThanOrEqual(30);

    const jobPods = (await w.core.listNamespacedPod({ namespace: w.namespace, labelSelector: 'configstore.io/maintenance=export-1' })).items;
    const terminated = jobPods.map((p) => p.status?.containerStatuses?.[0]?.state?.terminated).find((t) => t?.exitCode === 0);
    expect(terminated?.message, 'the kubelet read the result from /dev/termination-log').toContain(result.sha256);

    const s3 = s3ClientFor(w.env.s3);
    const object = await s3.send(new GetObjectCommand({ Bucket: backups.bucket, Key: 'main/export-1.ndjson.gz' }));
    const bytes = Buffer.from(await object.Body!.transformToByteArray());
    s3.destroy();
    expect(bytes.length).toBe(result.bytes);
    // the result's sha256 is the export's own: of every byte before its trailer line
    const text = gunzipSync(bytes);
    const trailerAt = text.lastIndexOf('\n', text.length - 2) + 1;
    expect(createHash('sha256').update(text.subarray(0, trailerAt)).digest('hex')).toBe(result.sha256);
    expect(JSON.parse(text.subarray(trailerAt).toString())).toMatchObject({ objects: result.objects, sha256: result.sha256 });
  });

  it('an Import CR from examples/ restores it on every instance (the import’s scratch on the emptyDir of a read-only pod)', async () => {
    const client = (await podClients(w, 'main'))[0]!.client;
    await client.createUser({ name: 'after-export' });
    // as a user would: uncomment the sha256 line and paste the export's
    await applyExample('import.yaml', [[/# sha256: [0-9a-f]{64}/, `sha256: ${exported.status!.result!.sha256}`]]);
    const imported = await finished(w, 'import-1');
    expect(imported.status!.phase, imported.status!.message).toBe('Succeeded');
    const expected = Array.from({ length: 30 }, (_, i) => `user${i}`).sort();
    const all = await podClients(w, 'main');
    expect(all).toHaveLength(3);
    for (const { client: c } of all) {
      const names = await until(w, 'the imported users', async () => {
        const served = await userNames(c).catch(() => undefined);
        return served?.length === expected.length && served;
      });
      expect(names).toEqual(expected);
    }
    const cluster = await getCluster(w, 'main');
    expect(cluster.status!.mode).toBe('normal');
  });

  it('a rotated admin token reaches the running instances through their Secret volume, without a restart; the next Job uses it', async () => {
    const before = (await w.core.listNamespacedPod({ namespace: w.namespace, labelSelector: serverSelector('main') })).items
      .map((p) => p.metadata!.name!)
      .sort();
    rotated = `rotated-${Date.now().toString(36)}-token`;
    const status = async (ip: string, token: string) =>
      (await fetch(`http://${ip}:4000/api/v1alpha/maintenance`, { headers: { authorization: `Bearer ${token}` } })).status;
    const started = Date.now();
    await w
      .kubectl(['create', 'secret', 'generic', 'configstore-admin', `--from-literal=token=${rotated}`, '--dry-run=client', '-o', 'yaml'])
      .then((yaml) => w.kubectl(['apply', '-f', '-'], yaml));
    const ips = (await w.core.listNamespacedPod({ namespace: w.namespace, labelSelector: serverSelector('main') })).items.map((p) => p.status!.podIP!);
    await until(
      w,
      'every instance to take the rotated token',
      async () => {
        for (const ip of ips) if ((await status(ip, rotated)) !== 200) return false;
        return true;
      },
      120_000,
      500,
    );
    const seconds = (Date.now() - started) / 1000;
    for (const ip of ips) expect(await status(ip, adminToken)).toBe(403);
    const after = (await w.core.listNamespacedPod({ namespace: w.namespace, labelSelector: serverSelector('main') })).items;
    expect(after.map((p) => p.metadata!.name!).sort()).toEqual(before);
    expect(after.every((p) => p.status!.containerStatuses![0]!.restartCount === 0)).toBe(true);
    console.log(
      `rotated admin token in force on all 3 instances ${seconds.toFixed(1)} s after the Secret changed (kubelet syncFrequency 10 s here), no restart`,
    );
    await applyExample('export.yaml', [
      ['name: export-1', 'name: export-2'],
      ['main/export-1.ndjson.gz', 'main/export-2.ndjson.gz'],
    ]);
    const done = await finished(w, 'export-2');
    expect(done.status!.phase, done.status!.message).toBe('Succeeded');
  });

  it('a pod deleted under the kubelet finishes the request in flight (SIGTERM drain), then exits', async () => {
    const [pod] = (await w.core.listNamespacedPod({ namespace: w.namespace, labelSelector: serverSelector('main') })).items;
    const ip = pod!.status!.podIP!;
    const body = Buffer.from(await (await fetch(`http://${ip}:4000/api/v1alpha/export`, { headers: { authorization: `Bearer ${rotated}` } })).arrayBuffer());
    // a dry-run import whose body arrives in two halves, the pod deleted in between
    const response = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = httpRequest(
        `http://${ip}:4000/api/v1alpha/import?dryRun=true`,
        {
          method: 'POST',
          headers: { authorization: `Bearer ${rotated}`, 'content-type': 'application/x-ndjson', 'content-length': body.length },
        },
        (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on('error', reject);
      req.write(body.subarray(0, body.length >> 1));
      (async () => {
        await w.core.deleteNamespacedPod({ name: pod!.metadata!.name!, namespace: w.namespace }); // the default grace: SIGTERM, then 30 s
        await new Promise((r) => setTimeout(r, 2000)); // the kubelet has sent SIGTERM by now
        req.end(body.subarray(body.length >> 1));
      })().catch(reject);
    });
    const deletedAt = Date.now();
    const { status, text } = await response;
    expect(status, text).toBe(200);
    expect(JSON.parse(text)).toMatchObject({ dryRun: true });
    await until(
      w,
      'the deleted pod gone',
      async () =>
        !(await w.core.listNamespacedPod({ namespace: w.namespace, labelSelector: serverSelector('main') })).items.some(
          (p) => p.metadata!.uid === pod!.metadata!.uid,
        ),
      60_000,
      200,
    );
    console.log(`deleted pod finished its in-flight import and was gone ${((Date.now() - deletedAt) / 1000).toFixed(1)} s after the delete`);
  });
});
