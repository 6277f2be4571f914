// The ConfigStoreMaintenance reconciler: one small function per step, the
// status written after each, so an operator restarted at any point resumes where the
// status says. Deleting the CR is the abort: the finalizer deletes the Job and releases
// the maintenance this CR put.
import type { BatchV1Api, CoreV1Api, CustomObjectsApi, KubernetesObject, V1Job } from '@kubernetes/client-node';
import type { Log } from '../../../configstore/log.js';
import type { ConfigStoreCluster, ConfigStoreMaintenance, ConfigStoreMaintenanceStatus, OperationResult, Step } from '../../api/index.js';
import { clusterKind, group, maintenanceKind, version } from '../../api/index.js';
import type { EtcdPool } from '../etcd.js';
import { enterMaintenance, readMaintenance, readRegistry, releaseMaintenance } from '../etcd.js';
import { finalizer, jobName, podSelector, selectorString } from '../naming.js';
import { describeError, ignore404 } from '../errors.js';
import { isConflict, replaceStatus, retryOnConflict } from '../../kube/status.js';
import { admissionProblems } from './admit.js';
import { desiredJob, jobState, parseResult } from './job.js';
import { blockers } from './queue.js';
import { advance, isTerminal, withError } from './status.js';

export interface Recorder {
  record(obj: ConfigStoreMaintenance, type: 'Normal' | 'Warning', reason: string, note: string): void;
  /** An Event about another object (a Namespace: its events land in "default"). */
  recordOn?(obj: KubernetesObject, type: 'Normal' | 'Warning', reason: string, action: string, note: string): void;
}

export interface MaintenanceDeps {
  custom: CustomObjectsApi;
  batch: BatchV1Api;
  core: CoreV1Api;
  etcd: EtcdPool;
  events: Recorder;
  log: Log;
  /** Cached reads (informers): the cluster, and every ConfigStoreMaintenance of a namespace. */
  cluster(namespace: string, name: string): ConfigStoreCluster | undefined;
  maintenances(namespace: string): ConfigStoreMaintenance[];
  now?: () => Date;
  /** Called with every phase a CR reaches (metrics). */
  onPhase?: (cr: ConfigStoreMaintenance, phase: string) => void;
  /** Called with every version of a CR this reconciler wrote (its own watch events are not re-queued). */
  onWrite?: (cr: ConfigStoreMaintenance) => void;
}

/** What a step did: moved the CR on (reconcile again now), or wait `ms` before looking again. */
type StepOutcome = { next: ConfigStoreMaintenance } | { waitMs: number | undefined };

const plural = maintenanceKind.plural;
const pollMs = 1000;
/** How long instances may take to load an import's data once it is switched. */
const verifySeconds = 300;
/** Pods are not watched: a running Job's pods are looked at this often (two cheap GETs). */
const jobPollMs = 300;

export class MaintenanceReconciler {
  constructor(private readonly deps: MaintenanceDeps) {}

  private now() {
    return this.deps.now?.() ?? new Date();
  }

  /** Reconciles one CR; returns when to look again (undefined: on the next event). */
  async reconcile(namespace: string, name: string): Promise<number | undefined> {
    let cr = await this.read(namespace, name);
    for (let i = 0; i < 20 && cr; i++) {
      const outcome = await this.stepWithDeadline(cr);
      if ('waitMs' in outcome) return outcome.waitMs;
      cr = outcome.next;
    }
    return 0;
  }

  private async read(namespace: string, name: string): Promise<ConfigStoreMaintenance | undefined> {
    return (await this.deps.custom.getNamespacedCustomObject({ group, version, namespace, plural, name }).catch(ignore404)) as ConfigStoreMaintenance | undefined;
  }

  /**
   * A step that keeps throwing (etcd unreachable, the API refusing the Job) is retried with
   * backoff, its error shown in the status, until the step's deadline: then the operation
   * fails, and never stays Running forever.
   */
  private async stepWithDeadline(cr: ConfigStoreMaintenance): Promise<StepOutcome> {
    try {
      return await this.step(cr);
    } catch (err) {
      const step = cr.status?.step;
      const seconds = step ? this.deadlineOf(cr, step) : undefined;
      const message = describeError(err);
      if (seconds !== undefined && this.stepExpired(cr, seconds)) return this.fail(cr, step!, `${message} (still failing after ${seconds}s)`);
      if (step && !isTerminal(cr.status) && !cr.metadata.deletionTimestamp) {
        await this.writeOnly(cr, { message: `retrying ${step}: ${message}`, lastErrors: withError(cr.status, step, message, this.now()) }).catch(() => undefined);
      }
      throw err;
    }
  }

