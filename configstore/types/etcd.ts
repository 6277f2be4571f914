// The etcd key layout under a configstore prefix. Exported: the operator reads and
// writes some of these keys directly (the maintenance key, the instance registry).

/** Normalises a prefix to end with exactly one '/'. */
export function normalizePrefix(prefix: string): string {
  return prefix.endsWith('/') ? prefix : `${prefix}/`;
}

// readdb watches the key range [snapshot, end of wals/): keep every other key outside it
// (names sorting before "snapshot" or after "wals/").
export function etcdKeys(prefix: string) {
  const p = normalizePrefix(prefix);
  return {
    prefix: p,
    /** One key per committed write: its value is the WAL entry (JSON). */
    walPrefix: `${p}wals/`,
    /** Optimistic-concurrency tokens: only their ModRevision matters. */
    changeGroupPrefix: `${p}changegroups/`,
    /** Presence means maintenance mode: every write transaction checks it is absent. */
    maintenance: `${p}maintenance`,
    /**
     * The data's epoch, written by every import's switch: each write compares that it did
     * not change after the revision the write was planned on (a write planned on the data
     * an import replaced never commits on top of the import).
     */
    epoch: `${p}epoch`,
    /** JSON {epoch, revision, manifest, createdAt}: the newest snapshot in object storage. */
    snapshot: `${p}snapshot`,
    /** etcd lock held by the instance that writes checkpoints and collects old snapshots. */
    checkpointLock: `${p}locks/checkpoint`,
    /** One key per running export, on its lease: JSON {manifest, since}; garbage collection spares what they name. */
    readersPrefix: `${p}readers/`,
    /** One key per live instance, on its lease: JSON InstanceStatus (types/maintenance.ts). */
    instancesPrefix: `${p}instances/`,
  };
}
