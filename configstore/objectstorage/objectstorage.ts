// "ost": the one object storage interface the datamanager writes snapshots through (WAL
// entries stay in etcd; docs/storage.md). Backends: S3 (s3.ts) and a local directory (posix.ts).
//
// Semantics are S3's, so both backends behave the same: flat keys with '/' as a
// separator by convention, listing in UTF-8 byte order, whole-object writes (a reader
// sees the old or the new object, never a mix), deletes of missing keys succeed.
// Callers never make a key that is also a "directory" of other keys ("a" and "a/b"):
// MinIO, like other file-backed servers, cannot hold both.
import type { Readable } from 'node:stream';
import { BadRequestError, errorCodes } from '../errors.js';

export interface ObjectInfo {
  key: string;
  size: number;
  lastModified: Date;
  /** S3's head only: the encryption the object is stored with (AES256, aws:kms, SSE-C), when there is one. */
  serverSideEncryption?: string;
}

export interface ListOptions {
  /** Only keys after this one (exclusive). */
  startAfter?: string;
  /** Opaque cursor returned by the previous page. */
  cursor?: string;
  /** Page size, 1..1000 (default 1000, S3's maximum). */
  limit?: number;
}

export interface ListPage {
  items: ObjectInfo[];
  /** Present when more keys follow; pass it back as `cursor`. */
  nextCursor?: string;
}

export type PutBody = Readable | AsyncIterable<Uint8Array> | Uint8Array | string;

export interface PutOptions {
  /** Abort the write; nothing is left under the key. */
  signal?: AbortSignal;
  /** Write only if no object has the key (S3's `If-None-Match: *`); else a Conflict error and nothing changes. Whole-buffer bodies only. */
  ifAbsent?: boolean;
}

export interface GetOptions {
  signal?: AbortSignal;
}

export interface ObjectStorage {
  /** Human-readable location for logs, without credentials. */
  readonly location: string;
  /** Writes a whole object from a stream or a buffer; resolves with its size in bytes. */
  put(key: string, body: PutBody, options?: PutOptions): Promise<{ size: number }>;
  /** Opens an object as a stream. Rejects with a NotFound error when it does not exist. */
  get(key: string, options?: GetOptions): Promise<Readable>;
  /** Size and time of an object. Rejects with a NotFound error when it does not exist. */
  head(key: string): Promise<ObjectInfo>;
  /** One page of the keys that start with `prefix`, in UTF-8 byte order. */
  list(prefix: string, options?: ListOptions): Promise<ListPage>;
  /** Copies an object to another key, replacing it at once (readers see the old object or the copy). NotFound when `from` does not exist. */
  copy(from: string, to: string): Promise<void>;
  /** Deletes an object; deleting a missing object succeeds. */
  delete(key: string): Promise<void>;
  /** Deletes many objects (batched); missing ones are fine. */
  deleteMany(keys: Iterable<string>): Promise<void>;
  /** Releases connections. */
  close(): Promise<void>;
}

export const maxKeyBytes = 1024;
export const maxListLimit = 1000;

/**
 * Refuses keys that could escape a posix root or mean different things to different
 * backends: empty, absolute, `.`/`..` or empty segments, NUL, longer than S3 allows.
 */
export function validateKey(key: string): void {
  const problem = keyProblem(key);
  if (problem) throw new BadRequestError(`invalid object key ${JSON.stringify(key)}: ${problem}`, { code: errorCodes.invalidObjectKey });
}

function keyProblem(key: string): string | undefined {
  if (typeof key !== 'string' || key.length === 0) return 'it is empty';
  if (Buffer.byteLength(key) > maxKeyBytes) return `it is longer than ${maxKeyBytes} bytes`;
  if (key.includes('\0')) return 'it contains a NUL character';
  if (key.startsWith('/')) return 'it starts with "/"';
  for (const segment of key.split('/')) {
    if (segment === '') return 'it has an empty path segment';
    if (segment === '.' || segment === '..') return 'it has a "." or ".." path segment';
  }
  return undefined;
}

/**
 * A list prefix may end in a partial segment ("snap" matches "snapshots/…"), but its
 * complete segments follow the key rules, so a prefix cannot escape a posix root either.
 */
export function validatePrefix(prefix: string): void {
  if (prefix === '') return;
  const complete = prefix.split('/').slice(0, -1);
  const bad =
    prefix.startsWith('/') || prefix.includes('\0') || Buffer.byteLength(prefix) > maxKeyBytes || complete.some((s) => s === '' || s === '.' || s === '..');
  if (bad) throw new BadRequestError(`invalid list prefix ${JSON.stringify(prefix)}`, { code: errorCodes.invalidObjectKey });
}

export function clampLimit(limit: number | undefined): number {
  if (limit === undefined) return maxListLimit;
  if (!Number.isInteger(limit) || limit < 1) throw new BadRequestError(`list limit must be an integer from 1 to ${maxListLimit}`);
  return Math.min(limit, maxListLimit);
}

/** Compares keys the way S3 orders them: by their UTF-8 bytes. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** Every object under `prefix`, page after page. */
export async function* listAll(ost: ObjectStorage, prefix: string, options: { startAfter?: string } = {}): AsyncGenerator<ObjectInfo> {
  let cursor: string | undefined;
  do {
    const page: ListPage = await ost.list(prefix, { ...options, ...(cursor === undefined ? {} : { cursor }) });
    yield* page.items;
    cursor = page.nextCursor;
  } while (cursor !== undefined);
}

/** Reads a whole (small) object into memory. */
export async function readAll(ost: ObjectStorage, key: string, options?: GetOptions): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await ost.get(key, options)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
