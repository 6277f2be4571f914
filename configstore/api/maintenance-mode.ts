// Maintenance mode on one instance. Every instance watches `<prefix>maintenance`:
//   key created (revision K) → `entering`: resource routes answer 503, the requests in
//     flight finish (bounded), the read model catches up with everything committed before
//     K → `maintenance`, fenced on K (the write transactions' own check on the key makes
//     sure nothing commits after K, whichever instance tries);
//   key deleted → `exiting`: the read model catches up (an import changed the epoch: it
//     resyncs on its own) → `normal`.
// Only routes marked `config: { alwaysOn: true }` answer outside `normal`.
import type { Etcd3, IKeyValue, Watcher } from 'etcd3';
import type { FastifyInstance } from 'fastify';
import { errorCodes, UnavailableError } from '../errors.js';
import type { Log } from '../log.js';
import type { ReadDB } from '../readdb/readdb.js';
import { etcdKeys } from '../types/etcd.js';
import type { InstanceMode } from '../types/maintenance.js';

export interface MaintenanceModeOptions {
  /** How long entering waits for the requests in flight. */
  drainMs?: number;
  /** Called after every mode change (the registry publishes it). */
  onChange?: () => void;
}

/** The maintenance key as this instance last saw it: its create revision, or off. */
type Target = { createRevision: bigint } | undefined;

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

export class MaintenanceMode {
  private currentMode: InstanceMode = 'normal';
  private fence: bigint | undefined;
  private target: Target;
  private isKnown = false;
  private inFlight = 0;
  private drainWaiters: Array<() => void> = [];
  private targetChanged = deferred<void>();
  private running: Promise<void> | undefined;
  private watcher: Watcher | undefined;
  private stopped = false;
  private readonly keys: ReturnType<typeof etcdKeys>;

  constructor(
    private readonly etcd: Etcd3,
    prefix: string,
    private readonly readdb: Pick<ReadDB, 'waitFor' | 'synced'>,
    private readonly log: Log,
    private readonly options: MaintenanceModeOptions = {},
  ) {
    this.keys = etcdKeys(prefix);
  }

  get mode(): InstanceMode {
    return this.currentMode;
  }
  get fenceRevision(): bigint | undefined {
    return this.fence;
  }
  /** True once the maintenance key has been read: until then the instance is not ready. */
  get known(): boolean {
    return this.isKnown;
  }

  /** Resource routes: 503 outside `normal`; counted while in flight so entering can drain them. */
  registerGate(app: FastifyInstance): void {
    const finished = () => {
      if (--this.inFlight === 0) for (const w of this.drainWaiters.splice(0)) w();
    };
    app.addHook('onRequest', (request, reply, done) => {
      if (request.routeOptions.config.alwaysOn) return done();
      if (this.currentMode !== 'normal') {
        return done(
          new UnavailableError(`configstore is in maintenance mode (${this.currentMode}); only maintenance, export, import, health and metrics answer`, {
            code: errorCodes.maintenanceMode,
            retryAfterSeconds: 5,
          }),
        );
      }
      this.inFlight++;
      reply.raw.once('close', finished); // also when the client goes away
      done();
    });
  }

  /** Reads the key (once it has, `known` is true), then follows it; retries while etcd is unreachable. */
  async start(): Promise<void> {
    const first = deferred<void>();
    void this.follow(first.resolve);
    await first.promise;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.targetChanged.resolve();
    await this.watcher?.cancel().catch(() => undefined);
    await this.running?.catch(() => undefined);
  }

  /** Initial read + watch from the next revision; after a watch error (compaction), again. */
  private async follow(onFirstRead: () => void): Promise<void> {
    for (let delay = 100; !this.stopped; delay = Math.min(delay * 2, 5000)) {
      try {
        const res = await this.etcd.get(this.keys.maintenance).exec();
        const kv = res.kvs[0];
        this.setTarget(kv ? { createRevision: BigInt(kv.create_revision) } : undefined);
        this.isKnown = true;
        onFirstRead();
        const failed = deferred<unknown>();
        const watcher = await this.etcd
          .watch()
          .key(this.keys.maintenance)
          .startRevision(String(BigInt(res.header.revision) + 1n))
          .create();
        if (this.stopped) return void (await watcher.cancel().catch(() => undefined));
        this.watcher = watcher;
        watcher.on('put', (kv: IKeyValue) => this.setTarget({ createRevision: BigInt(kv.create_revision) }));
        watcher.on('delete', () => this.setTarget(undefined));
        watcher.on('error', (err) => failed.resolve(err));
        const err = await failed.promise;
        this.log.warn({ err }, 'maintenance key watch failed; reading the key again');
        await watcher.cancel().catch(() => undefined);
        delay = 100;
      } catch (err) {
        if (this.stopped) return;
        this.log.warn({ err, retryInMs: delay }, 'could not read the maintenance key (is etcd reachable?); retrying');
        await sleep(delay);
      }
    }
  }

