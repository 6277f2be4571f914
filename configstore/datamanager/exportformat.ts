// The export format in motion (the shapes are in types/export.ts): a writer that turns
// a header and objects into ndjson chunks with a running sha256 and count, and a reader
// that checks an export line by line (header version, line shape, type order, id order and
// uniqueness, the trailer's count and hash) while handing the objects on. Both stream:
// memory holds one chunk or one line, never the export.
import { createHash } from 'node:crypto';
import { BadRequestError } from '../errors.js';
import {
  exportFormatVersion,
  exportHeaderKind,
  exportTrailerKind,
  type ExportHeader,
  type ExportObjectLine,
  type ExportTrailer,
} from '../types/export.js';
import { allDataTypes } from '../action/datatypes.js';
import { compareIds, hashedChunks } from './snapshot.js';

const chunkBytes = 64 * 1024;

/** An object as a snapshot data file holds it: `raw` is its line `{"id":…,"data":…}`. */
export interface RawObjectLine {
  type: string;
  id: string;
  raw: string;
}

/**
 * The export's bytes: the header, the objects (which must come grouped by type in the
 * header's order and sorted by id: a writer never emits an export its reader refuses),
 * then the trailer. Throws (ending the stream without a trailer) on disorder.
 */
export async function* exportChunks(header: ExportHeader, objects: AsyncIterable<ExportObjectLine | RawObjectLine>): AsyncGenerator<Buffer> {
  const hash = createHash('sha256');
  const order = new TypeOrder(header.types);
  let count = 0;
  const first = Buffer.from(JSON.stringify(header) + '\n');
  hash.update(first);
  yield first; // alone: the client sees the export start before the first data file is read
  async function* lines(): AsyncGenerator<string> {
    for await (const o of objects) {
      const problem = order.check(o.type, o.id);
      if (problem) throw new Error(`export writer: ${problem}`);
      count++;
      // a snapshot line is JSON.stringify({id, data}): prefixing the type gives exactly
      // JSON.stringify({type, id, data}) without parsing and re-serialising the object
      yield 'raw' in o ? `{"type":${JSON.stringify(o.type)},${o.raw.slice(1)}\n` : JSON.stringify({ type: o.type, id: o.id, data: o.data }) + '\n';
    }
  }
  yield* hashedChunks(lines(), hash, chunkBytes);
  const trailer: ExportTrailer = { kind: exportTrailerKind, objects: count, sha256: hash.digest('hex') };
  yield Buffer.from(JSON.stringify(trailer) + '\n');
}

/** Type order (the header's) and id order (strictly increasing within a type). */
class TypeOrder {
  private typeIndex = -1;
  private lastId: string | undefined;
  constructor(private readonly types: readonly string[]) {}

  /** What is wrong with this object coming next, or undefined. */
  check(type: string, id: string): string | undefined {
    const index = this.types.indexOf(type);
    if (index < 0) return `type ${JSON.stringify(type)} is not listed in the header (${this.types.join(', ')})`;
    if (index < this.typeIndex) return `type ${JSON.stringify(type)} comes after ${JSON.stringify(this.types[this.typeIndex])}: objects must follow the header's type order`;
    if (index > this.typeIndex) {
      this.typeIndex = index;
      this.lastId = undefined;
    }
    if (this.lastId !== undefined) {
      const c = compareIds(this.lastId, id);
      if (c === 0) return `duplicate ${type} id ${JSON.stringify(id)}`;
      if (c > 0) return `${type} id ${JSON.stringify(id)} comes after ${JSON.stringify(this.lastId)}: objects of a type must be sorted by id`;
    }
    this.lastId = id;
    return undefined;
  }
}

/** An export that cannot be read: the message says which line and why. */
export class ExportFormatError extends BadRequestError {
  constructor(message: string) {
    super(`invalid export: ${message}`, { code: 'invalidExport' });
  }
}

