// The per-instance read model: SQLite (node:sqlite), rebuilt from the newest snapshot in
// object storage plus the WAL entries after it, then kept current by one etcd watch on
// the snapshot pointer and the WAL entries. Queries go through `do(ctx, fn)`: the request's context (abort
// signal) is passed once and checked by the transaction. See docs/architecture.md.
//
// When the watch cannot continue (etcd compacted the revisions it needed, after a long
// disconnection or a quiet spell) it first catches up: the WAL entries it missed are still
// in etcd unless a checkpoint folded them, so it applies them and watches on, without a
// rebuild. Only when that cannot work (the epoch changed: an import replaced the data; a
// checkpoint folded entries it never saw) does it rebuild from scratch (a "resync"), while
// the old model keeps answering reads (writes stay safe: their transaction checks the
// change groups and the epoch against the revision they were planned on).
import { join } from 'node:path';
import { Range, type Etcd3, type IKeyValue, type IWatchResponse, type Watcher } from 'etcd3';
import type { Log } from '../log.js';
import { errorCodes, UnavailableError } from '../errors.js';
import type { ObjectStorage } from '../objectstorage/objectstorage.js';
import { etcdKeys } from '../types/etcd.js';
import { decodeWal, type Action } from '../datamanager/wal.js';
import { readDataFile, readManifest } from '../datamanager/snapshot.js';
import { epochOf, parsePointer, readCommittedState } from '../datamanager/state.js';
import { ObjectTable, type FieldIndex, type ReadTx, type UntypedData } from './table.js';
import './etcdwatch.js'; // etcd3's watch stream survives a response for a watcher it no longer has

export type { FieldIndex, ReadTx, StoredObject, UntypedData } from './table.js';

let tableFiles = 0;

export interface RequestContext {
  signal?: AbortSignal;
}

export interface ReadDBOptions {
  log: Log;
  /** Directory for the SQLite file; in memory by default (the model is always rebuilt on start). */
  dataDir?: string;
  /** Indexes on fields of the objects' JSON (ReadTx.where). */
  fieldIndexes?: readonly FieldIndex[];
}

/** `M`: what each data type's objects are (see ReadTx); the action layer gives its map. */
export class ReadDB<M = UntypedData> {
  private table: ObjectTable<M>;
  private readonly keys: ReturnType<typeof etcdKeys>;
  private applied = 0n;
  private epoch = 0;
  private waiters: Array<{ revision: bigint; resolve: () => void }> = [];
  private watcher: Watcher | undefined;
  private isSynced = false;
  private stopped = false;
  private resyncing: Promise<void> | undefined;
  private watchGeneration = 0;
  private readonly stopping = new AbortController();
  /** How many full rebuilds ran (the first sync counts); for metrics and tests. */
  syncCount = 0;
  /** How many times a broken watch was resumed by catching up, without a rebuild. */
  catchUpCount = 0;

  constructor(
    private readonly etcd: Etcd3,
    private readonly ost: ObjectStorage,
    prefix: string,
    private readonly options: ReadDBOptions,
  ) {
    this.keys = etcdKeys(prefix);
    this.table = this.newTable();
  }

  /** A fresh table; on disk each rebuild gets its own file (the old one serves until the swap). */
  private newTable(): ObjectTable<M> {
    const path = this.options.dataDir ? join(this.options.dataDir, `readdb-${process.pid}-${++tableFiles}.sqlite`) : undefined;
    return new ObjectTable<M>(path, this.options.fieldIndexes);
  }

  /** True once the first full sync finished and while the model follows etcd (readiness). */
  get synced(): boolean {
    return this.isSynced;
  }

  /** The etcd revision whose state this read model holds. */
  get revision(): bigint {
    return this.applied;
  }

  get currentEpoch(): number {
    return this.epoch;
  }

  /** Full sync, then follows etcd. Rejects if the first sync fails (the caller retries). */
  async start(): Promise<void> {
    await this.sync();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.isSynced = false;
    this.stopping.abort();
    // a sync in flight notices `stopped` at its next step; don't wait on etcd for it
    await Promise.race([this.resyncing?.catch(() => undefined), new Promise((r) => setTimeout(r, 2000).unref())]);
    await cancelWatcher(this.watcher);
    for (const w of this.waiters) w.resolve();
    this.waiters = [];
    this.table.close();
  }

