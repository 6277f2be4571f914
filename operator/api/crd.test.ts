// The CRDs in crds/ are the generated ones, the API server accepts them, and it refuses
// what the schemas and CEL rules refuse, with the message a user needs.
import { ApiextensionsV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crdDirs, renderCrds } from '../../scripts/gen-crds.js';
import { isolatedNamespace, localEnv } from '../../scripts/localenv/testenv.js';
import { installCrds } from '../../scripts/localenv/crds.js';
import { binary, ensureTools } from '../../scripts/localenv/tools.js';
import { apiVersion, group, version } from './common.js';

const root = join(import.meta.dirname, '..', '..');

describe.each(crdDirs)('%s/', (dir) => {
  it('holds exactly the CRDs generated from operator/api (run `npm run gen:crds` after a schema change)', () => {
    const generated = renderCrds();
    const onDisk = readdirSync(join(root, dir)).filter((f) => f.endsWith('.yaml'));
    expect(onDisk.sort()).toEqual([...generated.keys()].sort());
    for (const [name, text] of generated) expect(readFileSync(join(root, dir, name), 'utf8'), `${dir}/${name} is stale`).toBe(text);
  });
});

describe('CRDs on the API server', () => {
  let ns: Awaited<ReturnType<typeof isolatedNamespace>>;
  let custom: CustomObjectsApi;
  const plural = 'configstoremaintenances';
  const create = (name: string, spec: unknown) =>
    custom.createNamespacedCustomObject({
      group,
      version,
      namespace: ns.namespace,
      plural,
      body: { apiVersion, kind: 'ConfigStoreMaintenance', metadata: { name }, spec },
    });
  const refusal = async (p: Promise<unknown>) => {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e as { code?: number; body?: string },
    );
    expect(err, 'the API server accepted it').toBeDefined();
    expect(err?.code).toBe(422);
    const body = String(err?.body);
    try {
      return String((JSON.parse(body) as { message?: string }).message); // the message kubectl prints
    } catch {
      return body;
    }
  };
  const s3 = { s3: { bucket: 'backups', key: 'x.ndjson.gz', endpoint: 'http://minio:9000' } };

  beforeAll(async () => {
    ns = await isolatedNamespace('crd');
    custom = ns.kc.makeApiClient(CustomObjectsApi);
    await installCrds(localEnv(), ns.kc);
  });
  afterAll(async () => ns?.cleanup());

  it('are established with printer columns and short names', async () => {
    const ext = ns.kc.makeApiClient(ApiextensionsV1Api);
    const crd = await ext.readCustomResourceDefinition({ name: `${plural}.${group}` });
    expect(crd.spec.names.shortNames).toEqual(['csm']);
    expect(crd.spec.versions[0]!.additionalPrinterColumns!.map((c) => c.name)).toEqual(['Phase', 'Cluster', 'Operation', 'Step', 'Age', 'Message']);
    expect(crd.status?.conditions?.find((c) => c.type === 'Established')?.status).toBe('True');
  });

  it('accept a valid export and fill the defaults', async () => {
    const created = (await create('ok', { clusterRef: { name: 'main' }, operation: 'Export', export: { destination: s3 } })) as {
      spec: { export: { quiesce: boolean; destination: { s3: { region: string } } } };
    };
    expect(created.spec.export.quiesce).toBe(false);
    expect(created.spec.export.destination.s3.region).toBe('us-east-1');
  });

  it('serve a created object with status.observedGeneration -1 until the operator writes one (kstatus: InProgress, not Current)', async () => {
    await create('unseen', { clusterRef: { name: 'main' }, operation: 'Export', export: { destination: s3 } });
    const served = await custom.getNamespacedCustomObject({ group, version, namespace: ns.namespace, plural, name: 'unseen' });
    expect(served).toMatchObject({ metadata: { generation: 1 }, status: { observedGeneration: -1 } });
    ensureTools(['kstatus']);
    const computed = execFileSync(binary('kstatus'), { input: JSON.stringify(served), encoding: 'utf8' });
    expect(JSON.parse(computed)).toMatchObject({
      status: 'InProgress',
      message: 'ConfigStoreMaintenance generation is 1, but latest observed generation is -1',
    });
  });

  it('refuse an export block on an import, and a missing one', async () => {
    expect(await refusal(create('mixed', { clusterRef: { name: 'main' }, operation: 'Import', export: { destination: s3 } }))).toContain(
      'spec.export is required for operation Export and not allowed otherwise',
    );
    expect(await refusal(create('missing', { clusterRef: { name: 'main' }, operation: 'Import' }))).toContain('spec.import is required for operation Import');
  });

  it('refuse an unknown operation, a bad sha256 and a bad bucket name, naming each field', async () => {
    const body = await refusal(
      create('bad', { clusterRef: { name: 'main' }, operation: 'Restore', import: { source: { s3: { bucket: 'B_', key: 'k' } }, sha256: 'abc' } }),
    );
    expect(body).toContain('spec.operation');
    expect(body).toContain('Unsupported value: "Restore"');
    expect(body).toContain('spec.import.sha256');
    expect(body).toContain('spec.import.source.s3.bucket');
  });

  it('refuse any change of the spec once created', async () => {
    await create('frozen', { clusterRef: { name: 'main' }, operation: 'Maintenance' });
    const patch = custom.patchNamespacedCustomObject(
      { group, version, namespace: ns.namespace, plural, name: 'frozen', body: { spec: { clusterRef: { name: 'other' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(await refusal(patch)).toContain('spec is immutable');
  });

  it('refuse a cluster with both or neither object storage', async () => {
    const cluster = (name: string, objectStorage: unknown) =>
      custom.createNamespacedCustomObject({
        group,
        version,
        namespace: ns.namespace,
        plural: 'configstoreclusters',
        body: {
          apiVersion,
          kind: 'ConfigStoreCluster',
          metadata: { name },
          spec: { image: 'configstore:dev', etcd: { endpoints: ['http://etcd:2379'] }, objectStorage },
        },
      });
    expect(await refusal(cluster('both', { posix: { path: '/data', claimName: 'objects' }, s3: { bucket: 'abc' } }))).toContain(
      'set exactly one of objectStorage.s3 and objectStorage.posix',
    );
    expect(await refusal(cluster('neither', {}))).toContain('set exactly one');
    expect(await refusal(cluster('noclaim', { posix: { path: '/data' } }))).toContain('spec.objectStorage.posix.claimName: Required value');
    const ok = (await cluster('posix', { posix: { path: '/data', claimName: 'objects' } })) as {
      spec: { replicas: number; port: number; etcd: { prefix: string } };
    };
    expect(ok.spec).toMatchObject({ replicas: 3, port: 4000, etcd: { prefix: '/configstore/' } });
  });
});
