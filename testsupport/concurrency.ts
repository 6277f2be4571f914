// Test helpers for concurrent writes on several instances: wait until every read model
// caught up, and count the commits refused because a change group moved (each one a
// retry inside runWrite, invisible to the client when a later attempt succeeds).
import { ConcurrentUpdateError } from '../configstore/datamanager/datamanager.js';
import type { TestInstance } from './instance.js';

/** Waits until each instance's read model holds every write any of them made. */
export async function synced(...instances: TestInstance[]): Promise<void> {
  const revision = instances.map((i) => i.server.stores.readdb.revision).reduce((x, y) => (x > y ? x : y));
  await Promise.all(instances.map((i) => i.server.stores.readdb.waitFor(revision)));
}

/** Runs `fn`, counting the commits of `instances` that failed on a concurrent update. */
export async function countingConflicts<T>(instances: TestInstance[], fn: () => Promise<T>): Promise<{ result: T; conflicts: number }> {
  let conflicts = 0;
  const dms = instances.map((i) => i.server.stores.dm);
  for (const dm of dms) {
    const write = dm.write.bind(dm);
    dm.write = (...args) =>
      write(...args).catch((err: unknown) => {
        if (err instanceof ConcurrentUpdateError) conflicts++;
        throw err;
      });
  }
  try {
    return { result: await fn(), conflicts };
  } finally {
    // the prototype's method again
    for (const dm of dms) delete (dm as { write?: unknown }).write;
  }
}
