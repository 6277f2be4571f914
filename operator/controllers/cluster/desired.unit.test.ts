// The Deployment, Service and Job the operator makes from the custom resources: defaults
// applied, the configstore settings it passes, the Secret references, Pod Security settings.
// (The real API server and Pod Security admission judge them in e2e/operator.)
import { describe, expect, it } from 'vitest';
import { parseObjectStorageUrl } from '../../../configstore/types/index.js';
import type { ConfigStoreCluster, ConfigStoreMaintenance } from '../../api/index.js';
import { desiredJob } from '../maintenance/job.js';
import { desiredDeployment, desiredService, objectStorageUrl } from './desired.js';

const cluster = (spec: Partial<ConfigStoreCluster['spec']> = {}): ConfigStoreCluster => ({
  apiVersion: 'configstore.io/v1alpha1',
  kind: 'ConfigStoreCluster',
  metadata: { name: 'main', namespace: 'ns', uid: 'c-uid', generation: 1 },
  spec: {
    image: 'configstore:1',
    etcd: { endpoints: ['http://etcd:2379'] },
    objectStorage: { s3: { bucket: 'data', prefix: 'cs/main/', endpoint: 'http://minio:9000' } },
    ...spec,
  },
});

const envOf = (d: { spec?: { template: { spec?: { containers: { env?: { name: string; value?: string }[] }[] } } } }) =>
  Object.fromEntries((d.spec!.template.spec!.containers[0]!.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value]));

describe('desired objects', () => {
  it('a Deployment with the CRD defaults applied when the spec leaves them out', () => {
    const d = desiredDeployment(cluster());
    expect(d.spec!.replicas).toBe(3);
    const env = envOf(d);
    expect(env).toMatchObject({
      CONFIGSTORE_LISTEN: '0.0.0.0:4000',
      CONFIGSTORE_ETCD_PREFIX: '/configstore/',
      CONFIGSTORE_LOG_LEVEL: 'info',
      CONFIGSTORE_ETCD_ENDPOINTS: 'http://etcd:2379',
    });
    const c = d.spec!.template.spec!.containers[0]!;
    expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(d.spec!.template.spec!.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(d.metadata!.ownerReferences).toMatchObject([{ kind: 'ConfigStoreCluster', name: 'main', uid: 'c-uid', controller: true }]);
  });

  it('the spec wins over the defaults; a changed etcd Secret fingerprint rolls the pods', () => {
    const d = desiredDeployment(
      cluster({
        replicas: 5,
        port: 8080,
        logLevel: 'debug',
        etcd: { endpoints: ['https://etcd:2379'], prefix: '/team-a/', credentialsSecretRef: { name: 'etcd-tls' } },
      }),
      { etcdCredentials: 'f1' },
    );
    expect(d.spec!.replicas).toBe(5);
    expect(envOf(d)).toMatchObject({ CONFIGSTORE_LISTEN: '0.0.0.0:8080', CONFIGSTORE_ETCD_PREFIX: '/team-a/', CONFIGSTORE_LOG_LEVEL: 'debug' });
    const other = desiredDeployment(cluster({ etcd: { endpoints: ['https://etcd:2379'], credentialsSecretRef: { name: 'etcd-tls' } } }), {
      etcdCredentials: 'f2',
    });
    expect(d.spec!.template.metadata!.annotations).not.toEqual(other.spec!.template.metadata!.annotations);
    expect(desiredService(cluster({ port: 8080 })).spec!.ports![0]!.port).toBe(8080);
  });

  it('the object storage URL it passes is one the server parses back to the same place', () => {
    const url = objectStorageUrl(cluster().spec.objectStorage);
    expect(url).toBe('s3://data/cs/main/?endpoint=http%3A%2F%2Fminio%3A9000&region=us-east-1');
    expect(parseObjectStorageUrl(url)).toEqual({
      kind: 's3',
      options: { bucket: 'data', prefix: 'cs/main/', endpoint: 'http://minio:9000', region: 'us-east-1' },
    });
    expect(objectStorageUrl({ posix: { path: '/data', claimName: 'pvc' } })).toBe('file:///data');
  });

  it('a Job running the CLI with the S3 credentials and the admin token from their Secrets', () => {
    const cr: ConfigStoreMaintenance = {
      apiVersion: 'configstore.io/v1alpha1',
      kind: 'ConfigStoreMaintenance',
      metadata: { name: 'nightly', namespace: 'ns', uid: '0123456789abcdef' },
      spec: {
        clusterRef: { name: 'main' },
        operation: 'Import',
        import: {
          source: { s3: { bucket: 'backups', key: 'a b/x.ndjson.gz', region: 'eu-west-1', credentialsSecretRef: { name: 's3', accessKeyIdKey: 'id' } } },
          sha256: 'c'.repeat(64),
        },
        timeouts: { runSeconds: 600 },
      },
    };
    const job = desiredJob(cr, cluster({ adminTokenSecretRef: { name: 'admin' } }));
    expect(job.metadata!.name).toBe('nightly-01234567');
    expect(job.spec!.activeDeadlineSeconds).toBe(600);
    const c = job.spec!.template.spec!.containers[0]!;
    expect(c.args).toEqual(['import', '--from', 's3://backups/a%20b/x.ndjson.gz?region=eu-west-1', '--sha256', 'c'.repeat(64)]);
    const refs = Object.fromEntries(c.env!.filter((e) => e.valueFrom).map((e) => [e.name, e.valueFrom!.secretKeyRef]));
    expect(refs).toEqual({
      CONFIGSTORE_ADMIN_TOKEN: { name: 'admin', key: 'token' },
      AWS_ACCESS_KEY_ID: { name: 's3', key: 'id' },
      AWS_SECRET_ACCESS_KEY: { name: 's3', key: 'AWS_SECRET_ACCESS_KEY' },
    });
    expect(job.spec!.podFailurePolicy!.rules[0]).toMatchObject({ action: 'FailJob', onExitCodes: { values: [2, 3] } });
    expect(job.metadata!.ownerReferences).toMatchObject([{ kind: 'ConfigStoreMaintenance', uid: '0123456789abcdef' }]);
    expect(envOf(job)).not.toHaveProperty('CONFIGSTORE_SOURCE_CLUSTER_NAME'); // an import names no source
    const exportJob = desiredJob(
      { ...cr, spec: { clusterRef: { name: 'main' }, operation: 'Export', export: { destination: cr.spec.import!.source } } },
      cluster(),
    );
    expect(envOf(exportJob)).toMatchObject({
      CONFIGSTORE_SOURCE_CLUSTER_NAMESPACE: 'ns',
      CONFIGSTORE_SOURCE_CLUSTER_NAME: 'main',
      CONFIGSTORE_SOURCE_CLUSTER_UID: 'c-uid',
    });
  });
});
