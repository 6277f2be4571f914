// Snapshots in object storage: the state at one etcd revision of one epoch.
//
//   snapshots/manifests/<epoch>-<revision>.json   which data file holds each type
//   snapshots/data/<type>/<epoch>-<revision>-<uuid>.ndjson
//                                                 one {"id","data"} line per object, sorted by id
//
// A checkpoint rewrites only the types its WAL entries touched; the manifest of the new
// snapshot points at the older files of the other types. The manifest is written last,
// and etcd's snapshot pointer (see state.ts) is switched only after it: a snapshot
// that a pointer names is always complete.
import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import type { ObjectStorage } from '../objectstorage/objectstorage.js';
import { readAll } from '../objectstorage/objectstorage.js';

export const snapshotFormatVersion = 1;
const manifestsPrefix = 'snapshots/manifests/';
const dataPrefix = 'snapshots/data/';

export interface SnapshotFile {
  key: string;
  objects: number;
  bytes: number;
  sha256: string;
  /**
   * zlib's CRC-32 of the bytes (since 2026-12; absent in older manifests): what a reader
   * checks when it is there. Damage is what the check is for, and on an export the bytes
   * are hashed again for the trailer anyway: CRC-32 costs half of a sha256 pass (with the
   * CPU's SHA extensions; far less without). sha256 stays, for readers that predate it.
   */
  crc32?: number;
}

export interface SnapshotManifest {
  formatVersion: number;
  epoch: number;
  revision: string;
  createdAt: string;
  files: Record<string, SnapshotFile>;
}

export interface SnapshotEntry {
  id: string;
  data: Record<string, unknown>;
}

/** Snapshot ids sort by (epoch, revision) as strings: both are zero-padded. */
export function snapshotId(epoch: number, revision: bigint): string {
  return `${String(epoch).padStart(10, '0')}-${String(revision).padStart(20, '0')}`;
}

export function manifestKey(epoch: number, revision: bigint): string {
  return `${manifestsPrefix}${snapshotId(epoch, revision)}.json`;
}

/** Ids sort by UTF-8 bytes, as SQLite's BINARY collation and S3 listings do. */
export function compareIds(a: string, b: string): number {
  return a === b ? 0 : Buffer.compare(Buffer.from(a), Buffer.from(b));
}

export async function readManifest(ost: ObjectStorage, key: string): Promise<SnapshotManifest> {
  const manifest = JSON.parse((await readAll(ost, key)).toString()) as SnapshotManifest;
  if (manifest.formatVersion !== snapshotFormatVersion) {
    throw new Error(`snapshot ${key} has format version ${manifest.formatVersion}; this configstore reads version ${snapshotFormatVersion}`);
  }
  return manifest;
}

/** Streams one data file's entries in id order; checks its count and sha256 at the end. */
export async function* readDataFile(ost: ObjectStorage, file: SnapshotFile, signal?: AbortSignal): AsyncGenerator<SnapshotEntry> {
  for await (const chunk of readDataChunks(ost, file, signal)) {
    const text = chunk.toString('utf8'); // whole lines: no character is split
    for (let start = 0, nl = text.indexOf('\n'); nl !== -1; start = nl + 1, nl = text.indexOf('\n', start)) {
      yield JSON.parse(text.slice(start, nl)) as SnapshotEntry;
    }
  }
}

/**
 * A data file's bytes as read, cut at line ends: each chunk holds whole lines
 * (`{"id":…,"data":…}\n`, as JSON.stringify wrote them), unparsed, so an export re-wraps
 * them without decoding a line. The sha256 goes over the chunks as they come (no per-line
 * work) and is checked against the manifest at the end.
 */
export async function* readDataChunks(ost: ObjectStorage, file: SnapshotFile, signal?: AbortSignal): AsyncGenerator<Buffer> {
  const input = await ost.get(file.key, signal ? { signal } : {});
  // the manifest's CRC-32 when it has one, else its sha256 (an older snapshot)
  const hash = file.crc32 === undefined ? createHash('sha256') : undefined;
  let crc = 0;
  let rest: Buffer | undefined; // a line begun in an earlier chunk
  try {
    for await (const read of input) {
      const chunk = read as Buffer;
      if (hash) hash.update(chunk);
      else crc = crc32(chunk, crc);
      let start = 0;
      if (rest) {
        const nl = chunk.indexOf(10);
        if (nl === -1) {
          rest = Buffer.concat([rest, chunk]);
          continue;
        }
        yield Buffer.concat([rest, chunk.subarray(0, nl + 1)]);
        rest = undefined;
        start = nl + 1;
      }
      const end = chunk.lastIndexOf(10) + 1;
      if (end > start) {
        yield chunk.subarray(start, end);
        start = end;
      }
      if (start < chunk.length) rest = chunk.subarray(start);
    }
  } finally {
    // left early (an export's client went away, which also aborts `signal`): the input's
    // abort error may come later, with no reader left; it must not end the process
    input.on('error', () => undefined);
    input.destroy();
  }
  // the hash alone tells a damaged file (and so a wrong count): a body cut at a line
  // boundary would otherwise lose objects silently; a last line without its newline is
  // never handed on (the writer ends every line)
  const [what, is, expected] = hash ? ['sha256', hash.digest('hex'), file.sha256] : ['crc32', crc, file.crc32];
  if (rest || is !== expected) {
    throw new Error(`snapshot file ${file.key} is damaged: its ${what} is ${is}, the manifest says ${expected} (${file.objects} objects)`);
  }
}

