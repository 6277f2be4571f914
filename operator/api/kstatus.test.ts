// Flux compatibility: what the real kstatus library (sigs.k8s.io/cli-utils, built by
// scripts/install-tools as `kstatus`) computes for every operator kind in every phase, on
// objects the real reconcilers wrote (testsupport/kstatus). Needs no server, only the binary.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixturesYaml } from '../../scripts/kstatus-fixtures.js';
import { binary, ensureTools } from '../../scripts/localenv/tools.js';
import { kstatusFixtures, type KstatusFixture } from '../../testsupport/kstatus/index.js';

const run = promisify(execFile);

interface Computed {
  kind: string;
  name: string;
  status: string;
  message: string;
}

describe('kstatus (the library Flux health checks use) on every kind and phase', () => {
  let fixtures: KstatusFixture[];
  let computed: Computed[];

  beforeAll(async () => {
    ensureTools(['kstatus']);
    fixtures = await kstatusFixtures();
    const dir = mkdtempSync(join(tmpdir(), 'kstatus-'));
    try {
      const file = join(dir, 'fixtures.yaml');
      writeFileSync(file, fixturesYaml(fixtures));
      const { stdout } = await run(binary('kstatus'), [file]);
      computed = stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Computed);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000); // a cold build of the helper

  it('computes one result per object, in order', () => {
    expect(computed.map((c) => `${c.kind}/${c.name}`)).toEqual(fixtures.map((f) => `${f.kind}/${f.object.metadata.name}`));
  });

  it('gives each phase the result we intend', () => {
    const got = fixtures.map((f, i) => `${f.kind} | ${f.phase} → ${computed[i]!.status}`);
    expect(got).toEqual(fixtures.map((f) => `${f.kind} | ${f.phase} → ${f.expected}`));
  });

  it('never says Current for an object the operator has not seen, or not seen since its spec changed', () => {
    const unseen = fixtures.flatMap((f, i) => (f.phase.startsWith('created, not seen') || f.phase.startsWith('spec changed') ? [computed[i]!] : []));
    expect(unseen).toHaveLength(2 * new Set(fixtures.map((f) => f.kind)).size);
    for (const c of unseen) expect(c, `${c.kind}/${c.name}`).toMatchObject({ status: 'InProgress', message: expect.stringMatching(/observed generation is/) });
  });

  it('shows the operator’s message on a failure (what `flux get kustomizations` prints)', () => {
    const failed = fixtures.flatMap((f, i) => (f.expected === 'Failed' ? [[f, computed[i]!] as const] : []));
    expect(failed.length).toBeGreaterThanOrEqual(new Set(fixtures.map((f) => f.kind)).size);
    for (const [f, c] of failed) {
      const stalled = (f.object.status?.conditions as { type: string; message: string }[]).find((x) => x.type === 'Stalled')!;
      expect(c.message, `${f.kind}: ${f.phase}`).toBe(stalled.message);
    }
  });
});
