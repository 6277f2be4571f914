// The image's entrypoint (scripts/images/configstore) sizes V8's heap from a cgroup's memory
// limit: run with a cgroup directory of the test's making and a main that reports what V8 got.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const entrypoint = join(dirname(fileURLToPath(import.meta.url)), 'configstore');
const dir = mkdtempSync(join(tmpdir(), 'entrypoint-'));
const main = join(dir, 'main.mjs');
writeFileSync(
  main,
  "import v8 from 'node:v8'; console.log(JSON.stringify({ options: process.env.NODE_OPTIONS ?? null, heapMiB: v8.getHeapStatistics().heap_size_limit / 2 ** 20, args: process.argv.slice(2) }));",
);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(cgroup: Record<string, string>, env: Record<string, string> = {}, args: string[] = []) {
  const root = mkdtempSync(join(dir, 'cgroup-'));
  for (const [file, content] of Object.entries(cgroup)) {
    mkdirSync(dirname(join(root, file)), { recursive: true });
    writeFileSync(join(root, file), content);
  }
  const out = execFileSync('sh', [entrypoint, ...args], {
    // this Node first on PATH: the script runs `node`
    env: { PATH: `${dirname(process.execPath)}:/usr/bin:/bin`, CONFIGSTORE_CGROUP_DIR: root, CONFIGSTORE_MAIN: main, ...env },
    encoding: 'utf8',
  });
  return JSON.parse(out) as { options: string | null; heapMiB: number; args: string[] };
}

describe('the image entrypoint', () => {
  it('sizes old space (3/4) and semi-space (1/32) from a cgroup v2 limit, and V8 takes them', () => {
    const r = run({ 'memory.max': `${256 * 2 ** 20}\n` });
    expect(r.options).toBe('--max-old-space-size=192 --max-semi-space-size=8');
    // heap_size_limit is old space plus the young generation (3 semi-spaces): under the limit
    expect(r.heapMiB).toBeGreaterThanOrEqual(192);
    expect(r.heapMiB).toBeLessThan(256);
  });

  it('reads cgroup v1 when there is no v2 file, and sets nothing for its "no limit"', () => {
    expect(run({ 'memory/memory.limit_in_bytes': `${2 ** 30}\n` }).options).toBe('--max-old-space-size=768 --max-semi-space-size=32');
    expect(run({ 'memory/memory.limit_in_bytes': '9223372036854771712\n' }).options).toBeNull();
  });

  it('sets nothing without a limit ("max" or no cgroup file)', () => {
    expect(run({ 'memory.max': 'max\n' }).options).toBeNull();
    expect(run({}).options).toBeNull();
  });

  it('keeps what NODE_OPTIONS already says and adds to its other options', () => {
    const operatorSet = run({ 'memory.max': `${2 ** 30}` }, { NODE_OPTIONS: '--max-old-space-size=300' });
    expect(operatorSet.options).toBe('--max-old-space-size=300 --max-semi-space-size=32');
    expect(run({ 'memory.max': `${2 ** 30}` }, { NODE_OPTIONS: '--max-semi-space-size=4 --max-old-space-size=500' }).options).toBe(
      '--max-semi-space-size=4 --max-old-space-size=500',
    );
    expect(run({ 'memory.max': `${2 ** 30}` }, { NODE_OPTIONS: '--enable-source-maps' }).options).toBe(
      '--enable-source-maps --max-old-space-size=768 --max-semi-space-size=32',
    );
  });

  it('gives a tiny limit the same 64 MiB floor as the operator, and passes the arguments through', () => {
    const r = run({ 'memory.max': `${32 * 2 ** 20}` }, {}, ['serve', '--listen', '[::]:4000']);
    expect(r.options).toBe('--max-old-space-size=64 --max-semi-space-size=1');
    expect(r.args).toEqual(['serve', '--listen', '[::]:4000']);
  });
});
