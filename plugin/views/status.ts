// What `status` shows of one cluster: the operator's report (ConfigStoreCluster status:
// readiness, mode, instances), its schedules, its last good backup (the newest Available
// ConfigStoreBackup record) and its next scheduled run, and the operations still going.
import type { ConfigStoreBackup } from '../../operator/api/backup.js';
import type { ConfigStoreBackupSchedule } from '../../operator/api/backupschedule.js';
import type { ConfigStoreCluster, InstanceReport } from '../../operator/api/cluster.js';
import type { ConfigStoreMaintenance } from '../../operator/api/maintenance.js';
import { replicasOf } from '../../operator/api/defaults.js';
import { formatBytes, formatWhen, table } from '../output.js';
import { backupsOf, conditionOf, isFinished, lastGoodBackup, nextRun, operationsOf, schedulesOf } from '../ownership.js';
import { backupView, type BackupView } from './backups.js';

type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface ScheduleView {
  name: string;
  schedule: string;
  timeZone: string;
  suspended: boolean;
  lastSuccessfulTime?: string;
  lastFailureTime?: string;
  nextScheduleTime?: string;
  healthy: ConditionStatus;
  healthMessage?: string;
  active: string[];
}

export interface OperationView {
  name: string;
  operation: string;
  phase: string;
  step?: string;
  message?: string;
}

export interface ClusterStatusView {
  namespace: string;
  name: string;
  /** False while the operator has not written a status for this generation (is it running?). */
  seenByOperator: boolean;
  ready: { status: ConditionStatus; reason?: string; message?: string };
  replicas: number;
  readyReplicas: number;
  mode: string;
  maintenanceOwner?: string;
  instances: InstanceReport[];
  bootstrap?: NonNullable<ConfigStoreCluster['status']>['bootstrap'];
  lastExport?: NonNullable<ConfigStoreCluster['status']>['lastExport'];
  lastGoodBackup?: BackupView;
  nextScheduledRun?: { time: string; schedule: string };
  schedules: ScheduleView[];
  /** Operations on it not finished yet. */
  operations: OperationView[];
}

export interface Related {
  schedules: ConfigStoreBackupSchedule[];
  backups: ConfigStoreBackup[];
  operations: ConfigStoreMaintenance[];
}

export function clusterStatusView(cluster: ConfigStoreCluster, related: Related): ClusterStatusView {
  const name = cluster.metadata.name;
  const status = cluster.status ?? {};
  const schedules = schedulesOf(name, related.schedules);
  const ready = conditionOf(cluster, 'Ready');
  const good = lastGoodBackup(backupsOf({ name, ...(cluster.metadata.uid ? { uid: cluster.metadata.uid } : {}) }, related.backups, related.schedules));
  const next = nextRun(schedules);
  return {
    namespace: cluster.metadata.namespace,
    name,
    seenByOperator: (status.observedGeneration ?? -1) >= 0, // the CRD's default is -1 until the operator writes a status
    ready: { status: ready?.status ?? 'Unknown', ...(ready?.reason ? { reason: ready.reason } : {}), ...(ready?.message ? { message: ready.message } : {}) },
    replicas: replicasOf(cluster),
    readyReplicas: status.readyReplicas ?? 0,
    mode: status.mode ?? 'unknown',
    ...(status.maintenanceOwner ? { maintenanceOwner: status.maintenanceOwner } : {}),
    instances: status.instances ?? [],
    ...(status.bootstrap ? { bootstrap: status.bootstrap } : {}),
    ...(status.lastExport ? { lastExport: status.lastExport } : {}),
    ...(good ? { lastGoodBackup: backupView(good) } : {}),
    ...(next ? { nextScheduledRun: next } : {}),
    schedules: schedules.map(scheduleView),
    operations: operationsOf(name, related.operations)
      .filter((o) => !isFinished(o))
      .map((o) => ({
        name: o.metadata.name,
        operation: o.spec.operation,
        phase: o.status?.phase ?? 'Pending',
        ...(o.status?.step ? { step: o.status.step } : {}),
        ...(o.status?.message ? { message: o.status.message } : {}),
      })),
  };
}

