// The admin token file as a Secret volume rotates it: `token` → `..data/token`, `..data` a link
// swapped to a new timestamped dir. No servers: files in a temp dir.
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { watchedTokenFile } from './tokenfile.js';

describe('watchedTokenFile', () => {
  let dir = '';
  const logged: string[] = [];
  const log = { info: (m: string) => logged.push(`info ${m}`), warn: (m: string) => logged.push(`warn ${m}`) };
  /** What the kubelet does on a Secret update: a new dir, then an atomic swap of the `..data` link. */
  const publish = (version: string, token: string) => {
    mkdirSync(join(dir, `..${version}`));
    writeFileSync(join(dir, `..${version}`, 'token'), token);
    symlinkSync(`..${version}`, join(dir, '..data_tmp'));
    renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
  };
  const volume = () => {
    dir = mkdtempSync(join(tmpdir(), 'secret-volume-'));
    publish('v1', 'first-token\n');
    symlinkSync('..data/token', join(dir, 'token'));
    return join(dir, 'token');
  };
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
    logged.length = 0;
  });

  it('gives the new token once the Secret volume swapped its ..data link', () => {
    const current = watchedTokenFile(volume(), 'first-token', log, 0);
    expect(current()).toBe('first-token');
    publish('v2', 'second-token');
    expect(current()).toBe('second-token');
    expect(logged).toEqual([`info the admin token file ${join(dir, 'token')} changed: the new token is in force`]);
  });

  it('keeps the last good token when the file turns empty, malformed or unreadable, and says so', () => {
    const path = volume();
    const current = watchedTokenFile(path, 'first-token', log, 0);
    publish('v2', '   ');
    expect(current()).toBe('first-token');
    publish('v3', 'two words');
    expect(current()).toBe('first-token');
    rmSync(join(dir, '..data'));
    expect(current()).toBe('first-token');
    expect(logged.map((l) => l.split(' ')[0])).toEqual(['warn', 'warn', 'warn']);
    expect(logged[2]).toContain('cannot be read (ENOENT)');
    publish('v4', 'fourth-token');
    expect(current()).toBe('fourth-token');
  });

  it('looks at the file at most once per period', () => {
    const current = watchedTokenFile(volume(), 'first-token', log, 60_000);
    publish('v2', 'second-token');
    expect(current()).toBe('first-token');
  });
});
