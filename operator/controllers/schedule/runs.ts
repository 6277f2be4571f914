// A schedule's runs: the ConfigStoreMaintenance Export of a slot, made, adopted or skipped.
import type { ConfigStoreBackupSchedule, ConfigStoreMaintenance } from '../../api/index.js';
import { apiVersion, maintenanceKind } from '../../api/index.js';
import { isTerminal } from '../maintenance/status.js';
import { labels } from '../naming.js';
import { runName } from './slots.js';

export const isActive = (run: ConfigStoreMaintenance) => !isTerminal(run.status);

/** The schedule's runs among a namespace's ConfigStoreMaintenances (by label: a restarted operator finds them). */
export function runsOf(schedule: ConfigStoreBackupSchedule, all: ConfigStoreMaintenance[]): ConfigStoreMaintenance[] {
  return all.filter((m) => m.metadata.labels?.[labels.schedule] === schedule.metadata.name);
}

/**
 * The Export of `slot`: to `<prefix><run name>.ndjson.gz` (`.ndjson.gz.age` when the schedule
 * encrypts, with its recipients and identity), labelled with the schedule (not owned: deleting a
 * schedule keeps its backups' records).
 */
export function desiredRun(
  schedule: ConfigStoreBackupSchedule,
  slot: Date,
): Omit<ConfigStoreMaintenance, 'metadata'> & { metadata: Omit<ConfigStoreMaintenance['metadata'], 'uid'> } {
  const name = runName(schedule.metadata.name, slot);
  const { prefix, ...s3 } = schedule.spec.destination.s3;
  const encryption = schedule.spec.encryption;
  return {
    apiVersion,
    kind: maintenanceKind.kind,
    metadata: {
      name,
      namespace: schedule.metadata.namespace,
      labels: { [labels.schedule]: schedule.metadata.name, 'app.kubernetes.io/managed-by': 'configstore-operator' },
      annotations: { 'configstore.io/scheduled-at': slot.toISOString() },
    },
    spec: {
      clusterRef: schedule.spec.clusterRef,
      operation: 'Export',
      export: {
        destination: { s3: { ...s3, key: `${prefix ?? ''}${name}.ndjson.gz${encryption ? '.age' : ''}` } },
        ...(encryption ? { encryption } : {}),
      },
    },
  };
}
