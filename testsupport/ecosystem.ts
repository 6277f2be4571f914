// What the ecosystem's own tools make of a live object, for e2e tests on real runs: Argo CD's
// verdict (the committed health.lua of its kind, on Lua 5.1 as Argo CD runs it) and Flux's
// (the real kstatus library, the `kstatus` helper scripts/install-tools builds).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runHealthLua, type HealthStatus } from '../health/argocd/lib/lua.js';
import { healthRoot } from '../health/argocd/lib/checks.js';
import { binary } from '../scripts/localenv/tools.js';

export interface Verdicts {
  argocd: HealthStatus;
  kstatus: { status: string; message: string };
}

/** Both verdicts on `obj` (an object as the API server served it: kind and apiVersion set). */
export function verdictsOf(obj: { apiVersion?: string; kind?: string }): Verdicts {
  const group = (obj.apiVersion ?? '').split('/')[0]!;
  const script = readFileSync(join(healthRoot, group, obj.kind!, 'health.lua'), 'utf8');
  const argocd = runHealthLua(script, obj, `${obj.kind}/health.lua`);
  const line = execFileSync(binary('kstatus'), [], { input: JSON.stringify(obj), encoding: 'utf8' })
    .trim()
    .split('\n')[0]!;
  const { status, message } = JSON.parse(line) as { status: string; message: string };
  return { argocd, kstatus: { status, message } };
}