export interface ExportSummary {
  header: ExportHeader;
  objects: number;
  sha256: string;
  /** Bytes read, trailer included. */
  bytes: number;
}

export interface ExportReaderOptions {
  /** Types an export may hold (default: every type this configstore stores). */
  knownTypes?: readonly string[];
  /** Longest line accepted (default 16 MiB): a bound on memory whatever the input. */
  maxLineBytes?: number;
}

/**
 * Reads and checks an export. `objects()` yields every object line once the header is
 * checked and returns normally only after the trailer's count and sha256 matched; any
 * problem throws an ExportFormatError (a 400). Check `summary` after the loop.
 */
export class ExportReader {
  header: ExportHeader | undefined;
  summary: ExportSummary | undefined;
  private readonly knownTypes: readonly string[];
  private readonly maxLineBytes: number;

  constructor(
    private readonly input: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>,
    options: ExportReaderOptions = {},
  ) {
    this.knownTypes = options.knownTypes ?? allDataTypes;
    this.maxLineBytes = options.maxLineBytes ?? 16 * 1024 * 1024;
  }

  async *objects(): AsyncGenerator<ExportObjectLine> {
    const hash = createHash('sha256');
    let lineNumber = 0;
    let bytes = 0;
    let order: TypeOrder | undefined;
    let count = 0;
    let trailer: ExportTrailer | undefined;
    let digest = '';
    for await (const { line, newline } of splitLines(this.input, this.maxLineBytes)) {
      lineNumber++;
      bytes += line.length + (newline ? 1 : 0);
      if (trailer) throw new ExportFormatError(`line ${lineNumber} follows the trailer (line ${lineNumber - 1}), which must be the last line`);
      const value = parseLine(line, lineNumber);
      if (!order) {
        this.header = checkHeader(value, this.knownTypes);
        order = new TypeOrder(this.header.types);
      } else if (value.kind === exportTrailerKind) {
        trailer = checkTrailer(value, lineNumber);
        digest = hash.digest('hex');
        continue; // the trailer is not part of the hashed bytes
      } else {
        const object = checkObject(value, lineNumber);
        const problem = order.check(object.type, object.id);
        if (problem) throw new ExportFormatError(`line ${lineNumber}: ${problem}`);
        count++;
        hash.update(line);
        hash.update('\n');
        yield object;
        continue;
      }
      hash.update(line);
      hash.update('\n');
    }
    if (!this.header) throw new ExportFormatError('the export is empty: it has no header line');
    if (!trailer) throw new ExportFormatError(`the export ends at line ${lineNumber} without its trailer line: it is truncated`);
    if (trailer.objects !== count) throw new ExportFormatError(`the trailer counts ${trailer.objects} objects but the export holds ${count}`);
    if (trailer.sha256 !== digest) throw new ExportFormatError(`the sha256 of the export is ${digest} but its trailer says ${trailer.sha256}: the export was altered or damaged`);
    this.summary = { header: this.header, objects: count, sha256: digest, bytes };
  }
}

/** Reads a whole export, checking everything; resolves with its summary. */
export async function validateExport(input: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>, options: ExportReaderOptions = {}): Promise<ExportSummary> {
  const reader = new ExportReader(input, options);
  for await (const _ of reader.objects());
  return reader.summary!;
}

/** Splits bytes into lines without decoding them (the hash is over the raw bytes). */
async function* splitLines(input: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>, maxLineBytes: number): AsyncGenerator<{ line: Buffer; newline: boolean }> {
  let rest: Buffer = Buffer.alloc(0);
  for await (const chunk of input) {
    const buf = rest.length ? Buffer.concat([rest, Buffer.from(chunk)]) : Buffer.from(chunk);
    let start = 0;
    for (let nl = buf.indexOf(10); nl !== -1; nl = buf.indexOf(10, start)) {
      yield { line: buf.subarray(start, nl), newline: true };
      start = nl + 1;
    }
    rest = buf.subarray(start);
    if (rest.length > maxLineBytes) throw new ExportFormatError(`a line is longer than ${maxLineBytes} bytes`);
  }
  if (rest.length) yield { line: rest, newline: false };
}