  private deadlineOf(cr: ConfigStoreMaintenance, step: Step): number | undefined {
    const enter = cr.spec.timeouts?.enterSeconds ?? 60;
    const runJob = (cr.spec.timeouts?.runSeconds ?? 3600) + 120;
    return ({ EnterMaintenance: enter, WaitForInstances: enter, RunJob: runJob, Verify: verifySeconds } as Partial<Record<Step, number>>)[step];
  }

  private step(cr: ConfigStoreMaintenance): Promise<StepOutcome> {
    if (cr.metadata.deletionTimestamp) return this.abort(cr);
    if (isTerminal(cr.status)) return this.finished(cr);
    if (!cr.metadata.finalizers?.includes(finalizer)) return this.addFinalizer(cr);
    const steps: Record<Step, (cr: ConfigStoreMaintenance) => Promise<StepOutcome>> = {
      Admit: (c) => this.admit(c),
      Queue: (c) => this.queue(c),
      EnterMaintenance: (c) => this.enter(c),
      WaitForInstances: (c) => this.waitForInstances(c),
      RunJob: (c) => this.runJob(c),
      Verify: (c) => this.verify(c),
      ExitMaintenance: (c) => this.exit(c),
      Hold: (c) => this.hold(c),
      Done: (c) => this.finished(c),
    };
    return steps[cr.status?.step ?? 'Admit'](cr);
  }

  // ---- steps -------------------------------------------------------------------------

  private async admit(cr: ConfigStoreMaintenance): Promise<StepOutcome> {
    const earlier = this.clusterOf(cr)?.status?.succeededOperations?.find((o) => o.name === cr.metadata.name && o.uid !== cr.metadata.uid);
    if (earlier) {
      // GitOps re-created a finished CR (after its TTL): the operation is done, never run twice
      const message = `not run: ${cr.spec.operation} ${cr.metadata.name} already succeeded on this cluster at ${earlier.completedAt} (uid ${earlier.uid}); create one with a new name to run it again`;
      this.deps.events.record(cr, 'Normal', 'AlreadySucceeded', message);
      return this.write(cr, { phase: 'Succeeded', step: 'Done', message, completedAt: this.now().toISOString() });
    }
    // a fresh read: the cluster's cache may lag behind this CR's (two watches)
    const cluster = this.clusterOf(cr) ?? ((await this.deps.custom.getNamespacedCustomObject({ group, version, namespace: cr.metadata.namespace, plural: clusterKind.plural, name: cr.spec.clusterRef.name }).catch(ignore404)) as ConfigStoreCluster | undefined);
    const reasons = await admissionProblems(cr, { core: this.deps.core, cluster });
    if (reasons.length > 0) {
      this.deps.events.record(cr, 'Warning', 'Rejected', reasons.join('; '));
      return this.write(cr, { phase: 'Rejected', step: 'Done', reasons, message: `rejected: ${reasons.join('; ')}`, completedAt: this.now().toISOString() });
    }
    this.deps.events.record(cr, 'Normal', 'Admitted', `${cr.spec.operation} of cluster ${cr.spec.clusterRef.name} admitted`);
    return this.write(cr, { phase: 'Pending', step: 'Queue', message: 'admitted; waiting for its turn' });
  }

  private async queue(cr: ConfigStoreMaintenance): Promise<StepOutcome> {
    const ahead = blockers(cr, this.deps.maintenances(cr.metadata.namespace));
    if (ahead.length > 0) {
      const message = `waiting for ${ahead.map((o) => o.metadata.name).join(', ')} on cluster ${cr.spec.clusterRef.name}`;
      if (cr.status?.queuePosition !== ahead.length + 1 || cr.status?.message !== message) {
        this.deps.events.record(cr, 'Normal', 'Queued', message);
        await this.write(cr, { queuePosition: ahead.length + 1, message });
      }
      return { waitMs: 2000 };
    }
    // a dry-run import changes nothing: the cluster keeps serving
    const needsMaintenance = cr.spec.operation === 'Maintenance' || (cr.spec.operation === 'Import' && !cr.spec.import?.dryRun) || !!cr.spec.export?.quiesce;
    this.deps.events.record(cr, 'Normal', 'Started', `${cr.spec.operation} started`);
    return this.write(cr, {
      phase: 'Running',
      step: needsMaintenance ? 'EnterMaintenance' : 'RunJob',
      startedAt: this.now().toISOString(),
      runId: cr.metadata.uid.slice(0, 8),
      message: needsMaintenance ? 'entering maintenance' : 'starting the export Job',
    });
  }

