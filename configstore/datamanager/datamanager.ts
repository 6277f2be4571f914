// The write side: one etcd transaction per write, which
//   (a) checks that no change group it names changed after the revision the caller
//       validated against (optimistic concurrency, as Agola's change groups),
//   (b) checks that the maintenance key is absent (the fence: once it exists no write
//       commits, whichever instance tries),
//   (c) checks that the epoch key did not change after that revision (an import replaced
//       the data the write was planned on: it is planned again on the imported data),
//   (d) checks that this instance's registry entry exists (an instance whose lease
//       expired is invisible to maintenance, so it must not write until it registers again),
//   (e) appends the WAL entry and bumps the change groups.
// Readers (readdb) apply WAL entries in etcd revision order. Group commit: writes that arrive
// while a txn is in etcd wait and go together in the next one, when their change groups are
// disjoint; each keeps its own compares, so the batch commits all of them or none, and a failed
// batch is split into single txns that say which one conflicts.
import { createHash, randomUUID } from 'node:crypto';
import type { Etcd3 } from 'etcd3';
import { BadRequestError, ConflictError, errorCodes, UnavailableError } from '../errors.js';
import { etcdKeys } from '../types/etcd.js';
import { encodeWal, type Action } from './wal.js';

export class ConcurrentUpdateError extends ConflictError {
  /** `changedAt`: the newest revision that touched one of the write's change groups. */
  constructor(readonly changedAt: bigint) {
    super('the data changed while this request was processed; retry it', { code: errorCodes.concurrentUpdate });
  }
}

export interface DataManagerOptions {
  /** This instance's registry key: writes commit only while it exists (unset: no check, for tools and tests). */
  registryKey?: string;
  /** Concurrent writes with disjoint change groups committed as one txn (default true; false: one txn per write). */
  groupCommit?: boolean;
  /**
   * Called with each committed txn's revision and its writes' actions, in the txn's order,
   * before the writers are answered: the read model applies them at once when that revision
   * is the next one it expects, instead of waiting for the watch to bring them back.
   */
  onCommitted?: (revision: bigint, actions: Action[][]) => void;
}

export class DataManager {
  readonly keys: ReturnType<typeof etcdKeys>;

  constructor(
    private readonly etcd: Etcd3,
    prefix: string,
    private readonly options: DataManagerOptions = {},
  ) {
    this.keys = etcdKeys(prefix);
  }

  /** Key of a change group: a hash, so any string (names with '/', long paths) is safe. */
  changeGroupKey(group: string): string {
    return this.keys.changeGroupPrefix + createHash('sha256').update(group).digest('hex');
  }

  /**
   * Commits `actions` if none of the checked change groups changed after `readRevision`
   * and maintenance is off. Resolves with the revision of the commit.
   *
   * Three kinds of change groups, so that writes conflict only when they must:
   * - `changeGroups`: checked and bumped (an object's own id, a name in its scope);
   * - `checkGroups`: checked only (a parent that must still exist when a child is added);
   * - `touchGroups`: bumped only (a parent's "children" group: siblings created at once do
   *   not conflict with each other, but a parent's deletion, which checks it, does).
   */
  async write(
    actions: Action[],
    changeGroups: string[],
    readRevision: bigint,
    extra: { checkGroups?: string[]; touchGroups?: string[] } = {},
  ): Promise<bigint> {
    const bumped = new Set(changeGroups.map((g) => this.changeGroupKey(g)));
    const checked = new Set([...bumped, ...(extra.checkGroups ?? []).map((g) => this.changeGroupKey(g))]);
    for (const g of extra.touchGroups ?? []) bumped.add(this.changeGroupKey(g));
    const request = { walKey: this.keys.walPrefix + randomUUID(), wal: encodeWal({ actions }), actions, bumped, checked, readRevision };
    if (this.options.groupCommit === false) return this.commitAlone(request);
    return new Promise((resolve, reject) => {
      this.queue.push({ ...request, resolve, reject });
      this.pump();
    });
  }

  private readonly queue: Queued[] = [];
  private committing = false;

