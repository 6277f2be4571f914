// The ConfigStoreBackupSchedule reconciler: on each round it checks the schedule, decides the
// slot due (slots.ts), makes or adopts that slot's run (an Export ConfigStoreMaintenance) or
// records why it was skipped, deletes failed runs past their TTL, prunes by retention, and
// writes the status; it wakes again at the next slot. Runs re-queue their schedule as they move.
import type { CustomObjectsApi, KubernetesObject } from '@kubernetes/client-node';
import type { Log } from '../../../configstore/log.js';
import type { ConfigStoreBackup, ConfigStoreBackupSchedule, ConfigStoreBackupScheduleStatus, ConfigStoreMaintenance } from '../../api/index.js';
import { backupScheduleKind, group, maintenanceKind, version } from '../../api/index.js';
import { isConflict, replaceStatus, setCondition, setKstatusConditions, type KstatusConditions } from '../../kube/status.js';
import { ignore404 } from '../errors.js';
import { labels } from '../naming.js';
import { backups, inventorySyncMs, syncInventory } from '../inventory.js';
import { defaultMinVerified, planRetention, type RetentionPlan } from './retention.js';
import type { BackupObjects } from '../backupobjects.js';
import { checkDestinationOwner } from './owner.js';
import { desiredRun, isActive, runsOf } from './runs.js';
import { decideSlot, jitterMs, parseSchedule, periodMs, runName, ScheduleError } from './slots.js';

export interface ScheduleRecorder {
  record(obj: ConfigStoreBackupSchedule, type: 'Normal' | 'Warning', reason: string, note: string): void;
}

export interface ScheduleMetrics {
  /** Every round: the schedule exists (its series start at zero, so a first missed run shows in increase()). */
  observed(schedule: ConfigStoreBackupSchedule): void;
  /** The schedule is gone: its series go too. */
  forget(namespace: string, name: string): void;
  lastSuccess(schedule: ConfigStoreBackupSchedule, at: Date): void;
  lastFailure(schedule: ConfigStoreBackupSchedule, at: Date): void;
  missed(schedule: ConfigStoreBackupSchedule, n: number): void;
  pruned(schedule: ConfigStoreBackupSchedule): void;
}

export interface ScheduleDeps {
  custom: CustomObjectsApi;
  events: ScheduleRecorder;
  log: Log;
  /** Cached reads (informers): ConfigStoreMaintenances of a namespace, or of all watched ones. */
  maintenances(namespace?: string): ConfigStoreMaintenance[];
  /** Scheduled exports running at once, operator-wide; more wait for a free place. */
  maxConcurrentRuns: number;
  /** Where pruned backups' stored exports are deleted. */
  objects: BackupObjects;
  metrics?: ScheduleMetrics;
  now?: () => Date;
  onWrite?: (s: ConfigStoreBackupSchedule) => void;
}

const schedules = { group, version, plural: backupScheduleKind.plural };
const maintenances = { group, version, plural: maintenanceKind.plural };
/** A schedule's name plus `-yyyymmddhhmm` must stay a label value (63 characters). */
export const maxScheduleNameLength = 50;
/** A run waiting for a free place looks again this often. */
const capPollMs = 5000;

export class ScheduleReconciler {
  constructor(private readonly deps: ScheduleDeps) {}

  private now() {
    return this.deps.now?.() ?? new Date();
  }

