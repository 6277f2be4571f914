// Which schedules, backups and operations are a cluster's, and which backup is the good one.
// A backup is a cluster's when one of its schedules listed it, or its manifest names the
// cluster (by uid, or by name in any namespace: backups made before a namespace was lost are
// listed again in a new one, and are what a restored cluster of that name starts from).
import type { ConfigStoreBackup } from '../operator/api/backup.js';
import type { ConfigStoreBackupSchedule } from '../operator/api/backupschedule.js';
import type { Condition } from '../operator/api/common.js';
import { terminalPhases, type ConfigStoreMaintenance } from '../operator/api/maintenance.js';

export interface ClusterRef {
  name: string;
  uid?: string;
}

export function conditionOf(obj: { status?: { conditions?: Condition[] } }, type: string): Condition | undefined {
  return obj.status?.conditions?.find((c) => c.type === type);
}

export const isAvailable = (b: ConfigStoreBackup) => conditionOf(b, 'Available')?.status === 'True';

export const schedulesOf = (cluster: string, schedules: ConfigStoreBackupSchedule[]) => schedules.filter((s) => s.spec.clusterRef.name === cluster);

export const operationsOf = (cluster: string, ops: ConfigStoreMaintenance[]) => ops.filter((o) => o.spec.clusterRef.name === cluster);

export const isFinished = (op: ConfigStoreMaintenance) => op.status?.phase !== undefined && terminalPhases.includes(op.status.phase);

export function backupsOf(cluster: ClusterRef, backups: ConfigStoreBackup[], schedules: ConfigStoreBackupSchedule[]): ConfigStoreBackup[] {
  const mine = new Set(schedulesOf(cluster.name, schedules).map((s) => s.metadata.name));
  return backups.filter((b) => {
    if (b.spec.schedule && mine.has(b.spec.schedule)) return true;
    const source = b.spec.manifest.source;
    return (!!cluster.uid && source?.uid === cluster.uid) || source?.name === cluster.name;
  });
}

const createdAt = (b: ConfigStoreBackup) => Date.parse(b.spec.manifest.createdAt) || 0;

/** Newest first, by the manifest's createdAt. */
export const newestFirst = (backups: ConfigStoreBackup[]) =>
  [...backups].sort((a, b) => createdAt(b) - createdAt(a) || a.metadata.name.localeCompare(b.metadata.name));

export const lastGoodBackup = (backups: ConfigStoreBackup[]) => newestFirst(backups.filter(isAvailable))[0];

/** The cluster a backup was taken from, as people name it: namespace/name. */
export function sourceLabel(b: ConfigStoreBackup): string {
  const s = b.spec.manifest.source;
  return s?.name ? `${s.namespace ? `${s.namespace}/` : ''}${s.name}` : '-';
}

/** The cluster a backup was taken from, as the operator tells them apart: its uid, else namespace/name. */
const sourceIdentity = (b: ConfigStoreBackup) => b.spec.manifest.source?.uid ?? sourceLabel(b);

/** The next run of the schedules that are not suspended. */
export function nextRun(schedules: ConfigStoreBackupSchedule[]): { time: string; schedule: string } | undefined {
  const next = schedules
    .filter((s) => !s.spec.suspend && s.status?.nextScheduleTime)
    .map((s) => ({ time: s.status!.nextScheduleTime!, schedule: s.metadata.name }))
    .sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
  return next[0];
}

/** `latest`: the newest Available backup, refused when they come from more than one cluster (as the operator's bootstrap does). */
export function latestOf(backups: ConfigStoreBackup[]): { backup: ConfigStoreBackup } | { error: string } {
  const available = backups.filter(isAvailable);
  if (!available.length) return { error: 'no Available ConfigStoreBackup' };
  const sources = [...new Set(available.map(sourceIdentity))];
  if (sources.length > 1)
    return {
      error: `latest is ambiguous: the Available backups come from ${sources.length} clusters (${[...new Set(available.map(sourceLabel))].join(', ')}); name the backup instead`,
    };
  return { backup: newestFirst(available)[0]! };
}
