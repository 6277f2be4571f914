// The instance registry: each instance keeps `<prefix>instances/<id>` alive on an etcd
// lease with what it reports (mode, fence, applied revision). The maintenance route and
// the operator read these keys; a dead instance drops out when its lease expires.
import packageJson from '../../package.json' with { type: 'json' };
import type { Etcd3, Lease } from 'etcd3';
import type { Log } from '../log.js';
import { etcdKeys } from '../types/etcd.js';
import type { InstanceMode, InstanceStatus } from '../types/maintenance.js';

export interface RegistryOptions {
  id: string;
  podName?: string;
  /** Lease TTL: how long a dead instance stays listed. */
  ttlSeconds?: number;
  /** How often the entry is rewritten with the current applied revision. */
  refreshMs?: number;
  /** What the instance reports now. */
  report(): { mode: InstanceMode; fenceRevision?: bigint; appliedRevision: bigint };
}

export const configstoreVersion: string = packageJson.version;

export class InstanceRegistry {
  readonly key: string;
  private lease: Lease | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly startedAt = new Date().toISOString();
  private publishing: Promise<void> = Promise.resolve();
  private stopped = false;
  private isRegistered = false;
  private wasRegistered = false;

  constructor(
    private readonly etcd: Etcd3,
    prefix: string,
    private readonly log: Log,
    private readonly options: RegistryOptions,
  ) {
    this.key = etcdKeys(prefix).instancesPrefix + options.id;
  }

  /**
   * True while the entry is known to exist: after a successful put, until its lease is
   * lost or a put fails. (Writes check the key itself in their transaction; this is for
   * readiness and logs.)
   */
  get registered(): boolean {
    return this.isRegistered;
  }

  /** True once the entry was first written (readiness: reads go on while a lost lease is renewed). */
  get registeredOnce(): boolean {
    return this.wasRegistered;
  }

  /** Publishes now and every `refreshMs`; failures are logged and retried on the next tick. Resolves after the first attempt. */
  start(): Promise<void> {
    this.timer = setInterval(() => void this.publish(), this.options.refreshMs ?? 3000);
    this.timer.unref();
    return this.publish();
  }

  /** Writes the entry now (mode changes call it); serialised, never rejects. */
  publish(): Promise<void> {
    this.publishing = this.publishing.then(async () => {
      if (this.stopped) return;
      try {
        await this.currentLease().put(this.key).value(JSON.stringify(this.status()));
        if (!this.isRegistered && !this.stopped) this.log.info({ key: this.key }, 'registered in the instance registry: writes accepted');
        this.isRegistered = !this.stopped;
        this.wasRegistered = true;
      } catch (err) {
        this.log.warn({ err, key: this.key }, 'instance registry update failed; retrying');
        this.isRegistered = false;
        this.dropLease();
      }
    });
    return this.publishing;
  }

  status(): InstanceStatus {
    const r = this.options.report();
    return {
      id: this.options.id,
      ...(this.options.podName ? { podName: this.options.podName } : {}),
      mode: r.mode,
      ...(r.fenceRevision !== undefined ? { fenceRevision: String(r.fenceRevision) } : {}),
      appliedRevision: String(r.appliedRevision),
      version: configstoreVersion,
      startedAt: this.startedAt,
      updatedAt: new Date().toISOString(),
    };
  }

  /** Stops publishing and revokes the lease: the entry disappears at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.isRegistered = false;
    clearInterval(this.timer);
    await this.publishing;
    const lease = this.lease;
    this.lease = undefined;
    await lease?.revoke().catch((err: unknown) => this.log.warn({ err }, 'could not revoke the registry lease; it expires on its own'));
  }

  /** Stops the keepalives without revoking, as a crashed process would (tests). */
  abandon(): void {
    this.stopped = true;
    this.isRegistered = false;
    clearInterval(this.timer);
    this.lease?.release();
    this.lease = undefined;
  }

  private currentLease(): Lease {
    if (!this.lease) {
      const lease = this.etcd.lease(this.options.ttlSeconds ?? 10, { autoKeepAlive: true });
      // lost (etcd unreachable past the TTL, or it expired): the next tick takes a new one
      // (not at once: while etcd is down that would loop as fast as grants fail)
      lease.on('lost', (err) => {
        if (this.lease !== lease) return;
        this.log.warn({ err }, 'instance registry lease lost: writes are refused until this instance registers again, on the next refresh');
        this.lease = undefined;
        this.isRegistered = false;
      });
      this.lease = lease;
    }
    return this.lease;
  }

  private dropLease(): void {
    const lease = this.lease;
    this.lease = undefined;
    lease?.release();
  }
}
