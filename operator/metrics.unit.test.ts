// The operator's registry as Prometheus scrapes it: the cluster gauges fed by the real cluster
// reconciler (on fakes), the per-operation phase series, the schedule series that start at zero
// and go with their schedule; and every metric the chart's alerts use exists here, so a rename
// breaks this test rather than the alerts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fakeClusterDeps } from '../testsupport/fakecluster.js';
import { FakeBackupObjects, fakeWorld } from '../testsupport/fakeoperator.js';
import type { ConfigStoreBackupSchedule, ConfigStoreMaintenance } from './api/index.js';
import { ClusterReconciler, registryObservation } from './controllers/cluster/reconcile.js';
import { OperatorMetrics } from './metrics.js';

const rulesTemplate = join(import.meta.dirname, '..', 'charts', 'configstore-operator', 'templates', 'prometheusrule.yaml');

/** The sample lines of one metric, `name{labels} value`, sorted. */
async function samples(metrics: OperatorMetrics, name: string): Promise<string[]> {
  const text = await metrics.registry.metrics();
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .sort();
}

function clusterSetup() {
  const w = fakeWorld();
  w.cluster('main', 2);
  const metrics = new OperatorMetrics(() => []);
  const { deps, controls } = fakeClusterDeps(w, new FakeBackupObjects());
  const reconciler = new ClusterReconciler({ ...deps, metrics: metrics.clusters });
  return { w, metrics, controls, reconcile: () => reconciler.reconcile('ns', 'main') };
}

