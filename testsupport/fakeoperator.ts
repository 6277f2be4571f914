// In-memory dependencies for the maintenance reconciler's unit tests: an API server that keeps
// objects with resourceVersions (a stale write is a 409, a missing object a 404, a deleted
// object with finalizers keeps a deletionTimestamp), a cluster etcd holding the maintenance
// key and the instance registry, an event recorder and a clock the test moves. Only the calls
// the reconciler makes are implemented; anything else throws, so a new call shows up at once.
import type { BatchV1Api, CoreV1Api, CustomObjectsApi, V1Job, V1Pod } from '@kubernetes/client-node';
import {
  manifestSuffix,
  ownerMarkerKey,
  parseExportManifest,
  parsePrefixOwner,
  type ExportManifest,
  type InstanceStatus,
  type PrefixOwner,
} from '../configstore/types/index.js';
import type { Log } from '../configstore/log.js';
import type { ConfigStoreCluster, ConfigStoreMaintenance, ConfigStoreMaintenanceSpec, S3Object } from '../operator/api/index.js';
import type { BackupObjects, S3Place } from '../operator/controllers/backupobjects.js';
import type { ClusterFence, MaintenanceDeps } from '../operator/controllers/maintenance/context.js';
import type { ScheduleDeps } from '../operator/controllers/schedule/reconcile.js';
import type { MaintenanceKey } from '../operator/controllers/etcd.js';
import { podSelector } from '../operator/controllers/naming.js';

class ApiError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

type Obj = {
  metadata: {
    name: string;
    namespace?: string;
    resourceVersion?: string;
    uid?: string;
    finalizers?: string[];
    deletionTimestamp?: string;
    creationTimestamp?: string;
    generation?: number;
  };
} & Record<string, unknown>;

const clone = <T>(o: T): T => structuredClone(o);

/** Objects by kind/namespace/name, with resourceVersions. */
export class FakeApiServer {
  private readonly objects = new Map<string, Obj>();
  private rv = 1;
  private uid = 1;
  readonly calls: string[] = [];

  constructor(private readonly clock: FakeClock) {}

  private key(kind: string, namespace: string | undefined, name: string) {
    return `${kind}/${namespace ?? ''}/${name}`;
  }

  put<T extends Obj>(kind: string, obj: T): T {
    const stored = clone(obj);
    stored.metadata.resourceVersion = String(++this.rv);
    stored.metadata.uid ??= `uid-${String(this.uid++).padStart(8, '0')}-${kind}`;
    stored.metadata.creationTimestamp ??= this.clock.now().toISOString();
    stored.metadata.generation ??= 1; // as the API server sets it on create
    this.objects.set(this.key(kind, stored.metadata.namespace, stored.metadata.name), stored);
    return clone(stored);
  }

  get<T>(kind: string, namespace: string | undefined, name: string): T | undefined {
    const o = this.objects.get(this.key(kind, namespace, name));
    return o ? (clone(o) as unknown as T) : undefined;
  }

  list<T>(kind: string, namespace: string): T[] {
    return [...this.objects.entries()].filter(([k]) => k.startsWith(`${kind}/${namespace}/`)).map(([, o]) => clone(o) as unknown as T);
  }

  private must(kind: string, namespace: string | undefined, name: string): Obj {
    const o = this.objects.get(this.key(kind, namespace, name));
    if (!o) throw new ApiError(404, `${kind} ${namespace}/${name} not found`);
    return o;
  }

  /** A conditional replace: the body's resourceVersion must be the stored one. */
  replace(kind: string, body: Obj, part: 'all' | 'status'): Obj {
    const stored = this.must(kind, body.metadata.namespace, body.metadata.name);
    if (body.metadata.resourceVersion !== stored.metadata.resourceVersion)
      throw new ApiError(409, `${kind} ${body.metadata.name}: resourceVersion ${body.metadata.resourceVersion} is stale`);
    const next: Obj =
      part === 'status'
        ? { ...clone(stored), status: clone(body.status) }
        : { ...clone(body), status: clone(stored.status), metadata: { ...clone(body.metadata), uid: stored.metadata.uid } };
    if (next.metadata.deletionTimestamp && !next.metadata.finalizers?.length) {
      this.objects.delete(this.key(kind, body.metadata.namespace, body.metadata.name));
      return clone(next);
    }
    next.metadata.resourceVersion = String(++this.rv);
    this.objects.set(this.key(kind, body.metadata.namespace, body.metadata.name), next);
    return clone(next);
  }

