// The export format in motion (the shapes are in types/export.ts): a writer that turns
// a header and objects into ndjson chunks with a running sha256 and count, and a reader
// that checks an export line by line (header version, line shape, type order, id order and
// uniqueness, the trailer's count and hash) while handing the objects on. Both stream:
// memory holds one chunk or one line, never the export.
import { createHash } from 'node:crypto';
import { BadRequestError, errorCodes } from '../errors.js';
import { exportFormatVersion, exportHeaderKind, exportTrailerKind, type ExportHeader, type ExportObjectLine, type ExportTrailer } from '../types/export.js';
import { allDataTypes } from '../types/datatypes.js';

const chunkBytes = 64 * 1024;

/**
 * Objects as a snapshot data file holds them: whole lines `{"id":…,"data":…}\n` of one
 * type (JSON.stringify's output), in id order, as readDataChunks gives them.
 */
export interface RawLines {
  type: string;
  lines: Buffer;
}

/**
 * The export's bytes: the header, the objects (which must come grouped by type in the
 * header's order and sorted by id: a writer never emits an export its reader refuses),
 * then the trailer. Throws (ending the stream without a trailer) on disorder.
 */
export async function* exportChunks(header: ExportHeader, objects: AsyncIterable<ExportObjectLine | RawLines>): AsyncGenerator<Buffer> {
  const hash = createHash('sha256');
  const order = new TypeOrder(header.types);
  let count = 0;
  const hashed = (chunk: Buffer) => (hash.update(chunk), chunk);
  yield hashed(Buffer.from(JSON.stringify(header) + '\n')); // alone: the client sees the export start before the first data file is read
  let batch = '';
  for await (const o of objects) {
    if ('lines' in o) {
      if (batch) yield hashed(Buffer.from(batch));
      batch = '';
      const { chunk, objects: n } = rewrap(o, order);
      count += n;
      yield hashed(chunk);
      continue;
    }
    const problem = order.check(o.type, Buffer.from(o.id));
    if (problem) throw new Error(`export writer: ${problem}`);
    count++;
    batch += JSON.stringify({ type: o.type, id: o.id, data: o.data }) + '\n';
    if (batch.length >= chunkBytes) {
      yield hashed(Buffer.from(batch));
      batch = '';
    }
  }
  if (batch) yield hashed(Buffer.from(batch));
  const trailer: ExportTrailer = { kind: exportTrailerKind, objects: count, sha256: hash.digest('hex') };
  yield Buffer.from(JSON.stringify(trailer) + '\n');
}

const idPrefix = Buffer.from('{"id":"');
const quote = 0x22;
const backslash = 0x5c;

/**
 * Snapshot lines as export lines, on bytes: a snapshot line is JSON.stringify({id, data}),
 * so `{"type":…,` + the line without its `{` is exactly JSON.stringify({type, id, data}),
 * with no parse, stringify or UTF-8 round trip per object. Ids are checked in place.
 */
function rewrap({ type, lines }: RawLines, order: TypeOrder): { chunk: Buffer; objects: number } {
  const prefix = Buffer.from(`{"type":${JSON.stringify(type)},`);
  // one pass finds the line ends (and sizes the output), the next copies: no native call
  // per line but indexOf and one copy; byte checks and id comparisons are plain loops
  let objects = 0;
  for (let nl = lines.indexOf(10); nl !== -1; nl = lines.indexOf(10, nl + 1)) {
    if (objects === lineEnds.length) lineEnds = growInts(lineEnds);
    lineEnds[objects++] = nl;
  }
  const out = Buffer.allocUnsafe(lines.length + objects * (prefix.length - 1));
  let at = 0;
  let start = 0;
  for (let i = 0; i < objects; i++) {
    const nl = lineEnds[i]!;
    // no closure per line: under tsx each one costs a defineProperty (keepNames)
    if (!startsWithIdPrefix(lines, start, nl)) throw malformedLine(type, lines, start);
    const idStart = start + idPrefix.length;
    let idEnd = idStart;
    let escaped = false;
    while (idEnd < nl && lines[idEnd] !== quote) {
      if (lines[idEnd] === backslash) escaped = true;
      idEnd += lines[idEnd] === backslash ? 2 : 1;
    }
    if (idEnd >= nl) throw malformedLine(type, lines, start);
    // an id with escapes is compared as the string it stands for (rare: ids are uuids)
    const problem = escaped
      ? order.check(type, Buffer.from(JSON.parse(lines.toString('utf8', idStart - 1, idEnd + 1)) as string))
      : order.check(type, lines, idStart, idEnd);
    if (problem) throw new Error(`export writer: ${problem}`);
    for (let k = 0; k < prefix.length; k++) out[at++] = prefix[k]!;
    at += lines.copy(out, at, start + 1, nl + 1);
    start = nl + 1;
  }
  if (start < lines.length) throw malformedLine(type, lines, start); // no newline at the end
  return { chunk: out, objects };
}

