// Object storage in a local directory: the embedded default for development and
// single-node use.
//
// Layout: <root>/data/<seg>.d/…/<last>.o and <root>/tmp/. Directories and objects carry
// different suffixes so that keys "a" and "a/b" can both exist, as on S3. A write goes
// to tmp/, is flushed, then renamed into place: readers see the old or the new object.
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { link, mkdir, open, readdir, rename, rmdir, stat, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BadRequestError, ConflictError, errorCodes, NotFoundError } from '../errors.js';
import {
  clampLimit,
  compareKeys,
  validateKey,
  validatePrefix,
  type GetOptions,
  type ListOptions,
  type ListPage,
  type ObjectInfo,
  type ObjectStorage,
  type PutBody,
  type PutOptions,
} from './objectstorage.js';

const objectSuffix = '.o';
/** Reads in 1 MiB: a snapshot file streams in a sixteenth of the steps of the 64 KiB default. */
const readChunkBytes = 1024 * 1024;
const dirSuffix = '.d';
/** File names are at most 255 bytes; the suffix takes two. */
const maxSegmentBytes = 253;

export class PosixObjectStorage implements ObjectStorage {
  readonly location: string;
  private readonly dataDir: string;
  private readonly tmpDir: string;
  private ready: Promise<void> | undefined;

  constructor(root: string) {
    const abs = resolve(root);
    this.location = `file://${abs}`;
    this.dataDir = join(abs, 'data');
    this.tmpDir = join(abs, 'tmp');
  }

  private init(): Promise<void> {
    this.ready ??= Promise.all([mkdir(this.dataDir, { recursive: true }), mkdir(this.tmpDir, { recursive: true })]).then(() => undefined);
    return this.ready;
  }

  private pathOf(key: string): { dir: string; file: string } {
    const segments = key.split('/');
    const last = segments.pop()!;
    const dir = join(this.dataDir, ...segments.map((s) => s + dirSuffix));
    return { dir, file: join(dir, last + objectSuffix) };
  }

  async put(key: string, body: PutBody, options: PutOptions = {}): Promise<{ size: number }> {
    validateKey(key);
    if (key.split('/').some((s) => Buffer.byteLength(s) > maxSegmentBytes)) {
      throw new BadRequestError(`invalid object key ${JSON.stringify(key)}: a path segment is longer than ${maxSegmentBytes} bytes`, {
        code: errorCodes.invalidObjectKey,
      });
    }
    await this.init();
    const { dir, file } = this.pathOf(key);
    const tmp = join(this.tmpDir, randomUUID());
    try {
      const source = typeof body === 'string' || body instanceof Uint8Array ? Readable.from([Buffer.from(body)]) : body;
      await pipeline(source, createWriteStream(tmp, { flags: 'wx', flush: true }), options.signal ? { signal: options.signal } : {});
      const { size } = await stat(tmp);
      // A concurrent delete may prune the directory between mkdir and rename: retry.
      for (let attempt = 0; ; attempt++) {
        await mkdir(dir, { recursive: true });
        try {
          if (options.ifAbsent) {
            // link fails with EEXIST where rename would replace: the write-if-absent of S3's If-None-Match
            await link(tmp, file);
            await unlink(tmp);
          } else await rename(tmp, file);
          return { size };
        } catch (err) {
          if (errno(err) === 'EEXIST' && options.ifAbsent) throw existsError(key);
          if (errno(err) !== 'ENOENT' || attempt >= 5) throw err;
        }
      }
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      if (err instanceof ConflictError) throw err;
      throw new Error(`writing object ${JSON.stringify(key)} to ${this.location}`, { cause: err });
    }
  }

  async get(key: string, options: GetOptions = {}): Promise<Readable> {
    validateKey(key);
    const { file } = this.pathOf(key);
    try {
      const handle = await open(file, 'r');
      return handle.createReadStream({ highWaterMark: readChunkBytes, ...(options.signal ? { signal: options.signal } : {}) });
    } catch (err) {
      throw this.mapMissing(err, key);
    }
  }

