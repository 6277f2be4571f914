import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { splitPath, tar } from './tar.js';

describe('tar', () => {
  it('writes an archive the system tar reads back, long paths included', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tar-'));
    const long = `report/logs/${'p'.repeat(90)}/${'c'.repeat(60)}.log`;
    const files = { 'report/README.txt': 'hello\n', [long]: 'x'.repeat(1000), 'report/empty': '' };
    writeFileSync(
      join(dir, 'a.tar.gz'),
      gzipSync(tar(Object.entries(files).map(([path, content]) => ({ path, content, mtime: new Date('2026-06-01T00:00:00Z') })))),
    );
    expect(execFileSync('tar', ['-tzf', 'a.tar.gz'], { cwd: dir, encoding: 'utf8' }).trim().split('\n')).toEqual(Object.keys(files));
    execFileSync('tar', ['-xzf', 'a.tar.gz'], { cwd: dir });
    for (const [path, content] of Object.entries(files)) expect(readFileSync(join(dir, path), 'utf8')).toBe(content);
  });

  it('splits a path over 100 bytes at a slash, and refuses one it cannot', () => {
    expect(splitPath('a/b')).toEqual({ name: 'a/b', prefix: '' });
    expect(splitPath(`${'d'.repeat(120)}/f`)).toEqual({ name: 'f', prefix: 'd'.repeat(120) });
    expect(() => splitPath('f'.repeat(101))).toThrow(/too long/);
  });
});
