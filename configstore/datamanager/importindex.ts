// What an import must remember to check references and uniqueness: every id per type
// (with the one reference a later check needs: a linked account's remote source), every
// name per scope, every root group's owner, every group's parent. Kept in a scratch
// SQLite file on disk, not in memory: a 1M-object import held ~330 MB in JS Sets.
//
// The checks are queued and run in batches (`flush`): a few multi-row statements per
// batch instead of one statement per check, which was a third of an import's CPU (each
// node:sqlite call binds, steps and resets on its own). A batch holds one type's objects
// (the caller flushes when the type changes): references go to other types, which are
// all in the index by then. Memory holds one batch.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import { errorCodes, UnavailableError } from '../errors.js';

/** The scratch directory, or a 503 that says what the server lacks (a read-only root without a writable TMPDIR). */
function scratchDir(): string {
  try {
    return mkdtempSync(join(tmpdir(), 'configstore-import-'));
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new UnavailableError(
      `this server cannot import: its scratch directory ${tmpdir()} is not writable (${reason}); give it a writable TMPDIR (in Kubernetes an emptyDir mounted at /tmp, as the operator's pods have) and retry`,
      { code: errorCodes.noScratchSpace, cause: err },
    );
  }
}

/**
 * A queued check that failed: the `context` it was queued with (what the caller needs to
 * word the error) and why. `missing`: no such id; `otherRef`: the id carries another ref
 * (`ref`) than the one required; `taken`: the name or root owner was taken already.
 */
export type IndexFailure<C> = { context: C; kind: 'missing' } | { context: C; kind: 'otherRef'; ref: string | undefined } | { context: C; kind: 'taken' };

/** Rows per statement at most; a batch's rest goes in statements of 2^k rows (a few prepared shapes, each cached). */
const maxRows = 256;
/** Checks a batch holds before `full()` says flush. */
export const batchChecks = 2048;

type Kind = 'id' | 'require' | 'name' | 'root' | 'groupParent';
/** Columns per row of each kind's queue (flat arrays: no object per check). */
const width: Record<Kind, number> = { id: 3, require: 4, name: 2, root: 4, groupParent: 3 };

/** `(?, ?), (?, ?), …`: `rows` rows of `columns` parameters. */
function rowsOf(rows: number, columns: number): string {
  const row = `(${new Array<string>(columns).fill('?').join(', ')})`;
  return new Array<string>(rows).fill(row).join(', ');
}

export class ImportIndex<C = unknown> {
  private readonly dir = scratchDir();
  private readonly db = new DatabaseSync(join(this.dir, 'index.sqlite'));
  /** Type names as small integers: shorter keys, cheaper binds. */
  private readonly typeCodes = new Map<string, number>();
  private readonly queued: Record<Kind, SQLInputValue[]> = { id: [], require: [], name: [], root: [], groupParent: [] };
  /** The contexts of the queued checks, by seq − firstSeq. */
  private contexts: C[] = [];
  private firstSeq = 0;
  private readonly statements = new Map<string, StatementSync>();
  private readonly one: Record<'refOf' | 'nameSeq' | 'rootSeq' | 'missingParent' | 'unreached' | 'ownerWithoutRoot', StatementSync>;

  constructor() {
    this.db.exec(`
      PRAGMA journal_mode = OFF;
      PRAGMA synchronous = OFF;
      PRAGMA cache_size = -16000;
      PRAGMA temp_store = FILE;
      CREATE TABLE ids (t INTEGER NOT NULL, id TEXT NOT NULL, ref TEXT, PRIMARY KEY (t, id)) WITHOUT ROWID;
      CREATE TABLE names (key TEXT PRIMARY KEY, seq INTEGER NOT NULL) WITHOUT ROWID;
      CREATE TABLE roots (owner TEXT PRIMARY KEY, seq INTEGER NOT NULL) WITHOUT ROWID;
      CREATE TABLE group_parents (id TEXT PRIMARY KEY, parent TEXT NOT NULL, line INTEGER NOT NULL) WITHOUT ROWID;
      CREATE INDEX group_children ON group_parents (parent);
      CREATE TABLE reached (id TEXT PRIMARY KEY) WITHOUT ROWID;
      BEGIN;
    `);
    this.one = {
      refOf: this.db.prepare('SELECT ref FROM ids WHERE t = ? AND id = ?'),
      nameSeq: this.db.prepare('SELECT seq FROM names WHERE key = ?'),
      rootSeq: this.db.prepare('SELECT seq FROM roots WHERE owner = ?'),
      missingParent: this.db.prepare(
        'SELECT g.id, g.parent, g.line FROM group_parents g WHERE NOT EXISTS (SELECT 1 FROM ids WHERE t = ? AND id = g.parent) ORDER BY g.id LIMIT 1',
      ),
      unreached: this.db.prepare('SELECT g.id, g.line FROM group_parents g WHERE NOT EXISTS (SELECT 1 FROM reached r WHERE r.id = g.id) ORDER BY g.id LIMIT 1'),
      ownerWithoutRoot: this.db.prepare('SELECT t, id FROM ids WHERE t IN (?, ?) AND id NOT IN (SELECT owner FROM roots) LIMIT 1'),
    };
  }

