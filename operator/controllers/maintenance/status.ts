// Status transitions of a ConfigStoreMaintenance: phases and steps only move forward, and
// the kstatus conditions (Ready, Reconciling, Stalled) always agree with the phase.
import type { Condition, ConfigStoreMaintenance, ConfigStoreMaintenanceStatus, LastError, Phase, Step } from '../../api/index.js';
import { phases, steps, terminalPhases } from '../../api/index.js';
import { setKstatusConditions, type ConditionStatus, type KstatusConditions } from '../../kube/status.js';

const phaseRank = (p: Phase | undefined) => (p ? phases.indexOf(p) : -1);
// Failed and Rejected are alternatives to Succeeded, not steps after it
const comparablePhase = (p: Phase | undefined) => (p === 'Failed' || p === 'Rejected' ? phases.indexOf('Succeeded') : phaseRank(p));
const stepRank = (s: Step | undefined) => (s ? steps.indexOf(s) : -1);

export const isTerminal = (status: ConfigStoreMaintenanceStatus | undefined) => !!status?.phase && terminalPhases.includes(status.phase);

export class BackwardTransitionError extends Error {}

/** The next status: `change` applied, refused if it would move the phase or the step back. */
export function advance(cr: ConfigStoreMaintenance, change: Partial<ConfigStoreMaintenanceStatus>, now: Date): ConfigStoreMaintenanceStatus {
  const prev = cr.status ?? {};
  if (isTerminal(prev) && change.phase && change.phase !== prev.phase) {
    throw new BackwardTransitionError(`phase ${prev.phase} is final; refused to move it to ${change.phase}`);
  }
  if (change.phase && comparablePhase(change.phase) < comparablePhase(prev.phase))
    throw new BackwardTransitionError(`phase ${prev.phase} → ${change.phase} would go back`);
  if (change.step && stepRank(change.step) < stepRank(prev.step)) throw new BackwardTransitionError(`step ${prev.step} → ${change.step} would go back`);
  const next: ConfigStoreMaintenanceStatus = { ...prev, ...change, observedGeneration: cr.metadata.generation ?? 1 };
  if (change.step && change.step !== prev.step) next.stepStartedAt = now.toISOString();
  if (next.phase !== 'Pending') delete next.queuePosition;
  next.conditions = conditionsFor(cr, next, now);
  return next;
}

/** Adds an error to the bounded list (the newest 10); the same error as the last one is counted on it instead. */
export function withError(status: ConfigStoreMaintenanceStatus | undefined, step: string, message: string, now: Date): LastError[] {
  const errors = [...(status?.lastErrors ?? [])];
  const text = message.slice(0, 4096);
  const last = errors.at(-1);
  if (last && last.step === step && last.message === text) {
    errors[errors.length - 1] = {
      ...last,
      observedAt: now.toISOString(),
      count: (last.count ?? 1) + 1,
      firstObservedAt: last.firstObservedAt ?? last.observedAt,
    };
    return errors;
  }
  errors.push({ step, message: text, observedAt: now.toISOString() });
  return errors.slice(-10);
}

function conditionsFor(cr: ConfigStoreMaintenance, s: ConfigStoreMaintenanceStatus, now: Date): Condition[] {
  return setKstatusConditions(cr.status?.conditions, kstatusOf(s), { message: s.message ?? '', observedGeneration: cr.metadata.generation ?? 1 }, now);
}

/** Ready is True once Succeeded or while held; Stalled once Failed or Rejected; Reconciling while a step runs. */
function kstatusOf(s: ConfigStoreMaintenanceStatus): KstatusConditions {
  const all = (ready: ConditionStatus, reconciling: ConditionStatus, stalled: ConditionStatus, reason: string): KstatusConditions => ({
    Ready: [ready, reason],
    Reconciling: [reconciling, reason],
    Stalled: [stalled, reason],
  });
  if (s.phase === 'Succeeded') return all('True', 'False', 'False', 'Succeeded');
  if (s.phase === 'Failed' || s.phase === 'Rejected') return all('False', 'False', 'True', s.phase);
  if (s.step === 'Hold') return all('True', 'False', 'False', 'MaintenanceHeld');
  return all('False', 'True', 'False', s.step ?? 'Admit');
}
