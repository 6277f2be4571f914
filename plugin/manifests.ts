// The objects the plugin creates or prints: ConfigStoreMaintenance Export, Import and
// Maintenance, and a ConfigStoreCluster's spec.bootstrap.restore. Pure: the commands decide,
// these build (and the unit tests pin what a GitOps repository would hold).
import type { ConfigStoreBackup } from '../operator/api/backup.js';
import type { ConfigStoreBackupSchedule } from '../operator/api/backupschedule.js';
import type { ConfigStoreCluster } from '../operator/api/cluster.js';
import { apiVersion, type S3Object } from '../operator/api/common.js';
import type { ConfigStoreMaintenanceSpec } from '../operator/api/maintenance.js';
import { parseObjectStorageUrl } from '../configstore/types/objectstorageurl.js';
import { usageError } from './errors.js';
import { stamp } from './output.js';

/** On everything the plugin creates: kubectl get csm -l app.kubernetes.io/created-by=kubectl-configstore. */
export const createdBy = { 'app.kubernetes.io/created-by': 'kubectl-configstore' };
/** On an Import made from a ConfigStoreBackup record: which one. */
export const backupAnnotation = 'configstore.io/restored-backup';

export interface MaintenanceManifest {
  apiVersion: string;
  kind: 'ConfigStoreMaintenance';
  metadata: { name: string; namespace: string; labels: Record<string, string>; annotations?: Record<string, string> };
  spec: ConfigStoreMaintenanceSpec;
}

export const backupName = (cluster: string, now: Date) => `${cluster}-backup-${stamp(now)}`;
export const restoreName = (cluster: string, now: Date) => `${cluster}-restore-${stamp(now)}`;
/** One per cluster, so `maintenance off` finds what `maintenance on` made. */
export const maintenanceName = (cluster: string) => `${cluster}-maintenance`;

function maintenance(name: string, namespace: string, spec: ConfigStoreMaintenanceSpec, annotations?: Record<string, string>): MaintenanceManifest {
  return { apiVersion, kind: 'ConfigStoreMaintenance', metadata: { name, namespace, labels: { ...createdBy }, ...(annotations ? { annotations } : {}) }, spec };
}

export function exportMaintenance(o: { name: string; namespace: string; cluster: string; s3: S3Object; quiesce?: boolean }): MaintenanceManifest {
  return maintenance(o.name, o.namespace, {
    clusterRef: { name: o.cluster },
    operation: 'Export',
    export: { destination: { s3: o.s3 }, ...(o.quiesce ? { quiesce: true } : {}) },
  });
}

export function importMaintenance(o: {
  name: string;
  namespace: string;
  cluster: string;
  backup: ConfigStoreBackup;
  validateOnly?: boolean;
}): MaintenanceManifest {
  return maintenance(
    o.name,
    o.namespace,
    {
      clusterRef: { name: o.cluster },
      operation: 'Import',
      import: { source: { s3: o.backup.spec.location }, sha256: o.backup.spec.manifest.sha256, ...(o.validateOnly ? { dryRun: true } : {}) },
    },
    { [backupAnnotation]: o.backup.metadata.name },
  );
}

export function holdMaintenance(o: { namespace: string; cluster: string }): MaintenanceManifest {
  return maintenance(maintenanceName(o.cluster), o.namespace, { clusterRef: { name: o.cluster }, operation: 'Maintenance' });
}

/** spec.bootstrap of a new ConfigStoreCluster: restore this backup once, into an empty cluster (merge it into the cluster's manifest). */
export function bootstrapSnippet(o: { cluster?: string; backup: string; sha256?: string; backupLocation?: string }) {
  return {
    apiVersion,
    kind: 'ConfigStoreCluster',
    metadata: { name: o.cluster ?? '<cluster>' },
    spec: {
      bootstrap: {
        restore: { backup: o.backup, ...(o.backupLocation ? { backupLocation: o.backupLocation } : {}), ...(o.sha256 ? { sha256: o.sha256 } : {}) },
      },
    },
  };
}

export interface DestinationChoice {
  s3: S3Object;
  /** Where it came from, for the user: "--to" or "schedule nightly". */
  from: string;
}

/**
 * Where a `backup` goes: --to (a key, or a folder ending in "/" that gets `<name>.ndjson.gz`),
 * else the destination folder of the cluster's schedule (--schedule when it has several).
 * Credentials: --credentials-secret, else the schedule's, else the cluster's object storage's.
 */
export function exportDestination(o: {
  name: string;
  cluster: ConfigStoreCluster;
  schedules: ConfigStoreBackupSchedule[];
  to?: string;
  schedule?: string;
  credentialsSecret?: string;
}): DestinationChoice {
  const mine = o.schedules.filter((s) => s.spec.clusterRef.name === o.cluster.metadata.name);
  let schedule: ConfigStoreBackupSchedule | undefined;
  if (o.schedule) {
    schedule = mine.find((s) => s.metadata.name === o.schedule);
    if (!schedule) throw usageError(`--schedule ${o.schedule}: no ConfigStoreBackupSchedule of cluster ${o.cluster.metadata.name} by that name`);
  } else if (mine.length === 1) schedule = mine[0];
  const credentialsSecretRef = o.credentialsSecret
    ? { name: o.credentialsSecret }
    : (schedule?.spec.destination.s3.credentialsSecretRef ?? o.cluster.spec.objectStorage.s3?.credentialsSecretRef);
  const creds = credentialsSecretRef ? { credentialsSecretRef } : {};
  if (o.to) {
    const parsed = parseS3(o.to);
    const key = !parsed.prefix || parsed.prefix.endsWith('/') ? `${parsed.prefix ?? ''}${o.name}.ndjson.gz` : parsed.prefix;
    return { s3: { bucket: parsed.bucket, key, ...opt('endpoint', parsed.endpoint), ...opt('region', parsed.region), ...creds }, from: '--to' };
  }
  if (!schedule) {
    throw usageError(
      mine.length
        ? `cluster ${o.cluster.metadata.name} has ${mine.length} schedules (${mine.map((s) => s.metadata.name).join(', ')}): pick one with --schedule, or pass --to s3://bucket/folder/`
        : `no destination: pass --to s3://bucket/folder/?endpoint=URL&region=NAME (cluster ${o.cluster.metadata.name} has no ConfigStoreBackupSchedule to take one from)`,
    );
  }
  const { prefix, credentialsSecretRef: _, ...place } = schedule.spec.destination.s3;
  return { s3: { ...place, key: `${prefix ?? ''}${o.name}.ndjson.gz`, ...creds }, from: `schedule ${schedule.metadata.name}` };
}

function parseS3(raw: string) {
  let parsed: ReturnType<typeof parseObjectStorageUrl>;
  try {
    parsed = parseObjectStorageUrl(raw);
  } catch (err) {
    throw usageError(`--to: ${(err as Error).message.replace('file:///dir or ', '')}`);
  }
  if (parsed.kind !== 's3') throw usageError(`--to ${raw}: expected s3://bucket/key or s3://bucket/folder/ (an export goes to S3)`);
  return parsed.options;
}

const opt = <K extends string>(k: K, v: string | undefined) => (v ? ({ [k]: v } as Record<K, string>) : {});
