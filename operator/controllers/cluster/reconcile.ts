// The ConfigStoreCluster reconciler: applies the Deployment and Service (server-side apply,
// owner references), then reports ready replicas and what every instance says in the etcd
// registry (its mode, applied revision), with kstatus conditions, and what it saw to the
// operator's gauges (ClusterMetrics).
import type { Etcd3 } from 'etcd3';
import {
  PatchStrategy,
  setHeaderOptions,
  type AppsV1Api,
  type KubernetesObject,
  type CoreV1Api,
  type CustomObjectsApi,
  type V1Deployment,
  type V1Service,
} from '@kubernetes/client-node';
import type { Log } from '../../../configstore/log.js';
import type { InstanceStatus } from '../../../configstore/types/index.js';
import type { ConfigStoreCluster, ConfigStoreClusterStatus, InstanceReport } from '../../api/index.js';
import { clusterKind, etcdPrefixOf, group, replicasOf, version } from '../../api/index.js';
import { isConflict, replaceStatus, setCondition, setKstatusConditions, type ConditionStatus, type KstatusConditions } from '../../kube/status.js';
import { ignore404 } from '../errors.js';
import type { EtcdPool } from '../etcd.js';
import { EtcdCredentialsError, isPrefixEmpty, readMaintenance, readRegistry, type MaintenanceKey } from '../etcd.js';
import type { BackupObjects } from '../backupobjects.js';
import { bootstrapStep, type BootstrapCondition } from './bootstrap.js';
import { fieldManager } from '../naming.js';
import { desiredDeployment, desiredService } from './desired.js';

export interface ClusterDeps {
  custom: CustomObjectsApi;
  apps: AppsV1Api;
  core: CoreV1Api;
  etcd: EtcdPool;
  /** A restore's source is looked for there (spec.bootstrap.restore). */
  objects: BackupObjects;
  log: Log;
  metrics?: ClusterMetrics;
  now?: () => Date;
}

/** What each round saw, for the operator's gauges (metrics.ts). */
export interface ClusterMetrics {
  observed(cluster: ConfigStoreCluster, seen: ClusterObservation): void;
  /** The cluster is gone: its series go too (an alert on it would never resolve). */
  forget(namespace: string, name: string): void;
}

export interface ClusterObservation {
  /** spec.replicas */
  desired: number;
  /** Ready pods of its Deployment. */
  ready: number;
  /** Its Ready condition is True. */
  isReady: boolean;
  /** From the etcd registry; undefined when it could not be read. */
  registry?: RegistryObservation;
}

export interface RegistryObservation {
  /** maintenance while the maintenance key exists, else normal. */
  requestedMode: 'normal' | 'maintenance';
  /** Registered instances by the mode they report. */
  modes: Record<string, number>;
  /** Registered instances not (yet) in the requested mode: in maintenance means fenced on the key's revision. */
  notInRequestedMode: number;
}

const ssa = setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply);
const plural = clusterKind.plural;

export class ClusterReconciler {
  constructor(private readonly deps: ClusterDeps) {}

  async reconcile(namespace: string, name: string): Promise<number | undefined> {
    const cluster = (await this.deps.custom.getNamespacedCustomObject({ group, version, namespace, plural, name }).catch(ignore404)) as
      ConfigStoreCluster | undefined;
    // deleted: owner references take the rest
    if (!cluster || cluster.metadata.deletionTimestamp) {
      this.deps.metrics?.forget(namespace, name);
      return undefined;
    }
    // a missing or unfit credentials Secret: applied all the same (the pods wait for it), reported
    // in status; an API failure reading it fails the round (applying without its fingerprint
    // would roll the pods for nothing)
    const etcd = await this.deps.etcd.connect(cluster.metadata.namespace, cluster.spec.etcd).catch((err: Error) => {
      if (err instanceof EtcdCredentialsError) return err;
      throw err;
    });
    const deployment = await this.apply(cluster, etcd.fingerprint);
    const { status, health, registry } = await this.observe(cluster, deployment, etcd);
    const bootstrapped = await this.bootstrap(cluster, status, health.ready);
    const now = this.deps.now?.() ?? new Date();
    const generation = cluster.metadata.generation ?? 1;
    const { states, message } = clusterKstatus(health, bootstrapped);
    status.conditions = setKstatusConditions(status.conditions, states, { message, observedGeneration: generation }, now);
    if (bootstrapped) status.conditions = setCondition(status.conditions, { ...bootstrapped, observedGeneration: generation }, now);
    const seen = { desired: replicasOf(cluster), ready: status.readyReplicas ?? 0, isReady: states.Ready[0] === 'True' };
    this.deps.metrics?.observed(cluster, registry ? { ...seen, registry } : seen);
    await this.writeStatus(cluster, status);
    return 5000; // the registry has no events here: look again
  }

  private async apply(cluster: ConfigStoreCluster, etcdCredentials: string | undefined): Promise<V1Deployment> {
    const { namespace } = cluster.metadata;
    const service: V1Service = desiredService(cluster);
    await this.deps.core.patchNamespacedService({ name: service.metadata!.name!, namespace, body: service, fieldManager, force: true }, ssa);
    const deployment = desiredDeployment(cluster, { etcdCredentials });
    return this.deps.apps.patchNamespacedDeployment({ name: deployment.metadata!.name!, namespace, body: deployment, fieldManager, force: true }, ssa);
  }

