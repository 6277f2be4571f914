// What every step of the maintenance reconciler works with: its dependencies (the API, the
// cluster's etcd, the informers' caches, a clock) and the few moves all steps share — write
// the status (only forward, on the revision read), fail (recorded, then maintenance is
// released), look up the cluster and which instances are not there yet.
import type { BatchV1Api, CoreV1Api, CustomObjectsApi, KubernetesObject } from '@kubernetes/client-node';
import type { Log } from '../../../configstore/log.js';
import type { InstanceStatus } from '../../../configstore/types/index.js';
import type { ConfigStoreCluster, ConfigStoreMaintenance, ConfigStoreMaintenanceStatus, MaintenanceEtcd } from '../../api/index.js';
import { etcdPrefixOf, group, maintenanceKind, version } from '../../api/index.js';
import { isConflict, replaceStatus } from '../../kube/status.js';
import type { EtcdTarget, MaintenanceKey } from '../etcd.js';
import { podSelector, selectorString } from '../naming.js';
import { advance, withError } from './status.js';

export interface Recorder {
  record(obj: ConfigStoreMaintenance, type: 'Normal' | 'Warning', reason: string, note: string): void;
  /** An Event about another object (a Namespace: its events land in "default"). */
  recordOn?(obj: KubernetesObject, type: 'Normal' | 'Warning', reason: string, action: string, note: string): void;
}

/**
 * The maintenance key and the instance registry in a cluster's etcd, as the steps use them
 * (`fenceOn(pool)` in fence-etcd.ts is the real one; unit tests pass an in-memory one).
 */
export interface ClusterFence {
  /** Puts the key for `owner` unless it exists; who holds it now. */
  enter(namespace: string, where: MaintenanceEtcd, owner: string, reason: string): Promise<MaintenanceKey>;
  read(namespace: string, where: MaintenanceEtcd): Promise<MaintenanceKey | undefined>;
  /** Deletes the key only if `owner` holds it. */
  release(namespace: string, where: MaintenanceEtcd, owner: string): Promise<'released' | 'absent' | 'notOwner'>;
  registry(namespace: string, target: EtcdTarget, prefix: string): Promise<InstanceStatus[]>;
  /** The cluster never held data (no snapshot, epoch or WAL entry under the prefix). */
  isEmpty(namespace: string, where: MaintenanceEtcd): Promise<boolean>;
}

export interface MaintenanceDeps {
  custom: CustomObjectsApi;
  batch: BatchV1Api;
  core: CoreV1Api;
  fence: ClusterFence;
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
export type StepOutcome = { next: ConfigStoreMaintenance } | { waitMs: number | undefined };

export const maintenanceResource = { group, version, plural: maintenanceKind.plural };

/** How often a step that waits on instances looks again. */
export const pollMs = 1000;
/** How long instances may take to load an import's data once it is switched, or to serve again. */
export const verifySeconds = 300;
/** Pods are not watched: a running Job's pods are looked at this often (two cheap GETs). */
export const jobPollMs = 300;
/** A queued operation, or one waiting on another's maintenance, looks again this often. */
export const queuePollMs = 2000;

export class StepContext {
  constructor(readonly deps: MaintenanceDeps) {}

  now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  nowIso(): string {
    return this.now().toISOString();
  }

  /** Writes `change` and reconciles again at once (or, on a conflict, soon after a re-read). */
  async write(cr: ConfigStoreMaintenance, change: Partial<ConfigStoreMaintenanceStatus>): Promise<StepOutcome> {
    const next = await this.writeOnly(cr, change);
    return next ? { next } : { waitMs: 0 };
  }

  /** Writes the status on the CR's resourceVersion; a conflict (someone wrote since) returns undefined: re-read and retry. */
  async writeOnly(cr: ConfigStoreMaintenance, change: Partial<ConfigStoreMaintenanceStatus>): Promise<ConfigStoreMaintenance | undefined> {
    const status = advance(cr, change, this.now());
    try {
      const next = await replaceStatus(this.deps.custom, maintenanceResource, cr as ConfigStoreMaintenance & KubernetesObject, status);
      this.deps.onWrite?.(next);
      if (change.phase && change.phase !== cr.status?.phase) this.deps.onPhase?.(next, change.phase);
      return next;
    } catch (err) {
      if (isConflict(err)) return undefined;
      throw err;
    }
  }

  /** A failure: recorded, then maintenance released (ExitMaintenance) before the phase becomes Failed. */
  async fail(cr: ConfigStoreMaintenance, step: string, message: string): Promise<StepOutcome> {
    this.deps.log.warn({ cr: cr.metadata.name, step, message }, 'operation failed');
    this.deps.events.record(cr, 'Warning', 'StepFailed', `${step}: ${message}`);
    return this.write(cr, { step: 'ExitMaintenance', outcome: 'Failed', message, lastErrors: withError(cr.status, step, message, this.now()) });
  }

  clusterOf(cr: ConfigStoreMaintenance): ConfigStoreCluster | undefined {
    return this.deps.cluster(cr.metadata.namespace, cr.spec.clusterRef.name);
  }

  /** The cluster, or the failure of a step that needs it and finds it deleted. */
  requireCluster(cr: ConfigStoreMaintenance): { c: ConfigStoreCluster } | { failed: Promise<StepOutcome> } {
    const c = this.clusterOf(cr);
    return c ? { c } : { failed: this.fail(cr, cr.status?.step ?? 'Admit', `ConfigStoreCluster ${cr.spec.clusterRef.name} was deleted`) };
  }

  /** Whether the current step has run for longer than `seconds`. */
  stepExpired(cr: ConfigStoreMaintenance, seconds: number): boolean {
    const since = Date.parse(cr.status?.stepStartedAt ?? '');
    return Number.isFinite(since) && this.now().getTime() - since > seconds * 1000;
  }

  /** Ready pods of the cluster (and live registry entries) whose instance does not satisfy `ok`. */
  async instancesNotIn(cr: ConfigStoreMaintenance, cluster: ConfigStoreCluster, ok: (i: InstanceStatus) => boolean): Promise<string[]> {
    const pods = (
      await this.deps.core.listNamespacedPod({ namespace: cr.metadata.namespace, labelSelector: selectorString(podSelector(cluster.metadata.name)) })
    ).items;
    const ready = pods.filter((p) => !p.metadata?.deletionTimestamp && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    const registry = await this.deps.fence.registry(cluster.metadata.namespace!, cluster.spec.etcd, etcdPrefixOf(cluster));
    const lagging = new Set<string>();
    for (const pod of ready) {
      const entry = registry.find((i) => i.podName === pod.metadata!.name || i.id === pod.metadata!.name);
      if (!entry || !ok(entry)) lagging.add(pod.metadata!.name!);
    }
    for (const entry of registry) if (!ok(entry)) lagging.add(entry.podName ?? entry.id);
    return [...lagging].sort();
  }
}
