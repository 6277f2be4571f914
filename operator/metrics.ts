// The operator's Prometheus metrics: reconciles and their durations per controller,
// operations by phase (from the cache at scrape time) and transitions, bytes exported, each
// backup schedule's runs, each cluster's instances (what its reconciler saw). The chart's
// alerts (templates/prometheusrule.yaml) use them: metrics.unit.test.ts checks the names.
// Label `configstore_cluster`, not `cluster`: that one is often a Prometheus external label.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ConfigStoreBackupSchedule, ConfigStoreCluster, ConfigStoreMaintenance } from './api/index.js';
import type { ClusterMetrics, ClusterObservation } from './controllers/cluster/reconcile.js';
import { labels } from './controllers/naming.js';
import type { ScheduleMetrics } from './controllers/schedule/reconcile.js';

/** The modes an instance reports (configstore/types InstanceMode, validated on read): each one a series, zero included. */
const instanceModes = ['normal', 'entering', 'maintenance', 'exiting'];
/** The modes a cluster can be asked for: maintenance while the key exists, else normal. */
const requestedModes = ['normal', 'maintenance'];

export class OperatorMetrics {
  readonly registry = new Registry();
  readonly reconciles = new Counter({
    name: 'configstore_operator_reconciles_total',
    help: 'Reconciles by controller and result',
    labelNames: ['controller', 'result'],
    registers: [this.registry],
  });
  readonly reconcileSeconds = new Histogram({
    name: 'configstore_operator_reconcile_duration_seconds',
    help: 'Reconcile durations by controller',
    labelNames: ['controller'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly transitions = new Counter({
    name: 'configstore_operator_operation_transitions_total',
    help: 'ConfigStoreMaintenance phase transitions',
    labelNames: ['operation', 'phase'],
    registers: [this.registry],
  });
  readonly exportedBytes = new Counter({
    name: 'configstore_operator_exported_bytes_total',
    help: 'Bytes written by successful exports',
    registers: [this.registry],
  });
  private readonly backupLastSuccess = new Gauge({
    name: 'configstore_backup_last_success_timestamp_seconds',
    help: 'When the newest successful run of a backup schedule finished (Unix seconds)',
    labelNames: ['namespace', 'schedule'],
    registers: [this.registry],
  });
  private readonly backupLastFailure = new Gauge({
    name: 'configstore_backup_last_failure_timestamp_seconds',
    help: 'When the newest failed run of a backup schedule finished (Unix seconds)',
    labelNames: ['namespace', 'schedule'],
    registers: [this.registry],
  });
  private readonly backupMissed = new Counter({
    name: 'configstore_backup_schedule_missed_total',
    help: 'Slots of a backup schedule that never ran (downtime, startingDeadlineSeconds, concurrencyPolicy Forbid)',
    labelNames: ['namespace', 'schedule'],
    registers: [this.registry],
  });
  private readonly backupPruned = new Counter({
    name: 'configstore_backup_pruned_total',
    help: 'Backups (stored export and run) a schedule deleted by its retention policy',
    labelNames: ['namespace', 'schedule'],
    registers: [this.registry],
  });
  private readonly scheduleCreated = new Gauge({
    name: 'configstore_backup_schedule_created_timestamp_seconds',
    help: 'When a backup schedule was created (Unix seconds): the age alerts count from it until a first success',
    labelNames: ['namespace', 'schedule'],
    registers: [this.registry],
  });
  private readonly scheduleSuspended = new Gauge({
    name: 'configstore_backup_schedule_suspended',
    help: '1 while a backup schedule is suspended (spec.suspend)',
    labelNames: ['namespace', 'schedule'],
    registers: [this.registry],
  });
  private readonly scheduleSeries = [
    this.backupLastSuccess,
    this.backupLastFailure,
    this.backupMissed,
    this.backupPruned,
    this.scheduleCreated,
    this.scheduleSuspended,
  ];
  /** What the schedule reconciler reports. */
  readonly schedules: ScheduleMetrics = {
    observed: (s) => {
      const l = scheduleLabels(s);
      this.backupMissed.inc(l, 0);
      this.backupPruned.inc(l, 0);
      if (s.metadata.creationTimestamp) this.scheduleCreated.set(l, Date.parse(s.metadata.creationTimestamp) / 1000);
      this.scheduleSuspended.set(l, s.spec.suspend ? 1 : 0);
    },
    forget: (namespace, schedule) => {
      for (const m of this.scheduleSeries) m.remove({ namespace, schedule });
    },
    lastSuccess: (s, at) => this.backupLastSuccess.set(scheduleLabels(s), at.getTime() / 1000),
    lastFailure: (s, at) => this.backupLastFailure.set(scheduleLabels(s), at.getTime() / 1000),
    missed: (s, n) => this.backupMissed.inc(scheduleLabels(s), n),
    pruned: (s) => this.backupPruned.inc(scheduleLabels(s)),
  };
  private readonly clusterReady = new Gauge({
    name: 'configstore_cluster_ready',
    help: '1 while a ConfigStoreCluster is Ready (every instance ready and rolled out, etcd readable, no restore pending)',
    labelNames: ['namespace', 'configstore_cluster'],
    registers: [this.registry],
  });
  private readonly clusterDesired = new Gauge({
    name: 'configstore_cluster_instances_desired',
    help: 'Instances a ConfigStoreCluster asks for (spec.replicas)',
    labelNames: ['namespace', 'configstore_cluster'],
    registers: [this.registry],
  });
  private readonly clusterReadyInstances = new Gauge({
    name: 'configstore_cluster_instances_ready',
    help: 'Ready server pods of a ConfigStoreCluster',
    labelNames: ['namespace', 'configstore_cluster'],
    registers: [this.registry],
  });
  private readonly clusterModes = new Gauge({
    name: 'configstore_cluster_instances',
    help: 'Instances in the etcd registry of a ConfigStoreCluster by the mode they report',
    labelNames: ['namespace', 'configstore_cluster', 'mode'],
    registers: [this.registry],
  });
  private readonly clusterRequestedMode = new Gauge({
    name: 'configstore_cluster_requested_mode',
    help: '1 for the mode a ConfigStoreCluster is asked to be in (maintenance while the maintenance key exists), 0 for the other',
    labelNames: ['namespace', 'configstore_cluster', 'mode'],
    registers: [this.registry],
  });
  private readonly clusterOffMode = new Gauge({
    name: 'configstore_cluster_instances_not_in_requested_mode',
    help: 'Registered instances of a ConfigStoreCluster not in the requested mode (in maintenance: fenced on the current key)',
    labelNames: ['namespace', 'configstore_cluster'],
    registers: [this.registry],
  });
  /** What the cluster reconciler reports. */
  readonly clusters: ClusterMetrics = {
    observed: (c, seen) => this.observeCluster(c, seen),
    forget: (namespace, name) => {
      const l = { namespace, configstore_cluster: name };
      for (const m of [this.clusterReady, this.clusterDesired, this.clusterReadyInstances]) m.remove(l);
      this.forgetModes(l);
    },
  };
  readonly leader = new Gauge({ name: 'configstore_operator_leader', help: '1 while this replica holds the leader lease', registers: [this.registry] });

  constructor(operations: () => ConfigStoreMaintenance[]) {
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: 'configstore_operator_operations',
      help: 'ConfigStoreMaintenance objects by operation and phase',
      labelNames: ['operation', 'phase'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const cr of operations()) this.inc({ operation: cr.spec.operation, phase: cr.status?.phase ?? 'New' });
      },
    });
    // one series per object (as kube-state-metrics does for Jobs): an alert names the one that failed
    new Gauge({
      name: 'configstore_operator_operation_phase',
      help: '1 for each ConfigStoreMaintenance, labelled with its phase, cluster and (for a scheduled run) schedule',
      labelNames: ['namespace', 'maintenance', 'operation', 'configstore_cluster', 'schedule', 'phase'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const cr of operations()) {
          this.set(
            {
              namespace: cr.metadata.namespace,
              maintenance: cr.metadata.name,
              operation: cr.spec.operation,
              configstore_cluster: cr.spec.clusterRef.name,
              schedule: cr.metadata.labels?.[labels.schedule] ?? '',
              phase: cr.status?.phase ?? 'New',
            },
            1,
          );
        }
      },
    });
  }

  private observeCluster(c: ConfigStoreCluster, seen: ClusterObservation): void {
    const l = { namespace: c.metadata.namespace, configstore_cluster: c.metadata.name };
    this.clusterReady.set(l, seen.isReady ? 1 : 0);
    this.clusterDesired.set(l, seen.desired);
    this.clusterReadyInstances.set(l, seen.ready);
    const registry = seen.registry;
    // etcd unreadable: no claim about modes (configstore_cluster_ready says why not)
    if (!registry) return this.forgetModes(l);
    for (const mode of instanceModes) this.clusterModes.set({ ...l, mode }, registry.modes[mode] ?? 0);
    for (const mode of requestedModes) this.clusterRequestedMode.set({ ...l, mode }, mode === registry.requestedMode ? 1 : 0);
    this.clusterOffMode.set(l, registry.notInRequestedMode);
  }

  /** remove() matches every label exactly: each mode's series by name. */
  private forgetModes(l: { namespace: string; configstore_cluster: string }): void {
    for (const mode of instanceModes) this.clusterModes.remove({ ...l, mode });
    for (const mode of requestedModes) this.clusterRequestedMode.remove({ ...l, mode });
    this.clusterOffMode.remove(l);
  }

  observe(controller: string, ok: boolean, ms: number): void {
    this.reconciles.inc({ controller, result: ok ? 'success' : 'error' });
    this.reconcileSeconds.observe({ controller }, ms / 1000);
  }

  phase(cr: ConfigStoreMaintenance, phase: string): void {
    this.transitions.inc({ operation: cr.spec.operation, phase });
    if (phase === 'Succeeded' && cr.spec.operation === 'Export' && cr.status?.result) this.exportedBytes.inc(cr.status.result.bytes);
  }
}

const scheduleLabels = (s: ConfigStoreBackupSchedule) => ({ namespace: s.metadata.namespace, schedule: s.metadata.name });