describe('operator metrics: clusters (fed by the cluster reconciler)', () => {
  it('ready and desired instances, instances per mode, the requested mode', async () => {
    const { metrics, controls, reconcile } = clusterSetup();
    await reconcile();
    const l = 'configstore_cluster="main",namespace="ns"';
    expect(await samples(metrics, 'configstore_cluster_ready')).toEqual([`configstore_cluster_ready{namespace="ns",configstore_cluster="main"} 0`]);
    controls.readyReplicas = 2;
    await reconcile();
    const all = (await metrics.registry.metrics()).replaceAll('namespace="ns",configstore_cluster="main"', l);
    for (const line of [
      `configstore_cluster_ready{${l}} 1`,
      `configstore_cluster_instances_desired{${l}} 2`,
      `configstore_cluster_instances_ready{${l}} 2`,
      `configstore_cluster_instances{${l},mode="normal"} 2`,
      `configstore_cluster_instances{${l},mode="maintenance"} 0`,
      `configstore_cluster_requested_mode{${l},mode="normal"} 1`,
      `configstore_cluster_requested_mode{${l},mode="maintenance"} 0`,
      `configstore_cluster_instances_not_in_requested_mode{${l}} 0`,
    ]) {
      expect(all).toContain(line);
    }
  });

  it('maintenance asked for: instances not fenced on the key count as not in the requested mode, until they follow', async () => {
    const { w, metrics, controls, reconcile } = clusterSetup();
    controls.readyReplicas = 2;
    await w.fence.enter('ns', {}, 'owner-uid');
    await reconcile();
    expect(await samples(metrics, 'configstore_cluster_instances_not_in_requested_mode')).toEqual([
      'configstore_cluster_instances_not_in_requested_mode{namespace="ns",configstore_cluster="main"} 2',
    ]);
    expect(await samples(metrics, 'configstore_cluster_requested_mode')).toContain(
      'configstore_cluster_requested_mode{namespace="ns",configstore_cluster="main",mode="maintenance"} 1',
    );
    w.fence.instancesFollow();
    await reconcile();
    expect(await samples(metrics, 'configstore_cluster_instances_not_in_requested_mode')).toEqual([
      'configstore_cluster_instances_not_in_requested_mode{namespace="ns",configstore_cluster="main"} 0',
    ]);
    expect(await samples(metrics, 'configstore_cluster_instances')).toContain(
      'configstore_cluster_instances{namespace="ns",configstore_cluster="main",mode="maintenance"} 2',
    );
  });

  it('etcd unreadable: not ready, and no claim about modes; a deleted cluster leaves no series', async () => {
    const { w, metrics, controls, reconcile } = clusterSetup();
    controls.readyReplicas = 2;
    await reconcile();
    controls.etcdUnreachable = true;
    await reconcile();
    expect(await samples(metrics, 'configstore_cluster_ready')).toEqual([`configstore_cluster_ready{namespace="ns",configstore_cluster="main"} 0`]);
    expect(await samples(metrics, 'configstore_cluster_instances')).toEqual([]);
    expect(await samples(metrics, 'configstore_cluster_instances_not_in_requested_mode')).toEqual([]);
    w.api.delete('ConfigStoreCluster', 'ns', 'main');
    await reconcile();
    expect((await metrics.registry.metrics()).match(/^configstore_cluster_\w+\{.*$/gm)).toBeNull();
  });

  it('registryObservation: an instance fenced on an older key is not in maintenance yet', () => {
    const at = '2026-06-01T00:00:00Z';
    const i = (id: string, mode: string, fenceRevision?: string) => ({
      id,
      mode,
      version: '1',
      startedAt: at,
      updatedAt: at,
      ...(fenceRevision ? { fenceRevision } : {}),
    });
    const registry = [i('a', 'maintenance', '7'), i('b', 'maintenance', '6'), i('c', 'entering')] as Parameters<typeof registryObservation>[0];
    expect(registryObservation(registry, { owner: 'x', revision: '7' })).toEqual({
      requestedMode: 'maintenance',
      modes: { maintenance: 2, entering: 1 },
      notInRequestedMode: 2,
    });
    expect(registryObservation(registry, undefined).notInRequestedMode).toBe(3);
  });
});

const schedule = (suspend = false) =>
  ({
    metadata: { name: 'nightly', namespace: 'ns', creationTimestamp: '2026-06-01T00:00:00Z' },
    spec: { clusterRef: { name: 'main' }, schedule: '0 2 * * *', suspend, destination: { s3: { bucket: 'b' } } },
  }) as unknown as ConfigStoreBackupSchedule;

describe('operator metrics: schedules and operations', () => {
  it('a schedule seen has its counters at zero (a first miss shows in increase()), its creation time and suspend; forgotten, none', async () => {
    const metrics = new OperatorMetrics(() => []);
    metrics.schedules.observed(schedule(true));
    const l = '{namespace="ns",schedule="nightly"}';
    expect(await samples(metrics, 'configstore_backup_schedule_missed_total')).toEqual([`configstore_backup_schedule_missed_total${l} 0`]);
    expect(await samples(metrics, 'configstore_backup_schedule_created_timestamp_seconds')).toEqual([
      `configstore_backup_schedule_created_timestamp_seconds${l} ${Date.parse('2026-06-01T00:00:00Z') / 1000}`,
    ]);
    expect(await samples(metrics, 'configstore_backup_schedule_suspended')).toEqual([`configstore_backup_schedule_suspended${l} 1`]);
    metrics.schedules.lastSuccess(schedule(), new Date('2026-06-02T02:05:00Z'));
    metrics.schedules.missed(schedule(), 2);
    expect(await samples(metrics, 'configstore_backup_schedule_missed_total')).toEqual([`configstore_backup_schedule_missed_total${l} 2`]);
    metrics.schedules.forget('ns', 'nightly');
    expect((await metrics.registry.metrics()).match(/^configstore_backup_\w+\{.*$/gm)).toBeNull();
  });

  it('one phase series per ConfigStoreMaintenance, with its cluster and schedule', async () => {
    const op = (name: string, phase: string | undefined, schedule?: string) =>
      ({
        metadata: { name, namespace: 'ns', ...(schedule ? { labels: { 'configstore.io/backup-schedule': schedule } } : {}) },
        spec: { clusterRef: { name: 'main' }, operation: 'Export' },
        ...(phase ? { status: { phase } } : {}),
      }) as unknown as ConfigStoreMaintenance;
    const metrics = new OperatorMetrics(() => [op('nightly-202606020200', 'Failed', 'nightly'), op('export-1', undefined)]);
    expect(await samples(metrics, 'configstore_operator_operation_phase')).toEqual([
      'configstore_operator_operation_phase{namespace="ns",maintenance="export-1",operation="Export",configstore_cluster="main",schedule="",phase="New"} 1',
      'configstore_operator_operation_phase{namespace="ns",maintenance="nightly-202606020200",operation="Export",configstore_cluster="main",schedule="nightly",phase="Failed"} 1',
    ]);
  });
});

describe("the chart's alerting rules", () => {
  it('use only metrics the operator registers', async () => {
    const metrics = new OperatorMetrics(() => []);
    const registered = new Set([...(await metrics.registry.metrics()).matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!));
    // the expressions only: from each `expr:` to its `for:`
    const exprs = [...readFileSync(rulesTemplate, 'utf8').matchAll(/^\s+expr:([\s\S]*?)^\s+for:/gm)].map((m) => m[1]!);
    expect(exprs).toHaveLength(5);
    const used = new Set(exprs.join('\n').match(/\bconfigstore_[a-z_]+\b/g));
    expect(used.size).toBeGreaterThan(5);
    const labelNames = new Set(['configstore_cluster']); // a label of the cluster and operation series
    expect([...used].filter((name) => !registered.has(name) && !labelNames.has(name))).toEqual([]);
  });
});
