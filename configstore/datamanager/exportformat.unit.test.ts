// The export format without a server: what the writer emits, the reader accepts, and
// every way an export can be wrong is refused with a message naming the problem.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { ExportHeader, ExportObjectLine } from '../types/export.js';
import { allDataTypes } from '../types/datatypes.js';
import { ExportFormatError, exportChunks, ExportReader, validateExport, type RawLines } from './exportformat.js';
import type { ObjectStorage } from '../objectstorage/objectstorage.js';
import { compareIds, readDataChunks, readDataFile, writeDataLines } from './snapshot.js';
import { crc32 } from 'node:zlib';

const header: ExportHeader = {
  kind: 'ConfigStoreExport',
  formatVersion: 1,
  revision: '42',
  epoch: 0,
  createdAt: '2025-01-01T00:00:00.000Z',
  types: [...allDataTypes],
};
const u1 = '00000000-0000-4000-8000-000000000001';
const u2 = '00000000-0000-4000-8000-000000000002';
const objects: ExportObjectLine[] = [
  { type: 'user', id: u1, data: { id: u1, name: 'alice' } },
  { type: 'user', id: u2, data: { id: u2, name: 'bob' } },
  { type: 'org', id: u1, data: { id: u1, name: 'acme' } },
];

async function* from<T>(items: T[]): AsyncGenerator<T> {
  yield* items;
}

async function written(items = objects): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of exportChunks(header, from(items))) chunks.push(c);
  return Buffer.concat(chunks).toString();
}

/** Rebuilds an export from its lines with a correct trailer (so only the problem under test remains). */
function withTrailer(lines: string[], count: number): string {
  const body = lines.map((l) => l + '\n').join('');
  const sha256 = createHash('sha256').update(body).digest('hex');
  return body + JSON.stringify({ kind: 'ConfigStoreExportEnd', objects: count, sha256 }) + '\n';
}

async function refusal(text: string | Buffer, chunkSize = 7): Promise<string> {
  const buf = Buffer.from(text);
  const chunks = Array.from({ length: Math.ceil(buf.length / chunkSize) }, (_, i) => buf.subarray(i * chunkSize, (i + 1) * chunkSize));
  const err = await validateExport(from(chunks)).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ExportFormatError);
  expect((err as ExportFormatError).status).toBe(400);
  expect((err as ExportFormatError).code).toBe('invalidExport');
  return (err as Error).message;
}

