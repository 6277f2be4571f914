// Test harness: the `configstore` command as a real process, in a clean environment (only
// what the test gives, plus PATH for tsx), its output collected.
import { spawn, type ChildProcess } from 'node:child_process';
import { repoRoot } from '../scripts/localenv/tools.js';

export interface CliExit {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliRun {
  child: ChildProcess;
  exited: Promise<CliExit>;
  /** What it printed so far. */
  output(): { stdout: string; stderr: string };
}

/** The run to its end, killed after `ms` (a case that hangs fails instead). */
export function finishedWithin(run: CliRun, ms: number): Promise<CliExit> {
  const guard = setTimeout(() => run.child.kill('SIGKILL'), ms);
  return run.exited.finally(() => clearTimeout(guard));
}

export function spawnCli(args: string[], env: Record<string, string> = {}, stdio: 'pipe' | 'inherit' = 'pipe'): CliRun {
  const child = spawn(process.execPath, ['--import', 'tsx', 'configstore/cli/main.ts', ...args], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', stdio === 'pipe' ? 'pipe' : 'ignore', stdio === 'pipe' ? 'pipe' : 'inherit'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<CliExit>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return { child, exited, output: () => ({ stdout, stderr }) };
}
