// etcd and MinIO inside the cluster, as users run them: a 3-member etcd StatefulSet (peers
// found through a headless Service) and a MinIO Deployment, from images of this machine's
// builds, under Pod Security "restricted". A ConfigStoreCluster reaches both by Service DNS
// only; an export and an import round-trip through the in-cluster MinIO, and the cluster keeps
// taking writes with one etcd member gone.
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigStoreClient } from '../../configstore/client/index.js';
import { containerSecurityContext as container, podSecurityContext as restricted } from '../../operator/controllers/podsecurity.js';
import { createBucket } from '../../scripts/localenv/env.js';
import { finished, userNames } from './helpers.js';
import { adminToken, createCluster, createMaintenance, getCluster, startWorld, until, type World } from './setup.js';

const members = ['etcd-0', 'etcd-1', 'etcd-2'];
const minioUser = 'incluster';
const minioPassword = 'incluster-secret-0123';
// the pods of our own images run as the operator's do (uid 1000, restricted)

/** The etcd StatefulSet, its headless peer Service and its client Service, in `ns`. */
function etcdManifests(ns: string, image: string) {
  const peer = (m: string) => `http://${m}.etcd-peers.${ns}.svc:2380`;
  return [
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'etcd-peers' },
      spec: {
        clusterIP: 'None',
        publishNotReadyAddresses: true,
        selector: { app: 'etcd' },
        ports: [
          { name: 'peer', port: 2380 },
          { name: 'client', port: 2379 },
        ],
      },
    },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'etcd' }, spec: { selector: { app: 'etcd' }, ports: [{ name: 'client', port: 2379 }] } },
    {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'etcd' },
      spec: {
        serviceName: 'etcd-peers',
        replicas: members.length,
        podManagementPolicy: 'Parallel',
        selector: { matchLabels: { app: 'etcd' } },
        template: {
          metadata: { labels: { app: 'etcd' } },
          spec: {
            securityContext: restricted,
            containers: [
              {
                name: 'etcd',
                image,
                env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
                args: [
                  '--name=$(POD_NAME)',
                  '--data-dir=/var/lib/etcd/data',
                  '--listen-client-urls=http://0.0.0.0:2379',
                  `--advertise-client-urls=http://$(POD_NAME).etcd-peers.${ns}.svc:2379`,
                  '--listen-peer-urls=http://0.0.0.0:2380',
                  `--initial-advertise-peer-urls=http://$(POD_NAME).etcd-peers.${ns}.svc:2380`,
                  `--initial-cluster=${members.map((m) => `${m}=${peer(m)}`).join(',')}`,
                  '--initial-cluster-state=new',
                  `--initial-cluster-token=${ns}`,
                  '--log-level=warn',
                ],
                ports: [
                  { name: 'client', containerPort: 2379 },
                  { name: 'peer', containerPort: 2380 },
                ],
                readinessProbe: { httpGet: { path: '/health', port: 2379 }, periodSeconds: 2 },
                volumeMounts: [{ name: 'data', mountPath: '/var/lib/etcd' }],
                securityContext: container,
              },
            ],
            volumes: [{ name: 'data', emptyDir: {} }],
          },
        },
      },
    },
  ];
}

function minioManifests(image: string) {
  return [
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'minio' }, spec: { selector: { app: 'minio' }, ports: [{ name: 's3', port: 9000 }] } },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'minio' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'minio' } },
        template: {
          metadata: { labels: { app: 'minio' } },
          spec: {
            securityContext: restricted,
            containers: [
              {
                name: 'minio',
                image,
                args: ['server', '/data', '--address', ':9000', '--console-address', ':9001', '--quiet'],
                env: [
                  { name: 'MINIO_ROOT_USER', value: minioUser },
                  { name: 'MINIO_ROOT_PASSWORD', value: minioPassword },
                  { name: 'MINIO_BROWSER', value: 'off' },
                  { name: 'MINIO_UPDATE', value: 'off' },
                ],
                ports: [{ name: 's3', containerPort: 9000 }],
                readinessProbe: { httpGet: { path: '/minio/health/ready', port: 9000 }, periodSeconds: 2 },
                volumeMounts: [
                  { name: 'data', mountPath: '/data' },
                  { name: 'tmp', mountPath: '/tmp' },
                ],
                securityContext: container,
              },
            ],
            volumes: [
              { name: 'data', emptyDir: {} },
              { name: 'tmp', emptyDir: {} },
            ],
          },
        },
      },
    },
  ];
}