  private async observe(
    cluster: ConfigStoreCluster,
    deployment: V1Deployment,
    etcdOrError: { client: Etcd3 } | Error,
  ): Promise<{ status: ConfigStoreClusterStatus; health: Health; registry?: RegistryObservation }> {
    const generation = cluster.metadata.generation ?? 1;
    const wanted = replicasOf(cluster);
    const ready = deployment.status?.readyReplicas ?? 0;
    const status: ConfigStoreClusterStatus = {
      ...cluster.status,
      observedGeneration: generation,
      replicas: deployment.status?.replicas ?? 0,
      readyReplicas: ready,
    };
    let etcdProblem: string | undefined;
    let seen: RegistryObservation | undefined;
    try {
      if (etcdOrError instanceof Error) throw etcdOrError;
      const prefix = etcdPrefixOf(cluster);
      const etcd = etcdOrError.client; // connected once per round: one read of its Secret
      const [registry, key] = await this.deps.etcd.calling(cluster.spec.etcd, () => Promise.all([readRegistry(etcd, prefix), readMaintenance(etcd, prefix)]));
      const instances: InstanceReport[] = registry
        .map((i) => ({
          id: i.id,
          mode: i.mode,
          appliedRevision: i.appliedRevision,
          ...(i.podName ? { pod: i.podName } : {}),
          ...(i.fenceRevision ? { fenceRevision: i.fenceRevision } : {}),
        }))
        .sort((a, b) => a.id.localeCompare(b.id))
        .slice(0, 100);
      const modes = new Set(instances.map((i) => i.mode));
      status.instances = instances;
      status.mode = modes.size === 1 ? [...modes][0]! : modes.size === 0 ? 'unknown' : 'mixed';
      if (key) status.maintenanceOwner = key.owner;
      else delete status.maintenanceOwner;
      seen = registryObservation(registry, key);
    } catch (err) {
      etcdProblem = `cannot read the instance registry from etcd: ${(err as Error).message}`;
    }
    const rolledOut =
      (deployment.status?.observedGeneration ?? 0) >= (deployment.metadata?.generation ?? 0) && (deployment.status?.updatedReplicas ?? 0) >= wanted;
    const isReady = ready >= wanted && rolledOut && !etcdProblem;
    const message = etcdProblem ?? (isReady ? `${ready}/${wanted} instances ready` : `${ready}/${wanted} instances ready; rolling out`);
    return { status, health: { ready: isReady, message, ...(etcdProblem ? { etcdProblem } : {}) }, ...(seen ? { registry: seen } : {}) };
  }

  /** spec.bootstrap.restore: the Bootstrapped condition (undefined: none asked for), status.bootstrap once settled (bootstrap.ts). */
  private async bootstrap(cluster: ConfigStoreCluster, status: ConfigStoreClusterStatus, ready: boolean): Promise<BootstrapCondition | undefined> {
    const now = this.deps.now?.() ?? new Date();
    return bootstrapStep(
      {
        custom: this.deps.custom,
        objects: this.deps.objects,
        isEmpty: (c) => this.deps.etcd.run(c.metadata.namespace, c.spec.etcd, (etcd) => isPrefixEmpty(etcd, etcdPrefixOf(c))),
        log: this.deps.log,
        now: () => now,
      },
      cluster,
      status,
      ready,
    );
  }

  private async writeStatus(cluster: ConfigStoreCluster, status: ConfigStoreClusterStatus): Promise<void> {
    if (JSON.stringify(status) === JSON.stringify(cluster.status)) return;
    try {
      await replaceStatus(this.deps.custom, { group, version, plural }, cluster as ConfigStoreCluster & KubernetesObject, status);
    } catch (err) {
      if (!isConflict(err)) throw err; // someone wrote since: the next round sees it
      this.deps.log.debug({ cluster: cluster.metadata.name }, 'status conflict; will retry');
    }
  }
}

/** Every registered instance counted (status.instances keeps 100), against the mode the key asks for. */
export function registryObservation(registry: InstanceStatus[], key: MaintenanceKey | undefined): RegistryObservation {
  const modes: Record<string, number> = {};
  let notInRequestedMode = 0;
  for (const i of registry) {
    modes[i.mode] = (modes[i.mode] ?? 0) + 1;
    // the same test as GET /api/v1alpha/maintenance's allInstancesInRequestedMode
    if (key ? i.mode !== 'maintenance' || i.fenceRevision !== key.revision : i.mode !== 'normal') notInRequestedMode++;
  }
  return { requestedMode: key ? 'maintenance' : 'normal', modes, notInRequestedMode };
}

/** What observe() saw: instances ready and rolled out, or why not. */
interface Health {
  ready: boolean;
  message: string;
  etcdProblem?: string;
}

/**
 * The kstatus three, Reconciling and Stalled never both True (kstatus reads the first one it
 * meets): an unreadable etcd is Stalled (Failed); a restore at creation not settled yet keeps a
 * ready cluster Reconciling (InProgress), a failed one Stalled, so that Flux's health checks and
 * `kubectl wait --for=condition=Ready` do not go on before the data is back.
 */
export function clusterKstatus(health: Health, bootstrapped: BootstrapCondition | undefined): { states: KstatusConditions; message: string } {
  const states = (ready: ConditionStatus, reconciling: ConditionStatus, stalled: ConditionStatus, reason: string): KstatusConditions => ({
    Ready: [ready, reason],
    Reconciling: [reconciling, reason],
    Stalled: [stalled, reason],
  });
  const { message } = health;
  if (health.etcdProblem) return { states: states('False', 'False', 'True', 'EtcdUnreachable'), message };
  if (!health.ready) return { states: states('False', 'True', 'False', 'RollingOut'), message };
  if (bootstrapped?.status === 'False') {
    const failed = bootstrapped.reason === 'RestoreFailed';
    return { states: states('False', failed ? 'False' : 'True', failed ? 'True' : 'False', bootstrapped.reason), message: bootstrapped.message };
  }
  return { states: states('True', 'False', 'False', 'InstancesReady'), message };
}