  private async enter(cr: ConfigStoreMaintenance): Promise<StepOutcome> {
    const cluster = this.requireCluster(cr);
    if ('failed' in cluster) return cluster.failed;
    if (!cr.status?.maintenanceEtcd) {
      // recorded before the key is put: abort and exit release it there, whatever happens next
      const { endpoints, credentialsSecretRef } = cluster.c.spec.etcd;
      const next = await this.writeOnly(cr, { maintenanceEtcd: { endpoints, prefix: prefixOf(cluster.c), ...(credentialsSecretRef ? { credentialsSecretRef } : {}) } });
      return next ? { next } : { waitMs: 0 };
    }
    const where = cr.status.maintenanceEtcd;
    const key = await this.deps.etcd.run(cr.metadata.namespace, where, (etcd) => enterMaintenance(etcd, where.prefix, cr.metadata.uid, `${cr.spec.operation} ${cr.metadata.namespace}/${cr.metadata.name}`));
    const own = key.owner === cr.metadata.uid;
    if (!own) {
      // run inside someone else's maintenance only if it is held on purpose, never inside another running operation's
      const holder = this.deps.maintenances(cr.metadata.namespace).find((o) => o.metadata.uid === key.owner);
      if (holder && holder.status?.step !== 'Hold') {
        const message = `waiting: the cluster's maintenance belongs to ${holder.metadata.name}, still running`;
        if (cr.status.message !== message) await this.writeOnly(cr, { message });
        return { waitMs: 2000 };
      }
    }
    this.deps.events.record(cr, 'Normal', 'MaintenanceRequested', own ? `maintenance key put (revision ${key.revision})` : `cluster already in maintenance, held by ${key.owner}: running inside it`);
    return this.write(cr, { step: 'WaitForInstances', maintenanceRevision: key.revision, maintenanceOwner: key.owner, message: 'waiting for every instance to enter maintenance' });
  }

  private async waitForInstances(cr: ConfigStoreMaintenance): Promise<StepOutcome> {
    const cluster = this.requireCluster(cr);
    if ('failed' in cluster) return cluster.failed;
    const where = cr.status!.maintenanceEtcd!;
    const key = await this.deps.etcd.run(cr.metadata.namespace, where, (etcd) => readMaintenance(etcd, where.prefix));
    if (!key || key.revision !== cr.status?.maintenanceRevision) {
      return this.fail(cr, 'WaitForInstances', 'the maintenance key was removed or replaced by someone else before the operation ran');
    }
    const lagging = await this.instancesNotIn(cr, cluster.c, (i) => i.mode === 'maintenance' && i.fenceRevision === key.revision);
    if (lagging.length > 0) {
      if (this.stepExpired(cr, cr.spec.timeouts?.enterSeconds ?? 60)) {
        return this.fail(cr, 'WaitForInstances', `instances did not enter maintenance within ${cr.spec.timeouts?.enterSeconds ?? 60}s: ${lagging.join(', ')}`);
      }
      const message = `waiting for ${lagging.join(', ')} to enter maintenance`;
      if (cr.status?.message !== message) await this.write(cr, { message });
      return { waitMs: pollMs };
    }
    this.deps.events.record(cr, 'Normal', 'InMaintenance', 'every instance is in maintenance');
    if (cr.spec.operation === 'Maintenance') {
      return this.write(cr, { step: 'Hold', message: 'the cluster is held in maintenance; delete this resource to release it' });
    }
    return this.write(cr, { step: 'RunJob', message: `starting the ${cr.spec.operation.toLowerCase()} Job` });
  }

