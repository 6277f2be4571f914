// What an import must remember to check references and uniqueness: every id per type
// (with the one reference a later check needs: a linked account's remote source), every
// name per scope, every root group's owner, every group's parent. Kept in a scratch
// SQLite file on disk, not in memory: a 1M-object import held ~330 MB in JS Sets.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
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

export class ImportIndex {
  private readonly dir = scratchDir();
  private readonly db = new DatabaseSync(join(this.dir, 'index.sqlite'));
  private readonly s: Record<
    'hasId' | 'refOf' | 'addId' | 'addName' | 'addRoot' | 'addGroupParent' | 'groupParents' | 'parentOf' | 'ownerWithoutRoot',
    StatementSync
  >;

  constructor() {
    this.db.exec(`
      PRAGMA journal_mode = OFF;
      PRAGMA synchronous = OFF;
      PRAGMA cache_size = -16000;
      CREATE TABLE ids (type TEXT NOT NULL, id TEXT NOT NULL, ref TEXT, PRIMARY KEY (type, id)) WITHOUT ROWID;
      CREATE TABLE names (key TEXT PRIMARY KEY) WITHOUT ROWID;
      CREATE TABLE roots (owner TEXT PRIMARY KEY) WITHOUT ROWID;
      CREATE TABLE group_parents (id TEXT PRIMARY KEY, parent TEXT NOT NULL, line INTEGER NOT NULL) WITHOUT ROWID;
      BEGIN;
    `);
    this.s = {
      hasId: this.db.prepare('SELECT 1 FROM ids WHERE type = ? AND id = ?'),
      refOf: this.db.prepare('SELECT ref FROM ids WHERE type = ? AND id = ?'),
      addId: this.db.prepare('INSERT OR IGNORE INTO ids VALUES (?, ?, ?)'),
      addName: this.db.prepare('INSERT OR IGNORE INTO names VALUES (?)'),
      addRoot: this.db.prepare('INSERT OR IGNORE INTO roots VALUES (?)'),
      addGroupParent: this.db.prepare('INSERT INTO group_parents VALUES (?, ?, ?)'),
      groupParents: this.db.prepare('SELECT id, parent, line FROM group_parents ORDER BY id'),
      parentOf: this.db.prepare('SELECT parent, line FROM group_parents WHERE id = ?'),
      ownerWithoutRoot: this.db.prepare("SELECT type, id FROM ids WHERE type IN ('user', 'org') AND id NOT IN (SELECT owner FROM roots) LIMIT 1"),
    };
  }

  hasId(type: string, id: string): boolean {
    return this.s.hasId.get(type, id) !== undefined;
  }
  /** The `ref` stored with an id (undefined when there is none, or no such id). */
  refOf(type: string, id: string): string | undefined {
    return (this.s.refOf.get(type, id) as { ref: string | null } | undefined)?.ref ?? undefined;
  }
  addId(type: string, id: string, ref?: string): void {
    this.s.addId.run(type, id, ref ?? null);
  }
  /** False when the name was taken already. */
  takeName(key: string): boolean {
    return Number(this.s.addName.run(key).changes) === 1;
  }
  /** False when the owner has a root group already. */
  addRoot(owner: string): boolean {
    return Number(this.s.addRoot.run(owner).changes) === 1;
  }
  addGroupParent(id: string, parent: string, line: number): void {
    this.s.addGroupParent.run(id, parent, line);
  }
  *groupParents(): Generator<{ id: string; parent: string; line: number }> {
    for (const r of this.s.groupParents.iterate()) yield r as { id: string; parent: string; line: number };
  }
  parentOf(id: string): string | undefined {
    return (this.s.parentOf.get(id) as { parent: string } | undefined)?.parent;
  }
  ownerWithoutRoot(): { type: string; id: string } | undefined {
    return this.s.ownerWithoutRoot.get() as { type: string; id: string } | undefined;
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
