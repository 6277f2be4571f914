// plugin/krew/package.sh: the archive krew would download holds the bundled plugin, the
// manifest names it with its real sha256 and no placeholder left, and the bundle (plain node,
// no tsx) works against the real API server.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { installCrds } from '../../scripts/localenv/crds.js';
import { isolatedNamespace, localEnv } from '../../scripts/localenv/testenv.js';
import { repoRoot } from '../../scripts/localenv/tools.js';
import { seedWorld } from '../../testsupport/plugin.js';

let ns: Awaited<ReturnType<typeof isolatedNamespace>>;
const out = mkdtempSync(join(tmpdir(), 'krew-'));
const version = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;

beforeAll(async () => {
  ns = await isolatedNamespace('plugin-krew');
  await installCrds(localEnv(), ns.kc);
  await seedWorld(ns.kc, ns.namespace);
  execFileSync(join(repoRoot, 'plugin/krew/package.sh'), ['--out', out, '--url-base', 'https://releases.example/v1/'], { stdio: 'pipe' });
}, 120_000);
afterAll(async () => ns?.cleanup());

describe('the krew package', () => {
  it('a manifest with the archive URL and its sha256, nothing left to fill', () => {
    const archive = `kubectl-configstore-v${version}.tar.gz`;
    const text = readFileSync(join(out, 'configstore.yaml'), 'utf8');
    expect(text).not.toMatch(/\{\{|PLACEHOLDER/);
    const manifest = parse(text) as { kind: string; spec: { version: string; platforms: { uri: string; sha256: string; bin: string }[] } };
    expect(manifest).toMatchObject({ kind: 'Plugin', spec: { version: `v${version}` } });
    expect(manifest.spec.platforms).toEqual([
      expect.objectContaining({
        uri: `https://releases.example/v1/${archive}`,
        sha256: createHash('sha256')
          .update(readFileSync(join(out, archive)))
          .digest('hex'),
        bin: 'kubectl-configstore',
      }),
    ]);
    expect(
      execFileSync('tar', ['-tzf', join(out, archive)], { encoding: 'utf8' })
        .trim()
        .split('\n'),
    ).toEqual(['kubectl-configstore', 'README.md']);
  });

  it('a bundle that runs on plain node against the API server', () => {
    const stdout = execFileSync(process.execPath, [join(out, 'kubectl-configstore'), '-n', ns.namespace, 'status', 'main', '-o', 'json'], {
      env: { KUBECONFIG: localEnv().kube!.kubeconfig, PATH: '/usr/bin:/bin' },
      encoding: 'utf8',
    });
    expect(JSON.parse(stdout)).toMatchObject({ name: 'main', ready: { status: 'True' }, lastGoodBackup: { name: 'nightly-good' } });
  });
});
