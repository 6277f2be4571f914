// The chart's quality tools, as the tests and `npm run gen:chart-readme` run them: helm (the
// kubectl layer's), helm-docs (scripts/go/helmdocs) and checkov (scripts/lib.sh
// ensure_python_tools: a venv of its own). No vitest here.
import { execFile, spawnSync } from 'node:child_process';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chartDir } from '../localenv/operator.js';
import { binary, ensureTools } from '../localenv/tools.js';

export { chartDir };
const run = promisify(execFile);

export const checkovBin = join(process.env.CONFIGSTORE_CHECKOV_VENV ?? join(homedir(), '.cache/configstore/venv-checkov'), 'bin', 'checkov');

/** helm ARGS…: its stdout; a failure rejects with the error (code, stderr). */
export async function helm(args: string[]): Promise<string> {
  return (await run(binary('kubectl', 'helm'), args, { maxBuffer: 16 << 20 })).stdout;
}

/** helm-docs on the chart: its stdout. A chart it cannot read is only a warning to it ("skipping"), so any log throws. */
function helmDocs(extra: string[]): string {
  ensureTools(['helmdocs']);
  const res = spawnSync(binary('helmdocs', 'helm-docs'), ['--chart-search-root', chartDir, '--log-level', 'warning', ...extra], { encoding: 'utf8' });
  if (res.status !== 0 || res.stderr.trim()) throw new Error(`helm-docs failed (exit ${res.status}): ${res.stderr || res.error}`);
  return res.stdout;
}

/** The README helm-docs writes for the chart (from README.md.gotmpl and values.yaml), without writing it. */
export const renderReadme = (): string => helmDocs(['--dry-run']);

/** Writes the chart's README.md (`npm run gen:chart-readme`). */
export const writeReadme = (): void => void helmDocs([]);
