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
 * An object line as the reader hands it on: the object, its line number, and where its
 * bytes are. When the line is exactly `{"type":T,"id":I,"data":D}` (the writer's form: no
 * space between the members, no member but these three, an id without escapes; D as it
 * came, spaces inside it included),
 * `buf[raw, end)` is `"id":I,"data":D}`: with `{` before it and a newline after, the line a
 * snapshot data file holds, so an import stores it without a stringify; `raw` is -1 otherwise.
 */
export interface ReadObject extends ExportObjectLine {
  line: number;
  buf: Buffer;
  raw: number;
  end: number;
}

/**
 * Reads and checks an export. `batches()` yields the object lines of each input chunk
 * once the header is checked and returns normally only after the trailer's count and
 * sha256 matched (`objects()`: the same, one object at a time); any problem throws an
 * ExportFormatError (a 400). Check `summary` after the loop.
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
    for await (const batch of this.batches()) for (const o of batch) yield { type: o.type, id: o.id, data: o.data };
  }

  /**
   * The object lines, a chunk's worth at a time (one async step per chunk, not per object).
   * Each byte is looked at by indexOf and hashed once; lines are parsed where they lie in
   * the chunk, only a line cut by a chunk boundary is copied (joined).
   */
  async *batches(): AsyncGenerator<ReadObject[]> {
    const hash = createHash('sha256');
    const state: ReadState = { lineNumber: 0, order: undefined, count: 0, trailer: undefined };
    let bytes = 0;
    let rest: Buffer[] = []; // a line begun in earlier chunks
    let restBytes = 0;
    for await (const chunk of this.input) {
      const input = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      const batch: ReadObject[] = [];
      let start = 0;
      if (restBytes > 0) {
        const nl = input.indexOf(10);
        if (nl === -1) {
          rest.push(input);
          restBytes += input.length;
          if (restBytes > this.maxLineBytes) throw new ExportFormatError(`a line is longer than ${this.maxLineBytes} bytes`);
          continue;
        }
        // the joined line, newline included (hashed as one piece, not part of the chunk)
        const joined = Buffer.concat([...rest, input.subarray(0, nl + 1)]);
        rest = [];
        restBytes = 0;
        this.line(joined, 0, joined.length - 1, state, batch);
        if (!state.trailer) hash.update(joined);
        bytes += joined.length;
        start = nl + 1;
      }
      const from = start;
      let hashEnd = -1; // where the trailer starts in this chunk, if it does
      for (let nl = input.indexOf(10, start); nl !== -1; nl = input.indexOf(10, start)) {
        const trailerBefore = state.trailer !== undefined;
        this.line(input, start, nl, state, batch);
        if (!trailerBefore && state.trailer) hashEnd = start;
        bytes += nl + 1 - start;
        start = nl + 1;
      }
      if (hashEnd !== -1) hash.update(input.subarray(from, hashEnd));
      else if (!state.trailer) hash.update(input.subarray(from, start));
      if (start < input.length) {
        rest = [input.subarray(start)];
        restBytes = input.length - start;
        if (restBytes > this.maxLineBytes) throw new ExportFormatError(`a line is longer than ${this.maxLineBytes} bytes`);
      }
      if (batch.length) yield batch;
    }
    if (restBytes > 0) {
      // a last line without its newline: the trailer, or an error below
      const last = Buffer.concat(rest);
      const batch: ReadObject[] = [];
      this.line(last, 0, last.length, state, batch);
      bytes += last.length;
      if (batch.length) yield batch;
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

  /** Checks the line `buf[start, end)`: an object goes into `batch`; the header and the trailer into `state`. */
  private line(buf: Buffer, start: number, end: number, state: ReadState, batch: ReadObject[]): void {
    const lineNumber = ++state.lineNumber;
    if (state.trailer) throw new ExportFormatError(`line ${lineNumber} follows the trailer (line ${lineNumber - 1}), which must be the last line`);
    // an object line in the writer's form parses its data alone; any other line in full
    const canonical = state.order ? canonicalObject(buf, start, end) : undefined;
    const value = canonical?.value ?? parseLine(buf, start, end, lineNumber);
    if (!state.order) {
      this.header = checkHeader(value, this.knownTypes);
      state.order = new TypeOrder(this.header.types);
      return;
    }
    if (value.kind === exportTrailerKind) {
      state.trailer = checkTrailer(value, lineNumber);
      return;
    }
    const problem = objectProblem(value);
    if (problem) throw new ExportFormatError(`line ${lineNumber}: ${problem}`);
    const type = value.type as string;
    const id = value.id as string;
    // the id's bytes are in the line when it is canonical: compared in place, no copy
    const order = canonical ? state.order.check(type, buf, canonical.idStart, canonical.idEnd) : state.order.check(type, Buffer.from(id));
    if (order) throw new ExportFormatError(`line ${lineNumber}: ${order}`);
    state.count++;
    batch.push({ type, id, data: value.data as JsonObject, line: lineNumber, buf, raw: canonical ? canonical.raw : -1, end });
  }
}

const typeKey = Buffer.from('{"type":"');
const idKey = Buffer.from(',"id":"');
const dataKey = Buffer.from(',"data":{');

/**
 * The line `buf[start, end)` when it is exactly `{"type":T,"id":I,"data":D}` (T and I
 * without escapes, D an object, no space between the members, no other member), with
 * where `"id":` starts (`raw`) and I's bytes; else undefined. Only D is parsed: if D
 * alone is one JSON value, the line is that object, so a repeated member (JSON.parse
 * keeps the last) or anything else after D makes it undefined.
 */
function canonicalObject(buf: Buffer, start: number, end: number): { value: JsonObject; raw: number; idStart: number; idEnd: number } | undefined {
  if (end - start < typeKey.length + idKey.length + dataKey.length + 4 || buf[end - 1] !== 0x7d) return undefined;
  for (let k = 0; k < typeKey.length; k++) if (buf[start + k] !== typeKey[k]) return undefined;
  const typeStart = start + typeKey.length;
  const typeEnd = idEnd(buf, typeStart);
  if (typeEnd >= end || buf[typeEnd] !== quote) return undefined;
  const at = typeEnd + 1;
  for (let k = 0; k < idKey.length; k++) if (buf[at + k] !== idKey[k]) return undefined;
  const idStart = at + idKey.length;
  const close = idEnd(buf, idStart);
  if (close >= end || buf[close] !== quote) return undefined;
  for (let k = 0; k < dataKey.length; k++) if (buf[close + 1 + k] !== dataKey[k]) return undefined;
  const dataStart = close + dataKey.length; // at D's `{`
  let data: unknown;
  try {
    data = JSON.parse(buf.toString('utf8', dataStart, end - 1));
  } catch {
    return undefined; // not one value: parsed in full, which says what is wrong
  }
  return { value: { type: buf.toString('utf8', typeStart, typeEnd), id: buf.toString('utf8', idStart, close), data }, raw: at + 1, idStart, idEnd: close };
}

/** The index of the first quote or backslash from `at` (an id's end, when it has no escapes). */
function idEnd(buf: Buffer, at: number): number {
  while (at < buf.length && buf[at] !== quote && buf[at] !== backslash) at++;
  return at;
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

function parseLine(buf: Buffer, start: number, end: number, lineNumber: number): JsonObject {
  if (end === start) throw new ExportFormatError(`line ${lineNumber} is empty`);
  let value: unknown;
  try {
    value = JSON.parse(buf.toString('utf8', start, end));
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
