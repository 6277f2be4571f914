// The import's streaming core without a server: an export read, checked and written as
// snapshot data files into a posix object storage in a temporary directory. The lines an
// export holds in the writer's form are stored as they came (no stringify), any other form
// is stored as the same objects, and the problem reported is the first one of the export.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PosixObjectStorage } from '../objectstorage/posix.js';
import { readAll } from '../objectstorage/objectstorage.js';
import { allDataTypes } from '../types/datatypes.js';
import type { ExportHeader, ExportObjectLine } from '../types/export.js';
import { exportChunks, ExportReader } from './exportformat.js';
import { streamExport, type ImportRules } from './importer.js';
import { createHash } from 'node:crypto';

const dir = mkdtempSync(join(tmpdir(), 'configstore-importer-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const noRules: ImportRules = { projectConfigType: () => undefined, secret: () => undefined, variable: () => undefined };

const header: ExportHeader = {
  kind: 'ConfigStoreExport',
  formatVersion: 1,
  revision: '7',
  epoch: 0,
  createdAt: '2026-01-01T00:00:00.000Z',
  types: [...allDataTypes],
};
const createdAt = '2026-01-01T00:00:00.000Z';
const uid = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
const gid = (n: number) => `00000000-0000-4000-9000-${n.toString(16).padStart(12, '0')}`;
const user = (n: number, name = `user${n}`): ExportObjectLine => ({ type: 'user', id: uid(n), data: { id: uid(n), name, createdAt } });
const root = (n: number): ExportObjectLine => ({
  type: 'projectgroup',
  id: gid(n),
  data: { id: gid(n), name: '', parentType: 'user', parentId: uid(n), visibility: 'public', createdAt },
});

async function exported(objects: ExportObjectLine[]): Promise<string> {
  async function* from() {
    yield* objects;
  }
  const chunks: Buffer[] = [];
  for await (const c of exportChunks(header, from())) chunks.push(c);
  return Buffer.concat(chunks).toString();
}

/** An export of these lines as they are (a correct trailer). */
function fromLines(lines: string[], count: number): string {
  const body = [JSON.stringify(header), ...lines].map((l) => l + '\n').join('');
  return body + JSON.stringify({ kind: 'ConfigStoreExportEnd', objects: count, sha256: createHash('sha256').update(body).digest('hex') }) + '\n';
}

async function* chunked(text: string, size: number): AsyncGenerator<Buffer> {
  const buf = Buffer.from(text);
  for (let at = 0; at < buf.length; at += size) yield buf.subarray(at, at + size);
}

let run = 0;
async function imported(text: string, chunkSize = 1000) {
  const ost = new PosixObjectStorage(join(dir, `ost-${run++}`));
  const { summary, files } = await streamExport(ost, noRules, chunked(text, chunkSize), 1, 9n);
  const stored: Record<string, string[]> = {};
  for (const [type, file] of Object.entries(files)) stored[type] = (await readAll(ost, file.key)).toString().split('\n').slice(0, -1);
  return { summary, files, stored };
}

async function refusal(text: string): Promise<string> {
  return streamExport(undefined, noRules, chunked(text, 333), 1, 9n).then(
    () => 'accepted',
    (err: Error) => err.message,
  );
}

describe('import stream', () => {
  it('stores the lines of an export in the writer form as they are, in any chunking', async () => {
    const objects = [user(1), user(2), user(3), root(1), root(2), root(3)];
    const text = await exported(objects);
    for (const size of [1, 7, 100, 1 << 16]) {
      const { summary, files, stored } = await imported(text, size);
      expect(summary).toMatchObject({ objects: 6, bytes: Buffer.byteLength(text) });
      expect(stored.user).toEqual(objects.slice(0, 3).map((o) => JSON.stringify({ id: o.id, data: o.data })));
      expect(stored.projectgroup).toEqual(objects.slice(3).map((o) => JSON.stringify({ id: o.id, data: o.data })));
      expect(files.user).toMatchObject({ objects: 3 });
    }
  });

  it('stores lines in any other form as the objects they hold', async () => {
    const [a, b, c, d] = [user(1), user(2), user(3), user(4)];
    const lines = [
      `{"type": "user", "id": "${a.id}", "data": ${JSON.stringify(a.data)}}`, // spaces between members
      `{"type":"user","id":"${b.id}","data":{"id": "${b.id}", "name": "user2", "createdAt": "${createdAt}"}}`, // spaces inside data: kept
      `{"type":"user","id":"${c.id}","data":{"id":"${c.id}","name":"x","createdAt":"${createdAt}"},"data":${JSON.stringify(c.data)}}`, // a repeated member
      `{"type":"user","id":"${d.id.replace('0', '\\u0030')}","data":${JSON.stringify(d.data)}}`, // an escape in the id
    ];
    const text = fromLines([...lines, ...[a, b, c, d].map((u, i) => JSON.stringify(root(i + 1)))], 8);
    const { stored } = await imported(text);
    expect(stored.user!.map((l) => JSON.parse(l) as unknown)).toEqual([a, b, c, d].map((o) => ({ id: o.id, data: o.data })));
    expect(stored.user![1]).toBe(`{"id":"${b.id}","data":{"id": "${b.id}", "name": "user2", "createdAt": "${createdAt}"}}`);
    expect(stored.user![2]).toBe(JSON.stringify({ id: c.id, data: c.data }));
  });

  it('the reader points at the canonical bytes only', async () => {
    const a = user(1);
    const text = fromLines([JSON.stringify(a), `{"type":"user","id":"${uid(2)}", "data":{"id":"${uid(2)}"}}`], 2);
    const seen: Array<string | number> = [];
    for await (const batch of new ExportReader([text]).batches()) for (const o of batch) seen.push(o.raw === -1 ? -1 : o.buf.toString('utf8', o.raw, o.end));
    expect(seen).toEqual([JSON.stringify({ id: a.id, data: a.data }).slice(1), -1]);
  });

  it('reports the first problem of the export, however the checks are batched', async () => {
    const users = Array.from({ length: 3000 }, (_, i) => user(i));
    users[2500] = user(2500, 'user10'); // taken twice: a check of the index, queued
    delete (users[2600]!.data as Record<string, unknown>).createdAt; // found on the object at once
    const text = await exported([...users, ...users.map((_, i) => root(i))]);
    expect(await refusal(text)).toMatch(new RegExp(`^invalid export: line 2502: user "${uid(2500)}": name "user10" is taken twice in one scope$`));

    const missingRoot = await exported([user(1), user(2), root(1)]);
    expect(await refusal(missingRoot)).toBe(`invalid export: user "${uid(2)}" has no root project group`);
    const dangling = await exported([user(1), { ...root(2), data: { ...root(2).data, parentId: uid(2) } }]);
    expect(await refusal(dangling)).toBe(`invalid export: line 3: projectgroup "${gid(2)}": parentId "${uid(2)}" names no user of the export`);
    const nested = (id: string, parentId: string) => ({
      type: 'projectgroup',
      id,
      data: { id, name: `g${id.slice(-1)}`, parentType: 'projectgroup', parentId, visibility: 'public', createdAt },
    });
    const cycle = await exported([user(1), root(1), nested(gid(8), gid(9)), nested(gid(9), gid(8))]);
    expect(await refusal(cycle)).toBe(`invalid export: line 4: projectgroup "${gid(8)}" is its own ancestor (or nested deeper than 1000 levels)`);
    const tree = await exported([user(1), root(1), nested(gid(8), gid(1)), nested(gid(9), gid(8))]);
    expect(await refusal(tree)).toBe('accepted');
  });
});
