// Checkpoints: fold committed WAL entries into a new snapshot in object storage, move
// etcd's snapshot pointer to it, then trim the folded entries from etcd. Every instance
// runs the loop; an etcd lock makes one of them do the work at a time (the others skip
// their turn). Old snapshots are kept (`keep`) and then garbage-collected.
import { EtcdLockFailedError, type Etcd3, type Lock } from 'etcd3';
import type { Log } from '../log.js';
import type { ObjectStorage } from '../objectstorage/objectstorage.js';
import { listAll } from '../objectstorage/objectstorage.js';
import type { etcdKeys } from '../types/etcd.js';
import {
  mergeEntries,
  readDataFile,
  readManifest,
  snapshotFormatVersion,
  snapshotId,
  snapshotLayout,
  writeDataFile,
  writeManifest,
  type SnapshotFile,
  type SnapshotManifest,
} from './snapshot.js';
import { pinnedManifests } from './snapshotpins.js';
import { epochOf, readCommittedState, type CommittedWal, type SnapshotPointer } from './state.js';

export interface CheckpointOptions {
  /** How often each instance tries (default 10 s). */
  intervalMs?: number;
  /** Checkpoint once this many WAL entries wait (default 100)… */
  minWals?: number;
  /** …or once the oldest snapshot is this old and any entry waits (default 60 s). */
  maxAgeMs?: number;
  /** Snapshots kept besides the newest (default 2). */
  keep?: number;
  /**
   * Snapshots younger than this are never collected, whatever `keep` says (default 1 h):
   * an export streams the files of the snapshot it started from for as long as it runs.
   */
  minSnapshotAgeMs?: number;
}

export type CheckpointResult =
  { done: true; revision: bigint; wals: number; types: string[] } | { done: false; reason: 'busy' | 'nothing to do' | 'superseded' };

/** etcd's default --max-txn-ops is 128. */
const deletesPerTxn = 100;
// short: a holder killed mid-checkpoint or mid-import blocks the others only this long
const lockTtlSeconds = 10;

/**
 * The lock over the snapshot pointer and the snapshot files: held by a checkpoint (which
 * moves the pointer and collects old files) and by an import (which replaces them).
 */
export function snapshotLock(etcd: Etcd3, keys: ReturnType<typeof etcdKeys>): Lock {
  return etcd.lock(keys.checkpointLock).ttl(lockTtlSeconds);
}

export class Checkpointer {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private readonly opts: Required<CheckpointOptions>;
  private readonly manifestFiles = new Map<string, string[]>();

  constructor(
    private readonly etcd: Etcd3,
    private readonly ost: ObjectStorage,
    private readonly keys: ReturnType<typeof etcdKeys>,
    private readonly log: Log,
    options: CheckpointOptions = {},
  ) {
    this.opts = { intervalMs: 10_000, minWals: 100, maxAgeMs: 60_000, keep: 2, minSnapshotAgeMs: 3_600_000, ...options };
  }

  start(): void {
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.run({ force: false })
        .catch((err: unknown) => this.log.warn({ err }, 'checkpoint failed; the next round retries'))
        .finally(() => (this.running = undefined));
    }, this.opts.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One round under the lock: checkpoint (if due, or `force`), then collect garbage. */
  async run({ force }: { force: boolean }): Promise<CheckpointResult> {
    const lock = snapshotLock(this.etcd, this.keys);
    try {
      await lock.acquire();
    } catch (err) {
      if (err instanceof EtcdLockFailedError) return { done: false, reason: 'busy' };
      throw err;
    }
    try {
      const result = await this.checkpoint(force);
      // a failed collection only keeps garbage around: it must not fail the checkpoint
      // (nor an export, which forces one)
      await this.collectGarbage().catch((err: unknown) => this.log.warn({ err }, 'garbage collection failed; the next round retries'));
      return result;
    } finally {
      await lock.release().catch(() => undefined);
    }
  }

  private async checkpoint(force: boolean): Promise<CheckpointResult> {
    const state = await readCommittedState(this.etcd, this.keys);
    const { pointer, wals, revision } = state;
    // entries an earlier round folded but could not trim (it crashed, or a batch failed)
    await this.trimWals(state.folded);
    if (wals.length === 0) return { done: false, reason: 'nothing to do' };
    const age = pointer ? Date.now() - Date.parse(pointer.createdAt) : Infinity;
    if (!force && wals.length < this.opts.minWals && age < this.opts.maxAgeMs) return { done: false, reason: 'nothing to do' };

    const epoch = epochOf(pointer);
    const previous = pointer ? await readManifest(this.ost, pointer.manifest) : undefined;
    const files: Record<string, SnapshotFile> = { ...previous?.files };
    const changes = changesByType(wals);
    for (const [type, typeChanges] of changes) {
      const old = previous?.files[type];
      files[type] = await writeDataFile(this.ost, type, epoch, revision, mergeEntries(old ? readDataFile(this.ost, old) : undefined, typeChanges));
    }
    const manifest: SnapshotManifest = { formatVersion: snapshotFormatVersion, epoch, revision: String(revision), createdAt: new Date().toISOString(), files };
    const manifestKey = await writeManifest(this.ost, manifest);

    // switch the pointer only if nobody (another checkpoint, an import) moved it meanwhile
    const next: SnapshotPointer = { epoch, revision: String(revision), manifest: manifestKey, createdAt: manifest.createdAt };
    const switched = await this.etcd
      .if(this.keys.snapshot, 'Mod', '==', String(state.pointerModRevision))
      .then(this.etcd.put(this.keys.snapshot).value(JSON.stringify(next)))
      .commit();
    if (!switched.succeeded) {
      // etcd3 retries a txn whose answer was lost: the pointer may be ours after all
      const now = await this.etcd.get(this.keys.snapshot).string();
      if (!now || JSON.parse(now).manifest !== manifestKey) return { done: false, reason: 'superseded' };
    }
    await this.trimWals(wals.map((w) => w.key));
    this.log.info({ revision: String(revision), wals: wals.length, types: [...changes.keys()] }, 'checkpoint written');
    return { done: true, revision, wals: wals.length, types: [...changes.keys()] };
  }

