// The ConfigStoreCluster reconciler: applies the Deployment and Service (server-side apply,
// owner references), then reports ready replicas and what every instance says in the etcd
// registry (its mode, applied revision), with kstatus conditions.
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
import type { ConfigStoreCluster, ConfigStoreClusterStatus, InstanceReport } from '../../api/index.js';
import { clusterKind, etcdPrefixOf, group, replicasOf, version } from '../../api/index.js';
import { isConflict, replaceStatus, setCondition, setKstatusConditions, type ConditionStatus, type KstatusConditions } from '../../kube/status.js';
import { ignore404 } from '../errors.js';
import type { EtcdPool } from '../etcd.js';
import { EtcdCredentialsError, isPrefixEmpty, readMaintenance, readRegistry } from '../etcd.js';
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
  now?: () => Date;
}

const ssa = setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply);
const plural = clusterKind.plural;

export class ClusterReconciler {
  constructor(private readonly deps: ClusterDeps) {}

  async reconcile(namespace: string, name: string): Promise<number | undefined> {
    const cluster = (await this.deps.custom.getNamespacedCustomObject({ group, version, namespace, plural, name }).catch(ignore404)) as
      ConfigStoreCluster | undefined;
    // deleted: owner references take the rest
    if (!cluster || cluster.metadata.deletionTimestamp) return undefined;
    // a missing or unfit credentials Secret: applied all the same (the pods wait for it), reported
    // in status; an API failure reading it fails the round (applying without its fingerprint
    // would roll the pods for nothing)
    const etcd = await this.deps.etcd.connect(cluster.metadata.namespace, cluster.spec.etcd).catch((err: Error) => {
      if (err instanceof EtcdCredentialsError) return err;
      throw err;
    });
    const deployment = await this.apply(cluster, etcd.fingerprint);
    const { status, health } = await this.observe(cluster, deployment, etcd);
    const bootstrapped = await this.bootstrap(cluster, status, health.ready);
    const now = this.deps.now?.() ?? new Date();
    const generation = cluster.metadata.generation ?? 1;
    const { states, message } = clusterKstatus(health, bootstrapped);
    status.conditions = setKstatusConditions(status.conditions, states, { message, observedGeneration: generation }, now);
    if (bootstrapped) status.conditions = setCondition(status.conditions, { ...bootstrapped, observedGeneration: generation }, now);
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
  ): Promise<{ status: ConfigStoreClusterStatus; health: Health }> {
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
    } catch (err) {
      etcdProblem = `cannot read the instance registry from etcd: ${(err as Error).message}`;
    }
    const rolledOut =
      (deployment.status?.observedGeneration ?? 0) >= (deployment.metadata?.generation ?? 0) && (deployment.status?.updatedReplicas ?? 0) >= wanted;
    const isReady = ready >= wanted && rolledOut && !etcdProblem;
    const message = etcdProblem ?? (isReady ? `${ready}/${wanted} instances ready` : `${ready}/${wanted} instances ready; rolling out`);
    return { status, health: { ready: isReady, message, ...(etcdProblem ? { etcdProblem } : {}) } };
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