  /** Resolves once `revision` is applied (read-your-writes); Unavailable after `timeoutMs`. */
  waitFor(revision: bigint, timeoutMs = 10_000): Promise<void> {
    if (this.applied >= revision) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(new UnavailableError('the read model is not keeping up with etcd; retry later', { code: errorCodes.readdbBehind, retryAfterSeconds: 1 }));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      this.waiters.push({ revision, resolve: done });
    });
  }

  /**
   * What this instance committed at `revision` (its writes' actions, in the txn's order).
   * When `revision` is the next one (no other txn between the model's state and it), the
   * state there is this model's plus these actions: applied at once, so the writer does not
   * wait for the watch's echo, which is then skipped as already applied. Otherwise the
   * watch brings it, with whatever came before.
   */
  applyCommitted(revision: bigint, writes: Action[][]): void {
    if (revision <= this.applied) {
      this.ownCommits.echoed++; // the watch was faster
      return;
    }
    if (revision !== this.applied + 1n || !this.isSynced || this.resyncing || this.stopped) {
      this.ownCommits.leftToWatch++;
      return;
    }
    try {
      this.table.transaction(() => {
        for (const actions of writes) this.table.apply(actions);
      });
    } catch (err) {
      this.resync(`applying a committed write failed: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    this.ownCommits.applied++;
    this.release(revision);
  }

  /** This instance's commits: applied at once, already brought by the watch, or left to it (a revision came between); for tests and benches. */
  readonly ownCommits = { applied: 0, echoed: 0, leftToWatch: 0 };

  /** Runs `fn` on one consistent state; refuses to start for an aborted request. */
  do<T>(ctx: RequestContext, fn: (tx: ReadTx<M>) => T): T {
    ctx.signal?.throwIfAborted();
    return this.table.read(this.applied, fn);
  }

  /** Rebuilds from etcd + object storage into a fresh table, swaps it in, then watches. */
  private async sync(): Promise<void> {
    const state = await readCommittedState(this.etcd, this.keys);
    const table = this.newTable();
    try {
      if (state.pointer) {
        const manifest = await readManifest(this.ost, state.pointer.manifest);
        for (const [type, file] of Object.entries(manifest.files)) await table.load(type, readDataFile(this.ost, file));
      }
      table.transaction(() => {
        for (const w of state.wals) table.apply(w.entry.actions);
      });
      if (this.stopped) throw new Error('the read model was stopped while it synced');
    } catch (err) {
      table.close();
      throw err;
    }
    const old = this.table;
    this.table = table;
    old.close();
    this.epoch = epochOf(state.pointer);
    this.applied = state.revision;
    this.syncCount++;
    await this.watchFrom(state.revision + 1n);
    if (this.stopped) return;
    this.isSynced = true;
    this.options.log.info({ revision: String(state.revision), epoch: this.epoch, wals: state.wals.length }, 'read model synced');
    this.release(state.revision);
  }

  /**
   * Applies the WAL entries committed after this model's revision, read at one revision R,
   * then watches from R + 1: possible when the epoch is the same and the snapshot pointer
   * is not newer than this model (the entries it missed are not folded yet). False: rebuild.
   */
  private async catchUp(): Promise<boolean> {
    if (!this.isSynced) return false;
    const state = await readCommittedState(this.etcd, this.keys);
    if (epochOf(state.pointer) !== this.epoch || BigInt(state.pointer?.revision ?? '0') > this.applied) return false;
    const missed = state.wals.filter((w) => w.modRevision > this.applied);
    if (this.stopped) return true;
    this.table.transaction(() => {
      for (const w of missed) this.table.apply(w.entry.actions);
    });
    this.applied = state.revision;
    this.catchUpCount++;
    await this.watchFrom(state.revision + 1n);
    this.options.log.info({ revision: String(state.revision), missed: missed.length }, 'read model caught up without a rebuild');
    this.release(state.revision);
    return true;
  }

  private async watchFrom(revision: bigint): Promise<void> {
    const generation = ++this.watchGeneration;
    await cancelWatcher(this.watcher);
    // one watch over the snapshot pointer and the WAL entries only (see etcdKeys: nothing
    // else sorts between them): change groups and locks, 3–4 keys per write, stay out
    const range = new Range(this.keys.snapshot, Range.prefix(this.keys.walPrefix).end);
    const creating = this.etcd.watch().inRange(range).only('put').startRevision(String(revision)).create();
    // etcd3 keeps trying to create a watch while etcd is away: stop() must not wait for it
    const watcher = await Promise.race([creating, onAbort(this.stopping.signal)]);
    if (!watcher) {
      void creating.then(
        (w) => cancelWatcher(w),
        () => undefined,
      );
      return;
    }
    if (generation !== this.watchGeneration || this.stopped) {
      // a resync or a newer resume took over while this one was connecting
      await cancelWatcher(watcher);
      return;
    }
    this.watcher = watcher;
    watcher.on('data', (resp: IWatchResponse) => {
      if (this.watcher !== watcher) return;
      try {
        this.onEvents(resp);
      } catch (err) {
        // a malformed entry must not crash the process (etcd3 rethrows handler errors)
        this.resync(`applying a watch event failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    });
    // compaction of the revisions it needs, or any cancellation: rebuild from scratch
    watcher.on('error', (err: unknown) => {
      endedByEtcd.add(watcher); // etcd3 dropped it already: cancelling it again would confuse etcd3
      if (this.watcher === watcher) this.resync(`watch failed: ${err instanceof Error ? err.message : String(err)}`);
    });
    // etcd3 resumes a watch from the last header it saw, which can skip events still in
    // flight when the stream broke; make it resume from what this model applied
    watcher.on('disconnected', () => {
      (watcher as unknown as { request: { start_revision?: string } }).request.start_revision = String(this.applied + 1n);
    });
  }

  private onEvents(resp: IWatchResponse): void {
    if (this.resyncing) return;
    const puts: IKeyValue[] = [];
    for (const e of resp.events) {
      const key = e.kv.key.toString();
      if (e.type === 'Put' && key.startsWith(this.keys.walPrefix)) puts.push(e.kv);
      if (e.type === 'Put' && key === this.keys.snapshot && parsePointer(e.kv.value).epoch !== this.epoch) {
        this.resync('the epoch changed (the data was imported)');
        return;
      }
    }
    if (puts.length) {
      this.table.transaction(() => {
        for (const kv of puts) if (BigInt(kv.mod_revision) > this.applied) this.table.apply(decodeWal(kv.value).actions);
      });
    }
    const last = resp.events.at(-1);
    if (last) this.release(BigInt(last.kv.mod_revision));
  }

  /** Rebuilds in the background, retrying with backoff until it succeeds or stops. */
  private resync(reason: string): void {
    if (this.stopped || this.resyncing) return;
    this.options.log.warn({ reason }, 'read model resyncing (the current model serves reads meanwhile)');
    this.watchGeneration++;
    const cancelling = cancelWatcher(this.watcher);
    this.watcher = undefined;
    this.resyncing = (async () => {
      await cancelling;
      for (let delay = 100; !this.stopped; delay = Math.min(delay * 2, 5000)) {
        try {
          if (!(await this.catchUp())) await this.sync();
          return;
        } catch (err) {
          this.options.log.warn({ err }, 'read model resync failed; retrying');
          await new Promise((r) => setTimeout(r, delay));
        }
      }
    })().finally(() => (this.resyncing = undefined));
  }

  private release(revision: bigint): void {
    if (revision > this.applied) this.applied = revision;
    const ready = this.waiters.filter((w) => w.revision <= this.applied);
    this.waiters = this.waiters.filter((w) => w.revision > this.applied);
    for (const w of ready) w.resolve();
  }
}

/**
 * Cancels a watcher, waiting at most a second: etcd3 waits for a reconnection before it
 * cancels a watcher that has no id (one etcd already cancelled, or one mid-reconnect).
 */
async function cancelWatcher(watcher: Watcher | undefined): Promise<void> {
  if (!watcher) return;
  watcher.removeAllListeners('data');
  // a watcher etcd cancelled (compaction) is gone on both sides: a cancel request for its id
  // comes back as a response etcd3 cannot place, thrown as an unhandled "Failed to find
  // watcher for IWatchResponse" (seen in full test runs, where it also stalled the watch)
  if (endedByEtcd.has(watcher)) return;
  await Promise.race([watcher.cancel().catch(() => undefined), new Promise((r) => setTimeout(r, 1000).unref())]);
}

/** Watchers etcd itself cancelled (their 'error' event fired). */
const endedByEtcd = new WeakSet<Watcher>();

function onAbort(signal: AbortSignal): Promise<undefined> {
  return new Promise((resolve) => (signal.aborted ? resolve(undefined) : signal.addEventListener('abort', () => resolve(undefined), { once: true })));
}
