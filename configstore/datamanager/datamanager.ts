// The write side: one etcd transaction per write, which
//   (a) checks that no change group it names changed after the revision the caller
//       validated against (optimistic concurrency, as Agola's change groups),
//   (b) checks that the maintenance key is absent (the fence: once it exists no write
//       commits, whichever instance tries),
//   (c) appends the WAL entry and bumps the change groups.
// Readers (readdb) apply WAL entries in etcd revision order.
import { createHash, randomUUID } from 'node:crypto';
import type { Etcd3 } from 'etcd3';
import { BadRequestError, ConflictError, UnavailableError } from '../errors.js';
import { etcdKeys } from '../types/etcd.js';
import { encodeWal, type Action } from './wal.js';

export class ConcurrentUpdateError extends ConflictError {
  /** `changedAt`: the newest revision that touched one of the write's change groups. */
  constructor(readonly changedAt: bigint) {
    super('the data changed while this request was processed; retry it', { code: 'concurrentUpdate' });
  }
}

export class DataManager {
  readonly keys: ReturnType<typeof etcdKeys>;

  constructor(
    private readonly etcd: Etcd3,
    prefix: string,
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
  async write(actions: Action[], changeGroups: string[], readRevision: bigint, extra: { checkGroups?: string[]; touchGroups?: string[] } = {}): Promise<bigint> {
    const bumped = new Set(changeGroups.map((g) => this.changeGroupKey(g)));
    const checked = new Set([...bumped, ...(extra.checkGroups ?? []).map((g) => this.changeGroupKey(g))]);
    for (const g of extra.touchGroups ?? []) bumped.add(this.changeGroupKey(g));
    const walKey = this.keys.walPrefix + randomUUID();
    const notAfter = String(readRevision + 1n);
    let txn = this.etcd.if(this.keys.maintenance, 'Create', '==', 0);
    for (const g of checked) txn = txn.and(g, 'Mod', '<', notAfter);
    const result = await txn
      .then(this.etcd.put(walKey).value(encodeWal({ actions })), ...[...bumped].map((g) => this.etcd.put(g).value('')))
      .else(this.etcd.get(walKey), this.etcd.get(this.keys.maintenance), ...[...checked].map((g) => this.etcd.get(g)))
      .commit()
      .catch((err: unknown) => {
        throw etcdError(err);
      });
    const revision = BigInt(result.header.revision);
    if (result.succeeded) return revision;
    // etcd3 retries a txn whose answer was lost: if our own first attempt committed, the
    // retry fails its compares on the groups it bumped; the WAL key says it is ours
    const ours = result.responses[0]?.response_range?.kvs?.[0];
    if (ours) return BigInt(ours.mod_revision);
    const maintenance = result.responses[1]?.response_range?.kvs?.length;
    if (maintenance) {
      throw new UnavailableError('configstore is in maintenance mode; writes are refused until it ends', {
        code: 'maintenanceMode',
        retryAfterSeconds: 5,
      });
    }
    // the change-group bump came with a WAL entry at the same revision: readers reach it
    let changedAt = 0n;
    for (const r of result.responses.slice(2)) {
      for (const kv of r.response_range?.kvs ?? []) if (BigInt(kv.mod_revision) > changedAt) changedAt = BigInt(kv.mod_revision);
    }
    throw new ConcurrentUpdateError(changedAt || revision);
  }
}

/** etcd refusing a write that is too big is not an outage: say what to do instead. */
function etcdError(err: unknown): Error {
  const text = err instanceof Error ? err.message : String(err);
  if (/too many operations|request is too large|message larger than max/i.test(text)) {
    return new BadRequestError('this change is too large for one etcd transaction (over 128 operations or 1.5 MiB); split it into smaller requests', { code: 'writeTooLarge', cause: err });
  }
  return new UnavailableError('etcd is unreachable; retry later', { code: 'etcdUnavailable', cause: err });
}
