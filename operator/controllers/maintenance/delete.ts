// The end of a ConfigStoreMaintenance: the finalizer it carries from the start, deletion as
// the abort (the Job goes, the maintenance this CR put is released, then the finalizer), and
// ttlSecondsAfterFinished.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { ConfigStoreMaintenance } from '../../api/index.js';
import { describeError, ignore404 } from '../errors.js';
import { finalizer, jobName } from '../naming.js';
import { maintenanceResource, type StepContext, type StepOutcome } from './context.js';
import { releaseOwn } from './fence.js';
import { handlerOf } from './operations.js';

export async function addFinalizer(ctx: StepContext, cr: ConfigStoreMaintenance): Promise<StepOutcome> {
  const body = { ...cr, metadata: { ...cr.metadata, finalizers: [...(cr.metadata.finalizers ?? []), finalizer] } };
  const next = (await ctx.deps.custom.replaceNamespacedCustomObject({
    ...maintenanceResource,
    namespace: cr.metadata.namespace,
    name: cr.metadata.name,
    body,
  })) as ConfigStoreMaintenance;
  ctx.deps.onWrite?.(next);
  return { next };
}

/** Deletion is the abort: the Job goes, the maintenance this CR put is released, then the finalizer. */
export async function abort(ctx: StepContext, cr: ConfigStoreMaintenance): Promise<StepOutcome> {
  if (!cr.metadata.finalizers?.includes(finalizer)) return { waitMs: undefined };
  const { namespace } = cr.metadata;
  if (handlerOf(cr).job) {
    // by its derived name: the Job may exist before status.jobName records it
    await ctx.deps.batch.deleteNamespacedJob({ name: jobName(cr.metadata.name, cr.metadata.uid), namespace, propagationPolicy: 'Background' }).catch(ignore404);
  }
  try {
    await releaseOwn(ctx, cr);
  } catch (err) {
    const going = await namespaceBeingDeleted(ctx, namespace);
    // the finalizer stays until the key is released (never a cluster left fenced unseen): say why
    if (!going) {
      ctx.deps.events.record(cr, 'Warning', 'ReleaseFailed', `cannot release maintenance yet, retrying: ${describeError(err)}`);
      throw err;
    }
    // …unless it never can be: then say so where it can still be read, and let the deletion finish
    const where = cr.status!.maintenanceEtcd!;
    const note = `the maintenance key ${where.prefix}maintenance at ${where.endpoints.join(', ')} was not released (${describeError(err)}); the finalizer is removed because namespace ${namespace} is being deleted. If that etcd still serves a cluster, remove the key: etcdctl --endpoints=${where.endpoints[0]} del ${where.prefix}maintenance`;
    ctx.deps.log.warn({ cr: `${namespace}/${cr.metadata.name}`, note }, 'maintenance not released');
    ctx.deps.events.record(cr, 'Warning', 'MaintenanceNotReleased', note);
    // a namespace being deleted takes no new Events: this one goes on the Namespace (in "default")
    ctx.deps.events.recordOn?.(going, 'Warning', 'MaintenanceNotReleased', 'Delete', `ConfigStoreMaintenance ${cr.metadata.name}: ${note}`);
  }
  const finalizers = cr.metadata.finalizers.filter((f) => f !== finalizer);
  await ctx.deps.custom
    .replaceNamespacedCustomObject({ ...maintenanceResource, namespace, name: cr.metadata.name, body: { ...cr, metadata: { ...cr.metadata, finalizers } } })
    .catch(ignore404);
  return { waitMs: undefined };
}

/** A finished CR: deleted once ttlSecondsAfterFinished has passed, else left alone. */
export async function finished(ctx: StepContext, cr: ConfigStoreMaintenance): Promise<StepOutcome> {
  // done and nothing held (a kept maintenance stays in Hold): the finalizer has nothing left to
  // release, so it goes, and a namespace deleted with its operator (or after an uninstall) is not stuck behind it
  if (cr.status?.step !== 'Hold' && cr.metadata.finalizers?.includes(finalizer)) {
    const finalizers = cr.metadata.finalizers.filter((f) => f !== finalizer);
    const next = (await ctx.deps.custom.replaceNamespacedCustomObject({
      ...maintenanceResource,
      namespace: cr.metadata.namespace,
      name: cr.metadata.name,
      body: { ...cr, metadata: { ...cr.metadata, finalizers } },
    })) as ConfigStoreMaintenance;
    ctx.deps.onWrite?.(next);
    return { next };
  }
  const ttl = cr.spec.ttlSecondsAfterFinished;
  if (ttl === undefined || !cr.status?.completedAt) return { waitMs: undefined };
  const dueMs = Date.parse(cr.status.completedAt) + ttl * 1000 - ctx.now().getTime();
  if (dueMs > 0) return { waitMs: dueMs };
  ctx.deps.log.info({ cr: cr.metadata.name }, 'ttlSecondsAfterFinished passed: deleting');
  await ctx.deps.custom.deleteNamespacedCustomObject({ ...maintenanceResource, namespace: cr.metadata.namespace, name: cr.metadata.name }).catch(ignore404);
  return { waitMs: undefined };
}

/**
 * The CR's namespace when it is being deleted (its Secrets and the rest go with it: a
 * release that failed can never succeed), else undefined. Outside a namespace deletion
 * the finalizer waits (a credentials Secret deleted by mistake can be put back).
 */
async function namespaceBeingDeleted(ctx: StepContext, namespace: string): Promise<KubernetesObject | undefined> {
  // (a namespaced install cannot read Namespaces: there the finalizer waits as outside a deletion)
  const ns = await ctx.deps.core.readNamespace({ name: namespace }).catch(() => undefined);
  return ns?.metadata?.deletionTimestamp ? { apiVersion: 'v1', kind: 'Namespace', metadata: ns.metadata } : undefined;
}