type JsonObject = Record<string, unknown>;

function parseLine(line: Buffer, lineNumber: number): JsonObject {
  if (line.length === 0) throw new ExportFormatError(`line ${lineNumber} is empty`);
  let value: unknown;
  try {
    value = JSON.parse(line.toString('utf8'));
  } catch (err) {
    throw new ExportFormatError(`line ${lineNumber} is not JSON (${(err as Error).message})`);
  }
  if (!isObject(value)) throw new ExportFormatError(`line ${lineNumber} is not a JSON object`);
  return value;
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkHeader(v: JsonObject, knownTypes: readonly string[]): ExportHeader {
  const bad = (what: string) => new ExportFormatError(`line 1 (the header): ${what}`);
  if (v.kind !== exportHeaderKind) throw new ExportFormatError(`line 1 is not an export header: expected "kind": "${exportHeaderKind}"`);
  if (v.formatVersion !== exportFormatVersion) {
    throw new ExportFormatError(`format version ${JSON.stringify(v.formatVersion)} is not supported; this configstore reads version ${exportFormatVersion}`);
  }
  if (typeof v.revision !== 'string' || !/^[0-9]+$/.test(v.revision)) throw bad('"revision" must be a decimal string');
  if (typeof v.epoch !== 'number' || !Number.isInteger(v.epoch) || v.epoch < 0) throw bad('"epoch" must be an integer ≥ 0');
  if (typeof v.createdAt !== 'string' || Number.isNaN(Date.parse(v.createdAt))) throw bad('"createdAt" must be a date-time');
  if (!Array.isArray(v.types) || !v.types.every((t) => typeof t === 'string')) throw bad('"types" must be an array of type names');
  const types = v.types as string[];
  const unknown = types.filter((t) => !knownTypes.includes(t));
  if (unknown.length) throw bad(`unknown type ${JSON.stringify(unknown[0])} (this configstore stores ${knownTypes.join(', ')})`);
  if (new Set(types).size !== types.length) throw bad('"types" lists a type twice');
  return { kind: exportHeaderKind, formatVersion: exportFormatVersion, revision: v.revision, epoch: v.epoch, createdAt: v.createdAt, types };
}

function checkObject(v: JsonObject, lineNumber: number): ExportObjectLine {
  const bad = (what: string) => new ExportFormatError(`line ${lineNumber}: ${what}`);
  if (v.kind === exportHeaderKind) throw bad('a second header');
  for (const k of Object.keys(v)) if (k !== 'type' && k !== 'id' && k !== 'data') throw bad(`unknown field ${JSON.stringify(k)} (an object line has type, id and data)`);
  if (typeof v.type !== 'string' || !v.type) throw bad('"type" must be a non-empty string');
  if (typeof v.id !== 'string' || !v.id) throw bad('"id" must be a non-empty string');
  if (!isObject(v.data)) throw bad('"data" must be a JSON object');
  if ('id' in v.data && v.data.id !== v.id) throw bad(`"data.id" ${JSON.stringify(v.data.id)} differs from "id" ${JSON.stringify(v.id)}`);
  return { type: v.type, id: v.id, data: v.data };
}

function checkTrailer(v: JsonObject, lineNumber: number): ExportTrailer {
  const bad = (what: string) => new ExportFormatError(`line ${lineNumber} (the trailer): ${what}`);
  if (typeof v.objects !== 'number' || !Number.isInteger(v.objects) || v.objects < 0) throw bad('"objects" must be an integer ≥ 0');
  if (typeof v.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(v.sha256)) throw bad('"sha256" must be 64 lowercase hex digits');
  return { kind: exportTrailerKind, objects: v.objects, sha256: v.sha256 };
}
