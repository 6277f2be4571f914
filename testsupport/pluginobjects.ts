// Objects of the five kinds as the API server serves them, for the plugin's unit tests (the
// integration tests make real ones, testsupport/plugin.ts): small builders with the fields the views read.
import type { ConfigStoreBackup } from '../operator/api/backup.js';
import type { ConfigStoreBackupSchedule } from '../operator/api/backupschedule.js';
import type { ConfigStoreCluster } from '../operator/api/cluster.js';
import type { ConfigStoreMaintenance, ConfigStoreMaintenanceStatus } from '../operator/api/maintenance.js';

const meta = (name: string, uid = `uid-${name}`) => ({ name, namespace: 'demo', uid, generation: 1 });
export const cond = (type: string, status: 'True' | 'False' | 'Unknown', message = '') => ({
  type,
  status,
  reason: type,
  message,
  lastTransitionTime: '2026-06-01T00:00:00Z',
});

export function cluster(name = 'main', status?: ConfigStoreCluster['status']): ConfigStoreCluster {
  return {
    apiVersion: 'configstore.io/v1alpha1',
    kind: 'ConfigStoreCluster',
    metadata: meta(name),
    spec: {
      replicas: 2,
      image: 'configstore:1',
      etcd: { endpoints: ['http://etcd:2379'] },
      objectStorage: { s3: { bucket: 'data', credentialsSecretRef: { name: 'data-s3' } } },
    },
    ...(status ? { status } : {}),
  };
}

export function schedule(
  name: string,
  clusterName: string,
  o: { prefix?: string; next?: string; suspend?: boolean; healthy?: 'True' | 'False' } = {},
): ConfigStoreBackupSchedule {
  return {
    apiVersion: 'configstore.io/v1alpha1',
    kind: 'ConfigStoreBackupSchedule',
    metadata: meta(name),
    spec: {
      clusterRef: { name: clusterName },
      schedule: '0 2 * * *',
      ...(o.suspend ? { suspend: true } : {}),
      destination: {
        s3: { bucket: 'backups', prefix: o.prefix ?? `${clusterName}/`, endpoint: 'http://minio:9000', credentialsSecretRef: { name: 'backup-s3' } },
      },
    },
    status: {
      observedGeneration: 1,
      ...(o.next ? { nextScheduleTime: o.next } : {}),
      lastSuccessfulTime: '2026-06-01T02:00:00Z',
      conditions: [cond('BackupsHealthy', o.healthy ?? 'True', o.healthy === 'False' ? 'the newest run failed' : '')],
    },
  };
}

export function backup(
  name: string,
  o: { createdAt: string; available?: boolean; schedule?: string; source?: { namespace?: string; name?: string; uid?: string } },
): ConfigStoreBackup {
  return {
    apiVersion: 'configstore.io/v1alpha1',
    kind: 'ConfigStoreBackup',
    metadata: meta(name),
    spec: {
      location: {
        bucket: 'backups',
        key: `main/${name}.ndjson.gz`,
        endpoint: 'http://minio:9000',
        region: 'us-east-1',
        credentialsSecretRef: { name: 'backup-s3' },
      },
      ...(o.schedule ? { schedule: o.schedule } : {}),
      manifest: {
        sha256: 'f'.repeat(64),
        storedSha256: 'e'.repeat(64),
        objects: 42,
        bytes: 10240,
        revision: '7',
        epoch: 1,
        gzip: true,
        createdAt: o.createdAt,
        configstoreVersion: '0.1.0',
        ...(o.source ? { source: o.source } : {}),
      },
    },
    status: { observedGeneration: 1, conditions: [cond('Available', o.available === false ? 'False' : 'True')] },
  };
}

export function operation(
  name: string,
  op: 'Export' | 'Import' | 'Maintenance',
  status?: ConfigStoreMaintenanceStatus,
  clusterName = 'main',
): ConfigStoreMaintenance {
  return {
    apiVersion: 'configstore.io/v1alpha1',
    kind: 'ConfigStoreMaintenance',
    metadata: meta(name),
    spec: { clusterRef: { name: clusterName }, operation: op },
    ...(status ? { status } : {}),
  };
}