describe('a cluster on a 3-member etcd and MinIO inside Kubernetes', () => {
  let w: World;
  let minioIp = '';
  const podIps = async (selector: string) =>
    (await w.core.listNamespacedPod({ namespace: w.namespace, labelSelector: selector })).items
      .filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
      .map((p) => ({ name: p.metadata!.name!, ip: p.status!.podIP! }));
  const etcdFromHost = async () => new Etcd3({ hosts: (await podIps('app=etcd')).map((p) => `http://${p.ip}:2379`), dialTimeout: 2000 });
  const clients = async () =>
    (await podIps('configstore.io/cluster=main,app.kubernetes.io/component=server')).map(
      (p) => new ConfigStoreClient(`http://${p.ip}:4000`, { token: adminToken }),
    );
  const s3 = (ns: string) => ({ endpoint: `http://minio.${ns}.svc:9000`, region: 'us-east-1', credentialsSecretRef: { name: 'minio' } });

  beforeAll(async () => {
    w = await startWorld('incluster');
    const manifests = [...etcdManifests(w.namespace, w.env.node.images.etcd), ...minioManifests(w.env.node.images.minio)];
    await w.kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: manifests }));
    await until(
      w,
      'etcd (3 members) and MinIO ready',
      async () => (await podIps('app=etcd')).length === 3 && (await podIps('app=minio')).length === 1,
      180_000,
      500,
      () => w.kubectl(['get', 'pods', '-o', 'wide']),
    );
    minioIp = (await podIps('app=minio'))[0]!.ip;
    for (const bucket of ['data', 'backups'])
      await createBucket({ endpoint: `http://${minioIp}:9000`, region: 'us-east-1', accessKeyId: minioUser, secretAccessKey: minioPassword, bucket }, bucket);
    await w.core.createNamespacedSecret({
      namespace: w.namespace,
      body: { metadata: { name: 'minio' }, stringData: { AWS_ACCESS_KEY_ID: minioUser, AWS_SECRET_ACCESS_KEY: minioPassword } },
    });
    await createCluster(w, 'main', 2, {
      etcd: { endpoints: [`http://etcd.${w.namespace}.svc:2379`], prefix: '/configstore/main/' },
      objectStorage: { s3: { bucket: 'data', ...s3(w.namespace) } },
    });
  }, 300_000);
  afterAll(async () => {
    await w?.cleanup();
  });

  it('runs on them by Service DNS: Ready, both instances registered in the 3-member etcd', async () => {
    const c = await until(
      w,
      'cluster main Ready',
      async () => {
        const x = await getCluster(w, 'main');
        return (
          x.status?.readyReplicas === 2 && x.status.instances?.length === 2 && x.status.conditions?.some((k) => k.type === 'Ready' && k.status === 'True') && x
        );
      },
      180_000,
      300,
      async () => (await getCluster(w, 'main')).status,
    );
    expect(c.status!.mode).toBe('normal');
    const etcd = await etcdFromHost();
    try {
      const list = await etcd.cluster.memberList({});
      expect(list.members.map((m) => m.name).sort()).toEqual(members);
      expect(await etcd.getAll().prefix('/configstore/main/').keys()).not.toHaveLength(0);
    } finally {
      etcd.close();
    }
  });

  it('exports to and imports from the in-cluster MinIO through CRs', async () => {
    const [client] = await clients();
    for (let i = 0; i < 20; i++) await client!.createUser({ name: `member${i}` });
    await createMaintenance(w, 'export-1', {
      clusterRef: { name: 'main' },
      operation: 'Export',
      export: { destination: { s3: { bucket: 'backups', key: 'main.ndjson.gz', ...s3(w.namespace) } } },
    });
    const exported = await finished(w, 'export-1');
    expect(exported.status!.phase, exported.status!.message).toBe('Succeeded');
    await client!.createUser({ name: 'after-export' });
    await createMaintenance(w, 'import-1', {
      clusterRef: { name: 'main' },
      operation: 'Import',
      import: { source: { s3: { bucket: 'backups', key: 'main.ndjson.gz', ...s3(w.namespace) } }, sha256: exported.status!.result!.sha256 },
    });
    const imported = await finished(w, 'import-1');
    expect(imported.status!.phase, imported.status!.message).toBe('Succeeded');
    const expected = Array.from({ length: 20 }, (_, i) => `member${i}`).sort();
    for (const c of await clients())
      expect(
        await until(w, 'the imported users', async () => {
          const names = await userNames(c).catch(() => undefined);
          return names?.length === expected.length && names;
        }),
      ).toEqual(expected);
  });

  it('keeps taking writes with one etcd member gone (quorum 2 of 3)', async () => {
    await w.core.deleteNamespacedPod({ name: 'etcd-2', namespace: w.namespace, gracePeriodSeconds: 0 });
    await until(w, 'etcd-2 gone', async () => !(await podIps('app=etcd')).some((p) => p.name === 'etcd-2'), 30_000);
    const [client] = await clients();
    const started = Date.now();
    for (let i = 0; i < 10; i++) await client!.createUser({ name: `degraded${i}` });
    console.log(`10 writes with 2 of 3 etcd members: ${Date.now() - started} ms`);
    expect((await userNames(client!)).filter((n) => n.startsWith('degraded'))).toHaveLength(10);
  });
});