  private code(type: string): number {
    let code = this.typeCodes.get(type);
    if (code === undefined) this.typeCodes.set(type, (code = this.typeCodes.size));
    return code;
  }
  private typeOf(code: number): string {
    for (const [type, c] of this.typeCodes) if (c === code) return type;
    return String(code);
  }

  private seq(context: C): number {
    return this.firstSeq + this.contexts.push(context) - 1;
  }

  /** Records an id (and the ref a later `requireId` may ask for). */
  addId(type: string, id: string, ref?: string): void {
    this.queued.id.push(this.code(type), id, ref ?? null);
  }
  /** The id must be in the index (of an earlier batch), with `ref` when one is given. */
  requireId(type: string, id: string, ref: string | undefined, context: C): void {
    this.queued.require.push(this.seq(context), this.code(type), id, ref ?? null);
  }
  /** The key must not have been taken (before, or earlier in this batch). */
  takeName(key: string, context: C): void {
    this.queued.name.push(key, this.seq(context));
  }
  /**
   * A root group's owner: it must be in the index as `type` (`ownerContext` tells that
   * failure) and have no root group yet (`context`). One statement checks both.
   */
  takeRoot(type: string, owner: string, ownerContext: C, context: C): void {
    const ownerSeq = this.seq(ownerContext);
    this.queued.root.push(this.code(type), owner, ownerSeq, this.seq(context));
  }
  /** A nested group's parent, checked by `groupProblem` once every group is in. */
  addGroupParent(id: string, parent: string, line: number): void {
    this.queued.groupParent.push(id, parent, line);
  }

  /** Enough is queued for a flush to pay off. */
  full(): boolean {
    return this.contexts.length >= batchChecks || this.queued.id.length >= batchChecks * width.id;
  }

  /**
   * Runs the queued checks and records the queued rows: the failure queued first, if any
   * (the caller stops there: what the index holds after a failure does not matter).
   */
  flush(): IndexFailure<C> | undefined {
    const failures = [this.flushRequired(), this.flushNames(), this.flushRoots()];
    this.insertAll('id', 'INSERT OR IGNORE INTO ids VALUES ');
    this.insertAll('groupParent', 'INSERT OR IGNORE INTO group_parents VALUES ');
    let first: { seq: number; failure: IndexFailure<C> } | undefined;
    for (const f of failures) if (f && (!first || f.seq < first.seq)) first = f;
    this.firstSeq += this.contexts.length;
    this.contexts = [];
    return first?.failure;
  }

  /** Requirements: one counting join per statement; only when a count falls short, row by row for the first that failed. */
  private flushRequired(): { seq: number; failure: IndexFailure<C> } | undefined {
    const q = this.queued.require;
    if (q.length === 0) return undefined;
    this.queued.require = [];
    const w = width.require;
    let short = false;
    this.each(q, w, (rows, from) => {
      const found = this.statement(
        `require ${rows}`,
        () =>
          `SELECT count(*) AS n FROM (VALUES ${rowsOf(rows, w)}) AS v JOIN ids ON ids.t = v.column2 AND ids.id = v.column3 WHERE v.column4 IS NULL OR ids.ref IS v.column4`,
      );
      const { n } = found.get(...q.slice(from, from + rows * w)) as { n: number };
      if (n !== rows) short = true;
    });
    if (!short) return undefined;
    for (let i = 0; i < q.length; i += w) {
      const [seq, code, id, ref] = [q[i] as number, q[i + 1] as number, q[i + 2] as string, q[i + 3] as string | null];
      const row = this.one.refOf.get(code, id) as { ref: string | null } | undefined;
      const context = this.contexts[seq - this.firstSeq]!;
      if (!row) return { seq, failure: { context, kind: 'missing' } };
      if (ref !== null && row.ref !== ref) return { seq, failure: { context, kind: 'otherRef', ref: row.ref ?? undefined } };
    }
    return undefined;
  }