  /** One batch at a time: what queued while it was in etcd goes in the next one. */
  private pump(): void {
    if (this.committing || this.queue.length === 0) return;
    const batch = takeBatch(this.queue);
    this.committing = true;
    void this.commitBatch(batch).finally(() => {
      this.committing = false;
      this.pump();
    });
  }

  private async commitBatch(batch: Queued[]): Promise<void> {
    if (batch.length === 1) {
      const [only] = batch as [Queued];
      return this.commitAlone(only).then(only.resolve, only.reject);
    }
    let outcome: bigint | Error | 'split';
    try {
      outcome = await this.commitTogether(batch);
    } catch (err) {
      outcome = err as Error;
    }
    if (outcome === 'split') {
      // one of them conflicts (or an epoch changed under an older one): each alone says which; nothing of the batch committed
      await Promise.all(batch.map((r) => this.commitAlone(r).then(r.resolve, r.reject)));
      return;
    }
    if (typeof outcome === 'bigint') this.committed(outcome, batch);
    for (const r of batch) {
      if (typeof outcome === 'bigint') r.resolve(outcome);
      else r.reject(outcome);
    }
  }

  /** Tells the read model what committed at `revision` (a retried txn found committed counts: its revision is the first attempt's). */
  private committed(revision: bigint, writes: Prepared[]): void {
    this.options.onCommitted?.(
      revision,
      writes.map((w) => w.actions),
    );
  }

  /** The batch as one txn: every write's own compares (its change groups against its own read revision), the fence and the epoch once. */
  private async commitTogether(batch: Queued[]): Promise<bigint | 'split'> {
    const oldest = batch.reduce((min, r) => (r.readRevision < min ? r.readRevision : min), batch[0]!.readRevision);
    let txn = this.etcd.if(this.keys.maintenance, 'Create', '==', 0).and(this.keys.epoch, 'Mod', '<', String(oldest + 1n));
    const registry = this.options.registryKey;
    if (registry) txn = txn.and(registry, 'Create', '>', 0);
    for (const r of batch) for (const g of r.checked) txn = txn.and(g, 'Mod', '<', String(r.readRevision + 1n));
    const result = await txn
      .then(...batch.flatMap((r) => [this.etcd.put(r.walKey).value(r.wal), ...[...r.bumped].map((g) => this.etcd.put(g).value(''))]))
      .else(this.etcd.get(this.keys.maintenance), this.etcd.get(registry ?? this.keys.maintenance), ...batch.map((r) => this.etcd.get(r.walKey)))
      .commit()
      .catch((err: unknown) => {
        throw etcdError(err);
      });
    if (result.succeeded) return BigInt(result.header.revision);
    const [maintenance, registered, ...ours] = result.responses.map((r) => r.response_range?.kvs ?? []);
    // a retried txn whose first attempt committed (all of the batch, or none: one txn)
    const committed = ours.find((kvs) => kvs.length > 0)?.[0];
    if (committed) return BigInt(committed.mod_revision);
    if (maintenance!.length) throw maintenanceError();
    if (registry && !registered!.length) throw notRegisteredError();
    return 'split';
  }