  async reconcile(namespace: string, name: string): Promise<number | undefined> {
    const schedule = (await this.deps.custom.getNamespacedCustomObject({ ...schedules, namespace, name }).catch(ignore404)) as
      ConfigStoreBackupSchedule | undefined;
    if (!schedule || schedule.metadata.deletionTimestamp) {
      this.deps.metrics?.forget(namespace, name);
      return undefined;
    }
    this.deps.metrics?.observed(schedule);
    const now = this.now();
    const spec = schedule.spec;
    const timeZone = spec.timeZone ?? 'UTC';
    let at;
    try {
      if (name.length > maxScheduleNameLength)
        throw new ScheduleError(
          `metadata.name is ${name.length} characters long; at most ${maxScheduleNameLength} (each run is named <schedule>-<yyyymmddhhmm>)`,
        );
      at = parseSchedule(spec.schedule, timeZone);
    } catch (err) {
      if (!(err instanceof ScheduleError)) throw err;
      return this.invalid(schedule, err.message);
    }

    const status: ConfigStoreBackupScheduleStatus = { ...schedule.status, observedGeneration: schedule.metadata.generation ?? 1 };
    let runs = runsOf(schedule, this.deps.maintenances(namespace));
    const decision = decideSlot(at, {
      lastSlot: status.lastScheduleTime ? new Date(status.lastScheduleTime) : undefined,
      createdAt: new Date(schedule.metadata.creationTimestamp ?? now.toISOString()),
      now,
      startingDeadlineSeconds: spec.startingDeadlineSeconds,
      jitterMs: jitterMs(schedule.metadata.uid, at, now),
    });
    status.nextScheduleTime = decision.next.toISOString();
    let wakeMs = decision.wakeAt.getTime() - now.getTime();
    let due = decision.due;
    // immediate: one run on creation, in the minute it is seen
    if (!due && spec.immediate && !status.lastScheduleTime && runs.length === 0) due = new Date(Math.floor(now.getTime() / 60_000) * 60_000);

    const refusal = await this.checkOwner(schedule, status, now);
    if (spec.suspend) {
      due = undefined;
      status.message = 'suspended: no new runs';
    } else if (refusal) {
      // a folder another cluster owns: no run, the slot counted as skipped (once), until the spec or the marker changes
      status.message = refusal;
      if (due && status.lastScheduleTime !== due.toISOString()) {
        status.lastScheduleTime = due.toISOString();
        status.missedRuns = (status.missedRuns ?? 0) + 1;
        status.lastSkipped = { time: now.toISOString(), reason: `slot ${due.toISOString()} skipped: ${refusal}`.slice(0, 4096) };
        this.deps.metrics?.missed(schedule, 1);
        this.deps.events.record(schedule, 'Warning', 'DestinationNotWritable', refusal);
      }
      due = undefined;
    } else {
      status.message = `next run at ${status.nextScheduleTime}`;
      const outcome = due ? await this.runSlot(schedule, due, runs, status) : 'done';
      if (outcome === 'wait') wakeMs = Math.min(wakeMs, capPollMs);
      // slots that will never run: counted once, when the slot after them is handled
      if (decision.skipped > 0 && outcome === 'done') {
        status.missedRuns = (status.missedRuns ?? 0) + decision.skipped;
        this.deps.metrics?.missed(schedule, decision.skipped);
        const reason = decision.skippedReason ?? `${decision.skipped} slot(s) missed while the operator was not running; only the latest ran`;
        status.lastSkipped = { time: now.toISOString(), reason };
        this.deps.events.record(schedule, 'Warning', 'MissedRuns', reason);
        if (decision.skippedSlot) status.lastScheduleTime = decision.skippedSlot.toISOString();
      }
      if (due) runs = runsOf(schedule, this.deps.maintenances(namespace));
    }

    const ttlWakeMs = await this.deleteExpiredFailures(schedule, runs, now);
    if (ttlWakeMs !== undefined) wakeMs = Math.min(wakeMs, ttlWakeMs);
    const plan = this.summarize(schedule, status, runs, timeZone, periodMs(at, now), now);
    if (plan && plan.prune.length > 0) {
      await this.prune(schedule, runs, plan);
      runs = runsOf(schedule, this.deps.maintenances(namespace));
      this.summarize(schedule, status, runs, timeZone, periodMs(at, now), now);
    }
    const lastSync = Date.parse(status.inventory?.lastSyncTime ?? '');
    if (!Number.isFinite(lastSync) || now.getTime() - lastSync >= inventorySyncMs) {
      try {
        const found = await syncInventory(
          { custom: this.deps.custom, objects: this.deps.objects, now: () => now },
          { namespace, place: spec.destination.s3, label: labels.schedule, value: name, field: 'schedule' },
        );
        status.inventory = { lastSyncTime: now.toISOString(), backups: found.backups, missing: found.missing };
      } catch (err) {
        // the bucket unreachable: the schedule goes on; the inventory is tried again next time
        this.deps.log.warn({ schedule: name, err: (err as Error).message }, 'inventory of the destination failed');
        if (status.inventory) status.inventory = { ...status.inventory, lastSyncTime: now.toISOString() };
        this.deps.events.record(schedule, 'Warning', 'InventoryFailed', `could not list the destination: ${(err as Error).message}`);
      }
    }
    wakeMs = Math.min(wakeMs, inventorySyncMs);
    await this.writeStatus(schedule, status);
    return Math.max(wakeMs, 1000);
  }

