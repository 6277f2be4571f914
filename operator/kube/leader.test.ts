import { CoordinationV1Api, type KubeConfig } from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TcpProxy } from '../../scripts/localenv/tcpproxy.js';
import { isolatedNamespace } from '../../scripts/localenv/testenv.js';
import { LeaderElector } from './leader.js';
import { eventually } from '../../testsupport/eventually.js';
import { proxiedKubeConfig, quiet } from '../../testsupport/kube.js';

const timing = { leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 500 };

describe('LeaderElector on a real kube-apiserver', () => {
  let kc: KubeConfig;
  let namespace: string;
  let cleanup: () => Promise<void>;
  let viaProxy: KubeConfig;
  let proxy: TcpProxy;
  let electors: LeaderElector[] = [];

  beforeAll(async () => {
    ({ kc, namespace, cleanup } = await isolatedNamespace('leader'));
    ({ kc: viaProxy, proxy } = await proxiedKubeConfig(kc));
  });
  afterEach(async () => {
    proxy.heal();
    await Promise.all(electors.map((e) => e.stop({ release: false })));
    electors = [];
  });
  afterAll(async () => {
    await proxy.close();
    await cleanup();
  });

  /** An elector that records when it started and stopped leading. */
  function elector(lease: string, identity: string, config: KubeConfig = kc) {
    const log = { started: [] as number[], stopped: [] as number[] };
    const e = new LeaderElector({
      coordination: config.makeApiClient(CoordinationV1Api),
      namespace,
      name: lease,
      identity,
      ...timing,
      log: quiet,
      onStartedLeading: () => void log.started.push(Date.now()),
      onStoppedLeading: () => void log.stopped.push(Date.now()),
    });
    electors.push(e);
    e.start();
    return Object.assign(e, { history: log });
  }
  const readLease = (name: string) => kc.makeApiClient(CoordinationV1Api).readNamespacedLease({ name, namespace });

  /** Watches both for `ms`: never two leaders at once. */
  async function neverTwoLeaders(a: LeaderElector, b: LeaderElector, ms: number): Promise<void> {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      expect(a.isLeader() && b.isLeader()).toBe(false);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  it('elects exactly one of two, writes the lease record, and a crashed leader is replaced after the lease expires', async () => {
    const a = elector('crash', 'a');
    const b = elector('crash', 'b');
    const leader = await eventually(() => (a.isLeader() ? a : b.isLeader() ? b : undefined), { what: 'a leader', timeoutMs: 20_000 });
    const standby = leader === a ? b : a;
    await neverTwoLeaders(a, b, 1500);
    expect(leader.isLeader()).toBe(true);
    expect(standby.currentLeader()).toBe(leader.identity);

    const lease = await readLease('crash');
    expect(lease.spec).toMatchObject({ holderIdentity: leader.identity, leaseDurationSeconds: 3, leaseTransitions: 0 });
    expect(Date.parse(String(lease.spec!.renewTime))).toBeGreaterThan(Date.now() - 2000); // renewed, not just acquired
    expect(String(lease.spec!.renewTime)).not.toBe(String(lease.spec!.acquireTime));

    await leader.stop({ release: false }); // stops renewing without giving the lease up
    const crashedAt = Date.now();
    await eventually(() => standby.isLeader(), { what: 'the stand-by to take over', timeoutMs: 10_000 });
    const tookMs = Date.now() - crashedAt;
    // it waited for the lease to expire (last renewal ≤ one retry before the crash), but not much longer
    expect(tookMs).toBeGreaterThan(timing.leaseDurationMs - timing.retryPeriodMs - 300);
    expect(tookMs).toBeLessThan(timing.leaseDurationMs + 1.2 * timing.retryPeriodMs + 1000);
    const after = await readLease('crash');
    expect(after.spec).toMatchObject({ holderIdentity: standby.identity, leaseTransitions: 1 });
  });

  it('release() hands over at once: the stand-by leads within about one retry period', async () => {
    const a = elector('release', 'a');
    const b = elector('release', 'b');
    const leader = await eventually(() => (a.isLeader() ? a : b.isLeader() ? b : undefined), { what: 'a leader', timeoutMs: 20_000 });
    const standby = leader === a ? b : a;
    await new Promise((r) => setTimeout(r, 700)); // the stand-by has seen a renewal

    await leader.release();
    const releasedAt = Date.now();
    expect(leader.isLeader()).toBe(false);
    expect(leader.history.stopped).toHaveLength(1);
    await eventually(() => standby.isLeader(), { what: 'the stand-by to take over', timeoutMs: 10_000 });
    expect(Date.now() - releasedAt).toBeLessThan(1.2 * timing.retryPeriodMs + 500);
    expect((await readLease('release')).spec).toMatchObject({ holderIdentity: standby.identity, leaseTransitions: 1 });
  });

  it('a leader cut off from the apiserver steps down after renewDeadline, before anyone else takes over', async () => {
    const a = elector('partition', 'a', viaProxy);
    await eventually(() => a.isLeader(), { what: 'a to lead', timeoutMs: 20_000 });
    const b = elector('partition', 'b');
    await new Promise((r) => setTimeout(r, 1000));
    expect(b.isLeader()).toBe(false);

    proxy.cut();
    const cutAt = Date.now();
    await eventually(() => !a.isLeader(), { what: 'a to step down', timeoutMs: 10_000 });
    const stoppedAt = a.history.stopped[0]!;
    expect(stoppedAt - cutAt).toBeLessThan(timing.renewDeadlineMs + 700);
    await eventually(() => b.isLeader(), { what: 'b to take over', timeoutMs: 10_000 });
    expect(b.history.started[0]!).toBeGreaterThan(stoppedAt); // no moment with two leaders
    await neverTwoLeaders(a, b, 1000);

    proxy.heal(); // a comes back as a stand-by, and stays one
    await new Promise((r) => setTimeout(r, 1500));
    expect(a.isLeader()).toBe(false);
    expect(a.currentLeader()).toBe('b');
  });

  it('refuses timings where the lease could expire while the leader still thinks it leads', () => {
    expect(
      () =>
        new LeaderElector({
          coordination: kc.makeApiClient(CoordinationV1Api),
          namespace,
          name: 'x',
          leaseDurationMs: 5000,
          renewDeadlineMs: 6000,
          log: quiet,
        }),
    ).toThrow(/leaseDuration > renewDeadline > retryPeriod/);
  });
});
