// The plugin's one door to the API server: the five kinds of operator/api by their plurals,
// the core objects the report reads, every call wrapped so that a refusal becomes one line
// naming the verb and resource (errors.ts).
import { AppsV1Api, BatchV1Api, CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { backupKind, type ConfigStoreBackup } from '../operator/api/backup.js';
import { backupLocationKind, type ConfigStoreBackupLocation } from '../operator/api/backuplocation.js';
import { backupScheduleKind, type ConfigStoreBackupSchedule } from '../operator/api/backupschedule.js';
import { clusterKind, type ConfigStoreCluster } from '../operator/api/cluster.js';
import { group, version } from '../operator/api/common.js';
import { maintenanceKind, type ConfigStoreMaintenance } from '../operator/api/maintenance.js';
import { describeApiError, isNotFound, usageError, type ApiAction } from './errors.js';
import type { LoadedKube } from './kubeconfig.js';

export const kinds = {
  cluster: clusterKind,
  maintenance: maintenanceKind,
  schedule: backupScheduleKind,
  backup: backupKind,
  location: backupLocationKind,
} as const;
export type KindName = keyof typeof kinds;

export interface KindTypes {
  cluster: ConfigStoreCluster;
  maintenance: ConfigStoreMaintenance;
  schedule: ConfigStoreBackupSchedule;
  backup: ConfigStoreBackup;
  location: ConfigStoreBackupLocation;
}

/** plural.group, as RBAC and kubectl name it. */
export const resourceOf = (kind: KindName) => `${kinds[kind].plural}.${group}`;

export class Kube {
  readonly namespace: string;
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  readonly batch: BatchV1Api;
  private readonly custom: CustomObjectsApi;

  constructor(readonly loaded: LoadedKube) {
    this.namespace = loaded.namespace;
    this.custom = loaded.kc.makeApiClient(CustomObjectsApi);
    this.core = loaded.kc.makeApiClient(CoreV1Api);
    this.apps = loaded.kc.makeApiClient(AppsV1Api);
    this.batch = loaded.kc.makeApiClient(BatchV1Api);
  }

  /** Runs one API call; its failure becomes a PluginError that says what was refused. */
  async call<T>(action: ApiAction, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw describeApiError(err, { namespace: this.namespace, ...action }, this.loaded.server);
    }
  }

  private coords(kind: KindName) {
    return { group, version, namespace: this.namespace, plural: kinds[kind].plural };
  }

  async list<K extends KindName>(kind: K): Promise<KindTypes[K][]> {
    const res = await this.call({ verb: 'list', resource: resourceOf(kind) }, () => this.custom.listNamespacedCustomObject(this.coords(kind)));
    return (res as { items: KindTypes[K][] }).items;
  }

  /** The object, or undefined when there is none by that name. */
  async get<K extends KindName>(kind: K, name: string): Promise<KindTypes[K] | undefined> {
    try {
      return (await this.custom.getNamespacedCustomObject({ ...this.coords(kind), name })) as KindTypes[K];
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw describeApiError(err, { verb: 'get', resource: resourceOf(kind), namespace: this.namespace, name }, this.loaded.server);
    }
  }

  async create<K extends KindName>(kind: K, body: object): Promise<KindTypes[K]> {
    const name = (body as { metadata?: { name?: string } }).metadata?.name;
    return (await this.call({ verb: 'create', resource: resourceOf(kind), ...(name ? { name } : {}) }, () =>
      this.custom.createNamespacedCustomObject({ ...this.coords(kind), body }),
    )) as KindTypes[K];
  }

  /** Deletes it; false when it was not there. */
  async delete(kind: KindName, name: string): Promise<boolean> {
    try {
      await this.custom.deleteNamespacedCustomObject({ ...this.coords(kind), name });
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw describeApiError(err, { verb: 'delete', resource: resourceOf(kind), namespace: this.namespace, name }, this.loaded.server);
    }
  }

  /** The cluster, or exit code 2 naming the clusters that do exist here. */
  async requireCluster(name: string): Promise<ConfigStoreCluster> {
    const cluster = await this.get('cluster', name);
    if (cluster) return cluster;
    const others = (await this.list('cluster')).map((c) => c.metadata.name);
    throw usageError(
      `no ConfigStoreCluster "${name}" in namespace ${this.namespace}` +
        (others.length ? ` (clusters here: ${others.join(', ')})` : ' (there is none here; another namespace? -n NAMESPACE)'),
    );
  }
}
