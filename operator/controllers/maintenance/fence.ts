// The fence: EnterMaintenance (put the maintenance key in the cluster's etcd, or run inside a
// maintenance held on purpose), WaitForInstances (every instance reports it is fenced at that
// key's revision), Hold (an operation that is the hold itself watches that the key stays),
// and ExitMaintenance (release what this CR put, wait for the instances to serve again).
import type { ConfigStoreMaintenance } from '../../api/index.js';
import { etcdPrefixOf, timeoutsOf } from '../../api/index.js';
import { recordSuccess } from './clusterrecord.js';
import { pollMs, queuePollMs, verifySeconds, type StepContext, type StepOutcome } from './context.js';
import { handlerOf } from './operations.js';
import { withError } from './status.js';

/** Why an import with requireEmpty was refused (the cluster reconciler recognises it). */
export const dataPresentMessage =
  'the cluster already holds data (its etcd prefix has a snapshot, an import or WAL entries): spec.import.requireEmpty refuses to import over it; nothing was changed';

/** A CR held in maintenance looks at its key this often; one kept after success, less often. */
const holdPollMs = 10_000;
const keptPollMs = 30_000;

export async function enterMaintenance(ctx: StepContext, cr: ConfigStoreMaintenance): Promise<StepOutcome> {
  const cluster = ctx.requireCluster(cr);
  if ('failed' in cluster) return cluster.failed;
  if (!cr.status?.maintenanceEtcd) {
    // recorded before the key is put: abort and exit release it there, whatever happens next
    const { endpoints, credentialsSecretRef } = cluster.c.spec.etcd;
    const next = await ctx.writeOnly(cr, {
      maintenanceEtcd: { endpoints, prefix: etcdPrefixOf(cluster.c), ...(credentialsSecretRef ? { credentialsSecretRef } : {}) },
    });
    return next ? { next } : { waitMs: 0 };
  }
  const where = cr.status.maintenanceEtcd;
  const key = await ctx.deps.fence.enter(cr.metadata.namespace, where, cr.metadata.uid, `${cr.spec.operation} ${cr.metadata.namespace}/${cr.metadata.name}`);
  const own = key.owner === cr.metadata.uid;
  if (!own) {
    // run inside someone else's maintenance only if it is held on purpose, never inside another running operation's
    const holder = ctx.deps.maintenances(cr.metadata.namespace).find((o) => o.metadata.uid === key.owner);
    if (holder && holder.status?.step !== 'Hold') {
      const message = `waiting: the cluster's maintenance belongs to ${holder.metadata.name}, still running`;
      if (cr.status.message !== message) await ctx.writeOnly(cr, { message });
      return { waitMs: queuePollMs };
    }
  }
  ctx.deps.events.record(
    cr,
    'Normal',
    'MaintenanceRequested',
    own ? `maintenance key put (revision ${key.revision})` : `cluster already in maintenance, held by ${key.owner}: running inside it`,
  );
  return ctx.write(cr, {
    step: 'WaitForInstances',
    maintenanceRevision: key.revision,
    maintenanceOwner: key.owner,
    message: 'waiting for every instance to enter maintenance',
  });
}

export async function waitForInstances(ctx: StepContext, cr: ConfigStoreMaintenance): Promise<StepOutcome> {
  const cluster = ctx.requireCluster(cr);
  if ('failed' in cluster) return cluster.failed;
  const where = cr.status!.maintenanceEtcd!;
  const key = await ctx.deps.fence.read(cr.metadata.namespace, where);
  if (!key || key.revision !== cr.status?.maintenanceRevision) {
    return ctx.fail(cr, 'WaitForInstances', 'the maintenance key was removed or replaced by someone else before the operation ran');
  }
  const lagging = await ctx.instancesNotIn(cr, cluster.c, (i) => i.mode === 'maintenance' && i.fenceRevision === key.revision);
  if (lagging.length > 0) {
    const { enterSeconds } = timeoutsOf(cr.spec);
    if (ctx.stepExpired(cr, enterSeconds))
      return ctx.fail(cr, 'WaitForInstances', `instances did not enter maintenance within ${enterSeconds}s: ${lagging.join(', ')}`);
    const message = `waiting for ${lagging.join(', ')} to enter maintenance`;
    if (cr.status?.message !== message) await ctx.write(cr, { message });
    return { waitMs: pollMs };
  }
  ctx.deps.events.record(cr, 'Normal', 'InMaintenance', 'every instance is in maintenance');
  const handler = handlerOf(cr);
  // fenced: no write can land between this check and the import
  if (handler.requiresEmpty?.(cr.spec) && !(await ctx.deps.fence.isEmpty(cr.metadata.namespace, where))) {
    return ctx.fail(cr, 'WaitForInstances', dataPresentMessage);
  }
  return ctx.write(cr, { step: handler.job ? 'RunJob' : 'Hold', message: handler.runningMessage });
}

