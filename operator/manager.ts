// The operator process: caches (hardened informers) on its kinds and on the Jobs it made,
// one work queue per controller, leader election (only the leader reconciles), and the
// /healthz, /readyz and /metrics endpoints.
import type { KubernetesObject, V1Job } from '@kubernetes/client-node';
import { createServer, type Server } from 'node:http';
import type { Log } from '../configstore/log.js';
import {
  backupLocationKind,
  backupScheduleKind,
  clusterKind,
  group,
  maintenanceKind,
  version,
  type ConfigStoreBackupLocation,
  type ConfigStoreBackupSchedule,
  type ConfigStoreCluster,
  type ConfigStoreMaintenance,
} from './api/index.js';
import { ClusterReconciler } from './controllers/cluster/reconcile.js';
import { EtcdPool } from './controllers/etcd.js';
import { fenceOn } from './controllers/maintenance/fence-etcd.js';
import { MaintenanceReconciler, type Recorder } from './controllers/maintenance/reconcile.js';
import { labels, managedBy } from './controllers/naming.js';
import { OwnWrites } from './controllers/ownwrites.js';
import { BackupLocationReconciler } from './controllers/location/reconcile.js';
import { ScheduleReconciler } from './controllers/schedule/reconcile.js';
import { s3BackupObjects } from './controllers/backupobjects.js';
import { WorkQueue } from './controllers/workqueue.js';
import type { KubeClients } from './kube/config.js';
import { Informer } from './kube/informer.js';
import { OperatorMetrics } from './metrics.js';

export interface OperatorOptions {
  clients: KubeClients;
  log: Log;
  /** Watch one namespace, or all when undefined. */
  namespace?: string;
  events: Recorder;
  /** Resolves when this replica leads; the operator reconciles only then. */
  leadership?: { waitForLeadership(): Promise<void>; isLeader(): boolean };
  resyncMs?: number;
  workers?: number;
  /** Scheduled exports running at once, operator-wide (default 4). */
  maxConcurrentScheduledExports?: number;
}

const keyOf = (o: KubernetesObject) => `${o.metadata!.namespace}/${o.metadata!.name}`;
const split = (key: string) => key.split('/') as [string, string];

export class Operator {
  readonly metrics: OperatorMetrics;
  private readonly clusters: Informer<ConfigStoreCluster & KubernetesObject>;
  private readonly maintenances: Informer<ConfigStoreMaintenance & KubernetesObject>;
  private readonly jobs: Informer<V1Job>;
  private readonly schedules: Informer<ConfigStoreBackupSchedule & KubernetesObject>;
  private readonly locations: Informer<ConfigStoreBackupLocation & KubernetesObject>;
  private readonly clusterQueue: WorkQueue;
  private readonly maintenanceQueue: WorkQueue;
  private readonly scheduleQueue: WorkQueue;
  private readonly locationQueue: WorkQueue;
  private readonly etcd: EtcdPool;
  private leading = false;
  private readonly ownWrites = new OwnWrites();
  private readonly ownScheduleWrites = new OwnWrites();