function scheduleView(s: ConfigStoreBackupSchedule): ScheduleView {
  const health = conditionOf(s, 'BackupsHealthy');
  const st = s.status ?? {};
  return {
    name: s.metadata.name,
    schedule: s.spec.schedule,
    timeZone: s.spec.timeZone ?? 'UTC',
    suspended: s.spec.suspend === true,
    ...(st.lastSuccessfulTime ? { lastSuccessfulTime: st.lastSuccessfulTime } : {}),
    ...(st.lastFailureTime ? { lastFailureTime: st.lastFailureTime } : {}),
    ...(st.nextScheduleTime ? { nextScheduleTime: st.nextScheduleTime } : {}),
    healthy: health?.status ?? 'Unknown',
    ...(health?.message ? { healthMessage: health.message } : {}),
    active: st.active ?? [],
  };
}

const indent = (text: string) =>
  text
    .trimEnd()
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n') + '\n';

export function formatClusterStatus(v: ClusterStatusView, now: Date): string {
  const readiness = v.ready.status === 'True' ? 'Ready' : v.ready.status === 'False' ? 'Not ready' : 'Readiness unknown';
  let out = `Cluster ${v.name} (namespace ${v.namespace}): ${readiness}, ${v.readyReplicas}/${v.replicas} instances ready, mode ${v.mode}\n`;
  if (!v.seenByOperator) out += '  the operator has not reported on this cluster (yet): is it running and watching this namespace?\n';
  if (v.ready.message && v.ready.status !== 'True') out += `  ${v.ready.reason ? `${v.ready.reason}: ` : ''}${v.ready.message}\n`;
  if (v.maintenanceOwner) out += `  maintenance held by ${v.maintenanceOwner}\n`;
  if (v.instances.length)
    out += indent(
      table(
        ['INSTANCE', 'POD', 'MODE', 'APPLIED', 'FENCE'],
        v.instances.map((i) => [i.id, i.pod ?? '-', i.mode, i.appliedRevision ?? '-', i.fenceRevision ?? '-']),
      ),
    );
  if (v.bootstrap) out += `Restore at creation: ${v.bootstrap.result}${v.bootstrap.source ? ` from ${v.bootstrap.source}` : ''} (${v.bootstrap.completedAt})\n`;
  out += 'Backups:\n';
  if (!v.schedules.length) out += '  no ConfigStoreBackupSchedule for this cluster\n';
  else
    out += indent(
      table(
        ['SCHEDULE', 'CRON', 'LAST SUCCESS', 'NEXT', 'HEALTHY'],
        v.schedules.map((s) => [
          s.name,
          `${s.schedule} (${s.timeZone})${s.suspended ? ' suspended' : ''}`,
          formatWhen(s.lastSuccessfulTime, now),
          s.suspended ? '-' : formatWhen(s.nextScheduleTime, now),
          s.healthy + (s.healthy === 'False' && s.healthMessage ? `: ${s.healthMessage}` : ''),
        ]),
      ),
    );
  const g = v.lastGoodBackup;
  out += `  last good backup: ${g ? `${g.name}, ${formatWhen(g.created, now)}, ${g.objects} objects, ${formatBytes(g.bytes)}, ${g.location}` : 'none (no Available ConfigStoreBackup record)'}\n`;
  if (v.lastExport) out += `  last export: ${v.lastExport.maintenance}, ${formatWhen(v.lastExport.completedAt, now)}, ${v.lastExport.location}\n`;
  out += `  next scheduled run: ${v.nextScheduledRun ? `${formatWhen(v.nextScheduledRun.time, now)} (${v.nextScheduledRun.schedule})` : 'none'}\n`;
  if (v.operations.length)
    out +=
      'Operations in progress:\n' +
      indent(
        table(
          ['NAME', 'OPERATION', 'PHASE', 'STEP', 'MESSAGE'],
          v.operations.map((o) => [o.name, o.operation, o.phase, o.step ?? '-', o.message ?? '']),
        ),
      );
  return out;
}