  /** Deletes at once, or marks it deleting while it has finalizers (as the API server does). */
  delete(kind: string, namespace: string | undefined, name: string): void {
    const stored = this.must(kind, namespace, name);
    if (stored.metadata.finalizers?.length) {
      stored.metadata.deletionTimestamp ??= this.clock.now().toISOString();
      stored.metadata.resourceVersion = String(++this.rv);
    } else this.objects.delete(this.key(kind, namespace, name));
  }

  has(kind: string, namespace: string | undefined, name: string): boolean {
    return this.objects.has(this.key(kind, namespace, name));
  }

  // ---- the typed clients' calls the reconciler makes ----------------------------------

  custom(): CustomObjectsApi {
    const kinds: Record<string, string> = {
      configstoreclusters: 'ConfigStoreCluster',
      configstoremaintenances: 'ConfigStoreMaintenance',
      configstorebackupschedules: 'ConfigStoreBackupSchedule',
      configstorebackups: 'ConfigStoreBackup',
      configstorebackuplocations: 'ConfigStoreBackupLocation',
    };
    const kindOf = (plural: string) => kinds[plural] ?? `unknown plural ${plural}`;
    const api = {
      getNamespacedCustomObject: async (r: { plural: string; namespace: string; name: string }) => {
        this.calls.push(`get ${r.plural}/${r.name}`);
        return clone(this.must(kindOf(r.plural), r.namespace, r.name));
      },
      replaceNamespacedCustomObject: async (r: { plural: string; body: Obj }) => {
        this.calls.push(`replace ${r.plural}/${r.body.metadata.name}`);
        return this.replace(kindOf(r.plural), r.body, 'all');
      },
      replaceNamespacedCustomObjectStatus: async (r: { plural: string; body: Obj }) => {
        this.calls.push(`replaceStatus ${r.plural}/${r.body.metadata.name}`);
        return this.replace(kindOf(r.plural), r.body, 'status');
      },
      listNamespacedCustomObject: async (r: { plural: string; namespace: string; labelSelector?: string }) => {
        const wanted = (r.labelSelector ?? '')
          .split(',')
          .filter(Boolean)
          .map((kv) => kv.split('=') as [string, string]);
        const items = this.list<Obj & { metadata: { labels?: Record<string, string> } }>(kindOf(r.plural), r.namespace).filter((o) =>
          wanted.every(([k, v]) => o.metadata.labels?.[k] === v),
        );
        return { items };
      },
      createNamespacedCustomObject: async (r: { plural: string; namespace: string; body: Obj }) => {
        this.calls.push(`create ${r.plural}/${r.body.metadata.name}`);
        if (this.has(kindOf(r.plural), r.namespace, r.body.metadata.name)) throw new ApiError(409, `${r.plural} ${r.body.metadata.name} already exists`);
        return this.put(kindOf(r.plural), { ...r.body, metadata: { ...r.body.metadata, namespace: r.namespace } });
      },
      deleteNamespacedCustomObject: async (r: { plural: string; namespace: string; name: string }) => {
        this.calls.push(`delete ${r.plural}/${r.name}`);
        this.delete(kindOf(r.plural), r.namespace, r.name);
        return {};
      },
    };
    return unimplemented(api) as unknown as CustomObjectsApi;
  }