  private setTarget(target: Target): void {
    if (target?.createRevision === this.target?.createRevision) return; // a value update: same request
    this.target = target;
    this.targetChanged.resolve();
    this.targetChanged = deferred<void>();
    this.kick();
  }

  private kick(): void {
    if (this.running || this.stopped) return;
    this.running = this.reconcile().finally(() => {
      this.running = undefined;
      if (this.target ? this.fence !== this.target.createRevision : this.currentMode !== 'normal') this.kick();
    });
  }

  /** Moves the mode towards the target until they agree; restarts when the target changes. */
  private async reconcile(): Promise<void> {
    for (let delay = 100; !this.stopped;) {
      const target = this.target;
      const changed = this.targetChanged.promise;
      try {
        if (target && !(this.currentMode === 'maintenance' && this.fence === target.createRevision)) {
          await this.enter(target.createRevision, changed);
        } else if (!target && this.currentMode !== 'normal') {
          await this.exit(changed);
        } else {
          return;
        }
        delay = 100;
      } catch (err) {
        if (this.stopped) return;
        this.log.warn({ err, retryInMs: delay }, 'maintenance mode switch failed; retrying');
        await Promise.race([sleep(delay), changed]);
        delay = Math.min(delay * 2, 5000);
      }
    }
  }

  private async enter(createRevision: bigint, changed: Promise<void>): Promise<void> {
    this.setMode('entering', undefined);
    await Promise.race([this.drained(), changed]);
    if (this.target?.createRevision !== createRevision) return;
    const barrier = await this.barrier(createRevision);
    await Promise.race([this.readdb.waitFor(barrier), changed]);
    if (this.target?.createRevision !== createRevision || this.stopped) return;
    this.setMode('maintenance', createRevision);
  }

  private async exit(changed: Promise<void>): Promise<void> {
    this.setMode('exiting', undefined);
    const barrier = await this.barrier(undefined);
    await Promise.race([this.readdb.waitFor(barrier), changed]);
    // after an import the read model resyncs (new epoch): serve again once it has
    for (let waited = 0; !this.readdb.synced && waited < 30_000 && !this.stopped; waited += 50) await Promise.race([sleep(50), changed]);
    if (this.target || this.stopped) return;
    if (!this.readdb.synced) throw new UnavailableError('the read model did not resync after maintenance');
    this.setMode('normal', undefined);
  }

  /** Resolves once no resource request is in flight, or after `drainMs`. */
  private drained(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.log.warn({ inFlight: this.inFlight }, 'entering maintenance with requests still in flight (their writes are refused by the fence)');
        resolve();
      }, this.options.drainMs ?? 10_000);
      timer.unref();
      this.drainWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /**
   * The revision the read model must reach to hold everything committed at `revision`
   * (the current one when undefined): the newest of the WAL entries' and the snapshot
   * pointer's ModRevisions, the only keys its watch applies.
   */
  private async barrier(revision: bigint | undefined): Promise<bigint> {
    const read = async (at: string | undefined) => {
      let wals = this.etcd.getAll().prefix(this.keys.walPrefix).sort('Mod', 'Descend').limit(1);
      let pointer = this.etcd.get(this.keys.snapshot);
      if (at !== undefined) {
        wals = wals.revision(at);
        pointer = pointer.revision(at);
      }
      const [w, p] = await Promise.all([wals.exec(), pointer.exec()]);
      return [...w.kvs, ...p.kvs].reduce((max, kv) => (BigInt(kv.mod_revision) > max ? BigInt(kv.mod_revision) : max), 0n);
    };
    try {
      return await read(revision === undefined ? undefined : String(revision));
    } catch (err) {
      // compacted: nothing can commit after the key's creation anyway, so now is as good
      if (revision === undefined || !/compacted/i.test(String(err))) throw err;
      return read(undefined);
    }
  }

  private setMode(mode: InstanceMode, fence: bigint | undefined): void {
    if (mode === this.currentMode && fence === this.fence) return;
    this.currentMode = mode;
    this.fence = fence;
    this.log.info({ mode, fenceRevision: fence === undefined ? undefined : String(fence) }, 'maintenance mode');
    this.options.onChange?.();
  }
}