  private async runJob(cr: ConfigStoreMaintenance): Promise<StepOutcome> {
    const cluster = this.requireCluster(cr);
    if ('failed' in cluster) return cluster.failed;
    const wanted = desiredJob(cr, cluster.c);
    const name = wanted.metadata!.name!;
    const { namespace } = cr.metadata;
    let job = await this.readJob(namespace, name);
    if (!job) {
      // jobName is recorded only once the Job exists: a Job missing after that was lost
      if (cr.status?.jobName) return this.fail(cr, 'RunJob', `Job ${name} disappeared before it finished (deleted by someone else?)`);
      job = await this.createJob(namespace, wanted);
      this.deps.events.record(cr, 'Normal', 'JobCreated', `Job ${name} created`);
    } else if (!job.metadata?.ownerReferences?.some((o) => o.uid === cr.metadata.uid)) {
      return this.fail(cr, 'RunJob', `a Job named ${name} exists but does not belong to this ConfigStoreMaintenance`);
    }
    if (!cr.status?.jobName) cr = (await this.writeOnly(cr, { jobName: name, message: `running Job ${name}` })) ?? cr;
    const pods = (await this.deps.core.listNamespacedPod({ namespace, labelSelector: `job-name=${name}` })).items;
    const state = jobState(job, pods);
    if (state.state === 'running') return { waitMs: jobPollMs };
    if (state.state === 'failed') return this.fail(cr, 'RunJob', `Job ${name} failed: ${state.message}`);
    let result;
    try {
      result = parseResult(state.message, cr.spec.operation === 'Export' ? 'export' : 'import');
    } catch (err) {
      return this.fail(cr, 'RunJob', (err as Error).message);
    }
    this.deps.events.record(cr, 'Normal', 'JobSucceeded', `Job ${name}: ${result.objects} objects, ${result.bytes} bytes, sha256 ${result.sha256}`);
    return this.write(cr, { step: 'Verify', result, message: 'verifying the result' });
  }

  private async verify(cr: ConfigStoreMaintenance): Promise<StepOutcome> {
    const result = cr.status?.result;
    if (!result) return this.fail(cr, 'Verify', 'no result recorded');
    const imp = cr.spec.import;
    if (imp?.sha256 && result.sha256 !== imp.sha256) return this.fail(cr, 'Verify', `imported sha256 ${result.sha256} is not spec.import.sha256 ${imp.sha256}`);
    if (imp && !!result.dryRun !== !!imp.dryRun) return this.fail(cr, 'Verify', `the Job ran with dryRun=${!!result.dryRun}, the spec asked for ${!!imp.dryRun}`);
    if (imp && !imp.dryRun && result.revision) {
      // a restore is done when every instance serves it, not when the Job says so
      const cluster = this.requireCluster(cr);
      if ('failed' in cluster) return cluster.failed;
      const revision = BigInt(result.revision);
      const behind = await this.instancesNotIn(cr, cluster.c, (i) => BigInt(i.appliedRevision) >= revision);
      if (behind.length > 0) {
        if (this.stepExpired(cr, verifySeconds)) return this.fail(cr, 'Verify', `the import was applied (revision ${result.revision}) but these instances did not load it within ${verifySeconds}s: ${behind.join(', ')}`);
        return { waitMs: pollMs };
      }
    }
    const keep = cr.spec.keepMaintenance && cr.status?.maintenanceRevision;
    if (keep) {
      await this.recordSuccess(cr, result);
      this.deps.events.record(cr, 'Normal', 'Succeeded', `${cr.spec.operation} succeeded; maintenance kept until this resource is deleted`);
      return this.write(cr, { step: 'Hold', phase: 'Succeeded', outcome: 'Succeeded', completedAt: this.now().toISOString(), message: `${cr.spec.operation} succeeded; the cluster stays in maintenance until this resource is deleted` });
    }
    return this.write(cr, { step: 'ExitMaintenance', outcome: 'Succeeded', message: cr.status?.maintenanceRevision ? 'leaving maintenance' : 'finishing' });
  }

