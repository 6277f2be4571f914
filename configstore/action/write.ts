// How every write runs: validate against the read model at revision R, commit with the
// change groups checked against R, then wait until this instance's read model applied
// the commit (read-your-writes). A concurrent update of the same change groups makes
// the commit fail; the action is then validated again on the newer state (which turns a
// lost race on a name into the usual 409 "already exists").
import { ConcurrentUpdateError, type DataManager } from '../datamanager/datamanager.js';
import type { Action } from '../datamanager/wal.js';
import type { ReadDB, RequestContext } from '../readdb/readdb.js';
import type { StoredData, Tx } from './storeddata.js';

export interface Stores {
  readdb: ReadDB<StoredData>;
  dm: DataManager;
}

export interface WritePlan<T> {
  actions: Action[];
  /** Checked and bumped: the written objects' ids, the names they take or free. */
  changeGroups: string[];
  /** Checked only: objects that must not change meanwhile (a parent that must exist). */
  checkGroups?: string[];
  /** Bumped only: e.g. `childrenGroup(parent)`, which the parent's deletion checks. */
  touchGroups?: string[];
  result: T;
}

const maxAttempts = 8;

export async function runWrite<T>(ctx: RequestContext, stores: Stores, plan: (tx: Tx) => WritePlan<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    let readRevision = 0n;
    const planned = stores.readdb.do(ctx, (tx) => ((readRevision = tx.revision), plan(tx)));
    try {
      const revision = await stores.dm.write(planned.actions, planned.changeGroups, readRevision, {
        ...(planned.checkGroups ? { checkGroups: planned.checkGroups } : {}),
        ...(planned.touchGroups ? { touchGroups: planned.touchGroups } : {}),
      });
      await stores.readdb.waitFor(revision);
      return planned.result;
    } catch (err) {
      if (!(err instanceof ConcurrentUpdateError) || attempt >= maxAttempts) throw err;
      await stores.readdb.waitFor(err.changedAt);
      // jitter, so writers that collided do not collide again in lockstep
      if (attempt > 1) await new Promise((r) => setTimeout(r, Math.random() * 5 * 2 ** attempt));
    }
  }
}