  async head(key: string): Promise<ObjectInfo> {
    validateKey(key);
    try {
      const st = await stat(this.pathOf(key).file);
      return { key, size: st.size, lastModified: st.mtime };
    } catch (err) {
      throw this.mapMissing(err, key);
    }
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListPage> {
    validatePrefix(prefix);
    const limit = clampLimit(options.limit);
    let after = options.startAfter;
    if (options.cursor !== undefined) {
      const fromCursor = Buffer.from(options.cursor, 'base64url').toString();
      if (after === undefined || compareKeys(fromCursor, after) > 0) after = fromCursor;
    }
    // Start at the deepest directory the prefix names completely.
    const complete = prefix.split('/').slice(0, -1);
    const startDir = join(this.dataDir, ...complete.map((s) => s + dirSuffix));
    const startKey = complete.length ? complete.join('/') + '/' : '';
    const items: ObjectInfo[] = [];
    for await (const info of this.walk(startDir, startKey, prefix, after)) {
      if (items.length === limit) {
        return { items, nextCursor: Buffer.from(items[items.length - 1]!.key).toString('base64url') };
      }
      items.push(info);
    }
    return { items };
  }

  /** Depth-first walk in S3 key order: a directory "a" sorts as "a/". */
  private async *walk(dir: string, dirKey: string, prefix: string, after: string | undefined): AsyncGenerator<ObjectInfo> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if (errno(err) === 'ENOENT' || errno(err) === 'ENOTDIR') return;
      throw err;
    }
    const children: Array<{ key: string; path: string; isDir: boolean }> = [];
    for (const e of entries) {
      if (e.isFile() && e.name.endsWith(objectSuffix)) {
        children.push({ key: dirKey + e.name.slice(0, -objectSuffix.length), path: join(dir, e.name), isDir: false });
      } else if (e.isDirectory() && e.name.endsWith(dirSuffix)) {
        children.push({ key: dirKey + e.name.slice(0, -dirSuffix.length) + '/', path: join(dir, e.name), isDir: true });
      }
    }
    children.sort((a, b) => compareKeys(a.key, b.key));
    for (const child of children) {
      if (child.isDir) {
        if (!child.key.startsWith(prefix) && !prefix.startsWith(child.key)) continue;
        // skip a subtree wholly at or before `after`
        if (after !== undefined && compareKeys(child.key, after) < 0 && !after.startsWith(child.key)) continue;
        yield* this.walk(child.path, child.key, prefix, after);
      } else {
        if (!child.key.startsWith(prefix)) continue;
        if (after !== undefined && compareKeys(child.key, after) <= 0) continue;
        try {
          const st = await stat(child.path);
          yield { key: child.key, size: st.size, lastModified: st.mtime };
        } catch (err) {
          if (errno(err) !== 'ENOENT') throw err; // deleted while listing
        }
      }
    }
  }

  async copy(from: string, to: string): Promise<void> {
    validateKey(from);
    const source = await this.get(from); // NotFound, as the other backends
    await this.put(to, source);
  }

  async delete(key: string): Promise<void> {
    validateKey(key);
    const { dir, file } = this.pathOf(key);
    try {
      await unlink(file);
    } catch (err) {
      if (errno(err) === 'ENOENT' || errno(err) === 'ENOTDIR') return;
      throw err;
    }
    await this.pruneEmptyDirs(dir);
  }

  async deleteMany(keys: Iterable<string>): Promise<void> {
    const all = [...keys];
    all.forEach(validateKey);
    const workers = Array.from({ length: 16 }, async (_, w) => {
      for (let i = w; i < all.length; i += 16) await this.delete(all[i]!);
    });
    await Promise.all(workers);
  }

  async close(): Promise<void> {}

  private async pruneEmptyDirs(dir: string): Promise<void> {
    while (dir.startsWith(this.dataDir + '/')) {
      try {
        await rmdir(dir);
      } catch {
        return; // not empty (or already gone): stop
      }
      dir = resolve(dir, '..');
    }
  }

  private mapMissing(err: unknown, key: string): Error {
    const code = errno(err);
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') {
      return new NotFoundError(`object ${JSON.stringify(key)} does not exist`, { code: errorCodes.objectNotFound, cause: err });
    }
    return new Error(`reading object ${JSON.stringify(key)} from ${this.location}`, { cause: err });
  }
}

function errno(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

function existsError(key: string): ConflictError {
  return new ConflictError(`object ${JSON.stringify(key)} already exists`, { code: errorCodes.objectExists });
}