  private async exit(cr: ConfigStoreMaintenance): Promise<StepOutcome> {
    const status = cr.status!;
    const outcome = status.outcome ?? 'Succeeded';
    if (await this.releaseOwn(cr)) {
      // a failure keeps its message: it is the one the final status shows
      const next = await this.writeOnly(cr, { maintenanceReleased: true, ...(outcome === 'Succeeded' ? { message: 'maintenance released; waiting for every instance to serve again' } : {}) });
      return next ? { next } : { waitMs: 0 };
    }
    let lagging: string[] = [];
    if (status.maintenanceReleased && outcome === 'Succeeded') {
      // done when every instance serves again (a restore that left one behind is not done)
      const cluster = this.clusterOf(cr);
      lagging = cluster ? await this.instancesNotIn(cr, cluster, (i) => i.mode === 'normal') : [];
      if (lagging.length > 0 && !this.stepExpired(cr, verifySeconds)) return { waitMs: pollMs };
    }
    if (outcome === 'Succeeded') await this.recordSuccess(cr, status.result);
    const stillExiting = lagging.length > 0 ? `; ${lagging.join(', ')} still not back in normal mode after ${verifySeconds}s` : '';
    const message = outcome === 'Succeeded' ? `${cr.spec.operation} succeeded${stillExiting}` : (status.message ?? 'failed');
    this.deps.events.record(cr, outcome === 'Succeeded' ? 'Normal' : 'Warning', outcome, message);
    return this.write(cr, { phase: outcome, step: 'Done', completedAt: this.now().toISOString(), message });
  }

  /**
   * Written on the cluster's status before this CR turns Succeeded: its last export, and this
   * operation among those that succeeded (so a re-created CR of the same name does not run again).
   */
  private async recordSuccess(cr: ConfigStoreMaintenance, result: OperationResult | undefined): Promise<void> {
    const { namespace } = cr.metadata;
    const name = cr.spec.clusterRef.name;
    await retryOnConflict(async () => {
      const cluster = (await this.deps.custom.getNamespacedCustomObject({ group, version, namespace, plural: clusterKind.plural, name }).catch(ignore404)) as ConfigStoreCluster | undefined;
      if (!cluster) return;
      const status = { ...cluster.status };
      const done = status.succeededOperations ?? [];
      if (!done.some((o) => o.uid === cr.metadata.uid)) {
        // one entry per name (the newest), the oldest names dropped past 200
        const others = done.filter((o) => o.name !== cr.metadata.name);
        status.succeededOperations = [...others, { name: cr.metadata.name, uid: cr.metadata.uid, operation: cr.spec.operation, completedAt: this.now().toISOString() }].slice(-200);
      }
      if (cr.spec.operation === 'Export' && result) {
        status.lastExport = { maintenance: cr.metadata.name, location: result.location, objects: result.objects, bytes: result.bytes, sha256: result.sha256, revision: result.revision ?? '', completedAt: this.now().toISOString() };
      }
      await replaceStatus(this.deps.custom, { group, version, plural: clusterKind.plural }, cluster, status);
    });
  }

  /** Maintenance held until the CR is deleted (the finalizer releases it); a key ended by someone else fails it. */
  private async hold(cr: ConfigStoreMaintenance): Promise<StepOutcome> {
    const where = cr.status?.maintenanceEtcd;
    if (cr.spec.operation !== 'Maintenance' || !where) return { waitMs: 30_000 };
    const key = await this.deps.etcd.run(cr.metadata.namespace, where, (etcd) => readMaintenance(etcd, where.prefix));
    if (key?.revision === cr.status?.maintenanceRevision) return { waitMs: 10_000 };
    const message = 'the maintenance this resource held was ended by someone else (the etcd key was removed or replaced); the cluster is not held any more';
    this.deps.events.record(cr, 'Warning', 'MaintenanceLost', message);
    return this.write(cr, { phase: 'Failed', step: 'Done', outcome: 'Failed', maintenanceReleased: true, message, completedAt: this.now().toISOString(), lastErrors: withError(cr.status, 'Hold', message, this.now()) });
  }

  private async finished(cr: ConfigStoreMaintenance): Promise<StepOutcome> {
    const ttl = cr.spec.ttlSecondsAfterFinished;
    if (ttl === undefined || !cr.status?.completedAt) return { waitMs: undefined };
    const dueMs = Date.parse(cr.status.completedAt) + ttl * 1000 - this.now().getTime();
    if (dueMs > 0) return { waitMs: dueMs };
    this.deps.log.info({ cr: cr.metadata.name }, 'ttlSecondsAfterFinished passed: deleting');
    await this.deps.custom.deleteNamespacedCustomObject({ group, version, namespace: cr.metadata.namespace, plural, name: cr.metadata.name }).catch(ignore404);
    return { waitMs: undefined };
  }

