import { CoreV1Api, CustomObjectsApi, type KubeConfig, type V1ConfigMap } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TcpProxy } from '../../scripts/localenv/tcpproxy.js';
import { isolatedNamespace } from '../../scripts/localenv/testenv.js';
import { Informer, type InformerEventType, type InformerOptions } from './informer.js';
import { eventually } from '../../testsupport/eventually.js';
import { proxiedKubeConfig, quiet, recordingLog, retry429, throwawayCrd, type ThrowawayCrd } from '../../testsupport/kube.js';

type Seen = { type: InformerEventType; name: string; value?: string };

describe('Informer on a real kube-apiserver', () => {
  let kc: KubeConfig;
  let namespace: string;
  let cleanup: () => Promise<void>;
  let core: CoreV1Api;
  let viaProxy: KubeConfig;
  let proxy: TcpProxy;
  const informers: { stop(): Promise<void> }[] = [];

  beforeAll(async () => {
    ({ kc, namespace, cleanup } = await isolatedNamespace('informer'));
    core = kc.makeApiClient(CoreV1Api);
    ({ kc: viaProxy, proxy } = await proxiedKubeConfig(kc));
  });
  afterAll(async () => {
    await Promise.all(informers.map((i) => i.stop()));
    await proxy.close();
    await cleanup();
  });

  /** An informer on this namespace's ConfigMaps labelled `set=<set>`, recording every event. */
  function configMaps(set: string, opts: Partial<InformerOptions<V1ConfigMap>> = {}) {
    const seen: Seen[] = [];
    const inf = new Informer<V1ConfigMap>({
      kc,
      path: `/api/v1/namespaces/${namespace}/configmaps`,
      labelSelector: `set=${set}`,
      log: quiet,
      onEvent: (type, cm) => void seen.push({ type, name: cm.metadata!.name!, value: cm.data?.v }),
      ...opts,
    });
    informers.push(inf);
    return { inf, seen };
  }
  const cm = (name: string, set: string, v: string): V1ConfigMap => ({ metadata: { name, labels: { set } }, data: { v } });
  const put = (name: string, set: string, v: string) => core.replaceNamespacedConfigMap({ namespace, name, body: cm(name, set, v) });

  it('lists, then delivers add, update and delete in order, and caches only what matches the selector', async () => {
    await core.createNamespacedConfigMap({ namespace, body: cm('before', 'a', '1') });
    await core.createNamespacedConfigMap({ namespace, body: cm('other', 'b', '1') });
    const { inf, seen } = configMaps('a');
    expect(inf.hasSynced()).toBe(false);
    inf.start();
    await inf.waitForSync(10_000);
    expect(inf.hasSynced()).toBe(true);
    expect(seen).toEqual([{ type: 'add', name: 'before', value: '1' }]);
    expect(inf.get(namespace, 'before')).toMatchObject({ apiVersion: 'v1', kind: 'ConfigMap', data: { v: '1' } });

    await core.createNamespacedConfigMap({ namespace, body: cm('live', 'a', '1') });
    await put('live', 'a', '2');
    await core.deleteNamespacedConfigMap({ namespace, name: 'before' });
    await eventually(() => seen.length >= 4, { what: 'four events', timeoutMs: 20_000 });
    expect(seen.slice(1)).toEqual([
      { type: 'add', name: 'live', value: '1' },
      { type: 'update', name: 'live', value: '2' },
      { type: 'delete', name: 'before', value: '1' },
    ]);
    expect(inf.list().map((o) => o.metadata!.name)).toEqual(['live']);
    expect(inf.get(namespace, 'other')).toBeUndefined();
    expect(inf.get(namespace, 'before')).toBeUndefined();
  });

  it('survives a network cut: resumes the watch and sees what changed meanwhile', async () => {
    await core.createNamespacedConfigMap({ namespace, body: cm('keep', 'c', '1') });
    await core.createNamespacedConfigMap({ namespace, body: cm('gone', 'c', '1') });
    const log = recordingLog();
    const { inf } = configMaps('c', { kc: viaProxy, log, backoffInitialMs: 200, backoffMaxMs: 1000 });
    inf.start();
    await inf.waitForSync(10_000);
    expect(inf.list()).toHaveLength(2);

    proxy.cut();
    await eventually(() => inf.stats.failures >= 2, { what: 'the informer to notice the cut and fail a retry', timeoutMs: 20_000 });
    await put('keep', 'c', '2');
    await core.deleteNamespacedConfigMap({ namespace, name: 'gone' });
    await core.createNamespacedConfigMap({ namespace, body: cm('new', 'c', '1') });
    expect(inf.get(namespace, 'keep')!.data!.v).toBe('1'); // still cut off
    proxy.heal();

    await eventually(() => inf.get(namespace, 'new') && !inf.get(namespace, 'gone'), { what: 'the changes made during the cut', timeoutMs: 20_000 });
    expect(inf.get(namespace, 'keep')!.data!.v).toBe('2');
    expect(log.lines.some((l) => l.level === 'warn' && /retrying/.test(l.msg))).toBe(true);
  });

  it('restarts a watch that stays silent past the watchdog, and keeps delivering', async () => {
    const { inf, seen } = configMaps('d', { watchdogMs: 1500, backoffInitialMs: 100 });
    inf.start();
    await inf.waitForSync(10_000);
    const watches = inf.stats.watches;
    await eventually(() => inf.stats.watchdogRestarts >= 2, { what: 'two watchdog restarts', timeoutMs: 15_000 });
    expect(inf.stats.watches).toBeGreaterThanOrEqual(watches + 2);
    await core.createNamespacedConfigMap({ namespace, body: cm('after-watchdog', 'd', '1') });
    await eventually(() => seen.some((s) => s.name === 'after-watchdog'), { what: 'an event after the restarts', timeoutMs: 20_000 });
  });

  it('resync re-delivers every cached object', async () => {
    await core.createNamespacedConfigMap({ namespace, body: cm('r1', 'e', '1') });
    await core.createNamespacedConfigMap({ namespace, body: cm('r2', 'e', '1') });
    const { inf, seen } = configMaps('e', { resyncMs: 700 });
    inf.start();
    await inf.waitForSync(10_000);
    await eventually(() => seen.filter((s) => s.type === 'resync').length >= 4, { what: 'two periodic resyncs', timeoutMs: 20_000 });
    const resynced = seen.filter((s) => s.type === 'resync').map((s) => s.name);
    expect(resynced.slice(0, 4).sort()).toEqual(['r1', 'r1', 'r2', 'r2']);
  });

  it('stop() returns promptly even while the apiserver is unreachable, and a handler error does not stop it', async () => {
    const log = recordingLog();
    let calls = 0;
    const { inf } = configMaps('f', {
      kc: viaProxy,
      log,
      onEvent: () => {
        calls++;
        throw new Error('handler bug');
      },
    });
    await core.createNamespacedConfigMap({ namespace, body: cm('f1', 'f', '1') });
    inf.start();
    await inf.waitForSync(10_000);
    await core.createNamespacedConfigMap({ namespace, body: cm('f2', 'f', '1') });
    await eventually(() => calls >= 2, { what: 'both events despite the throwing handler', timeoutMs: 20_000 });
    expect(log.lines.filter((l) => l.level === 'error')).toHaveLength(2);
    proxy.cut();
    const t0 = Date.now();
    await inf.stop();
    expect(Date.now() - t0).toBeLessThan(1000);
    proxy.heal();
    await expect(inf.waitForSync()).resolves.toBeUndefined(); // it had synced
  });

  describe('on a custom resource', () => {
    let crd: ThrowawayCrd;
    beforeAll(async () => {
      crd = await throwawayCrd(kc);
    });
    afterAll(async () => {
      await crd.cleanup();
    });

    it('relists on 410 Gone and notices deletes made while it was not watching', async () => {
      const custom = kc.makeApiClient(CustomObjectsApi);
      const coords = { group: crd.group, version: crd.version, namespace, plural: crd.plural };
      const widget = (name: string) => ({ apiVersion: `${crd.group}/v1`, kind: 'Widget', metadata: { name }, spec: { size: 1 } });
      await retry429(() => custom.createNamespacedCustomObject({ ...coords, body: widget('w1') }));
      await custom.createNamespacedCustomObject({ ...coords, body: widget('w2') });

      const seen: Seen[] = [];
      const log = recordingLog();
      const inf = new Informer<{ metadata: { name: string } }>({
        kc: viaProxy,
        path: `/apis/${crd.group}/v1/namespaces/${namespace}/widgets`,
        log,
        backoffInitialMs: 200,
        onEvent: (type, w) => void seen.push({ type, name: w.metadata.name }),
      });
      informers.push(inf);
      inf.start();
      await inf.waitForSync(20_000);
      expect(
        inf
          .list()
          .map((w) => w.metadata.name)
          .sort(),
      ).toEqual(['w1', 'w2']);
      const lists = inf.stats.lists;

      proxy.cut();
      await custom.deleteNamespacedCustomObject({ ...coords, name: 'w1' });
      // resume from a revision older than this new CRD's watch cache: the apiserver answers 410
      inf.restartWatch({ resourceVersion: '1' });
      proxy.heal();

      await eventually(() => !inf.get(namespace, 'w1'), { what: 'the delete seen through the relist', timeoutMs: 20_000 });
      expect(inf.stats.lists).toBe(lists + 1);
      expect(seen).toContainEqual({ type: 'delete', name: 'w1' });
      expect(log.lines.some((l) => /too old/.test(l.msg))).toBe(true);
      expect(inf.get(namespace, 'w2')).toBeDefined();
    });
  });
});