  /** Reads the destination's owner marker into the status; why no run may be made, if so. A bucket unreachable leaves the last answer (the Job checks again). */
  private async checkOwner(schedule: ConfigStoreBackupSchedule, status: ConfigStoreBackupScheduleStatus, now: Date): Promise<string | undefined> {
    try {
      const check = await checkDestinationOwner(this.deps, schedule, now);
      if (!check) return undefined;
      status.destination = check.destination;
      return check.refusal;
    } catch (err) {
      this.deps.log.warn({ schedule: schedule.metadata.name, err: (err as Error).message }, "could not read the destination's owner marker");
      return undefined;
    }
  }

  /** Makes the run of `slot`, adopts it if it exists, or records why it was skipped. 'wait': no free place yet. */
  private async runSlot(
    schedule: ConfigStoreBackupSchedule,
    slot: Date,
    runs: ConfigStoreMaintenance[],
    status: ConfigStoreBackupScheduleStatus,
  ): Promise<'done' | 'wait'> {
    const name = runName(schedule.metadata.name, slot);
    const slotIso = slot.toISOString();
    if (runs.some((r) => r.metadata.name === name)) {
      if (status.lastScheduleTime !== slotIso) this.deps.events.record(schedule, 'Normal', 'Adopted', `run ${name} of slot ${slotIso} exists: adopted`);
      status.lastScheduleTime = slotIso;
      return 'done';
    }
    const active = runs.filter(isActive);
    if (active.length > 0 && (schedule.spec.concurrencyPolicy ?? 'Forbid') === 'Forbid') {
      const reason = `slot ${slotIso} skipped: run ${active.map((r) => r.metadata.name).join(', ')} is still going (concurrencyPolicy Forbid)`;
      status.lastScheduleTime = slotIso;
      status.missedRuns = (status.missedRuns ?? 0) + 1;
      status.lastSkipped = { time: this.now().toISOString(), reason };
      status.message = reason;
      this.deps.metrics?.missed(schedule, 1);
      this.deps.events.record(schedule, 'Warning', 'Skipped', reason);
      return 'done';
    }
    const running = this.deps.maintenances().filter((m) => m.metadata.labels?.[labels.schedule] && isActive(m));
    const others = running.filter((m) => !active.includes(m));
    if (others.length >= this.deps.maxConcurrentRuns) {
      status.message = `run of slot ${slotIso} waits: ${others.length} scheduled exports are running (at most ${this.deps.maxConcurrentRuns} at once)`;
      return 'wait';
    }
    for (const old of active) {
      // concurrencyPolicy Replace: the running one goes (its finalizer aborts it cleanly)
      await this.deps.custom.deleteNamespacedCustomObject({ ...maintenances, namespace: old.metadata.namespace, name: old.metadata.name }).catch(ignore404);
      this.deps.events.record(schedule, 'Normal', 'Replaced', `run ${old.metadata.name} deleted to make way for ${name} (concurrencyPolicy Replace)`);
    }
    try {
      await this.deps.custom.createNamespacedCustomObject({ ...maintenances, namespace: schedule.metadata.namespace, body: desiredRun(schedule, slot) });
      this.deps.events.record(schedule, 'Normal', 'Created', `run ${name} created for slot ${slotIso}`);
    } catch (err) {
      if (!isConflict(err)) throw err;
      this.deps.events.record(schedule, 'Normal', 'Adopted', `run ${name} of slot ${slotIso} exists: adopted`);
    }
    status.lastScheduleTime = slotIso;
    status.message = `run ${name} started`;
    return 'done';
  }

  /** Failed runs past ttlSecondsAfterFinished go (succeeded ones stay while retention keeps their backup); when the next one is due. */
  private async deleteExpiredFailures(schedule: ConfigStoreBackupSchedule, runs: ConfigStoreMaintenance[], now: Date): Promise<number | undefined> {
    const ttl = schedule.spec.ttlSecondsAfterFinished;
    if (ttl === undefined) return undefined;
    let soonest: number | undefined;
    for (const run of runs) {
      if (run.status?.phase !== 'Failed' && run.status?.phase !== 'Rejected') continue;
      const dueMs = Date.parse(run.status.completedAt ?? '') + ttl * 1000 - now.getTime();
      if (!Number.isFinite(dueMs)) continue;
      if (dueMs > 0) {
        soonest = Math.min(soonest ?? dueMs, dueMs);
        continue;
      }
      await this.deps.custom.deleteNamespacedCustomObject({ ...maintenances, namespace: run.metadata.namespace, name: run.metadata.name }).catch(ignore404);
      this.deps.events.record(schedule, 'Normal', 'DeletedFailedRun', `failed run ${run.metadata.name} deleted (ttlSecondsAfterFinished ${ttl})`);
    }
    return soonest;
  }