  /** Deletion is the abort: the Job goes, the maintenance this CR put is released, then the finalizer. */
  private async abort(cr: ConfigStoreMaintenance): Promise<StepOutcome> {
    if (!cr.metadata.finalizers?.includes(finalizer)) return { waitMs: undefined };
    const { namespace } = cr.metadata;
    if (cr.spec.operation !== 'Maintenance') {
      // by its derived name: the Job may exist before status.jobName records it
      await this.deps.batch.deleteNamespacedJob({ name: jobName(cr.metadata.name, cr.metadata.uid), namespace, propagationPolicy: 'Background' }).catch(ignore404);
    }
    try {
      await this.releaseOwn(cr);
    } catch (err) {
      const going = await this.namespaceBeingDeleted(namespace);
      // the finalizer stays until the key is released (never a cluster left fenced unseen): say why
      if (!going) {
        this.deps.events.record(cr, 'Warning', 'ReleaseFailed', `cannot release maintenance yet, retrying: ${describeError(err)}`);
        throw err;
      }
      // …unless it never can be: then say so where it can still be read, and let the deletion finish
      const where = cr.status!.maintenanceEtcd!;
      const note = `the maintenance key ${where.prefix}maintenance at ${where.endpoints.join(', ')} was not released (${describeError(err)}); the finalizer is removed because namespace ${namespace} is being deleted. If that etcd still serves a cluster, remove the key: etcdctl --endpoints=${where.endpoints[0]} del ${where.prefix}maintenance`;
      this.deps.log.warn({ cr: `${namespace}/${cr.metadata.name}`, note }, 'maintenance not released');
      this.deps.events.record(cr, 'Warning', 'MaintenanceNotReleased', note);
      // a namespace being deleted takes no new Events: this one goes on the Namespace (in "default")
      this.deps.events.recordOn?.(going, 'Warning', 'MaintenanceNotReleased', 'Delete', `ConfigStoreMaintenance ${cr.metadata.name}: ${note}`);
    }
    const finalizers = cr.metadata.finalizers.filter((f) => f !== finalizer);
    await this.deps.custom
      .replaceNamespacedCustomObject({ group, version, namespace, plural, name: cr.metadata.name, body: { ...cr, metadata: { ...cr.metadata, finalizers } } })
      .catch(ignore404);
    return { waitMs: undefined };
  }

  // ---- helpers -----------------------------------------------------------------------

  /**
   * The CR's namespace when it is being deleted (its Secrets and the rest go with it: a
   * release that failed can never succeed), else undefined. Outside a namespace deletion
   * the finalizer waits (a credentials Secret deleted by mistake can be put back).
   */
  private async namespaceBeingDeleted(namespace: string): Promise<KubernetesObject | undefined> {
    // (a namespaced install cannot read Namespaces: there the finalizer waits as outside a deletion)
    const ns = await this.deps.core.readNamespace({ name: namespace }).catch(() => undefined);
    return ns?.metadata?.deletionTimestamp ? { apiVersion: 'v1', kind: 'Namespace', metadata: ns.metadata } : undefined;
  }

  /**
   * Releases the maintenance key if this CR may have put it (owner-checked in etcd, so never
   * someone else's), where it was recorded; true when this CR's key is now gone and its status
   * does not say so yet. That includes a key this CR put and finds absent: an operator killed
   * between the delete and the status write released it.
   */
  private async releaseOwn(cr: ConfigStoreMaintenance): Promise<boolean> {
    const where = cr.status?.maintenanceEtcd;
    if (!where || cr.status?.maintenanceReleased) return false;
    const released = await this.deps.etcd.run(cr.metadata.namespace, where, (etcd) => releaseMaintenance(etcd, where.prefix, cr.metadata.uid));
    if (released === 'released') {
      this.deps.events.record(cr, 'Normal', 'MaintenanceReleased', 'maintenance released');
      return true;
    }
    return released === 'absent' && cr.status?.maintenanceOwner === cr.metadata.uid; // else borrowed (someone else's) or never put
  }

  private async addFinalizer(cr: ConfigStoreMaintenance): Promise<StepOutcome> {
    const body = { ...cr, metadata: { ...cr.metadata, finalizers: [...(cr.metadata.finalizers ?? []), finalizer] } };
    const next = (await this.deps.custom.replaceNamespacedCustomObject({ group, version, namespace: cr.metadata.namespace, plural, name: cr.metadata.name, body })) as ConfigStoreMaintenance;
    this.deps.onWrite?.(next);
    return { next };
  }

