// How long an export takes through the operator: ConfigStoreMaintenance applied → Succeeded
// (admit, queue, Job created by the real Job controller, its pod run by the kubelet of the
// local node from the image built from the Dockerfile, CLI export to MinIO, result read from
// the termination message), against the baseline of the same CLI export run directly in this
// script. The operator is installed by `helm install`. Target: < 10 s for 10k objects.
//   npx tsx bench/operator.ts        BENCH_OBJECTS (10000), BENCH_ROUNDS (3), LOCAL_ENV_DIR (reuse a running env)
import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { S3ObjectStorage } from '../configstore/objectstorage/s3.js';
import { apiVersion, group, version, type ConfigStoreCluster, type ConfigStoreMaintenance } from '../operator/api/index.js';
import { createBucket, down, readState, up, type LocalEnvState } from '../scripts/localenv/env.js';
import { helmInstallOperator, isClusterReady, nodeImage } from '../scripts/localenv/operator.js';
import { repoRoot } from '../scripts/localenv/tools.js';
import { median, table } from './lib.js';
import { seedUsers } from './seed.js';

const run = promisify(execFile);
const objects = Number(process.env.BENCH_OBJECTS ?? 10_000);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);

async function main() {
  const reuse = process.env.LOCAL_ENV_DIR;
  const dir = mkdtempSync(join(tmpdir(), 'configstore-bench-operator-'));
  const state: LocalEnvState = reuse ? readState(reuse) : await up({ node: true, dir: join(dir, 'env') });
  const kc = new KubeConfig();
  kc.loadFromFile(state.kube!.kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const namespace = `bench-op-${Date.now().toString(36)}`;
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  await helmInstallOperator({ state, namespace, replicas: 1 });
  try {
    const s3 = state.s3;
    for (const [name, data] of [
      ['s3', { AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey }],
      ['admin', { token: 'bench-admin-token' }],
    ] as const) {
      await core.createNamespacedSecret({ namespace, body: { metadata: { name }, stringData: data } });
    }
    const dataBucket = `${namespace}-data`;
    const backupBucket = `${namespace}-backups`;
    await createBucket(s3, dataBucket);
    await createBucket(s3, backupBucket);
    const prefix = `/bench/${namespace}/`;
    const storage = new S3ObjectStorage({
      bucket: dataBucket,
      endpoint: s3.endpoint,
      region: s3.region,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    });
    await seedUsers(storage, state.etcd.endpoint, prefix, objects / 2); // users + their root groups
    await storage.close();

    const cluster: ConfigStoreCluster = {
      apiVersion,
      kind: 'ConfigStoreCluster',
      metadata: { name: 'main', namespace },
      spec: {
        replicas: 2,
        image: nodeImage(state),
        logLevel: 'warn',
        etcd: { endpoints: [state.etcd.endpoint], prefix },
        objectStorage: { s3: { bucket: dataBucket, endpoint: s3.endpoint, region: s3.region, credentialsSecretRef: { name: 's3' } } },
        adminTokenSecretRef: { name: 'admin' },
      },
    };
    await custom.createNamespacedCustomObject({ group, version, namespace, plural: 'configstoreclusters', body: cluster });
    for (
      let i = 0;
      !isClusterReady(
        (await custom.getNamespacedCustomObject({ group, version, namespace, plural: 'configstoreclusters', name: 'main' })) as ConfigStoreCluster,
        2,
      );
      i++
    ) {
      if (i > 600) throw new Error('the cluster did not become ready in 2 min');
      await sleep(200);
    }
    const pods = await core.listNamespacedPod({ namespace, labelSelector: 'app.kubernetes.io/component=server' });
    const server = `http://${pods.items[0]!.status!.podIP}:4000`;

    const cliExport = async (key: string) => {
      const t = Date.now();
      const to = `s3://${backupBucket}/${key}?endpoint=${encodeURIComponent(s3.endpoint)}&region=${s3.region}`;
      const { stdout } = await run(join(repoRoot, 'scripts/configstore'), ['export', '--to', to], {
        env: {
          PATH: process.env.PATH,
          CONFIGSTORE_SERVER: server,
          CONFIGSTORE_ADMIN_TOKEN: 'bench-admin-token',
          AWS_ACCESS_KEY_ID: s3.accessKeyId,
          AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
        },
      });
      return { seconds: (Date.now() - t) / 1000, objects: (JSON.parse(stdout) as { objects: number }).objects };
    };
    const crExport = async (name: string) => {
      const t = Date.now();
      const body = {
        apiVersion,
        kind: 'ConfigStoreMaintenance',
        metadata: { name, namespace },
        spec: {
          clusterRef: { name: 'main' },
          operation: 'Export',
          export: {
            destination: {
              s3: { bucket: backupBucket, key: `${name}.ndjson`, endpoint: s3.endpoint, region: s3.region, credentialsSecretRef: { name: 's3' } },
            },
          },
        },
      };
      await custom.createNamespacedCustomObject({ group, version, namespace, plural: 'configstoremaintenances', body });
      for (;;) {
        const m = (await custom.getNamespacedCustomObject({ group, version, namespace, plural: 'configstoremaintenances', name })) as ConfigStoreMaintenance;
        if (m.status?.phase === 'Succeeded') return { seconds: (Date.now() - t) / 1000, objects: m.status.result!.objects };
        if (m.status?.phase === 'Failed' || m.status?.phase === 'Rejected') throw new Error(`${name}: ${m.status.message}`);
        await sleep(50);
      }
    };

    const rows: Array<[string, ...Array<string | number>]> = [];
    const cr: number[] = [];
    const cli: number[] = [];
    for (let r = 1; r <= rounds; r++) {
      const base = await cliExport(`cli-${r}.ndjson`);
      const viaCr = await crExport(`export-${r}`);
      cli.push(base.seconds);
      cr.push(viaCr.seconds);
      rows.push([`round ${r}`, viaCr.objects, viaCr.seconds.toFixed(2), base.seconds.toFixed(2), (viaCr.seconds - base.seconds).toFixed(2)]);
    }
    rows.push(['median', objects, median(cr).toFixed(2), median(cli).toFixed(2), (median(cr) - median(cli)).toFixed(2)]);
    console.log(
      `export of ${objects} objects: ConfigStoreMaintenance apply → Succeeded vs the same CLI export run directly (2-replica cluster on the local node, MinIO)`,
    );
    console.log(table(rows, ['', 'objects', 'CR → Succeeded (s)', 'CLI export (s)', 'operator overhead (s)']));
    console.log(`target: CR → Succeeded < 10 s at 10k objects: ${median(cr) < 10 ? 'met' : 'missed'}`);
  } finally {
    await core.deleteNamespace({ name: namespace }).catch(() => undefined);
    if (!reuse) await down(join(dir, 'env'));
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