/** Line ends of the chunk being re-wrapped (reused: one chunk at a time). */
let lineEnds: Int32Array = new Int32Array(4096);
function growInts(a: Int32Array): Int32Array {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}

function startsWithIdPrefix(lines: Buffer, start: number, end: number): boolean {
  if (end - start < idPrefix.length) return false;
  for (let k = 0; k < idPrefix.length; k++) if (lines[start + k] !== idPrefix[k]) return false;
  return true;
}

/** Compares a[aStart, aEnd) with b[bStart, bEnd) by bytes, as Buffer.compare (a loop: ids are short). */
function compareBytes(a: Buffer, aStart: number, aEnd: number, b: Buffer, bStart: number, bEnd: number): number {
  const n = Math.min(aEnd - aStart, bEnd - bStart);
  for (let k = 0; k < n; k++) {
    const d = a[aStart + k]! - b[bStart + k]!;
    if (d !== 0) return d;
  }
  return aEnd - aStart - (bEnd - bStart);
}

function malformedLine(type: string, lines: Buffer, start: number): Error {
  return new Error(`export writer: a ${type} snapshot line is malformed: ${lines.toString('utf8', start, Math.min(start + 80, lines.length))}`);
}

/** Type order (the header's) and id order (strictly increasing UTF-8 bytes within a type). */
class TypeOrder {
  private typeIndex = -1;
  // the last id: a range of a buffer (a data chunk's, while it is current), not a copy
  private last: Buffer | undefined;
  private lastStart = 0;
  private lastEnd = 0;
  constructor(private readonly types: readonly string[]) {}

  /** What is wrong with this object (its id: `id[start, end)`) coming next, or undefined. */
  check(type: string, id: Buffer, start = 0, end = id.length): string | undefined {
    const index = this.types.indexOf(type);
    if (index < 0) return `type ${JSON.stringify(type)} is not listed in the header (${this.types.join(', ')})`;
    if (index < this.typeIndex)
      return `type ${JSON.stringify(type)} comes after ${JSON.stringify(this.types[this.typeIndex])}: objects must follow the header's type order`;
    if (index > this.typeIndex) {
      this.typeIndex = index;
      this.last = undefined;
    }
    if (this.last !== undefined) {
      const c = compareBytes(this.last, this.lastStart, this.lastEnd, id, start, end);
      if (c === 0) return `duplicate ${type} id ${JSON.stringify(id.toString('utf8', start, end))}`;
      if (c > 0) {
        const [now, last] = [id.toString('utf8', start, end), this.last.toString('utf8', this.lastStart, this.lastEnd)];
        return `${type} id ${JSON.stringify(now)} comes after ${JSON.stringify(last)}: objects of a type must be sorted by id`;
      }
    }
    this.last = id;
    this.lastStart = start;
    this.lastEnd = end;
    return undefined;
  }
}

