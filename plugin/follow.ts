// --wait: follow a ConfigStoreMaintenance until it ends (or, for a Maintenance, until the
// cluster is held), showing its phase and step as they change. On a terminal one line is
// rewritten in place; elsewhere (CI logs) each change is a line of its own. Both on stderr,
// so stdout keeps only the result (-o json).
import type { ConfigStoreMaintenance } from '../operator/api/maintenance.js';
import { PluginError } from './errors.js';
import type { Io } from './io.js';
import type { Kube } from './kube.js';
import { formatBytes, formatSpan } from './output.js';

export type Outcome = 'going' | 'succeeded' | 'failed' | 'held';

/** Where an operation stands; `untilHeld`: a Maintenance is done waiting once it holds the cluster. */
export function outcomeOf(op: ConfigStoreMaintenance, untilHeld = false): Outcome {
  const phase = op.status?.phase;
  if (phase === 'Succeeded') return 'succeeded';
  if (phase === 'Failed' || phase === 'Rejected') return 'failed';
  if (untilHeld && phase === 'Running' && op.status?.step === 'Hold') return 'held';
  return 'going';
}

export function progressLine(op: ConfigStoreMaintenance): string {
  const s = op.status ?? {};
  const phase = s.phase ?? 'Pending';
  const where = [phase, s.step, s.queuePosition ? `queue position ${s.queuePosition}` : undefined].filter(Boolean).join(', ');
  return `${op.spec.operation} ${op.metadata.name}: ${where}${s.message ? `: ${s.message}` : ''}`;
}

/** The end of an operation in one line: its result, or why it failed. */
export function endLine(op: ConfigStoreMaintenance): string {
  const s = op.status ?? {};
  const head = `${op.spec.operation} ${op.metadata.name}: ${s.phase ?? 'Pending'}`;
  if (s.phase === 'Succeeded' && s.result) {
    const r = s.result;
    return `${head}: ${r.objects} objects, ${formatBytes(r.bytes)}, sha256 ${r.sha256}${r.revision ? `, revision ${r.revision}` : ''}, ${r.location}${r.dryRun ? ' (validated only)' : ''}`;
  }
  const why = [s.message, ...(s.reasons ?? [])].filter(Boolean);
  const last = s.lastErrors?.at(-1);
  if (last && !why.includes(last.message)) why.push(`last error in ${last.step}: ${last.message}`);
  return why.length ? `${head}: ${why.join('; ')}` : head;
}

export async function follow(kube: Kube, name: string, io: Io, opts: { timeoutMs?: number; untilHeld?: boolean } = {}): Promise<ConfigStoreMaintenance> {
  const started = io.now().getTime();
  let shown = '';
  const clear = () => io.stderrIsTTY && shown && io.err('\r\x1b[K');
  try {
    for (;;) {
      const op = await kube.get('maintenance', name);
      if (!op) throw new PluginError(`ConfigStoreMaintenance ${name} was deleted while it was followed (deleting it aborts it)`);
      const elapsed = io.now().getTime() - started;
      const line = progressLine(op);
      if (io.stderrIsTTY) io.err(`\r\x1b[K${line} (${formatSpan(elapsed)})`);
      else if (line !== shown) io.err(`${line}\n`);
      shown = line;
      if (outcomeOf(op, opts.untilHeld) !== 'going') return op;
      if (opts.timeoutMs !== undefined && elapsed >= opts.timeoutMs)
        throw new PluginError(`${line}: still going after ${formatSpan(elapsed)} (--timeout); it goes on: kubectl get csm ${name} -n ${kube.namespace} -w`);
      await io.sleep(io.pollMs);
    }
  } finally {
    clear();
  }
}

/** What -o json prints for an operation the plugin made or followed. */
export function operationView(op: ConfigStoreMaintenance) {
  const s = op.status ?? {};
  return {
    name: op.metadata.name,
    namespace: op.metadata.namespace,
    cluster: op.spec.clusterRef.name,
    operation: op.spec.operation,
    phase: s.phase ?? 'Pending',
    ...(s.step ? { step: s.step } : {}),
    ...(s.message ? { message: s.message } : {}),
    ...(s.reasons?.length ? { reasons: s.reasons } : {}),
    ...(s.result ? { result: s.result } : {}),
    ...(s.startedAt ? { startedAt: s.startedAt } : {}),
    ...(s.completedAt ? { completedAt: s.completedAt } : {}),
  };
}
