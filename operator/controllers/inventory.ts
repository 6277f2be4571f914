// The inventory of a bucket folder: one ConfigStoreBackup record per export manifest the
// folder holds (recursively), for a schedule's destination or a ConfigStoreBackupLocation, so
// backups made before a namespace was lost are listed again. A record whose manifest
// disappeared is marked Missing (Available False), never deleted by the sync: only retention
// deletes a record, with its export (and a location's records go with the location).
import { createHash } from 'node:crypto';
import type { CustomObjectsApi, KubernetesObject, V1OwnerReference } from '@kubernetes/client-node';
import { manifestSuffix } from '../../configstore/types/index.js';
import type { ConfigStoreBackup, ConfigStoreBackupStatus, S3Folder } from '../api/index.js';
import { apiVersion, backupKind, group, version } from '../api/index.js';
import { replaceStatus, setCondition, setKstatusConditions } from '../kube/status.js';
import type { BackupObjects } from './backupobjects.js';
import { ignore404 } from './errors.js';

export const backups = { group, version, plural: backupKind.plural };
/** How often a schedule lists its destination. */
export const inventorySyncMs = 60_000;

/** The record's name: the export's file name without its extensions, as a Kubernetes name. */
export function backupRecordName(exportKey: string): string {
  const base = exportKey
    .split('/')
    .pop()!
    .replace(/\.ndjson(\.gz)?(\.age)?$/, '');
  const name = base
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '-')
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '');
  return (name || 'backup').slice(0, 253);
}

/** The name when the plain one is another export's (same file name in two folders): with a hash of bucket and key. */
function disambiguated(bucket: string, exportKey: string): string {
  const hash = createHash('sha256').update(`${bucket}/${exportKey}`).digest('hex').slice(0, 10);
  return `${backupRecordName(exportKey).slice(0, 242)}-${hash}`;
}

/** Who lists a folder: its records carry `label: value` and name it in `spec[field]`. */
export interface InventorySource {
  namespace: string;
  place: S3Folder;
  label: string;
  value: string;
  field: 'schedule' | 'backupLocation';
  /** Records that go when the source goes (a location's); a schedule's outlive it. */
  ownerReference?: V1OwnerReference;
}

export interface InventoryDeps {
  custom: CustomObjectsApi;
  objects: BackupObjects;
  now: () => Date;
}

/** Lists the folder and brings the source's records in line; what it found, and the names of records made. */
export async function syncInventory(deps: InventoryDeps, source: InventorySource): Promise<{ backups: number; missing: number; created: string[] }> {
  const { namespace } = source;
  const { prefix, ...place } = source.place;
  const manifestKeys = await deps.objects.listManifests(namespace, { ...place, prefix: prefix ?? '' });
  const listed = (await deps.custom.listNamespacedCustomObject({ ...backups, namespace, labelSelector: `${source.label}=${source.value}` })) as {
    items: ConfigStoreBackup[];
  };
  const byKey = new Map(listed.items.map((r) => [`${r.spec.location.bucket}/${r.spec.location.key}`, r]));
  const seen = new Set<string>();
  const created: string[] = [];
  let found = 0;
  const now = deps.now();
  for (const manifestKey of manifestKeys) {
    const exportKey = manifestKey.slice(0, -manifestSuffix.length);
    const record = byKey.get(`${place.bucket}/${exportKey}`);
    if (record) {
      found++;
      seen.add(record.metadata.name);
      if (!written(record, true)) await writeAvailability(deps, record, true, now);
      continue;
    }
    const manifest = await deps.objects.readManifest(namespace, { ...place, key: manifestKey });
    if (!manifest || manifest.key !== exportKey) continue; // not ours, or damaged: not a backup to list
    const { kind: _kind, manifestVersion: _v, key: _key, formatVersion: _f, ...fields } = manifest;
    const body = (name: string) => ({
      apiVersion,
      kind: backupKind.kind,
      metadata: {
        name,
        namespace,
        labels: { [source.label]: source.value },
        ...(source.ownerReference ? { ownerReferences: [source.ownerReference] } : {}),
      },
      spec: { location: { ...place, key: exportKey }, [source.field]: source.value, manifest: fields },
    });
    const made = await createRecord(deps, namespace, body(backupRecordName(exportKey)), place.bucket, exportKey).then((r) =>
      r === 'taken' ? createRecord(deps, namespace, body(disambiguated(place.bucket, exportKey)), place.bucket, exportKey) : r,
    );
    if (made === 'taken') continue; // both names are other exports' records: left out rather than overwritten
    found++;
    if (made === 'exists') continue; // another source's record of this very export: it serves
    seen.add(made.metadata.name);
    created.push(made.metadata.name);
    await writeAvailability(deps, made, true, now);
  }
  let missing = 0;
  for (const record of listed.items) {
    if (seen.has(record.metadata.name)) continue;
    missing++;
    if (!written(record, false)) await writeAvailability(deps, record, false, now);
  }
  return { backups: found, missing, created };
}

