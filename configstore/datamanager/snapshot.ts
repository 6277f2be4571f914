// Snapshots in object storage: the state at one etcd revision of one epoch.
//
//   snapshots/manifests/<epoch>-<revision>.json   which data file holds each type
//   snapshots/data/<type>/<epoch>-<revision>-<uuid>.ndjson
//                                                 one {"id","data"} line per object, sorted by id
//
// A checkpoint rewrites only the types its WAL entries touched; the manifest of the new
// snapshot points at the older files of the other types. The manifest is written last,
// and etcd's snapshot pointer (see pointer.ts) is switched only after it: a snapshot
// that a pointer names is always complete.
import { createHash, randomUUID, type Hash } from 'node:crypto';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
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
  for await (const { line } of readDataLines(ost, file, signal)) yield JSON.parse(line) as SnapshotEntry;
}

/**
 * The raw lines of a data file (`{"id":…,"data":…}`, as JSON.stringify wrote them) with
 * their ids, unparsed: an export re-wraps them without a parse and a stringify per object.
 * Checks the count and sha256 at the end.
 */
export async function* readDataLines(ost: ObjectStorage, file: SnapshotFile, signal?: AbortSignal): AsyncGenerator<{ id: string; line: string }> {
  const input = await ost.get(file.key, signal ? { signal } : {});
  const lines = createInterface({ input, crlfDelay: Infinity });
  const hash = createHash('sha256');
  let objects = 0;
  try {
    for await (const line of lines) {
      if (!line) continue;
      hash.update(line + '\n');
      objects++;
      yield { id: idOfLine(line, file.key), line };
    }
  } finally {
    // left early (an export's client went away, which also aborts `signal`): the input's
    // abort error comes later and readline re-emits it with no reader left, an uncaught
    // error that would end the process
    lines.on('error', () => undefined);
    lines.close();
    input.destroy();
  }
  // a body cut at a line boundary would otherwise lose objects silently
  const sha256 = hash.digest('hex');
  if (objects !== file.objects || sha256 !== file.sha256) {
    throw new Error(`snapshot file ${file.key} is damaged: ${objects} objects with sha256 ${sha256}, the manifest says ${file.objects} with ${file.sha256}`);
  }
}

const linePrefix = '{"id":"';

/** The id of a data-file line: the JSON string right after `{"id":`. */
function idOfLine(line: string, key: string): string {
  if (!line.startsWith(linePrefix)) throw new Error(`snapshot file ${key} has a malformed line: ${line.slice(0, 80)}`);
  let end = linePrefix.length;
  while (end < line.length && line[end] !== '"') end += line[end] === '\\' ? 2 : 1;
  return JSON.parse(line.slice(linePrefix.length - 1, end + 1)) as string;
}

/** Writes one type's data file from entries given in id order; counts and hashes them. */
export async function writeDataFile(ost: ObjectStorage, type: string, epoch: number, revision: bigint, entries: AsyncIterable<SnapshotEntry>): Promise<SnapshotFile> {
  const key = `${dataPrefix}${type}/${snapshotId(epoch, revision)}-${randomUUID()}.ndjson`;
  const hash = createHash('sha256');
  let objects = 0;
  let last: string | undefined;
  async function* lines(): AsyncGenerator<string> {
    for await (const entry of entries) {
      if (last !== undefined && compareIds(last, entry.id) >= 0) throw new Error(`snapshot data for ${type} is not sorted by id at ${JSON.stringify(entry.id)}`);
      last = entry.id;
      objects++;
      yield JSON.stringify({ id: entry.id, data: entry.data }) + '\n';
    }
  }
  const { size } = await ost.put(key, Readable.from(hashedChunks(lines(), hash)));
  return { key, objects, bytes: size, sha256: hash.digest('hex') };
}

export async function writeManifest(ost: ObjectStorage, manifest: SnapshotManifest): Promise<string> {
  const key = manifestKey(manifest.epoch, BigInt(manifest.revision));
  await ost.put(key, JSON.stringify(manifest, null, 1));
  return key;
}

/** Joins lines into chunks of about 64 KiB, feeding every byte to `hash` on the way. */
export async function* hashedChunks(lines: AsyncIterable<string>, hash: Hash, chunkBytes = 64 * 1024): AsyncGenerator<Buffer> {
  let batch = '';
  for await (const line of lines) {
    batch += line;
    if (batch.length >= chunkBytes) {
      const chunk = Buffer.from(batch);
      hash.update(chunk);
      yield chunk;
      batch = '';
    }
  }
  const chunk = Buffer.from(batch);
  hash.update(chunk);
  yield chunk;
}

/**
 * Merges a type's old entries (id order) with changes (id → new data, or null for a
 * delete): the new entries in id order. Memory holds only the changes.
 */
export async function* mergeEntries(old: AsyncIterable<SnapshotEntry> | undefined, changes: Map<string, Record<string, unknown> | null>): AsyncGenerator<SnapshotEntry> {
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
