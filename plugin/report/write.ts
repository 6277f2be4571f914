// Where a bundle goes: a .tar.gz (or .tgz) archive with one top folder, or a new directory.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { usageError } from '../errors.js';
import { tar } from './tar.js';

export const isArchive = (path: string) => /\.(tar\.gz|tgz)$/.test(path);

/** Writes the files; returns the bytes written. */
export function writeBundle(files: Map<string, string>, output: string, now: Date): number {
  if (isArchive(output)) {
    if (!existsSync(dirname(output))) throw usageError(`-o ${output}: no directory ${dirname(output)}`);
    if (existsSync(output)) throw usageError(`-o ${output}: the file exists (a report never overwrites one)`);
    const top = basename(output).replace(/\.(tar\.gz|tgz)$/, '');
    const archive = gzipSync(tar([...files].map(([path, content]) => ({ path: `${top}/${path}`, content, mtime: now }))));
    writeFileSync(output, archive, { flag: 'wx' });
    return archive.length;
  }
  if (existsSync(output) && readdirSync(output).length) throw usageError(`-o ${output}: the directory exists and is not empty`);
  let bytes = 0;
  for (const [path, content] of files) {
    mkdirSync(dirname(join(output, path)), { recursive: true });
    writeFileSync(join(output, path), content);
    bytes += Buffer.byteLength(content);
  }
  return bytes;
}