  /** What the runs say: last success and failure, active runs, BackupsHealthy, and the retention plan (undefined: no retention, all kept). */
  private summarize(
    schedule: ConfigStoreBackupSchedule,
    status: ConfigStoreBackupScheduleStatus,
    runs: ConfigStoreMaintenance[],
    timeZone: string,
    period: number,
    now: Date,
  ) {
    // a run being deleted (pruned, its finalizer still running) is no longer a backup to count
    const finished = runs
      .filter((r) => !isActive(r) && r.status?.completedAt && !r.metadata.deletionTimestamp)
      .sort((a, b) => Date.parse(b.status!.completedAt!) - Date.parse(a.status!.completedAt!));
    const newest = (phase: string) => finished.find((r) => r.status?.phase === phase)?.status?.completedAt;
    const success = newest('Succeeded');
    const failure = finished.find((r) => r.status?.phase === 'Failed' || r.status?.phase === 'Rejected')?.status?.completedAt;
    if (success) status.lastSuccessfulTime = success;
    if (failure) status.lastFailureTime = failure;
    // every round, not only on a change: a new leader reports what the status already holds
    if (status.lastSuccessfulTime) this.deps.metrics?.lastSuccess(schedule, new Date(status.lastSuccessfulTime));
    if (status.lastFailureTime) this.deps.metrics?.lastFailure(schedule, new Date(status.lastFailureTime));
    const active = runs.filter(isActive).map((r) => r.metadata.name);
    if (active.length > 0) status.active = active.slice(0, 16);
    else delete status.active;

    // no retention given: every backup is kept (nothing is ever pruned by default)
    let plan: RetentionPlan | undefined;
    if (schedule.spec.retention) {
      const newestRunFailed = !!finished[0] && finished[0].status?.phase !== 'Succeeded';
      const candidates = finished
        .filter((r) => r.status?.phase === 'Succeeded' && r.status.result)
        .map((r) => ({ name: r.metadata.name, completedAt: new Date(r.status!.completedAt!), good: true }));
      plan = planRetention(candidates, { minVerified: defaultMinVerified, ...schedule.spec.retention }, { timeZone, newestRunFailed });
      status.retention = { keep: plan.keep.slice(0, 1000), prune: plan.prune.slice(0, 1000), ...(plan.held ? { held: plan.held } : {}) };
    } else delete status.retention;

    const generation = schedule.metadata.generation ?? 1;
    const ready: KstatusConditions = schedule.spec.suspend
      ? { Ready: ['True', 'Suspended'], Reconciling: ['False', 'Suspended'], Stalled: ['False', 'Suspended'] }
      : status.destination?.writable === false
        ? { Ready: ['False', 'DestinationNotWritable'], Reconciling: ['False', 'DestinationNotWritable'], Stalled: ['True', 'DestinationNotWritable'] }
        : { Ready: ['True', 'Scheduled'], Reconciling: ['False', 'Scheduled'], Stalled: ['False', 'Scheduled'] };
    let conditions = setKstatusConditions(status.conditions, ready, { message: status.message ?? '', observedGeneration: generation }, now);
    conditions = setCondition(conditions, { ...backupsHealthy(finished, status, period, now), observedGeneration: generation }, now);
    status.conditions = conditions;
    return plan;
  }

