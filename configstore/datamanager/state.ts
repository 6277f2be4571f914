// The committed state as etcd describes it: a pointer to the newest snapshot in object
// storage plus the WAL entries committed after it, read at ONE etcd revision so that a
// concurrent checkpoint (which moves the pointer, then trims WAL entries) can never make
// a reader miss or double-apply an entry.
import type { Etcd3, IKeyValue } from 'etcd3';
import { Range } from 'etcd3';
import type { etcdKeys } from '../types/etcd.js';
import { decodeWal, type WalEntry } from './wal.js';

export interface SnapshotPointer {
  /** Bumped by an import: readers holding an older epoch rebuild from scratch. */
  epoch: number;
  /** The etcd revision whose state the snapshot holds. */
  revision: string;
  /** Object-storage key of the snapshot's manifest. */
  manifest: string;
  createdAt: string;
}

export interface CommittedWal {
  key: string;
  modRevision: bigint;
  entry: WalEntry;
}

export interface CommittedState {
  pointer: SnapshotPointer | undefined;
  /** ModRevision of the pointer key (0 when absent): checkpoints compare it. */
  pointerModRevision: bigint;
  /** The etcd revision this state was read at. */
  revision: bigint;
  /** WAL entries after the snapshot, in commit order. */
  wals: CommittedWal[];
  /** Keys of WAL entries the snapshot already holds (a checkpoint that stopped before trimming them). */
  folded: string[];
}

export function epochOf(pointer: SnapshotPointer | undefined): number {
  return pointer?.epoch ?? 0;
}

export function parsePointer(raw: Buffer | string): SnapshotPointer {
  const p = JSON.parse(raw.toString()) as SnapshotPointer;
  if (typeof p.epoch !== 'number' || typeof p.revision !== 'string' || typeof p.manifest !== 'string')
    throw new Error(`malformed snapshot pointer ${raw.toString()}`);
  return p;
}

const walPageSize = 500;

export async function readCommittedState(etcd: Etcd3, keys: ReturnType<typeof etcdKeys>): Promise<CommittedState> {
  const head = await etcd.get(keys.snapshot).exec();
  const revision = BigInt(head.header.revision);
  const kv = head.kvs[0];
  const pointer = kv ? parsePointer(kv.value) : undefined;
  const after = pointer ? BigInt(pointer.revision) : 0n;
  const wals: CommittedWal[] = [];
  const folded: string[] = [];
  // paged by key at the same revision: many WAL entries never make one huge response
  const end = Range.prefix(keys.walPrefix).end;
  let start = Buffer.from(keys.walPrefix);
  for (;;) {
    const page = await etcd.getAll().inRange(new Range(start, end)).revision(String(revision)).limit(walPageSize).exec();
    for (const w of page.kvs as IKeyValue[]) {
      const mod = BigInt(w.mod_revision);
      if (mod > after) wals.push({ key: w.key.toString(), modRevision: mod, entry: decodeWal(w.value) });
      else folded.push(w.key.toString());
    }
    if (!page.more || page.kvs.length === 0) break;
    start = Buffer.concat([page.kvs.at(-1)!.key, Buffer.from([0])]);
  }
  wals.sort((a, b) => (a.modRevision < b.modRevision ? -1 : a.modRevision > b.modRevision ? 1 : 0));
  return { pointer, pointerModRevision: kv ? BigInt(kv.mod_revision) : 0n, revision, wals, folded };
}