  batch(): BatchV1Api {
    const api = {
      readNamespacedJob: async (r: { namespace: string; name: string }) => clone(this.must('Job', r.namespace, r.name)),
      createNamespacedJob: async (r: { namespace: string; body: V1Job }) => {
        this.calls.push(`create Job/${r.body.metadata!.name}`);
        if (this.has('Job', r.namespace, r.body.metadata!.name!)) throw new ApiError(409, 'Job exists');
        return this.put('Job', r.body as Obj);
      },
      deleteNamespacedJob: async (r: { namespace: string; name: string }) => {
        this.calls.push(`delete Job/${r.name}`);
        this.delete('Job', r.namespace, r.name);
        return {};
      },
    };
    return unimplemented(api) as unknown as BatchV1Api;
  }

  core(): CoreV1Api {
    const api = {
      listNamespacedPod: async (r: { namespace: string; labelSelector?: string }) => {
        const wanted = (r.labelSelector ?? '')
          .split(',')
          .filter(Boolean)
          .map((kv) => kv.split('=') as [string, string]);
        const items = this.list<V1Pod>('Pod', r.namespace).filter((p) => wanted.every(([k, v]) => p.metadata?.labels?.[k] === v));
        return { items };
      },
      readNamespace: async (r: { name: string }) => clone(this.must('Namespace', undefined, r.name)),
      readNamespacedSecret: async (r: { namespace: string; name: string }) => clone(this.must('Secret', r.namespace, r.name)),
    };
    return unimplemented(api) as unknown as CoreV1Api;
  }
}

/** Any call not implemented above fails loudly. */
function unimplemented<T extends object>(api: T): T {
  return new Proxy(api, {
    get(target, prop) {
      if (prop in target || prop === 'then') return (target as Record<string | symbol, unknown>)[prop];
      throw new Error(`fake API: ${String(prop)} is not implemented`);
    },
  });
}

export class FakeClock {
  private t: number;
  constructor(start = '2026-06-01T00:00:00Z') {
    this.t = Date.parse(start);
  }
  now = (): Date => new Date(this.t);
  advance(seconds: number): void {
    this.t += seconds * 1000;
  }
}

/** The maintenance key and registry of one cluster etcd. `failing` makes every call throw it. */
export class FakeFence implements ClusterFence {
  key: { owner: string; revision: string } | undefined;
  instances: InstanceStatus[] = [];
  failing: Error | undefined;
  private revision = 100;
  readonly calls: string[] = [];

  private check(call: string) {
    this.calls.push(call);
    if (this.failing) throw this.failing;
  }

  async enter(_ns: string, _where: unknown, owner: string): Promise<MaintenanceKey> {
    this.check('enter');
    this.key ??= { owner, revision: String(++this.revision) };
    return { ...this.key };
  }
  async read(): Promise<MaintenanceKey | undefined> {
    this.check('read');
    return this.key && { ...this.key };
  }
  async release(_ns: string, _where: unknown, owner: string): Promise<'released' | 'absent' | 'notOwner'> {
    this.check('release');
    if (!this.key) return 'absent';
    if (this.key.owner !== owner) return 'notOwner';
    this.key = undefined;
    return 'released';
  }
  /** Whether the cluster never held data (isEmpty). */
  empty = true;
  async isEmpty(): Promise<boolean> {
    this.check('isEmpty');
    return this.empty;
  }
  async registry(): Promise<InstanceStatus[]> {
    this.check('registry');
    return structuredClone(this.instances);
  }

  /** Every instance does what configstore does on a maintenance key: fence on its revision, or serve again. */
  instancesFollow(appliedRevision?: string): void {
    for (const i of this.instances) {
      i.mode = this.key ? 'maintenance' : 'normal';
      if (this.key) i.fenceRevision = this.key.revision;
      else delete i.fenceRevision;
      if (appliedRevision) i.appliedRevision = appliedRevision;
    }
  }
}

export interface RecordedEvent {
  object: string;
  type: string;
  reason: string;
  note: string;
}

const quiet = () => undefined;
const quietLog = { debug: quiet, info: quiet, warn: quiet, error: quiet } as unknown as Log;

