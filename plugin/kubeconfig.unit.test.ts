import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadKube } from './kubeconfig.js';

const dir = mkdtempSync(join(tmpdir(), 'kubeconfig-'));
function kubeconfig(file: string, o: { current?: string; contexts: { name: string; namespace?: string }[]; server?: string }): string {
  const path = join(dir, file);
  const yaml = [
    'apiVersion: v1',
    'kind: Config',
    `clusters: [{name: c, cluster: {server: "${o.server ?? 'https://a.example'}"}}]`,
    'users: [{name: u, user: {token: t}}]',
    `contexts: [${o.contexts.map((c) => `{name: ${c.name}, context: {cluster: c, user: u${c.namespace ? `, namespace: ${c.namespace}` : ''}}}`).join(', ')}]`,
    ...(o.current ? [`current-context: ${o.current}`] : []),
  ].join('\n');
  writeFileSync(path, yaml);
  return path;
}
const one = kubeconfig('one', { current: 'dev', contexts: [{ name: 'dev', namespace: 'team' }, { name: 'prod' }] });

describe('loadKube', () => {
  it("--kubeconfig wins; the namespace is -n, else the context's, else default", () => {
    expect(loadKube({ kubeconfig: one }, {}, dir)).toMatchObject({ context: 'dev', namespace: 'team', server: 'https://a.example' });
    expect(loadKube({ kubeconfig: one, namespace: 'other' }, {}, dir).namespace).toBe('other');
    expect(loadKube({ kubeconfig: one, context: 'prod' }, {}, dir)).toMatchObject({ context: 'prod', namespace: 'default' });
  });

  it('merges the files of KUBECONFIG as kubectl does: missing files skipped, the first to set a name or the current context wins', () => {
    const two = kubeconfig('two', { current: 'prod', contexts: [{ name: 'dev', namespace: 'ignored' }, { name: 'staging' }], server: 'https://b.example' });
    const loaded = loadKube({}, { KUBECONFIG: [join(dir, 'absent'), one, two].join(':') }, dir);
    expect(loaded).toMatchObject({ context: 'dev', namespace: 'team', server: 'https://a.example' });
    expect(loaded.kc.getContexts().map((c) => c.name)).toEqual(['dev', 'prod', 'staging']);
  });

  it('falls back to ~/.kube/config', () => {
    const home = mkdtempSync(join(tmpdir(), 'home-'));
    mkdirSync(join(home, '.kube'));
    writeFileSync(
      join(home, '.kube', 'config'),
      `${'apiVersion: v1\n'}clusters: [{name: c, cluster: {server: "https://home.example"}}]\nusers: [{name: u, user: {}}]\ncontexts: [{name: h, context: {cluster: c, user: u}}]\ncurrent-context: h\n`,
    );
    expect(loadKube({}, {}, home)).toMatchObject({ context: 'h', server: 'https://home.example', namespace: 'default' });
  });

  it('refuses with exit code 2 and a message saying what to do', () => {
    const fail = (f: Parameters<typeof loadKube>[0], env: Record<string, string> = {}) => {
      try {
        loadKube(f, env, join(dir, 'no-home'));
      } catch (err) {
        return err as { message: string; exitCode: number };
      }
      throw new Error('loaded');
    };
    expect(fail({})).toMatchObject({
      exitCode: 2,
      message: 'no kubeconfig: pass --kubeconfig FILE, set KUBECONFIG, or create ~/.kube/config (as for kubectl)',
    });
    expect(fail({ kubeconfig: '/nope' })).toMatchObject({ exitCode: 2, message: '--kubeconfig /nope: no such file' });
    expect(fail({}, { KUBECONFIG: '/a:/b' }).message).toBe('no kubeconfig: none of the files in KUBECONFIG exists (/a:/b)');
    expect(fail({ kubeconfig: one, context: 'qa' }).message).toBe('--context qa: no such context in the kubeconfig (contexts: dev, prod)');
    expect(fail({ kubeconfig: one, namespace: 'Bad_NS' }).message).toBe('namespace "Bad_NS" is not a valid namespace name');
    expect(fail({ kubeconfig: kubeconfig('nocurrent', { contexts: [{ name: 'x' }] }) }).message).toMatch(/has no current context: pass --context NAME/);
    writeFileSync(join(dir, 'broken'), 'clusters: [');
    expect(fail({ kubeconfig: join(dir, 'broken') }).message).toMatch(/^kubeconfig .*broken: /);
  });
});
