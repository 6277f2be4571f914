// Leader election on a coordination.k8s.io/v1 Lease, as client-go does it (client-node has
// none): read, then write with the read resourceVersion so only one writer wins. Expiry is
// judged on the local clock from when this process last saw the lease change, never from
// the holder's timestamps, so clock skew between replicas cannot make two leaders.
import { V1MicroTime, type CoordinationV1Api, type V1Lease } from '@kubernetes/client-node';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Log } from '../../configstore/log.js';
import { abortable, deadline, statusCode } from './request.js';

export interface LeaderElectionOptions {
  coordination: CoordinationV1Api;
  namespace: string;
  /** Lease name, e.g. "configstore-operator". */
  name: string;
  /** Unique per process; default POD_NAME (or hostname) plus a random suffix. */
  identity?: string;
  leaseDurationMs?: number; // default 15 s: how long stand-bys wait after the last renewal
  renewDeadlineMs?: number; // default 10 s: the leader steps down if it could not renew for this long
  retryPeriodMs?: number; // default 2 s: between attempts to acquire or renew
  /** Called on becoming leader; `signal` aborts when leadership is lost or released. */
  onStartedLeading?: (signal: AbortSignal) => void | Promise<void>;
  onStoppedLeading?: () => void;
  /** Called when the observed holder changes (including to this process). */
  onNewLeader?: (identity: string) => void;
  log: Log;
}

export function defaultIdentity(): string {
  return `${process.env.POD_NAME || hostname()}_${randomUUID().slice(0, 8)}`;
}

export class LeaderElector {
  readonly identity: string;
  private readonly leaseMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryMs: number;
  private readonly stopAc = new AbortController();
  private loop: Promise<void> | undefined;
  private leading: AbortController | undefined;
  private lastRenew = 0;
  private observed: { rv: string; at: number; holder: string } = { rv: '', at: 0, holder: '' };

  constructor(private readonly opts: LeaderElectionOptions) {
    this.identity = opts.identity ?? defaultIdentity();
    this.leaseMs = opts.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = opts.renewDeadlineMs ?? 10_000;
    this.retryMs = opts.retryPeriodMs ?? 2_000;
    if (!(this.leaseMs > this.renewDeadlineMs && this.renewDeadlineMs > this.retryMs)) {
      throw new Error('leader election needs leaseDuration > renewDeadline > retryPeriod');
    }
  }

  start(): void {
    if (!this.loop && !this.stopAc.signal.aborted) this.loop = this.run();
  }

  isLeader(): boolean {
    return this.leading !== undefined;
  }

  /** The holder this process last saw on the lease ('' when none). */
  currentLeader(): string {
    return this.observed.holder;
  }

  /**
   * Stops trying. A leader gives the lease up (holder cleared) so a stand-by takes over at
   * its next retry; `release: false` just stops renewing, as a crashed process would.
   */
  async stop(opts: { release?: boolean } = {}): Promise<void> {
    this.stopAc.abort();
    await this.loop;
    if (!this.leading) return;
    if (opts.release !== false) await this.giveUp();
    this.stepDown('stopped');
  }

  release(): Promise<void> {
    return this.stop({ release: true });
  }

  private async run(): Promise<void> {
    const signal = this.stopAc.signal;
    while (!signal.aborted) {
      const ok = await this.tryAcquireOrRenew();
      if (signal.aborted) break;
      if (ok) {
        this.lastRenew = Date.now();
        if (!this.leading) this.startLeading();
      } else if (this.leading && (Date.now() - this.lastRenew > this.renewDeadlineMs || this.observed.holder !== this.identity)) {
        this.stepDown('lost');
      }
      const wait = this.leading ? this.retryMs : this.retryMs * (1 + Math.random() * 0.2);
      await sleep(wait, undefined, { signal }).catch(() => undefined);
    }
  }