  constructor(private readonly o: OperatorOptions) {
    const { clients, log } = o;
    const nsPath = o.namespace ? `/namespaces/${o.namespace}` : '';
    const informerOpts = { kc: clients.kc, log, resyncMs: o.resyncMs ?? 60_000 };
    this.metrics = new OperatorMetrics(() => this.maintenances.list());
    this.etcd = new EtcdPool(clients.core);
    const backupObjects = s3BackupObjects(clients.core);
    const clusterReconciler = new ClusterReconciler({
      custom: clients.custom,
      apps: clients.apps,
      core: clients.core,
      etcd: this.etcd,
      objects: backupObjects,
      log,
      metrics: this.metrics.clusters,
    });
    const maintenanceReconciler = new MaintenanceReconciler({
      custom: clients.custom,
      batch: clients.batch,
      core: clients.core,
      fence: fenceOn(this.etcd),
      events: o.events,
      log,
      cluster: (ns, name) => this.clusters.get(ns, name),
      maintenances: (ns) => this.maintenances.list(ns),
      onPhase: (cr, phase) => this.metrics.phase(cr, phase),
      onWrite: (cr) => this.ownWrites.record(`${cr.metadata.namespace}/${cr.metadata.name}`, cr.metadata.resourceVersion),
    });
    const scheduleReconciler = new ScheduleReconciler({
      custom: clients.custom,
      events: { record: (schedule, type, reason, note) => o.events.recordOn?.(schedule as unknown as KubernetesObject, type, reason, 'Schedule', note) },
      log,
      maintenances: (ns) => this.maintenances.list(ns),
      maxConcurrentRuns: o.maxConcurrentScheduledExports ?? 4,
      objects: backupObjects,
      metrics: this.metrics.schedules,
      onWrite: (s) => this.ownScheduleWrites.record(keyOf(s as unknown as KubernetesObject), s.metadata.resourceVersion),
    });
    const locationReconciler = new BackupLocationReconciler({
      custom: clients.custom,
      objects: backupObjects,
      events: { record: (l, type, reason, note) => o.events.recordOn?.(l as unknown as KubernetesObject, type, reason, 'Inventory', note) },
      log,
    });
    const workers = o.workers ?? 4;
    this.clusterQueue = new WorkQueue('cluster', (k) => clusterReconciler.reconcile(...split(k)), log, {
      workers,
      onResult: (ok, ms) => this.metrics.observe('cluster', ok, ms),
    });
    this.maintenanceQueue = new WorkQueue('maintenance', (k) => maintenanceReconciler.reconcile(...split(k)), log, {
      workers,
      onResult: (ok, ms) => this.metrics.observe('maintenance', ok, ms),
    });

    this.scheduleQueue = new WorkQueue('schedule', (k) => scheduleReconciler.reconcile(...split(k)), log, {
      workers: 1,
      onResult: (ok, ms) => this.metrics.observe('schedule', ok, ms),
    });

    this.locationQueue = new WorkQueue('location', (k) => locationReconciler.reconcile(...split(k)), log, {
      workers: 1,
      onResult: (ok, ms) => this.metrics.observe('location', ok, ms),
    });

    this.clusters = new Informer({
      ...informerOpts,
      path: `/apis/${group}/${version}${nsPath}/${clusterKind.plural}`,
      onEvent: (_type, c) => {
        this.enqueueCluster(keyOf(c));
        // an operation waiting on its cluster looks again
        for (const m of this.maintenances.list(c.metadata.namespace)) if (m.spec.clusterRef.name === c.metadata.name) this.enqueueMaintenance(keyOf(m));
      },
    });
    this.maintenances = new Informer({
      ...informerOpts,
      path: `/apis/${group}/${version}${nsPath}/${maintenanceKind.plural}`,
      onEvent: (type, m) => {
        // its own status writes coming back: not a reason to reconcile it again (its backoff holds)
        if (type === 'delete') this.ownWrites.forget(keyOf(m));
        if (type === 'delete' || !this.ownWrites.consume(keyOf(m), m.metadata.resourceVersion)) this.enqueueMaintenance(keyOf(m));
        // a schedule's run moved: its schedule looks again (a free place, a success, a failure)
        const schedule = m.metadata.labels?.[labels.schedule];
        if (schedule) this.enqueueSchedule(`${m.metadata.namespace}/${schedule}`);
        // the queue of its cluster may move
        for (const other of this.maintenances.list(m.metadata.namespace)) {
          if (other.metadata.uid !== m.metadata.uid && other.spec.clusterRef.name === m.spec.clusterRef.name) this.enqueueMaintenance(keyOf(other));
        }
      },
    });
    this.jobs = new Informer<V1Job>({
      ...informerOpts,
      path: `/apis/batch/v1${nsPath}/jobs`,
      labelSelector: `app.kubernetes.io/managed-by=${managedBy},${labels.maintenance}`,
      onEvent: (_type, job) => {
        const owner = job.metadata?.labels?.[labels.maintenance];
        if (owner) this.enqueueMaintenance(`${job.metadata!.namespace}/${owner}`);
      },
    });
    this.schedules = new Informer({
      ...informerOpts,
      path: `/apis/${group}/${version}${nsPath}/${backupScheduleKind.plural}`,
      onEvent: (type, s) => {
        if (type === 'delete') this.ownScheduleWrites.forget(keyOf(s));
        if (type === 'delete' || !this.ownScheduleWrites.consume(keyOf(s), s.metadata.resourceVersion)) this.enqueueSchedule(keyOf(s));
      },
    });
    this.locations = new Informer({
      ...informerOpts,
      path: `/apis/${group}/${version}${nsPath}/${backupLocationKind.plural}`,
      // its own status writes come back too: the reconciler sees the sync is not due and only re-arms
      onEvent: (type, l) => {
        if (type !== 'delete') this.enqueueLocation(keyOf(l));
      },
    });
  }

  private enqueueLocation(key: string) {
    if (this.leading) this.locationQueue.add(key);
  }

  private enqueueCluster(key: string) {
    if (this.leading) this.clusterQueue.add(key);
  }

  private enqueueMaintenance(key: string) {
    if (this.leading) this.maintenanceQueue.add(key);
  }

  private enqueueSchedule(key: string) {
    if (this.leading) this.scheduleQueue.add(key);
  }

  private get informers() {
    return [this.clusters, this.maintenances, this.jobs, this.schedules, this.locations];
  }

  /** Starts the caches, then reconciles once (and as long as) this replica leads. */
  async start(): Promise<void> {
    for (const inf of this.informers) inf.start();
    await Promise.all(this.informers.map((i) => i.waitForSync()));
    if (this.o.leadership) await this.o.leadership.waitForLeadership();
    this.leading = true;
    this.metrics.leader.set(1);
    this.o.log.info('leading: reconciling every ConfigStoreCluster, ConfigStoreMaintenance, ConfigStoreBackupSchedule and ConfigStoreBackupLocation');
    for (const c of this.clusters.list()) this.clusterQueue.add(keyOf(c));
    for (const m of this.maintenances.list()) this.maintenanceQueue.add(keyOf(m));
    for (const sc of this.schedules.list()) this.scheduleQueue.add(keyOf(sc));
    for (const l of this.locations.list()) this.locationQueue.add(keyOf(l));
  }

  ready(): boolean {
    return this.informers.every((i) => i.hasSynced());
  }

  async stop(): Promise<void> {
    this.leading = false;
    this.metrics.leader.set(0);
    await Promise.all([this.clusterQueue.stop(), this.maintenanceQueue.stop(), this.scheduleQueue.stop(), this.locationQueue.stop()]);
    await Promise.all(this.informers.map((i) => i.stop()));
    this.etcd.close();
  }
}

/** /healthz (the process runs), /readyz (caches synced), /metrics. */
export function serveOperatorEndpoints(op: Operator, host: string, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    if (path === '/readyz') {
      const ok = op.ready();
      return void res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ready\n' : 'caches not synced\n');
    }
    if (path === '/metrics') {
      void op.metrics.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': op.metrics.registry.contentType }).end(text),
        (err: Error) => res.writeHead(500).end(err.message),
      );
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
