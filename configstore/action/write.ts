// How every write runs: validate against the read model at revision R, commit with the
// change groups checked against R, then wait until this instance's read model applied
// the commit (read-your-writes). A concurrent update of the same change groups makes
// the commit fail; the action is then validated again on the newer state (which turns a
// lost race on a name into the usual 409 "already exists").
import { ConcurrentUpdateError, type DataManager } from '../datamanager/datamanager.js';
import type { Action } from '../datamanager/wal.js';
import type { ReadDB, ReadTx, RequestContext } from '../readdb/readdb.js';

export interface Stores {
  readdb: ReadDB;
  dm: DataManager;
}

export interface WritePlan<T> {
  actions: Action[];
  changeGroups: string[];
  result: T;
}

const maxAttempts = 5;

export async function runWrite<T>(ctx: RequestContext, stores: Stores, plan: (tx: ReadTx) => WritePlan<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    let readRevision = 0n;
    const planned = stores.readdb.do(ctx, (tx) => ((readRevision = tx.revision), plan(tx)));
    try {
      const revision = await stores.dm.write(planned.actions, planned.changeGroups, readRevision);
      await stores.readdb.waitFor(revision);
      return planned.result;
    } catch (err) {
      if (!(err instanceof ConcurrentUpdateError) || attempt >= maxAttempts) throw err;
      await stores.readdb.waitFor(err.changedAt);
    }
  }
}