  /** A failure: recorded, then maintenance released (ExitMaintenance) before the phase becomes Failed. */
  private async fail(cr: ConfigStoreMaintenance, step: string, message: string): Promise<StepOutcome> {
    this.deps.log.warn({ cr: cr.metadata.name, step, message }, 'operation failed');
    this.deps.events.record(cr, 'Warning', 'StepFailed', `${step}: ${message}`);
    return this.write(cr, { step: 'ExitMaintenance', outcome: 'Failed', message, lastErrors: withError(cr.status, step, message, this.now()) });
  }

  private async write(cr: ConfigStoreMaintenance, change: Partial<ConfigStoreMaintenanceStatus>): Promise<StepOutcome> {
    const next = await this.writeOnly(cr, change);
    return next ? { next } : { waitMs: 0 };
  }

  /** Writes the status on the CR's resourceVersion; a conflict (someone wrote since) returns undefined: re-read and retry. */
  private async writeOnly(cr: ConfigStoreMaintenance, change: Partial<ConfigStoreMaintenanceStatus>): Promise<ConfigStoreMaintenance | undefined> {
    const status = advance(cr, change, this.now());
    try {
      const next = await replaceStatus(this.deps.custom, { group, version, plural }, cr as ConfigStoreMaintenance & KubernetesObject, status);
      this.deps.onWrite?.(next);
      if (change.phase && change.phase !== cr.status?.phase) this.deps.onPhase?.(next, change.phase);
      return next;
    } catch (err) {
      if (isConflict(err)) return undefined;
      throw err;
    }
  }

  private clusterOf(cr: ConfigStoreMaintenance) {
    return this.deps.cluster(cr.metadata.namespace, cr.spec.clusterRef.name);
  }

  private requireCluster(cr: ConfigStoreMaintenance): { c: ConfigStoreCluster } | { failed: Promise<StepOutcome> } {
    const c = this.clusterOf(cr);
    return c ? { c } : { failed: this.fail(cr, cr.status?.step ?? 'Admit', `ConfigStoreCluster ${cr.spec.clusterRef.name} was deleted`) };
  }

  private stepExpired(cr: ConfigStoreMaintenance, seconds: number): boolean {
    const since = Date.parse(cr.status?.stepStartedAt ?? '');
    return Number.isFinite(since) && this.now().getTime() - since > seconds * 1000;
  }

  /** Ready pods of the cluster (and live registry entries) whose instance does not satisfy `ok`. */
  private async instancesNotIn(cr: ConfigStoreMaintenance, cluster: ConfigStoreCluster, ok: (i: { mode: string; fenceRevision?: string; appliedRevision: string }) => boolean) {
    const pods = (await this.deps.core.listNamespacedPod({ namespace: cr.metadata.namespace, labelSelector: selectorString(podSelector(cluster.metadata.name)) })).items;
    const ready = pods.filter((p) => !p.metadata?.deletionTimestamp && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    const registry = await this.deps.etcd.run(cluster.metadata.namespace!, cluster.spec.etcd, (etcd) => readRegistry(etcd, prefixOf(cluster)));
    const lagging = new Set<string>();
    for (const pod of ready) {
      const entry = registry.find((i) => i.podName === pod.metadata!.name || i.id === pod.metadata!.name);
      if (!entry || !ok(entry)) lagging.add(pod.metadata!.name!);
    }
    for (const entry of registry) if (!ok(entry)) lagging.add(entry.podName ?? entry.id);
    return [...lagging].sort();
  }

  private async readJob(namespace: string, name: string): Promise<V1Job | undefined> {
    return this.deps.batch.readNamespacedJob({ name, namespace }).catch(ignore404);
  }

  private async createJob(namespace: string, job: V1Job): Promise<V1Job> {
    try {
      return await this.deps.batch.createNamespacedJob({ namespace, body: job });
    } catch (err) {
      if (!isConflict(err)) throw err;
      // made by an earlier run of ours, or a stranger: the owner is checked before it is used
      const existing = await this.readJob(namespace, job.metadata!.name!);
      const ownerUid = job.metadata!.ownerReferences![0]!.uid;
      if (!existing?.metadata?.ownerReferences?.some((o) => o.uid === ownerUid)) {
        throw new Error(`a Job named ${job.metadata!.name} exists but does not belong to this ConfigStoreMaintenance`);
      }
      return existing;
    }
  }
}

const prefixOf = (cluster: ConfigStoreCluster) => cluster.spec.etcd.prefix ?? '/configstore/';

