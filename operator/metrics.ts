// The operator's Prometheus metrics: reconciles and their durations per controller,
// operations by phase (from the cache at scrape time) and transitions, bytes exported.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ConfigStoreBackupSchedule, ConfigStoreMaintenance } from './api/index.js';
import type { ScheduleMetrics } from './controllers/schedule/reconcile.js';

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
  /** What the schedule reconciler reports. */
  readonly schedules: ScheduleMetrics = {
    lastSuccess: (s, at) => this.backupLastSuccess.set(scheduleLabels(s), at.getTime() / 1000),
    lastFailure: (s, at) => this.backupLastFailure.set(scheduleLabels(s), at.getTime() / 1000),
    missed: (s, n) => this.backupMissed.inc(scheduleLabels(s), n),
    pruned: (s) => this.backupPruned.inc(scheduleLabels(s)),
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
