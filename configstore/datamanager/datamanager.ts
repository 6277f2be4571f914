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
// Readers (readdb) apply WAL entries in etcd revision order.
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
    const walKey = this.keys.walPrefix + randomUUID();
    const notAfter = String(readRevision + 1n);
    let txn = this.etcd.if(this.keys.maintenance, 'Create', '==', 0).and(this.keys.epoch, 'Mod', '<', notAfter);
    const registry = this.options.registryKey;
    if (registry) txn = txn.and(registry, 'Create', '>', 0);
    for (const g of checked) txn = txn.and(g, 'Mod', '<', notAfter);
    const result = await txn
      .then(this.etcd.put(walKey).value(encodeWal({ actions })), ...[...bumped].map((g) => this.etcd.put(g).value('')))
      .else(
        this.etcd.get(walKey),
        this.etcd.get(this.keys.maintenance),
        this.etcd.get(registry ?? this.keys.maintenance),
        this.etcd.get(this.keys.epoch),
        ...[...checked].map((g) => this.etcd.get(g)),
      )
      .commit()
      .catch((err: unknown) => {
        throw etcdError(err);
      });
    const revision = BigInt(result.header.revision);
    if (result.succeeded) return revision;
    const [ours, maintenance, registered, ...changed] = result.responses.map((r) => r.response_range?.kvs ?? []);
    // etcd3 retries a txn whose answer was lost: if our own first attempt committed, the
    // retry fails its compares on the groups it bumped; the WAL key says it is ours
    if (ours![0]) return BigInt(ours![0].mod_revision);
    if (maintenance!.length) {
      throw new UnavailableError('configstore is in maintenance mode; writes are refused until it ends', {
        code: errorCodes.maintenanceMode,
        retryAfterSeconds: 5,
      });
    }
    if (registry && !registered!.length) {
      throw new UnavailableError(
        'this instance is not in the instance registry (its etcd lease expired, or it has not registered yet), so writes are refused until it registers again; retry, or send the request to another instance',
        {
          code: errorCodes.notRegistered,
          retryAfterSeconds: 2,
        },
      );
    }
    // an import's switch (the epoch key) or a change-group bump, each with the data it
    // changed at the same revision: readers reach it, and the write is planned again there
    let changedAt = 0n;
    for (const kvs of changed) {
      for (const kv of kvs) if (BigInt(kv.mod_revision) > readRevision && BigInt(kv.mod_revision) > changedAt) changedAt = BigInt(kv.mod_revision);
    }
    throw new ConcurrentUpdateError(changedAt || revision);
  }
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
