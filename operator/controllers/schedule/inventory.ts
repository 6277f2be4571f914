// The inventory of a schedule's destination: one ConfigStoreBackup record per export manifest
// the bucket holds under the destination's prefix, so backups made before a namespace was lost
// are listed again once the schedule is re-applied. A record whose manifest disappeared is
// marked Missing (Available False), never deleted: only retention deletes a record, with its
// export.
import type { CustomObjectsApi, KubernetesObject } from '@kubernetes/client-node';
import { manifestSuffix } from '../../../configstore/types/index.js';
import type { ConfigStoreBackup, ConfigStoreBackupSchedule, ConfigStoreBackupStatus } from '../../api/index.js';
import { apiVersion, backupKind, group, version } from '../../api/index.js';
import { replaceStatus, setCondition, setKstatusConditions } from '../../kube/status.js';
import type { BackupObjects } from '../backupobjects.js';
import { labels } from '../naming.js';

export const backups = { group, version, plural: backupKind.plural };
/** How often a schedule lists its destination. */
export const inventorySyncMs = 60_000;

/** The record's name: the export's file name without its extensions, as a Kubernetes name. */
export function backupRecordName(exportKey: string): string {
  const base = exportKey
    .split('/')
    .pop()!
    .replace(/\.ndjson(\.gz)?$/, '');
  const name = base
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '-')
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '');
  return (name || 'backup').slice(0, 253);
}

export interface InventoryDeps {
  custom: CustomObjectsApi;
  objects: BackupObjects;
  now: () => Date;
}

/** Lists the destination and brings the schedule's records in line; what it found. */
export async function syncInventory(deps: InventoryDeps, schedule: ConfigStoreBackupSchedule): Promise<{ backups: number; missing: number }> {
  const { namespace } = schedule.metadata;
  const { prefix, ...place } = schedule.spec.destination.s3;
  const manifestKeys = await deps.objects.listManifests(namespace, { ...place, prefix: prefix ?? '' });
  const listed = (await deps.custom.listNamespacedCustomObject({ ...backups, namespace, labelSelector: `${labels.schedule}=${schedule.metadata.name}` })) as {
    items: ConfigStoreBackup[];
  };
  const records = new Map(listed.items.map((r) => [r.metadata.name, r]));
  const seen = new Set<string>();
  const now = deps.now();
  for (const manifestKey of manifestKeys) {
    const exportKey = manifestKey.slice(0, -manifestSuffix.length);
    const name = backupRecordName(exportKey);
    const record = records.get(name);
    if (record) {
      seen.add(name);
      if (!written(record, true)) await writeAvailability(deps, record, true, now);
      continue;
    }
    const manifest = await deps.objects.readManifest(namespace, { ...place, key: manifestKey });
    if (!manifest || manifest.key !== exportKey) continue; // not ours, or damaged: not a backup to list
    seen.add(name);
    const { kind: _kind, manifestVersion: _v, key: _key, formatVersion: _f, ...fields } = manifest;
    const body = {
      apiVersion,
      kind: backupKind.kind,
      metadata: { name, namespace, labels: { [labels.schedule]: schedule.metadata.name } },
      spec: { location: { ...place, key: exportKey }, schedule: schedule.metadata.name, manifest: fields },
    };
    const created = (await deps.custom.createNamespacedCustomObject({ ...backups, namespace, body }).catch((err: unknown) => {
      if ((err as { code?: number }).code !== 409) throw err;
      return undefined;
    })) as ConfigStoreBackup | undefined;
    if (created) await writeAvailability(deps, created, true, now);
  }
  let missing = 0;
  for (const [name, record] of records) {
    if (seen.has(name)) continue;
    missing++;
    if (!written(record, false)) await writeAvailability(deps, record, false, now);
  }
  return { backups: seen.size, missing };
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