describe('export format', () => {
  it('writes header, objects and a trailer whose count and sha256 the reader checks', async () => {
    const text = await written();
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(5);
    expect(JSON.parse(lines[0]!)).toEqual(header);
    const trailer = JSON.parse(lines[4]!) as { objects: number; sha256: string };
    expect(trailer).toEqual({
      kind: 'ConfigStoreExportEnd',
      objects: 3,
      sha256: createHash('sha256')
        .update(lines.slice(0, 4).join('\n') + '\n')
        .digest('hex'),
    });

    // read back in odd chunk sizes: lines split anywhere, one byte at a time included
    for (const size of [1, 5, 64, 1 << 20]) {
      const buf = Buffer.from(text);
      const chunks = Array.from({ length: Math.ceil(buf.length / size) }, (_, i) => buf.subarray(i * size, (i + 1) * size));
      const reader = new ExportReader(from(chunks));
      const read: ExportObjectLine[] = [];
      for await (const o of reader.objects()) read.push(o);
      expect(read).toEqual(objects);
      expect(reader.summary).toEqual({ header, objects: 3, sha256: trailer.sha256, bytes: buf.length });
    }
  });

  it('writes an empty export and big ones in bounded chunks', async () => {
    expect(await validateExport(from([await written([])]))).toMatchObject({ objects: 0 });
    const many = Array.from({ length: 5000 }, (_, i) => {
      const id = `id-${String(i).padStart(6, '0')}`;
      return { type: 'secret', id, data: { id, value: 'x'.repeat(100) } };
    });
    const sizes: number[] = [];
    const chunks: Buffer[] = [];
    for await (const c of exportChunks(header, from(many))) {
      sizes.push(c.length);
      chunks.push(c);
    }
    expect(Math.max(...sizes)).toBeLessThan(70 * 1024);
    expect(await validateExport(from(chunks))).toMatchObject({ objects: 5000 });
  });

  it('the writer refuses objects out of order instead of emitting a bad export', async () => {
    const collect = async (items: ExportObjectLine[]) => {
      for await (const _ of exportChunks(header, from(items)));
    };
    await expect(collect([objects[1]!, objects[0]!])).rejects.toThrow(/must be sorted by id/);
    await expect(collect([objects[2]!, objects[0]!])).rejects.toThrow(/type order/);
    await expect(collect([{ type: 'nope', id: 'x', data: {} }])).rejects.toThrow(/not listed in the header/);
  });

  it('re-wraps raw snapshot lines into the same bytes as the objects, in any chunking', async () => {
    const snapshotLines = (items: ExportObjectLine[]) => Buffer.from(items.map((o) => JSON.stringify({ id: o.id, data: o.data }) + '\n').join(''));
    // escaped and non-ASCII ids sort by the bytes of the string they stand for: "a\u0001"
    // (escaped in JSON, 0x5c…) comes before "a!" (0x21)
    const odd = ['a!', 'a\u0001', 'a"b', 'a\\b', 'aé', 'a\u2028'].sort(compareIds).map((id) => ({ type: 'secret', id, data: { id, value: 'ü' } }));
    const all = [...objects, ...odd];
    const expected = await written(all);
    const raw = async function* () {
      yield { type: 'user', lines: snapshotLines(objects.slice(0, 1)) };
      yield { type: 'user', lines: snapshotLines(objects.slice(1, 2)) };
      yield { type: 'org', lines: snapshotLines(objects.slice(2)) };
      yield { type: 'secret', lines: snapshotLines(odd.slice(0, 3)) };
      yield* odd.slice(3); // objects and raw lines mix
    };
    const chunks: Buffer[] = [];
    for await (const c of exportChunks(header, raw())) chunks.push(c);
    expect(Buffer.concat(chunks).toString()).toBe(expected);

    const refuse = async (items: Array<ExportObjectLine | RawLines>) => {
      for await (const _ of exportChunks(header, from(items)));
    };
    await expect(refuse([{ type: 'user', lines: snapshotLines([objects[1]!, objects[0]!]) }])).rejects.toThrow(
      /user id "0+-0000-4000-8000-0+1" comes after .*must be sorted by id/,
    );
    await expect(
      refuse([
        { type: 'user', lines: snapshotLines([objects[0]!]) },
        { type: 'user', lines: snapshotLines([objects[0]!]) },
      ]),
    ).rejects.toThrow(/duplicate user id/);
    await expect(refuse([{ type: 'user', lines: Buffer.from('{"data":{},"id":"x"}\n') }])).rejects.toThrow(/a user snapshot line is malformed: \{"data"/);
    await expect(refuse([{ type: 'user', lines: Buffer.from('{"id":"x","data":{}}') }])).rejects.toThrow(/malformed/); // no newline
  });

  it('reads a data file in chunks of whole lines, however it arrives, and checks its hash', async () => {
    const text = Array.from({ length: 50 }, (_, i) => JSON.stringify({ id: `id-${i}`, data: { n: 'é'.repeat(i) } }) + '\n').join('');
    const bytes = Buffer.from(text);
    const file = { key: 'k', objects: 50, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
    const storage = (size: number, body: Buffer = bytes) =>
      ({
        get: async () => Readable.from(Array.from({ length: Math.ceil(body.length / size) }, (_, i) => body.subarray(i * size, (i + 1) * size))),
      }) as unknown as ObjectStorage;
    for (const size of [1, 7, 100, 4096, 1 << 20]) {
      const chunks: Buffer[] = [];
      for await (const c of readDataChunks(storage(size), file)) chunks.push(c);
      expect(chunks.every((c) => c[c.length - 1] === 10)).toBe(true);
      expect(Buffer.concat(chunks).equals(bytes)).toBe(true);
      const entries: unknown[] = [];
      for await (const e of readDataFile(storage(size), file)) entries.push(e);
      expect(entries).toEqual(
        text
          .trimEnd()
          .split('\n')
          .map((l) => JSON.parse(l)),
      );
    }
    const drain = async (body: Buffer) => {
      for await (const _ of readDataChunks(storage(64, body), file));
    };
    await expect(drain(bytes.subarray(0, bytes.lastIndexOf(10, bytes.length - 2) + 1))).rejects.toThrow(
      /is damaged: its sha256 is [0-9a-f]{64}, the manifest says [0-9a-f]{64} \(50 objects\)/,
    ); // cut at a line end
    await expect(drain(bytes.subarray(0, -1))).rejects.toThrow(/is damaged/); // the last newline lost
  });

  it("checks a data file's CRC-32 when the manifest has one, as writeDataLines writes it", async () => {
    const bytes = Buffer.from(Array.from({ length: 20 }, (_, i) => JSON.stringify({ id: `id-${i}`, data: {} }) + '\n').join(''));
    let stored = Buffer.alloc(0);
    const storage = {
      put: async (_key: string, body: Readable) => {
        const parts: Buffer[] = [];
        for await (const c of body) parts.push(c as Buffer);
        stored = Buffer.concat(parts);
        return { size: stored.length };
      },
      get: async () => Readable.from([stored]),
    } as unknown as ObjectStorage;
    const file = await writeDataLines(storage, 'secret', 1, 2n, from([{ lines: bytes, objects: 20 }]));
    expect(file).toMatchObject({ objects: 20, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), crc32: crc32(bytes) });
    const chunks: Buffer[] = [];
    for await (const c of readDataChunks(storage, file)) chunks.push(c);
    expect(Buffer.concat(chunks).equals(bytes)).toBe(true);
    stored = Buffer.from(stored.toString().replace('id-7', 'id-8'));
    await expect(
      (async () => {
        for await (const _ of readDataChunks(storage, file));
      })(),
    ).rejects.toThrow(/is damaged: its crc32 is \d+, the manifest says \d+ \(20 objects\)/);
  });

  it('refuses an empty input, non-JSON lines and a missing header', async () => {
    expect(await refusal('')).toMatch(/the export is empty/);
    expect(await refusal('{"kind":"Config')).toMatch(/line 1 is not JSON/);
    expect(await refusal('not json at all\n')).toMatch(/line 1 is not JSON/);
    expect(await refusal('[1,2]\n')).toMatch(/line 1 is not a JSON object/);
    expect(await refusal('{"type":"user","id":"x","data":{}}\n')).toMatch(/line 1 is not an export header/);
    const lines = (await written()).trimEnd().split('\n');
    expect(await refusal([lines[0], 'garbage', ...lines.slice(1)].join('\n'))).toMatch(/line 2 is not JSON/);
    expect(await refusal([lines[0], '', ...lines.slice(1)].join('\n'))).toMatch(/line 2 is empty/);
  });

  it('refuses another format version and unknown types', async () => {
    expect(await refusal(withTrailer([JSON.stringify({ ...header, formatVersion: 2 })], 0))).toMatch(
      /format version 2 is not supported; this configstore reads version 1/,
    );
    expect(await refusal(withTrailer([JSON.stringify({ ...header, types: ['user', 'widget'] })], 0))).toMatch(/unknown type "widget"/);
    expect(await refusal(withTrailer([JSON.stringify({ ...header, revision: 42 })], 0))).toMatch(/"revision" must be a decimal string/);
  });

  it('refuses a truncated export, a wrong count and a wrong hash', async () => {
    const text = await written();
    const lines = text.trimEnd().split('\n');
    expect(await refusal(lines.slice(0, 3).join('\n') + '\n')).toMatch(/ends at line 3 without its trailer line: it is truncated/);
    expect(await refusal(text.slice(0, text.length - 20))).toMatch(/line 5 is not JSON/); // cut inside the trailer
    const trailer = JSON.parse(lines[4]!) as Record<string, unknown>;
    expect(await refusal([...lines.slice(0, 4), JSON.stringify({ ...trailer, objects: 4 })].join('\n'))).toMatch(
      /the trailer counts 4 objects but the export holds 3/,
    );
    expect(await refusal([...lines.slice(0, 4), JSON.stringify({ ...trailer, sha256: '0'.repeat(64) })].join('\n'))).toMatch(
      /the sha256 of the export is [0-9a-f]{64} but its trailer says 0{64}: the export was altered or damaged/,
    );
    // one byte changed in a value, same shape: only the hash tells
    expect(await refusal(text.replace('alice', 'alicf'))).toMatch(/the export was altered or damaged/);
    expect(await refusal(text + JSON.stringify(objects[0]) + '\n')).toMatch(/line 6 follows the trailer/);
  });

  it('refuses duplicate ids, ids out of order, types out of order and bad lines', async () => {
    const h = JSON.stringify(header);
    const line = (o: ExportObjectLine) => JSON.stringify(o);
    expect(await refusal(withTrailer([h, line(objects[0]!), line(objects[0]!)], 2))).toMatch(
      /line 3: duplicate user id "00000000-0000-4000-8000-000000000001"/,
    );
    expect(await refusal(withTrailer([h, line(objects[1]!), line(objects[0]!)], 2))).toMatch(
      /line 3: user id .* comes after .*: objects of a type must be sorted by id/,
    );
    expect(await refusal(withTrailer([h, line(objects[2]!), line(objects[0]!)], 2))).toMatch(
      /line 3: type "user" comes after "org": objects must follow the header's type order/,
    );
    expect(await refusal(withTrailer([h, '{"type":"user","id":"a","data":[]}'], 1))).toMatch(/line 2: "data" must be a JSON object/);
    expect(await refusal(withTrailer([h, '{"type":"user","id":"a","data":{},"extra":1}'], 1))).toMatch(/line 2: unknown field "extra"/);
    expect(await refusal(withTrailer([h, '{"type":"user","id":"a","data":{"id":"b"}}'], 1))).toMatch(/"data.id" "b" differs from "id" "a"/);
    expect(await refusal(withTrailer([h, h], 0))).toMatch(/line 2: a second header/);
  });

  it('refuses a line longer than the limit without buffering it whole', async () => {
    const reader = new ExportReader(from([JSON.stringify(header) + '\n', Buffer.alloc(2048, 'a')]), { maxLineBytes: 1024 });
    await expect(
      (async () => {
        for await (const _ of reader.objects());
      })(),
    ).rejects.toThrow(/longer than 1024 bytes/);
  });
});