/** An export that cannot be read: the message says which line and why. */
export class ExportFormatError extends BadRequestError {
  constructor(message: string) {
    super(`invalid export: ${message}`, { code: errorCodes.invalidExport });
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
    const state: ReadState = { lineNumber: 0, order: undefined, count: 0, trailer: undefined };
    let bytes = 0;
    let rest: Buffer | undefined; // a line begun in an earlier chunk
    // lines are cut in place with one async step per object; the hash takes each chunk's
    // whole lines at once, up to the trailer (which is not part of the hashed bytes)
    for await (const chunk of this.input) {
      const input = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      const buf = rest ? Buffer.concat([rest, input]) : input;
      let start = 0;
      let hashed = 0;
      for (let nl = buf.indexOf(10); nl !== -1; nl = buf.indexOf(10, start)) {
        const object = this.line(buf.subarray(start, nl), state);
        if (state.trailer && hashed !== -1) {
          hash.update(buf.subarray(hashed, start));
          hashed = -1;
        }
        bytes += nl + 1 - start;
        start = nl + 1;
        if (object) yield object;
      }
      if (hashed !== -1 && !state.trailer) hash.update(buf.subarray(hashed, start));
      rest = start < buf.length ? buf.subarray(start) : undefined;
      if (rest && rest.length > this.maxLineBytes) throw new ExportFormatError(`a line is longer than ${this.maxLineBytes} bytes`);
    }
    if (rest) {
      // a last line without its newline: the trailer, or an error below
      const object = this.line(rest, state);
      bytes += rest.length;
      if (object) yield object;
    }
    if (!this.header) throw new ExportFormatError('the export is empty: it has no header line');
    const { trailer, count } = state;
    if (!trailer) throw new ExportFormatError(`the export ends at line ${state.lineNumber} without its trailer line: it is truncated`);
    const digest = hash.digest('hex');
    if (trailer.objects !== count) throw new ExportFormatError(`the trailer counts ${trailer.objects} objects but the export holds ${count}`);
    if (trailer.sha256 !== digest)
      throw new ExportFormatError(`the sha256 of the export is ${digest} but its trailer says ${trailer.sha256}: the export was altered or damaged`);
    this.summary = { header: this.header, objects: count, sha256: digest, bytes };
  }

  /** Checks one line: the object it holds, or undefined for the header and the trailer. */
  private line(line: Buffer, state: ReadState): ExportObjectLine | undefined {
    const lineNumber = ++state.lineNumber;
    if (state.trailer) throw new ExportFormatError(`line ${lineNumber} follows the trailer (line ${lineNumber - 1}), which must be the last line`);
    const value = parseLine(line, lineNumber);
    if (!state.order) {
      this.header = checkHeader(value, this.knownTypes);
      state.order = new TypeOrder(this.header.types);
      return undefined;
    }
    if (value.kind === exportTrailerKind) {
      state.trailer = checkTrailer(value, lineNumber);
      return undefined;
    }
    const object = checkObject(value, lineNumber);
    const problem = state.order.check(object.type, Buffer.from(object.id));
    if (problem) throw new ExportFormatError(`line ${lineNumber}: ${problem}`);
    state.count++;
    return object;
  }
}

interface ReadState {
  lineNumber: number;
  order: TypeOrder | undefined;
  count: number;
  trailer: ExportTrailer | undefined;
}

/** Reads a whole export, checking everything; resolves with its summary. */
export async function validateExport(
  input: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>,
  options: ExportReaderOptions = {},
): Promise<ExportSummary> {
  const reader = new ExportReader(input, options);
  for await (const _ of reader.objects());
  return reader.summary!;
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
  const problem = objectProblem(v);
  if (problem) throw new ExportFormatError(`line ${lineNumber}: ${problem}`);
  return { type: v.type as string, id: v.id as string, data: v.data as JsonObject };
}

/** What is wrong with an object line, or undefined (no closure per line: see rewrap). */
function objectProblem(v: JsonObject): string | undefined {
  if (v.kind === exportHeaderKind) return 'a second header';
  for (const k in v) if (k !== 'type' && k !== 'id' && k !== 'data') return `unknown field ${JSON.stringify(k)} (an object line has type, id and data)`;
  if (typeof v.type !== 'string' || !v.type) return '"type" must be a non-empty string';
  if (typeof v.id !== 'string' || !v.id) return '"id" must be a non-empty string';
  if (!isObject(v.data)) return '"data" must be a JSON object';
  if ('id' in v.data && v.data.id !== v.id) return `"data.id" ${JSON.stringify(v.data.id)} differs from "id" ${JSON.stringify(v.id)}`;
  return undefined;
}

function checkTrailer(v: JsonObject, lineNumber: number): ExportTrailer {
  const bad = (what: string) => new ExportFormatError(`line ${lineNumber} (the trailer): ${what}`);
  if (typeof v.objects !== 'number' || !Number.isInteger(v.objects) || v.objects < 0) throw bad('"objects" must be an integer ≥ 0');
  if (typeof v.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(v.sha256)) throw bad('"sha256" must be 64 lowercase hex digits');
  return { kind: exportTrailerKind, objects: v.objects, sha256: v.sha256 };
}