  private async commitAlone(r: Prepared): Promise<bigint> {
    const notAfter = String(r.readRevision + 1n);
    let txn = this.etcd.if(this.keys.maintenance, 'Create', '==', 0).and(this.keys.epoch, 'Mod', '<', notAfter);
    const registry = this.options.registryKey;
    if (registry) txn = txn.and(registry, 'Create', '>', 0);
    for (const g of r.checked) txn = txn.and(g, 'Mod', '<', notAfter);
    const result = await txn
      .then(this.etcd.put(r.walKey).value(r.wal), ...[...r.bumped].map((g) => this.etcd.put(g).value('')))
      .else(
        this.etcd.get(r.walKey),
        this.etcd.get(this.keys.maintenance),
        this.etcd.get(registry ?? this.keys.maintenance),
        this.etcd.get(this.keys.epoch),
        ...[...r.checked].map((g) => this.etcd.get(g)),
      )
      .commit()
      .catch((err: unknown) => {
        throw etcdError(err);
      });
    const revision = BigInt(result.header.revision);
    if (result.succeeded) {
      this.committed(revision, [r]);
      return revision;
    }
    const [ours, maintenance, registered, ...changed] = result.responses.map((x) => x.response_range?.kvs ?? []);
    // etcd3 retries a txn whose answer was lost: if our own first attempt committed, the
    // retry fails its compares on the groups it bumped; the WAL key says it is ours
    if (ours![0]) {
      this.committed(BigInt(ours![0].mod_revision), [r]);
      return BigInt(ours![0].mod_revision);
    }
    if (maintenance!.length) throw maintenanceError();
    if (registry && !registered!.length) throw notRegisteredError();
    // an import's switch (the epoch key) or a change-group bump, each with the data it
    // changed at the same revision: readers reach it, and the write is planned again there
    let changedAt = 0n;
    for (const kvs of changed) {
      for (const kv of kvs) if (BigInt(kv.mod_revision) > r.readRevision && BigInt(kv.mod_revision) > changedAt) changedAt = BigInt(kv.mod_revision);
    }
    throw new ConcurrentUpdateError(changedAt || revision);
  }
}

/** A write ready to commit: its WAL entry, the change-group keys it bumps and checks, the revision it was planned on. */
interface Prepared {
  walKey: string;
  wal: string;
  actions: Action[];
  bumped: Set<string>;
  checked: Set<string>;
  readRevision: bigint;
}

interface Queued extends Prepared {
  resolve: (revision: bigint) => void;
  reject: (err: unknown) => void;
}

/** etcd's default --max-txn-ops: the most compares, and the most puts, one txn may hold. */
export const maxTxnOps = 128;

/**
 * Takes from the queue the writes that may commit as one txn: none sharing a change group with
 * another (two puts of one key are refused by etcd, and a check beside a bump of the same group
 * would let through what one after the other refuses), each behind any earlier queued write it
 * shares a group with (per-group order is kept), and within etcd's operation limits.
 */
export function takeBatch<T extends Pick<Prepared, 'checked' | 'bumped'>>(queue: T[]): T[] {
  const batch: T[] = [];
  const taken = new Set<string>();
  const blocked = new Set<string>();
  let compares = 3; // the fence, the epoch, the registry
  let puts = 0;
  for (let i = 0; i < queue.length;) {
    const r = queue[i]!;
    const groups = [...r.checked, ...r.bumped];
    const fits = compares + r.checked.size + 1 <= maxTxnOps && puts + 1 + r.bumped.size <= maxTxnOps;
    if (batch.length > 0 && (!fits || groups.some((g) => taken.has(g) || blocked.has(g)))) {
      for (const g of groups) blocked.add(g);
      i++;
      continue;
    }
    batch.push(r);
    queue.splice(i, 1);
    for (const g of groups) taken.add(g);
    compares += r.checked.size + 1; // its change groups, and its WAL key in the else branch
    puts += 1 + r.bumped.size;
  }
  return batch;
}

function maintenanceError(): UnavailableError {
  return new UnavailableError('configstore is in maintenance mode; writes are refused until it ends', {
    code: errorCodes.maintenanceMode,
    retryAfterSeconds: 5,
  });
}

function notRegisteredError(): UnavailableError {
  return new UnavailableError(
    'this instance is not in the instance registry (its etcd lease expired, or it has not registered yet), so writes are refused until it registers again; retry, or send the request to another instance',
    { code: errorCodes.notRegistered, retryAfterSeconds: 2 },
  );
}

/** etcd refusing a write that is too big is not an outage: say what to do instead. */
function etcdError(err: unknown): Error {
  const text = err instanceof Error ? err.message : String(err);
  if (/too many operations|request is too large|message larger than max/i.test(text)) {
    return new BadRequestError('this change is too large for one etcd transaction (over 128 operations or 1.5 MiB); split it into smaller requests', {
      code: errorCodes.writeTooLarge,
      cause: err,
    });
  }
  return new UnavailableError('etcd is unreachable; retry later', { code: errorCodes.etcdUnavailable, cause: err });
}