/** Maintenance held until the CR is deleted (the finalizer releases it); a key ended by someone else fails it. */
export async function hold(ctx: StepContext, cr: ConfigStoreMaintenance): Promise<StepOutcome> {
  const where = cr.status?.maintenanceEtcd;
  // an operation kept in maintenance after it succeeded is done: only deletion moves it on
  if (handlerOf(cr).job || !where) return { waitMs: keptPollMs };
  const key = await ctx.deps.fence.read(cr.metadata.namespace, where);
  if (key?.revision === cr.status?.maintenanceRevision) return { waitMs: holdPollMs };
  const message = 'the maintenance this resource held was ended by someone else (the etcd key was removed or replaced); the cluster is not held any more';
  ctx.deps.events.record(cr, 'Warning', 'MaintenanceLost', message);
  return ctx.write(cr, {
    phase: 'Failed',
    step: 'Done',
    outcome: 'Failed',
    maintenanceReleased: true,
    message,
    completedAt: ctx.nowIso(),
    lastErrors: withError(cr.status, 'Hold', message, ctx.now()),
  });
}

export async function exitMaintenance(ctx: StepContext, cr: ConfigStoreMaintenance): Promise<StepOutcome> {
  const status = cr.status!;
  const outcome = status.outcome ?? 'Succeeded';
  if (await releaseOwn(ctx, cr)) {
    // a failure keeps its message: it is the one the final status shows
    const next = await ctx.writeOnly(cr, {
      maintenanceReleased: true,
      ...(outcome === 'Succeeded' ? { message: 'maintenance released; waiting for every instance to serve again' } : {}),
    });
    return next ? { next } : { waitMs: 0 };
  }
  let lagging: string[] = [];
  if (status.maintenanceReleased && outcome === 'Succeeded') {
    // done when every instance serves again (a restore that left one behind is not done)
    const cluster = ctx.clusterOf(cr);
    lagging = cluster ? await ctx.instancesNotIn(cr, cluster, (i) => i.mode === 'normal') : [];
    if (lagging.length > 0 && !ctx.stepExpired(cr, verifySeconds)) return { waitMs: pollMs };
  }
  if (outcome === 'Succeeded') await recordSuccess(ctx, cr, status.result);
  const stillExiting = lagging.length > 0 ? `; ${lagging.join(', ')} still not back in normal mode after ${verifySeconds}s` : '';
  const message = outcome === 'Succeeded' ? `${cr.spec.operation} succeeded${stillExiting}` : (status.message ?? 'failed');
  ctx.deps.events.record(cr, outcome === 'Succeeded' ? 'Normal' : 'Warning', outcome, message);
  return ctx.write(cr, { phase: outcome, step: 'Done', completedAt: ctx.nowIso(), message });
}

/**
 * Releases the maintenance key if this CR may have put it (owner-checked in etcd, so never
 * someone else's), where it was recorded; true when this CR's key is now gone and its status
 * does not say so yet. That includes a key this CR put and finds absent: an operator killed
 * between the delete and the status write released it.
 */
export async function releaseOwn(ctx: StepContext, cr: ConfigStoreMaintenance): Promise<boolean> {
  const where = cr.status?.maintenanceEtcd;
  if (!where || cr.status?.maintenanceReleased) return false;
  const released = await ctx.deps.fence.release(cr.metadata.namespace, where, cr.metadata.uid);
  if (released === 'released') {
    ctx.deps.events.record(cr, 'Normal', 'MaintenanceReleased', 'maintenance released');
    return true;
  }
  return released === 'absent' && cr.status?.maintenanceOwner === cr.metadata.uid; // else borrowed (someone else's) or never put
}
