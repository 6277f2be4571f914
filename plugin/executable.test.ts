// The executable as kubectl runs it: bin/kubectl-configstore on PATH is found by kubectl
// (`kubectl plugin list`, `kubectl configstore …`), gets its flags, and exits with the codes
// the in-process tests check, as a real process without a terminal.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installCrds } from '../scripts/localenv/crds.js';
import { isolatedNamespace, localEnv } from '../scripts/localenv/testenv.js';
import { repoRoot } from '../scripts/localenv/tools.js';
import { seedWorld } from '../testsupport/plugin.js';

let ns: Awaited<ReturnType<typeof isolatedNamespace>>;

function run(command: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = { PATH: `${join(repoRoot, 'bin')}:${localEnv().binDir}:/usr/bin:/bin`, KUBECONFIG: localEnv().kube!.kubeconfig, HOME: localEnv().dir };
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

beforeAll(async () => {
  ns = await isolatedNamespace('plugin-exec');
  await installCrds(localEnv(), ns.kc);
  await seedWorld(ns.kc, ns.namespace);
});
afterAll(async () => ns?.cleanup());

describe('kubectl-configstore on PATH', () => {
  it('is a plugin kubectl lists and runs, with -n passed through', async () => {
    const list = await run('kubectl', ['plugin', 'list']);
    expect(list.stdout).toContain(join(repoRoot, 'bin', 'kubectl-configstore'));
    const status = await run('kubectl', ['configstore', '-n', ns.namespace, 'status', 'main', '-o', 'json']);
    expect(status).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(status.stdout)).toMatchObject({ name: 'main', namespace: ns.namespace, ready: { status: 'True' } });
  });

  it('exits 2 for a cluster that does not exist, and for a confirmation nobody can give', async () => {
    expect(await run('kubectl', ['configstore', '-n', ns.namespace, 'status', 'nope'])).toMatchObject({
      code: 2,
      stderr: `kubectl configstore: no ConfigStoreCluster "nope" in namespace ${ns.namespace} (clusters here: main, other)\n`,
    });
    expect(await run('kubectl-configstore', ['-n', ns.namespace, 'maintenance', 'on', 'main'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('needs confirmation and stdin is not a terminal: pass --yes'),
    });
  });
});
