// A ConfigStoreMaintenance whose cluster's etcd does not answer, on the real node with the
// operator from the chart: the failing step backs off (a few status writes, not ~50 a
// second), its message says where, since when and why, lastErrors counts the repeats on one
// entry; and deleting its namespace finishes although the maintenance can never be released:
// the finalizer goes and an Event on the Namespace says what was left.
import { EventsV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiVersion, group, version, type ConfigStoreCluster, type ConfigStoreMaintenance } from '../../operator/api/index.js';
import { waitMs } from './helpers.js';
import { startWorld, until, type World } from './setup.js';

// a port nothing listens on, on this machine's node address: connections are refused at once
const deadEtcd = 'http://198.19.0.1:9';

describe('an operation on an etcd that does not answer', () => {
  let w: World;
  let apps: string; // the namespace of the cluster and the operation (the operator runs in w.namespace)

  beforeAll(async () => {
    w = await startWorld('unreachable', { helmValues: ['--set', 'watchNamespace='] }); // every namespace: the operation lives in another one
    apps = `${w.namespace}-apps`;
    await w.core.createNamespace({ body: { metadata: { name: apps, labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } } } });
    await w.core.createNamespacedSecret({ namespace: apps, body: { metadata: { name: 'admin' }, stringData: { token: 'unused' } } });
    const cluster: ConfigStoreCluster = {
      apiVersion,
      kind: 'ConfigStoreCluster',
      metadata: { name: 'lost', namespace: apps },
      spec: {
        replicas: 1,
        image: w.env.node.image,
        etcd: { endpoints: [deadEtcd], prefix: '/lost/' },
        objectStorage: { s3: { bucket: 'unused', endpoint: w.env.s3.endpoint, region: w.env.s3.region, credentialsSecretRef: { name: 's3' } } },
        adminTokenSecretRef: { name: 'admin' },
      },
    };
    await w.custom.createNamespacedCustomObject({ group, version, namespace: apps, plural: 'configstoreclusters', body: cluster });
  }, 3 * waitMs);
  afterAll(async () => {
    // never leave a namespace Terminating behind a finalizer, whatever happened
    const left = (await w?.custom.listNamespacedCustomObject({ group, version, namespace: apps, plural: 'configstoremaintenances' }).catch(() => undefined)) as
      { items: ConfigStoreMaintenance[] } | undefined;
    for (const m of left?.items ?? []) {
      await w.custom
        .patchNamespacedCustomObject({
          group,
          version,
          namespace: apps,
          plural: 'configstoremaintenances',
          name: m.metadata.name,
          body: [{ op: 'remove', path: '/metadata/finalizers' }],
        })
        .catch(() => undefined);
    }
    await w?.core.deleteNamespace({ name: apps }).catch(() => undefined);
    await w?.cleanup();
  });

  const get = async () =>
    (await w.custom.getNamespacedCustomObject({ group, version, namespace: apps, plural: 'configstoremaintenances', name: 'stuck' })) as ConfigStoreMaintenance;

  it(
    'backs off: a handful of status writes in 20 s, one lastErrors entry with a count, a message naming the endpoint',
    async () => {
      const body = {
        apiVersion,
        kind: 'ConfigStoreMaintenance',
        metadata: { name: 'stuck', namespace: apps },
        spec: { clusterRef: { name: 'lost' }, operation: 'Maintenance', timeouts: { enterSeconds: 600 } },
      };
      await w.custom.createNamespacedCustomObject({ group, version, namespace: apps, plural: 'configstoremaintenances', body });
      await until(
        w,
        'stuck to fail at EnterMaintenance',
        async () => {
          const m = await get();
          return m.status?.step === 'EnterMaintenance' && (m.status.lastErrors?.length ?? 0) > 0 && m;
        },
        waitMs,
        100,
      );

      // every version the apiserver holds, sampled 10 times a second for 20 s
      const versions = new Set<string>();
      const until20 = Date.now() + 20_000;
      while (Date.now() < until20) {
        versions.add((await get()).metadata.resourceVersion!);
        await new Promise((r) => setTimeout(r, 100));
      }
      const m = await get();
      console.log(`status writes seen in 20 s while etcd was unreachable: ${versions.size}; lastErrors: ${JSON.stringify(m.status!.lastErrors)}`);
      expect(versions.size).toBeLessThanOrEqual(12); // backoff 0.5 s doubling: 6-7 attempts, each one write
      // one entry counting the repeats (two when the operator's leadership moved meanwhile: a
      // new leader's "since" is its own)
      const errors = m.status!.lastErrors!;
      expect(errors.length).toBeLessThanOrEqual(2);
      for (const e of errors) expect(e.step).toBe('EnterMaintenance');
      expect(errors.reduce((n, e) => n + (e.count ?? 1), 0)).toBeGreaterThanOrEqual(4);
      expect(Date.parse(errors.at(-1)!.observedAt) - Date.parse(errors[0]!.firstObservedAt ?? errors[0]!.observedAt)).toBeGreaterThan(5000);
      expect(m.status!.message).toMatch(
        /^retrying EnterMaintenance: etcd at http:\/\/198\.19\.0\.1:9 is unreachable since \d{4}-\d\d-\d\dT[\d:.]+Z \(connect ECONNREFUSED 198\.19\.0\.1:9\); check that it runs and that this operator can reach it/,
      );
      expect(m.status!.message).not.toMatch(/circuit breaker/i);
      expect(m.status!.phase).toBe('Running');
    },
    2 * waitMs,
  );

  it(
    'deleting its namespace finishes: the release that cannot succeed is recorded in an Event and the finalizer dropped',
    async () => {
      expect((await get()).metadata.finalizers).toContain('configstore.io/release-maintenance');
      const deleted = Date.now();
      await w.core.deleteNamespace({ name: apps });
      await until(
        w,
        `namespace ${apps} to be gone`,
        async () =>
          (await w.core.readNamespace({ name: apps }).then(
            () => false,
            (err: { code?: number }) => err.code === 404,
          )) || undefined,
        waitMs,
        500,
      );
      console.log(`namespace with a held, unreleasable maintenance deleted in ${((Date.now() - deleted) / 1000).toFixed(1)} s`);
      const events = await w.kc.makeApiClient(EventsV1Api).listNamespacedEvent({ namespace: 'default' });
      const note = events.items.find((e) => e.regarding?.kind === 'Namespace' && e.regarding.name === apps && e.reason === 'MaintenanceNotReleased');
      expect(note?.type).toBe('Warning');
      expect(note?.note).toMatch(
        new RegExp(
          `^ConfigStoreMaintenance stuck: the maintenance key /lost/maintenance at http://198\\.19\\.0\\.1:9 was not released \\(etcd at .* is unreachable .*\\); the finalizer is removed because namespace ${apps} is being deleted\\. If that etcd still serves a cluster, remove the key: etcdctl --endpoints=http://198\\.19\\.0\\.1:9 del /lost/maintenance$`,
        ),
      );
    },
    2 * waitMs,
  );
});
