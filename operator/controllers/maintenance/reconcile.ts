// The ConfigStoreMaintenance reconciler: a dispatcher. It reads the CR, runs the step its
// status names (one small function per step, in the files by concern: start, fence,
// jobsteps, delete), writes the status after each, and goes on while a step moves the CR on;
// an operator restarted at any point resumes where the status says. What differs between
// operations lives in operations.ts, what steps share in context.ts.
import type { ConfigStoreMaintenance, Step } from '../../api/index.js';
import { timeoutsOf } from '../../api/index.js';
import { describeError, ignore404 } from '../errors.js';
import { finalizer } from '../naming.js';
import { maintenanceResource, StepContext, verifySeconds, type MaintenanceDeps, type StepOutcome } from './context.js';
import { abort, addFinalizer, finished } from './delete.js';
import { enterMaintenance, exitMaintenance, hold, waitForInstances } from './fence.js';
import { runJob, verify } from './jobsteps.js';
import { admit, queue } from './start.js';
import { isTerminal, withError } from './status.js';

export type { ClusterFence, MaintenanceDeps, Recorder } from './context.js';

type StepHandler = (ctx: StepContext, cr: ConfigStoreMaintenance) => Promise<StepOutcome>;

const stepHandlers: Record<Step, StepHandler> = {
  Admit: admit,
  Queue: queue,
  EnterMaintenance: enterMaintenance,
  WaitForInstances: waitForInstances,
  RunJob: runJob,
  Verify: verify,
  ExitMaintenance: exitMaintenance,
  Hold: hold,
  Done: finished,
};

/** A Job's pod may take this long after activeDeadlineSeconds to be seen as failed. */
const jobDeadlineSlackSeconds = 120;
/** Steps one reconcile runs at most before it yields its worker. */
const maxStepsPerRound = 20;

/** How long a step may keep failing before the operation fails (undefined: retried as long as it takes). */
export function deadlineOf(cr: ConfigStoreMaintenance, step: Step): number | undefined {
  const { enterSeconds, runSeconds } = timeoutsOf(cr.spec);
  const deadlines: Partial<Record<Step, number>> = {
    EnterMaintenance: enterSeconds,
    WaitForInstances: enterSeconds,
    RunJob: runSeconds + jobDeadlineSlackSeconds,
    Verify: verifySeconds,
  };
  return deadlines[step];
}

export class MaintenanceReconciler {
  private readonly ctx: StepContext;

  constructor(deps: MaintenanceDeps) {
    this.ctx = new StepContext(deps);
  }

  /** Reconciles one CR; returns when to look again (undefined: on the next event). */
  async reconcile(namespace: string, name: string): Promise<number | undefined> {
    let cr = (await this.ctx.deps.custom.getNamespacedCustomObject({ ...maintenanceResource, namespace, name }).catch(ignore404)) as
      ConfigStoreMaintenance | undefined;
    for (let i = 0; i < maxStepsPerRound && cr; i++) {
      const outcome = await this.stepWithDeadline(cr);
      if ('waitMs' in outcome) return outcome.waitMs;
      cr = outcome.next;
    }
    return 0;
  }

  /**
   * A step that keeps throwing (etcd unreachable, the API refusing the Job) is retried with
   * backoff, its error shown in the status, until the step's deadline: then the operation
   * fails, and never stays Running forever.
   */
  private async stepWithDeadline(cr: ConfigStoreMaintenance): Promise<StepOutcome> {
    try {
      return await this.step(cr);
    } catch (err) {
      const step = cr.status?.step;
      const seconds = step ? deadlineOf(cr, step) : undefined;
      const message = describeError(err);
      if (seconds !== undefined && this.ctx.stepExpired(cr, seconds)) return this.ctx.fail(cr, step!, `${message} (still failing after ${seconds}s)`);
      if (step && !isTerminal(cr.status) && !cr.metadata.deletionTimestamp) {
        // a failed operation still releasing keeps its failure as the message: the final status shows it
        const retrying = cr.status?.outcome === 'Failed' ? {} : { message: `retrying ${step}: ${message}` };
        await this.ctx.writeOnly(cr, { ...retrying, lastErrors: withError(cr.status, step, message, this.ctx.now()) }).catch(() => undefined);
      }
      throw err;
    }
  }

  private step(cr: ConfigStoreMaintenance): Promise<StepOutcome> {
    if (cr.metadata.deletionTimestamp) return abort(this.ctx, cr);
    if (isTerminal(cr.status)) return finished(this.ctx, cr);
    if (!cr.metadata.finalizers?.includes(finalizer)) return addFinalizer(this.ctx, cr);
    return stepHandlers[cr.status?.step ?? 'Admit'](this.ctx, cr);
  }
}