  /** Names: INSERT OR IGNORE; when fewer rows went in than were queued, the first whose stored seq is not its own was taken. */
  private flushNames(): { seq: number; failure: IndexFailure<C> } | undefined {
    const q = this.queued.name;
    if (q.length === 0) return undefined;
    const inserted = this.insertAll('name', 'INSERT OR IGNORE INTO names VALUES ');
    if (inserted === q.length / width.name) return undefined;
    for (let i = 0; i < q.length; i += 2) {
      const seq = q[i + 1] as number;
      const stored = (this.one.nameSeq.get(q[i]!) as { seq: number } | undefined)?.seq;
      if (stored !== seq) return { seq, failure: { context: this.contexts[seq - this.firstSeq]!, kind: 'taken' } };
    }
    return undefined;
  }

  /** Roots: inserted where the owner is in the index; when fewer went in, the first owner missing or taken. */
  private flushRoots(): { seq: number; failure: IndexFailure<C> } | undefined {
    const q = this.queued.root;
    if (q.length === 0) return undefined;
    this.queued.root = [];
    const w = width.root;
    let inserted = 0;
    this.each(q, w, (rows, from) => {
      const insert = this.statement(
        `root ${rows}`,
        () =>
          `INSERT OR IGNORE INTO roots SELECT v.column2, v.column4 FROM (VALUES ${rowsOf(rows, w)}) AS v WHERE EXISTS (SELECT 1 FROM ids WHERE t = v.column1 AND id = v.column2)`,
      );
      inserted += Number(insert.run(...q.slice(from, from + rows * w)).changes);
    });
    if (inserted === q.length / w) return undefined;
    for (let i = 0; i < q.length; i += w) {
      const [code, owner, ownerSeq, seq] = [q[i] as number, q[i + 1] as string, q[i + 2] as number, q[i + 3] as number];
      if (!this.one.refOf.get(code, owner)) return { seq: ownerSeq, failure: { context: this.contexts[ownerSeq - this.firstSeq]!, kind: 'missing' } };
      if ((this.one.rootSeq.get(owner) as { seq: number }).seq !== seq)
        return { seq, failure: { context: this.contexts[seq - this.firstSeq]!, kind: 'taken' } };
    }
    return undefined;
  }

  /** Inserts a kind's queued rows, emptying its queue; the number of rows that went in. */
  private insertAll(kind: Kind, insert: string): number {
    const q = this.queued[kind];
    if (q.length === 0) return 0;
    this.queued[kind] = [];
    const w = width[kind];
    let changes = 0;
    this.each(q, w, (rows, from) => {
      changes += Number(this.statement(`${kind} ${rows}`, () => insert + rowsOf(rows, w)).run(...q.slice(from, from + rows * w)).changes);
    });
    return changes;
  }

  /** Calls `run(rows, from)` over the queue in statements of maxRows rows, then of 2^k rows for the rest. */
  private each(q: SQLInputValue[], w: number, run: (rows: number, from: number) => void): void {
    let from = 0;
    let left = q.length / w;
    for (let rows = maxRows; left > 0; rows >>= 1) {
      while (left >= rows) {
        run(rows, from);
        from += rows * w;
        left -= rows;
      }
    }
  }

  private statement(key: string, sql: () => string): StatementSync {
    let s = this.statements.get(key);
    if (!s) this.statements.set(key, (s = this.db.prepare(sql())));
    return s;
  }

  /**
   * The checks that need every group (call after the last flush): the first nested group,
   * by id, whose parent is no group of the export, or that no chain of parents leads to
   * from a root group within `maxDepth` levels (it is its own ancestor, or too deep).
   */
  groupProblem(
    groupType: string,
    maxDepth: number,
  ): { kind: 'missingParent'; id: string; parent: string; line: number } | { kind: 'cycle'; id: string; line: number } | undefined {
    const missing = this.one.missingParent.get(this.code(groupType)) as { id: string; parent: string; line: number } | undefined;
    if (missing) return { kind: 'missingParent', ...missing };
    // the groups reached from the root groups (a parent that is not itself nested), level by level, in SQLite
    this.db.exec('DELETE FROM reached');
    this.db
      .prepare(
        `WITH RECURSIVE down(id, depth) AS (
           SELECT g.id, 1 FROM group_parents g WHERE NOT EXISTS (SELECT 1 FROM group_parents p WHERE p.id = g.parent)
           UNION ALL
           SELECT g.id, d.depth + 1 FROM down d JOIN group_parents g ON g.parent = d.id WHERE d.depth < ?
         )
         INSERT OR IGNORE INTO reached SELECT id FROM down`,
      )
      .run(maxDepth);
    const unreached = this.one.unreached.get() as { id: string; line: number } | undefined;
    return unreached && { kind: 'cycle', ...unreached };
  }

  /** A user or org (by those type names) without a root group. */
  ownerWithoutRoot(userType: string, orgType: string): { type: string; id: string } | undefined {
    const row = this.one.ownerWithoutRoot.get(this.code(userType), this.code(orgType)) as { t: number; id: string } | undefined;
    return row && { type: this.typeOf(row.t), id: row.id };
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