/** A world: the API, the cluster's etcd, a clock, the events; `deps` wires them as the operator does. */
export function fakeWorld(namespace = 'ns') {
  const clock = new FakeClock();
  const api = new FakeApiServer(clock);
  const fence = new FakeFence();
  const events: RecordedEvent[] = [];
  const deps: MaintenanceDeps = {
    custom: api.custom(),
    batch: api.batch(),
    core: api.core(),
    fence,
    events: {
      record: (obj, type, reason, note) => events.push({ object: obj.metadata.name, type, reason, note }),
      recordOn: (obj, type, reason, _action, note) => events.push({ object: `${obj.kind}/${obj.metadata?.name}`, type, reason, note }),
    },
    log: quietLog,
    cluster: (ns, name) => api.get<ConfigStoreCluster>('ConfigStoreCluster', ns, name),
    maintenances: (ns) => api.list<ConfigStoreMaintenance>('ConfigStoreMaintenance', ns),
    now: clock.now,
  };
  const world = {
    namespace,
    clock,
    api,
    fence,
    events,
    deps,
    cluster(name = 'main', replicas = 2): ConfigStoreCluster {
      const cluster = api.put('ConfigStoreCluster', {
        apiVersion: 'configstore.io/v1alpha1',
        kind: 'ConfigStoreCluster',
        metadata: { name, namespace },
        spec: { replicas, image: 'configstore:test', etcd: { endpoints: ['http://etcd:2379'] }, objectStorage: { s3: { bucket: 'data' } } },
      }) as unknown as ConfigStoreCluster;
      for (let i = 0; i < replicas; i++) {
        const pod = `${name}-configstore-${i}`;
        api.put('Pod', {
          metadata: { name: pod, namespace, labels: podSelector(name) },
          status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
        });
        const at = clock.now().toISOString();
        fence.instances.push({ id: `${pod}-1`, podName: pod, mode: 'normal', appliedRevision: '50', version: '0.1.0', startedAt: at, updatedAt: at });
      }
      return cluster;
    },
    maintenance(name: string, spec: Omit<ConfigStoreMaintenanceSpec, 'clusterRef'> & { clusterRef?: { name: string } }): ConfigStoreMaintenance {
      return api.put('ConfigStoreMaintenance', {
        apiVersion: 'configstore.io/v1alpha1',
        kind: 'ConfigStoreMaintenance',
        metadata: { name, namespace, generation: 1 },
        spec: { clusterRef: { name: 'main' }, ...spec },
      }) as unknown as ConfigStoreMaintenance;
    },
    read(name: string): ConfigStoreMaintenance | undefined {
      return api.get<ConfigStoreMaintenance>('ConfigStoreMaintenance', namespace, name);
    },
    job(cr: ConfigStoreMaintenance): V1Job | undefined {
      return api.list<V1Job>('Job', namespace).find((j) => j.metadata?.ownerReferences?.some((o) => o.uid === cr.metadata.uid));
    },
    /** The Job's pod exits: 0 with `message` as its termination message, or 1. */
    finishJob(cr: ConfigStoreMaintenance, exit: { code: 0 | 1; message: string }): void {
      const job = world.job(cr)!;
      const name = job.metadata!.name!;
      api.put('Pod', {
        metadata: { name: `${name}-pod`, namespace, labels: { 'job-name': name } },
        status: {
          phase: exit.code === 0 ? 'Succeeded' : 'Failed',
          containerStatuses: [{ name: 'configstore', state: { terminated: { exitCode: exit.code, message: exit.message } } }],
        },
      });
      if (exit.code === 1) {
        const stored = api.get<Obj>('Job', namespace, name)!;
        api.replace(
          'Job',
          {
            ...stored,
            status: {
              conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' }],
            },
          },
          'status',
        );
      }
    },
  };
  return world;
}

export const exportResultLine = (o: Partial<Record<string, unknown>> = {}) =>
  JSON.stringify({ operation: 'export', objects: 3, bytes: 120, sha256: 'a'.repeat(64), revision: '77', location: 's3://backups/x.ndjson', ...o });