/** Whole snapshot lines (`{"id":…,"data":…}\n` each) of one type, and how many. */
export interface DataLines {
  lines: Buffer;
  objects: number;
}

/** Writes one type's data file from entries given in id order; counts and hashes them. */
export async function writeDataFile(
  ost: ObjectStorage,
  type: string,
  epoch: number,
  revision: bigint,
  entries: AsyncIterable<SnapshotEntry>,
): Promise<SnapshotFile> {
  // lines joined into chunks of about 64 KiB in the same generator: one async step per
  // entry, not one per stage (an import writes a million of them)
  async function* chunks(): AsyncGenerator<DataLines> {
    let last: string | undefined;
    let batch = '';
    let objects = 0;
    for await (const entry of entries) {
      if (last !== undefined && compareIds(last, entry.id) >= 0)
        throw new Error(`snapshot data for ${type} is not sorted by id at ${JSON.stringify(entry.id)}`);
      last = entry.id;
      objects++;
      batch += JSON.stringify({ id: entry.id, data: entry.data }) + '\n';
      if (batch.length >= chunkChars) {
        yield { lines: Buffer.from(batch), objects };
        batch = '';
        objects = 0;
      }
    }
    yield { lines: Buffer.from(batch), objects };
  }
  return writeDataLines(ost, type, epoch, revision, chunks());
}

/**
 * Writes one type's data file from whole lines, which the caller gives in id order (an
 * import's reader checked it); hashes each byte once, as it goes out.
 */
export async function writeDataLines(
  ost: ObjectStorage,
  type: string,
  epoch: number,
  revision: bigint,
  chunks: AsyncIterable<DataLines>,
): Promise<SnapshotFile> {
  const key = `${dataPrefix}${type}/${snapshotId(epoch, revision)}-${randomUUID()}.ndjson`;
  const hash = createHash('sha256');
  let crc = 0;
  let objects = 0;
  async function* hashed(): AsyncGenerator<Buffer> {
    for await (const chunk of chunks) {
      objects += chunk.objects;
      hash.update(chunk.lines);
      crc = crc32(chunk.lines, crc);
      yield chunk.lines;
    }
  }
  const { size } = await ost.put(key, Readable.from(hashed()));
  return { key, objects, bytes: size, sha256: hash.digest('hex'), crc32: crc };
}

const chunkChars = 64 * 1024;

export async function writeManifest(ost: ObjectStorage, manifest: SnapshotManifest): Promise<string> {
  const key = manifestKey(manifest.epoch, BigInt(manifest.revision));
  await ost.put(key, JSON.stringify(manifest, null, 1));
  return key;
}

/**
 * Merges a type's old entries (id order) with changes (id → new data, or null for a
 * delete): the new entries in id order. Memory holds only the changes.
 */
export async function* mergeEntries(
  old: AsyncIterable<SnapshotEntry> | undefined,
  changes: Map<string, Record<string, unknown> | null>,
): AsyncGenerator<SnapshotEntry> {
  const changed = [...changes.keys()].sort(compareIds);
  let i = 0;
  if (old) {
    for await (const entry of old) {
      while (i < changed.length && compareIds(changed[i]!, entry.id) < 0) {
        const data = changes.get(changed[i]!);
        if (data) yield { id: changed[i]!, data };
        i++;
      }
      if (i < changed.length && changed[i] === entry.id) {
        const data = changes.get(changed[i]!);
        if (data) yield { id: entry.id, data };
        i++;
      } else {
        yield entry;
      }
    }
  }
  for (; i < changed.length; i++) {
    const data = changes.get(changed[i]!);
    if (data) yield { id: changed[i]!, data };
  }
}

export const snapshotLayout = { manifestsPrefix, dataPrefix };
