// Where the real binaries live: built and cached by scripts/install-tools.
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const installTools = join(repoRoot, 'scripts', 'install-tools');

export type Tool = 'etcd' | 'minio' | 'kube' | 'node' | 'kubectl' | 'kstatus' | 'helmdocs' | 'promtool';

/** Builds (cold) or finds (warm) the tools; progress goes to stderr. */
export function ensureTools(tools: Tool[]): void {
  execFileSync(installTools, tools, { stdio: ['ignore', 'inherit', 'inherit'] });
}

const dirs = new Map<Tool, string>();

/** The cache directory of a tool (asked once per process: it hashes the pins). */
export function toolDir(tool: Tool): string {
  let dir = dirs.get(tool);
  if (dir === undefined) {
    dir = execFileSync(installTools, ['--print-dir', tool], { encoding: 'utf8' }).trim();
    dirs.set(tool, dir);
  }
  return dir;
}

export function binary(tool: Tool, name: string = tool): string {
  return join(toolDir(tool), name);
}