export const importResultLine = (o: Partial<Record<string, unknown>> = {}) =>
  JSON.stringify({ operation: 'import', objects: 3, bytes: 120, sha256: 'b'.repeat(64), revision: '90', location: 's3://backups/x.ndjson', ...o });

/** A backups bucket in memory: export keys and their manifests, as the operator sees them. */
export class FakeBackupObjects implements BackupObjects {
  readonly objects = new Map<string, string>();
  readonly deleted: string[] = [];
  failing: Error | undefined;
  /** Listing fails with `failing` too (by default only deletes and owner reads do). */
  listFailing = false;

  /** An export at `key` (in `bucket`) and its manifest. */
  putExport(bucket: string, key: string, manifest: Partial<ExportManifest> = {}): ExportManifest {
    const full: ExportManifest = {
      kind: 'ConfigStoreExportManifest',
      manifestVersion: 1,
      key,
      formatVersion: 1,
      objects: 3,
      bytes: 100,
      sha256: 'a'.repeat(64),
      storedSha256: 'b'.repeat(64),
      revision: '10',
      epoch: 0,
      gzip: key.endsWith('.gz'),
      createdAt: '2026-06-01T00:00:00.000Z',
      configstoreVersion: '0.1.0',
      ...manifest,
    };
    this.objects.set(`${bucket}/${key}`, 'export');
    this.objects.set(`${bucket}/${key}${manifestSuffix}`, JSON.stringify(full));
    return full;
  }

  async delete(_ns: string, o: S3Object): Promise<void> {
    if (this.failing) throw this.failing;
    this.objects.delete(`${o.bucket}/${o.key}${manifestSuffix}`);
    this.objects.delete(`${o.bucket}/${o.key}`);
    this.deleted.push(`${o.bucket}/${o.key}`);
  }
  async exists(_ns: string, o: S3Object): Promise<boolean> {
    return this.objects.has(`${o.bucket}/${o.key}`);
  }
  async listManifests(_ns: string, place: S3Place): Promise<string[]> {
    if (this.listFailing && this.failing) throw this.failing;
    const start = `${place.bucket}/${place.prefix ?? ''}`;
    return [...this.objects.keys()]
      .filter((k) => k.startsWith(start) && k.endsWith(manifestSuffix))
      .map((k) => k.slice(place.bucket.length + 1))
      .sort();
  }
  async readManifest(_ns: string, o: S3Object): Promise<ExportManifest | undefined> {
    const text = this.objects.get(`${o.bucket}/${o.key}`);
    return text === undefined ? undefined : parseExportManifest(text);
  }
  async readOwner(_ns: string, place: S3Place): Promise<PrefixOwner | 'damaged' | undefined> {
    if (this.failing) throw this.failing;
    const text = this.objects.get(`${place.bucket}/${ownerMarkerKey(place.prefix ?? '')}`);
    return text === undefined ? undefined : (parsePrefixOwner(text) ?? 'damaged');
  }
  /** The owner marker an export of cluster `uid` writes on first use of a folder. */
  claim(bucket: string, prefix: string, cluster: PrefixOwner['cluster']): void {
    const marker: PrefixOwner = { kind: 'ConfigStorePrefixOwner', version: 1, prefix, cluster, claimedAt: '2026-06-01T00:00:00.000Z' };
    this.objects.set(`${bucket}/${ownerMarkerKey(prefix)}`, JSON.stringify(marker));
  }
}

/** The schedule reconciler's dependencies on a fake world: its API, events, clock, maintenances and bucket (`extra` overrides). */
export function scheduleDepsOn(w: ReturnType<typeof fakeWorld>, objects: BackupObjects, extra: Partial<ScheduleDeps> = {}): ScheduleDeps {
  return {
    custom: w.deps.custom,
    events: { record: (obj, type, reason, note) => w.events.push({ object: obj.metadata.name, type, reason, note }) },
    log: w.deps.log,
    maintenances: (ns) => w.api.list<ConfigStoreMaintenance>('ConfigStoreMaintenance', ns ?? w.namespace),
    maxConcurrentRuns: 4,
    objects,
    now: w.clock.now,
    ...extra,
  };
}