  /** One attempt; false when someone else holds a live lease or a write lost a race. */
  private async tryAcquireOrRenew(): Promise<boolean> {
    const { coordination: api, namespace, name, log } = this.opts;
    // an attempt may not outlive the renew deadline, or a hung request would keep us leading
    const budget = this.leading ? Math.max(this.renewDeadlineMs - (Date.now() - this.lastRenew), 1) : this.renewDeadlineMs;
    const limit = deadline(this.stopAc.signal, budget);
    const options = abortable(limit.signal);
    const now = new V1MicroTime();
    const leaseDurationSeconds = Math.ceil(this.leaseMs / 1000);
    try {
      let lease: V1Lease;
      try {
        lease = await api.readNamespacedLease({ name, namespace }, options);
      } catch (err) {
        if (statusCode(err) !== 404) throw err;
        const body = {
          metadata: { name },
          spec: { holderIdentity: this.identity, leaseDurationSeconds, acquireTime: now, renewTime: now, leaseTransitions: 0 },
        };
        this.observe(await api.createNamespacedLease({ namespace, body }, options));
        return true;
      }
      this.observe(lease);
      const spec = lease.spec ?? {};
      const holder = spec.holderIdentity ?? '';
      const heldMs = (spec.leaseDurationSeconds ?? leaseDurationSeconds) * 1000;
      if (holder && holder !== this.identity && Date.now() < this.observed.at + heldMs) return false;
      const mine = holder === this.identity;
      lease.spec = {
        ...spec,
        holderIdentity: this.identity,
        leaseDurationSeconds,
        // after a read these are strings; the serializer wants V1MicroTime
        acquireTime: mine && spec.acquireTime ? new V1MicroTime(String(spec.acquireTime)) : now,
        renewTime: now,
        leaseTransitions: (spec.leaseTransitions ?? 0) + (mine ? 0 : 1),
      };
      this.observe(await api.replaceNamespacedLease({ name, namespace, body: lease }, options));
      return true;
    } catch (err) {
      if (this.stopAc.signal.aborted) return false;
      const code = statusCode(err);
      if (code === 409) log.debug({ lease: name }, 'leader election: lost a write race');
      else log.warn({ err, lease: name, leading: this.isLeader() }, 'leader election: could not acquire or renew the lease');
      return false;
    } finally {
      limit.done();
    }
  }

  private observe(lease: V1Lease): void {
    const rv = lease.metadata?.resourceVersion ?? '';
    if (rv === this.observed.rv) return;
    const holder = lease.spec?.holderIdentity ?? '';
    const changed = holder !== this.observed.holder;
    this.observed = { rv, at: Date.now(), holder };
    if (changed && holder) {
      this.opts.log.info({ lease: this.opts.name, holder }, 'leader election: new leader');
      this.opts.onNewLeader?.(holder);
    }
  }

  private startLeading(): void {
    this.leading = new AbortController();
    this.opts.log.info({ lease: this.opts.name, identity: this.identity }, 'leader election: started leading');
    const { signal } = this.leading;
    Promise.resolve()
      .then(() => this.opts.onStartedLeading?.(signal))
      .catch((err: unknown) => this.opts.log.error({ err }, 'leader election: onStartedLeading failed'));
  }

  private stepDown(why: 'lost' | 'stopped'): void {
    const leading = this.leading;
    if (!leading) return;
    this.leading = undefined;
    leading.abort(new Error(`leadership ${why}`));
    const log = this.opts.log;
    if (why === 'lost') log.warn({ lease: this.opts.name, identity: this.identity }, 'leader election: lost leadership');
    else log.info({ lease: this.opts.name, identity: this.identity }, 'leader election: stopped leading');
    try {
      this.opts.onStoppedLeading?.();
    } catch (err) {
      log.error({ err }, 'leader election: onStoppedLeading failed');
    }
  }

  /** Clears the holder (if still ours) so stand-bys need not wait for the lease to expire. */
  private async giveUp(): Promise<void> {
    const { coordination: api, namespace, name, log } = this.opts;
    const options = abortable(AbortSignal.timeout(this.renewDeadlineMs));
    try {
      const lease = await api.readNamespacedLease({ name, namespace }, options);
      if (lease.spec?.holderIdentity !== this.identity) return;
      const now = new V1MicroTime();
      lease.spec = { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, acquireTime: now, renewTime: now };
      await api.replaceNamespacedLease({ name, namespace, body: lease }, options);
      log.info({ lease: name }, 'leader election: released the lease');
    } catch (err) {
      log.warn({ err, lease: name }, 'leader election: could not release the lease; stand-bys wait for it to expire');
    }
  }
}