  /** Deletes folded WAL keys, in transactions under etcd's operation limit. */
  private async trimWals(keys: string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += deletesPerTxn) {
      const batch = keys.slice(i, i + deletesPerTxn);
      await this.etcd
        .if(this.keys.snapshot, 'Mod', '>', 0)
        .then(...batch.map((k) => this.etcd.delete().key(k)))
        .commit();
    }
  }

  /**
   * Keeps the newest `keep + 1` manifests, the pointer's, those a running export pins and
   * those younger than `minSnapshotAgeMs`; deletes older manifests and every
   * data file no kept manifest names, except files newer than the pointer (a checkpoint of
   * a previous lock holder may still be writing them).
   */
  async collectGarbage(): Promise<{ manifests: number; files: number }> {
    const head = await this.etcd.get(this.keys.snapshot).string();
    if (!head) return { manifests: 0, files: 0 };
    const pointer = JSON.parse(head) as SnapshotPointer;
    const current = snapshotId(pointer.epoch, BigInt(pointer.revision));
    const manifests: string[] = [];
    const youngerThan = Date.now() - this.opts.minSnapshotAgeMs;
    const young = new Set<string>();
    for await (const o of listAll(this.ost, snapshotLayout.manifestsPrefix)) {
      manifests.push(o.key);
      if (o.lastModified.getTime() > youngerThan) young.add(o.key);
    }
    manifests.sort();
    // (slice(-0) would keep them all)
    const kept = new Set(this.opts.keep > 0 ? manifests.filter((k) => !k.endsWith(`${current}.json`)).slice(-this.opts.keep) : []);
    kept.add(pointer.manifest);
    // read after the pointer: a reader pins, then checks the pointer has not moved (snapshotpins.ts)
    const listed = new Set(manifests);
    for (const m of await pinnedManifests(this.etcd, this.keys)) if (listed.has(m)) kept.add(m);
    const youngOnly = [...young].filter((k) => !kept.has(k));
    const referenced = new Set<string>();
    for (const key of kept) for (const f of await this.filesOf(key, false)) referenced.add(f);
    for (const key of youngOnly) for (const f of await this.filesOf(key, true)) referenced.add(f);
    for (const k of youngOnly) kept.add(k);
    for (const key of this.manifestFiles.keys()) if (!listed.has(key)) this.manifestFiles.delete(key);
    const staleManifests = manifests.filter((k) => !kept.has(k) && snapshotIdOf(k) < current);
    const staleFiles: string[] = [];
    for await (const o of listAll(this.ost, snapshotLayout.dataPrefix)) {
      const id = o.key.slice(o.key.lastIndexOf('/') + 1, o.key.lastIndexOf('/') + 1 + 31);
      if (!referenced.has(o.key) && id < current) staleFiles.push(o.key);
    }
    // the pointer must not have moved (an import, another holder after a lease expiry)
    if ((await this.etcd.get(this.keys.snapshot).string()) !== head) return { manifests: 0, files: 0 };
    await this.ost.deleteMany([...staleManifests, ...staleFiles]);
    if (staleManifests.length || staleFiles.length) this.log.info({ manifests: staleManifests.length, files: staleFiles.length }, 'old snapshots collected');
    return { manifests: staleManifests.length, files: staleFiles.length };
  }

  /**
   * Data files a manifest names. Manifests never change: those kept only for their age
   * (up to an hour of checkpoints) come from a cache; the few kept by `keep` are read anew.
   */
  private async filesOf(manifestKey: string, cached: boolean): Promise<string[]> {
    let files = cached ? this.manifestFiles.get(manifestKey) : undefined;
    if (!files) {
      // a kept manifest that cannot be read (a transient error, a newer format) aborts the
      // collection: treating it as naming no files would delete data the pointer needs
      const m = await readManifest(this.ost, manifestKey).catch((err: unknown) => {
        throw new Error(`garbage collection skipped: cannot read kept snapshot manifest ${manifestKey}`, { cause: err });
      });
      files = Object.values(m.files).map((f) => f.key);
      this.manifestFiles.set(manifestKey, files);
    }
    return files;
  }
}

function snapshotIdOf(manifestKey: string): string {
  return manifestKey.slice(snapshotLayout.manifestsPrefix.length, -'.json'.length);
}

/** The net change per type and id of WAL entries in commit order. */
function changesByType(wals: CommittedWal[]): Map<string, Map<string, Record<string, unknown> | null>> {
  const byType = new Map<string, Map<string, Record<string, unknown> | null>>();
  for (const w of wals) {
    for (const a of w.entry.actions) {
      let m = byType.get(a.dataType);
      if (!m) byType.set(a.dataType, (m = new Map()));
      m.set(a.id, a.type === 'put' ? a.data : null);
    }
  }
  return byType;
}