  /**
   * Deletes what retention lets go: the stored export first, then its run (a failed delete
   * keeps the run, so the next round tries again; an object already gone is fine). Logged and
   * an Event each, since it destroys a backup.
   */
  private async prune(schedule: ConfigStoreBackupSchedule, runs: ConfigStoreMaintenance[], plan: RetentionPlan): Promise<void> {
    for (const name of plan.prune) {
      const run = runs.find((r) => r.metadata.name === name && r.status?.phase === 'Succeeded' && !r.metadata.deletionTimestamp);
      const object = run?.spec.export?.destination.s3;
      if (!run || !object) continue;
      const where = `s3://${object.bucket}/${object.key}`;
      try {
        await this.deps.objects.delete(run.metadata.namespace, object);
      } catch (err) {
        this.deps.log.warn({ schedule: schedule.metadata.name, run: name, where, err: (err as Error).message }, 'could not delete a pruned backup; will retry');
        this.deps.events.record(schedule, 'Warning', 'PruneFailed', `could not delete ${where} of run ${name}: ${(err as Error).message}; will retry`);
        continue;
      }
      await this.deps.custom.deleteNamespacedCustomObject({ ...maintenances, namespace: run.metadata.namespace, name }).catch(ignore404);
      await this.deleteRecordOf(schedule, object);
      this.deps.log.info({ schedule: schedule.metadata.name, run: name, where, kept: plan.keep.map((k) => k.name) }, 'retention: backup pruned');
      this.deps.events.record(schedule, 'Normal', 'Pruned', `backup ${name} (${where}) deleted by retention`);
      this.deps.metrics?.pruned(schedule);
    }
  }

  /** The schedule's ConfigStoreBackup record of the export (found by its key: its name may carry a hash). */
  private async deleteRecordOf(schedule: ConfigStoreBackupSchedule, object: { bucket: string; key: string }): Promise<void> {
    const { namespace } = schedule.metadata;
    const listed = (await this.deps.custom.listNamespacedCustomObject({
      ...backups,
      namespace,
      labelSelector: `${labels.schedule}=${schedule.metadata.name}`,
    })) as {
      items: ConfigStoreBackup[];
    };
    for (const r of listed.items) {
      if (r.spec.location.bucket !== object.bucket || r.spec.location.key !== object.key) continue;
      await this.deps.custom.deleteNamespacedCustomObject({ ...backups, namespace, name: r.metadata.name }).catch(ignore404);
    }
  }

  private async invalid(schedule: ConfigStoreBackupSchedule, message: string): Promise<undefined> {
    const status: ConfigStoreBackupScheduleStatus = { ...schedule.status, observedGeneration: schedule.metadata.generation ?? 1, message };
    delete status.nextScheduleTime;
    const states: KstatusConditions = { Ready: ['False', 'InvalidSchedule'], Reconciling: ['False', 'InvalidSchedule'], Stalled: ['True', 'InvalidSchedule'] };
    status.conditions = setKstatusConditions(status.conditions, states, { message, observedGeneration: status.observedGeneration }, this.now());
    if (schedule.status?.message !== message) this.deps.events.record(schedule, 'Warning', 'InvalidSchedule', message);
    await this.writeStatus(schedule, status);
    return undefined; // a spec change re-queues it
  }

  private async writeStatus(schedule: ConfigStoreBackupSchedule, status: ConfigStoreBackupScheduleStatus): Promise<void> {
    if (JSON.stringify(status) === JSON.stringify(schedule.status)) return;
    try {
      const next = await replaceStatus(this.deps.custom, schedules, schedule as ConfigStoreBackupSchedule & KubernetesObject, status);
      this.deps.onWrite?.(next);
    } catch (err) {
      if (!isConflict(err)) throw err; // someone wrote since: the next round sees it
      this.deps.log.debug({ schedule: schedule.metadata.name }, 'status conflict; will retry');
    }
  }
}

/** False when the newest finished run failed, or when none succeeded for two periods (the RPO missed); Unknown before any run finished. */
function backupsHealthy(finished: ConfigStoreMaintenance[], status: ConfigStoreBackupScheduleStatus, period: number, now: Date) {
  const type = 'BackupsHealthy';
  const newest = finished[0];
  if (!newest) return { type, status: 'Unknown' as const, reason: 'NoRunFinished', message: 'no run has finished yet' };
  if (newest.status?.phase !== 'Succeeded') {
    return {
      type,
      status: 'False' as const,
      reason: 'LastRunFailed',
      message: `the newest run ${newest.metadata.name} ended ${newest.status?.phase}: ${newest.status?.message ?? ''}`.slice(0, 1024),
    };
  }
  const last = Date.parse(status.lastSuccessfulTime ?? '');
  if (Number.isFinite(last) && now.getTime() - last > 2 * period) {
    return { type, status: 'False' as const, reason: 'RPOMissed', message: `no backup succeeded since ${status.lastSuccessfulTime}` };
  }
  return { type, status: 'True' as const, reason: 'LastRunSucceeded', message: `the newest run ${newest.metadata.name} succeeded` };
}
