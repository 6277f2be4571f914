// leftovers() on real mounts: a mount under an environment this run began counts, one under an
// environment an earlier (killed) run left does not, when `since` says when this run began.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { leftovers } from './teardown.js';

describe('leftovers', () => {
  const prefix = join(mkdtempSync('/tmp/cs-leftovers-'), 'env-');
  const since = Date.now();
  const envs = { earlier: `${prefix}earlier`, current: `${prefix}current` };
  const mounted: string[] = [];
  for (const [name, dir] of Object.entries(envs)) {
    mkdirSync(join(dir, 'node', 'shm'), { recursive: true });
    writeFileSync(join(dir, 'state.json'), JSON.stringify({ dir, startedAt: name === 'earlier' ? since - 3_600_000 : since }));
  }
  afterAll(() => {
    for (const m of mounted) execFileSync('umount', ['-l', m]);
    rmSync(prefix.slice(0, prefix.lastIndexOf('/')), { recursive: true, force: true });
  });

  it('lists mounts only of environments begun at or after `since`', () => {
    for (const dir of Object.values(envs)) {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', join(dir, 'node', 'shm')]);
      mounted.push(join(dir, 'node', 'shm'));
    }
    const mountsLine = (found: string[]) => found.find((f) => f.startsWith('mounts: ')) ?? '';
    expect(mountsLine(leftovers({ stateDir: prefix, since }))).toBe(`mounts: ${envs.current}/node/shm`);
    // without `since` (0) both count
    expect(mountsLine(leftovers({ stateDir: prefix, since: 0 }))).toContain(`${envs.earlier}/node/shm`);
    expect(mountsLine(leftovers({ stateDir: prefix, since: 0 }))).toContain(`${envs.current}/node/shm`);
  });
});
