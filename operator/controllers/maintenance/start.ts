// The first steps: Admit (every reason the operation cannot run, at once; a re-created CR of
// an operation that already succeeded is not run again) and Queue (one operation at a time
// per cluster, then fence or not as the operation table says).
import type { ConfigStoreCluster, ConfigStoreMaintenance } from '../../api/index.js';
import { clusterKind, group, version } from '../../api/index.js';
import { ignore404 } from '../errors.js';
import { runIdOf } from '../naming.js';
import { admissionProblems } from './admit.js';
import { queuePollMs, type StepContext, type StepOutcome } from './context.js';
import { handlerOf } from './operations.js';
import { blockers } from './queue.js';

export async function admit(ctx: StepContext, cr: ConfigStoreMaintenance): Promise<StepOutcome> {
  const { events } = ctx.deps;
  const earlier = ctx.clusterOf(cr)?.status?.succeededOperations?.find((o) => o.name === cr.metadata.name && o.uid !== cr.metadata.uid);
  if (earlier) {
    // GitOps re-created a finished CR (after its TTL): the operation is done, never run twice
    const message = `not run: ${cr.spec.operation} ${cr.metadata.name} already succeeded on this cluster at ${earlier.completedAt} (uid ${earlier.uid}); create one with a new name to run it again`;
    events.record(cr, 'Normal', 'AlreadySucceeded', message);
    return ctx.write(cr, { phase: 'Succeeded', step: 'Done', message, completedAt: ctx.nowIso() });
  }
  // a fresh read: the cluster's cache may lag behind this CR's (two watches)
  const cluster =
    ctx.clusterOf(cr) ??
    ((await ctx.deps.custom
      .getNamespacedCustomObject({ group, version, namespace: cr.metadata.namespace, plural: clusterKind.plural, name: cr.spec.clusterRef.name })
      .catch(ignore404)) as ConfigStoreCluster | undefined);
  const reasons = await admissionProblems(cr, { core: ctx.deps.core, cluster });
  if (reasons.length > 0) {
    events.record(cr, 'Warning', 'Rejected', reasons.join('; '));
    return ctx.write(cr, { phase: 'Rejected', step: 'Done', reasons, message: `rejected: ${reasons.join('; ')}`, completedAt: ctx.nowIso() });
  }
  events.record(cr, 'Normal', 'Admitted', `${cr.spec.operation} of cluster ${cr.spec.clusterRef.name} admitted`);
  return ctx.write(cr, { phase: 'Pending', step: 'Queue', message: 'admitted; waiting for its turn' });
}

export async function queue(ctx: StepContext, cr: ConfigStoreMaintenance): Promise<StepOutcome> {
  const ahead = blockers(cr, ctx.deps.maintenances(cr.metadata.namespace));
  if (ahead.length > 0) {
    const message = `waiting for ${ahead.map((o) => o.metadata.name).join(', ')} on cluster ${cr.spec.clusterRef.name}`;
    if (cr.status?.queuePosition !== ahead.length + 1 || cr.status?.message !== message) {
      ctx.deps.events.record(cr, 'Normal', 'Queued', message);
      await ctx.write(cr, { queuePosition: ahead.length + 1, message });
    }
    return { waitMs: queuePollMs };
  }
  const handler = handlerOf(cr);
  const fenced = handler.needsMaintenance(cr.spec);
  ctx.deps.events.record(cr, 'Normal', 'Started', `${cr.spec.operation} started`);
  return ctx.write(cr, {
    phase: 'Running',
    step: fenced ? 'EnterMaintenance' : 'RunJob',
    startedAt: ctx.nowIso(),
    runId: runIdOf(cr.metadata.uid),
    message: fenced ? 'entering maintenance' : handler.runningMessage,
  });
}
