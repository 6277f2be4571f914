// The work: RunJob (one Job per CR, named by its uid and owned by it, its result read back
// from the pod's termination message) and Verify (the result against the spec, and for a
// restore, every instance serving the imported revision).
import type { ConfigStoreMaintenance, OperationResult } from '../../api/index.js';
import type { V1Job } from '@kubernetes/client-node';
import { isConflict } from '../../kube/status.js';
import { ignore404 } from '../errors.js';
import { recordSuccess } from './clusterrecord.js';
import { jobPollMs, pollMs, verifySeconds, type StepContext, type StepOutcome } from './context.js';
import { desiredJob, jobState, parseResult } from './job.js';
import { handlerOf } from './operations.js';

export async function runJob(ctx: StepContext, cr: ConfigStoreMaintenance): Promise<StepOutcome> {
  const cluster = ctx.requireCluster(cr);
  if ('failed' in cluster) return cluster.failed;
  const wanted = desiredJob(cr, cluster.c);
  const name = wanted.metadata!.name!;
  const { namespace } = cr.metadata;
  let job = await readJob(ctx, namespace, name);
  if (!job) {
    // jobName is recorded only once the Job exists: a Job missing after that was lost
    if (cr.status?.jobName) return ctx.fail(cr, 'RunJob', `Job ${name} disappeared before it finished (deleted by someone else?)`);
    job = await createJob(ctx, namespace, wanted);
    ctx.deps.events.record(cr, 'Normal', 'JobCreated', `Job ${name} created`);
  } else if (!job.metadata?.ownerReferences?.some((o) => o.uid === cr.metadata.uid)) {
    return ctx.fail(cr, 'RunJob', `a Job named ${name} exists but does not belong to this ConfigStoreMaintenance`);
  }
  if (!cr.status?.jobName) cr = (await ctx.writeOnly(cr, { jobName: name, message: `running Job ${name}` })) ?? cr;
  const pods = (await ctx.deps.core.listNamespacedPod({ namespace, labelSelector: `job-name=${name}` })).items;
  const state = jobState(job, pods);
  if (state.state === 'running') return { waitMs: jobPollMs };
  if (state.state === 'failed') return ctx.fail(cr, 'RunJob', `Job ${name} failed: ${state.message}`);
  let result: OperationResult;
  try {
    result = parseResult(state.message, handlerOf(cr).job!.resultOperation);
  } catch (err) {
    return ctx.fail(cr, 'RunJob', (err as Error).message);
  }
  ctx.deps.events.record(cr, 'Normal', 'JobSucceeded', `Job ${name}: ${result.objects} objects, ${result.bytes} bytes, sha256 ${result.sha256}`);
  return ctx.write(cr, { step: 'Verify', result, message: 'verifying the result' });
}

export async function verify(ctx: StepContext, cr: ConfigStoreMaintenance): Promise<StepOutcome> {
  const result = cr.status?.result;
  if (!result) return ctx.fail(cr, 'Verify', 'no result recorded');
  const handler = handlerOf(cr);
  const wrong = handler.checkResult?.(cr.spec, result);
  if (wrong) return ctx.fail(cr, 'Verify', wrong);
  const served = handler.mustServe?.(cr.spec, result);
  if (served) {
    const cluster = ctx.requireCluster(cr);
    if ('failed' in cluster) return cluster.failed;
    const revision = BigInt(served);
    const behind = await ctx.instancesNotIn(cr, cluster.c, (i) => BigInt(i.appliedRevision) >= revision);
    if (behind.length > 0) {
      if (ctx.stepExpired(cr, verifySeconds))
        return ctx.fail(
          cr,
          'Verify',
          `the import was applied (revision ${served}) but these instances did not load it within ${verifySeconds}s: ${behind.join(', ')}`,
        );
      return { waitMs: pollMs };
    }
  }
  if (cr.spec.keepMaintenance && cr.status?.maintenanceRevision) {
    await recordSuccess(ctx, cr, result);
    ctx.deps.events.record(cr, 'Normal', 'Succeeded', `${cr.spec.operation} succeeded; maintenance kept until this resource is deleted`);
    return ctx.write(cr, {
      step: 'Hold',
      phase: 'Succeeded',
      outcome: 'Succeeded',
      completedAt: ctx.nowIso(),
      message: `${cr.spec.operation} succeeded; the cluster stays in maintenance until this resource is deleted`,
    });
  }
  return ctx.write(cr, { step: 'ExitMaintenance', outcome: 'Succeeded', message: cr.status?.maintenanceRevision ? 'leaving maintenance' : 'finishing' });
}

async function readJob(ctx: StepContext, namespace: string, name: string): Promise<V1Job | undefined> {
  return ctx.deps.batch.readNamespacedJob({ name, namespace }).catch(ignore404);
}

async function createJob(ctx: StepContext, namespace: string, job: V1Job): Promise<V1Job> {
  try {
    return await ctx.deps.batch.createNamespacedJob({ namespace, body: job });
  } catch (err) {
    if (!isConflict(err)) throw err;
    // made by an earlier run of ours, or a stranger: the owner is checked before it is used
    const existing = await readJob(ctx, namespace, job.metadata!.name!);
    const ownerUid = job.metadata!.ownerReferences![0]!.uid;
    if (!existing?.metadata?.ownerReferences?.some((o) => o.uid === ownerUid)) {
      throw new Error(`a Job named ${job.metadata!.name} exists but does not belong to this ConfigStoreMaintenance`);
    }
    return existing;
  }
}