/** Creates a record; 'exists' when one of that name records this very export, 'taken' when it records another. */
async function createRecord(
  deps: InventoryDeps,
  namespace: string,
  body: { metadata: { name: string } },
  bucket: string,
  key: string,
): Promise<ConfigStoreBackup | 'exists' | 'taken'> {
  try {
    return (await deps.custom.createNamespacedCustomObject({ ...backups, namespace, body })) as ConfigStoreBackup;
  } catch (err) {
    if ((err as { code?: number }).code !== 409) throw err;
    const other = (await deps.custom.getNamespacedCustomObject({ ...backups, namespace, name: body.metadata.name }).catch(ignore404)) as
      ConfigStoreBackup | undefined;
    return other && other.spec.location.bucket === bucket && other.spec.location.key === key ? 'exists' : 'taken';
  }
}

/** Whether the record's status already says `available`, kstatus conditions included (records of older operators lack them). */
function written(record: ConfigStoreBackup, available: boolean): boolean {
  const is = (type: string) => record.status?.conditions?.find((c) => c.type === type)?.status;
  const wanted = available ? 'True' : 'False';
  return is('Available') === wanted && is('Ready') === wanted && record.status?.observedGeneration === (record.metadata.generation ?? 1);
}

async function writeAvailability(deps: InventoryDeps, record: ConfigStoreBackup, available: boolean, now: Date): Promise<void> {
  const generation = record.metadata.generation ?? 1;
  const status: ConfigStoreBackupStatus = { ...record.status, observedGeneration: generation, ...(available ? { lastSeen: now.toISOString() } : {}) };
  const where = `s3://${record.spec.location.bucket}/${record.spec.location.key}`;
  const message = available
    ? `${where} and its manifest are in the bucket`
    : `the manifest of ${where} is no longer in the bucket: this backup cannot be restored`;
  status.conditions = setCondition(
    status.conditions,
    { type: 'Available', status: available ? 'True' : 'False', reason: available ? 'ManifestFound' : 'Missing', message },
    now,
  );
  status.conditions = setCondition(
    status.conditions,
    { type: 'Missing', status: available ? 'False' : 'True', reason: available ? 'ManifestFound' : 'ManifestGone', message: '' },
    now,
  );
  // kstatus: Current while restorable; Failed (Stalled) once the manifest is gone, which the operator cannot mend
  const reason = available ? 'ManifestFound' : 'ManifestGone';
  const states = { Ready: [available ? 'True' : 'False', reason], Reconciling: ['False', reason], Stalled: [available ? 'False' : 'True', reason] } as const;
  status.conditions = setKstatusConditions(status.conditions, states, { message, observedGeneration: generation }, now);
  await replaceStatus(deps.custom, backups, record as ConfigStoreBackup & KubernetesObject, status).catch(() => undefined); // a conflict: the next sync writes it
}
