// The per-instance read model: SQLite (node:sqlite), rebuilt from etcd's WAL entries on
// start and kept current by a watch. Queries go through `do(ctx, fn)`: the request's
// context (abort signal) is passed once and checked by the transaction (seed).
//
// Issue #3 slice: WAL replay + watch; snapshots from object storage, epochs and
// compaction recovery come next.
import { DatabaseSync } from 'node:sqlite';
import type { Etcd3, Watcher } from 'etcd3';
import { UnavailableError } from '../errors.js';
import { etcdKeys } from '../types/etcd.js';
import { decodeWal, type Action } from '../datamanager/wal.js';

export interface RequestContext {
  signal?: AbortSignal;
}

export interface StoredObject {
  type: string;
  id: string;
  name: string | null;
  parent: string | null;
  data: Record<string, unknown>;
}

/** The read side of a transaction: synchronous, so it sees one consistent state. */
export interface ReadTx {
  readonly revision: bigint;
  get(type: string, id: string): StoredObject | undefined;
  getByName(type: string, name: string, parent?: string | null): StoredObject | undefined;
  /** Objects of `type` under `parent` (null: top level) in name order, after `afterName`. */
  list(type: string, options: { afterName?: string; limit: number; parent?: string | null }): StoredObject[];
  /** How many objects of `type` have `parent`. */
  count(type: string, parent: string | null): number;
}

export class ReadDB {
  private readonly db: DatabaseSync;
  private readonly keys: ReturnType<typeof etcdKeys>;
  private applied = 0n;
  private waiters: Array<{ revision: bigint; resolve: () => void }> = [];
  private watcher: Watcher | undefined;
  private readonly stmts: ReturnType<ReadDB['prepare']>;

  constructor(
    private readonly etcd: Etcd3,
    prefix: string,
    path = ':memory:',
  ) {
    this.keys = etcdKeys(prefix);
    this.db = new DatabaseSync(path);
    this.db.exec(`
      PRAGMA journal_mode = WAL;
      DROP TABLE IF EXISTS objects;
      CREATE TABLE objects (type TEXT NOT NULL, id TEXT NOT NULL, name TEXT, parent TEXT, data TEXT NOT NULL, PRIMARY KEY (type, id));
      CREATE INDEX objects_by_name ON objects (type, parent, name);
    `);
    this.stmts = this.prepare();
  }

  private prepare() {
    return {
      get: this.db.prepare('SELECT * FROM objects WHERE type = ? AND id = ?'),
      byName: this.db.prepare('SELECT * FROM objects WHERE type = ? AND parent IS ? AND name = ?'),
      list: this.db.prepare('SELECT * FROM objects WHERE type = ? AND parent IS ? AND name > ? ORDER BY name LIMIT ?'),
      count: this.db.prepare('SELECT count(*) AS n FROM objects WHERE type = ? AND parent IS ?'),
      put: this.db.prepare('INSERT OR REPLACE INTO objects (type, id, name, parent, data) VALUES (?, ?, ?, ?, ?)'),
      delete: this.db.prepare('DELETE FROM objects WHERE type = ? AND id = ?'),
    };
  }

  /** True once the first full sync finished and while the model follows etcd (readiness). */
  get synced(): boolean {
    return this.isSynced;
  }
  private isSynced = false;

  /** The etcd revision whose state this read model holds. */
  get revision(): bigint {
    return this.applied;
  }

  /** Loads every WAL entry, then follows new ones. */
  async start(): Promise<void> {
    const res = await this.etcd.getAll().prefix(this.keys.walPrefix).exec();
    const kvs = [...res.kvs].sort((a, b) => (BigInt(a.mod_revision) < BigInt(b.mod_revision) ? -1 : 1));
    this.transaction(() => {
      for (const kv of kvs) this.applyActions(decodeWal(kv.value).actions);
    });
    this.advance(BigInt(res.header.revision));
    this.watcher = await this.etcd
      .watch()
      .prefix(this.keys.walPrefix)
      .startRevision(String(this.applied + 1n))
      .create();
    this.watcher.on('data', (resp) => {
      const puts = resp.events.filter((e) => e.type === 'Put');
      if (puts.length) {
        this.transaction(() => {
          for (const e of puts) this.applyActions(decodeWal(e.kv.value).actions);
        });
      }
      const last = resp.events.at(-1);
      if (last) this.advance(BigInt(last.kv.mod_revision));
    });
    this.isSynced = true;
  }

  async stop(): Promise<void> {
    this.isSynced = false;
    await this.watcher?.cancel();
    for (const w of this.waiters) w.resolve();
    this.waiters = [];
    this.db.close();
  }

  /** Resolves once `revision` is applied (read-your-writes); Unavailable after `timeoutMs`. */
  waitFor(revision: bigint, timeoutMs = 10_000): Promise<void> {
    if (this.applied >= revision) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(new UnavailableError('the read model is not keeping up with etcd; retry later', { code: 'readdbBehind' }));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      this.waiters.push({ revision, resolve: done });
    });
  }

  /** Runs `fn` on one consistent state; refuses to start for an aborted request. */
  do<T>(ctx: RequestContext, fn: (tx: ReadTx) => T): T {
    ctx.signal?.throwIfAborted();
    const { get, byName, list, count } = this.stmts;
    const tx: ReadTx = {
      revision: this.applied,
      get: (type, id) => row(get.get(type, id)),
      getByName: (type, name, parent = null) => row(byName.get(type, parent, name)),
      list: (type, { afterName = '', limit, parent = null }) => list.all(type, parent, afterName, limit).map((r) => row(r)!),
      count: (type, parent) => Number((count.get(type, parent) as { n: number }).n),
    };
    return fn(tx);
  }

  private advance(revision: bigint): void {
    if (revision <= this.applied) return;
    this.applied = revision;
    const ready = this.waiters.filter((w) => w.revision <= revision);
    this.waiters = this.waiters.filter((w) => w.revision > revision);
    for (const w of ready) w.resolve();
  }

  private transaction(fn: () => void): void {
    this.db.exec('BEGIN');
    try {
      fn();
      this.db.exec('COMMIT');
    } catch (err) {
      this.db.exec('ROLLBACK');
      throw err;
    }
  }

  private applyActions(actions: Action[]): void {
    const { put, delete: del } = this.stmts;
    for (const a of actions) {
      if (a.type === 'put') {
        const name = typeof a.data.name === 'string' ? a.data.name : null;
        const parent = typeof a.data.parentId === 'string' ? a.data.parentId : null;
        put.run(a.dataType, a.id, name, parent, JSON.stringify(a.data));
      } else {
        del.run(a.dataType, a.id);
      }
    }
  }
}

function row(r: unknown): StoredObject | undefined {
  if (!r) return undefined;
  const o = r as { type: string; id: string; name: string | null; parent: string | null; data: string };
  return { type: o.type, id: o.id, name: o.name, parent: o.parent, data: JSON.parse(o.data) as Record<string, unknown> };
}
