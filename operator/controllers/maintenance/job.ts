// The Job that runs an export or import: the cluster's own image and CLI, owned by the
// ConfigStoreMaintenance (one Job per CR, named by its uid), and its result read back from
// the container's termination message.
import type { V1EnvVar, V1Job, V1Pod } from '@kubernetes/client-node';
import type { ConfigStoreCluster, ConfigStoreMaintenance, OperationResult, S3Object } from '../../api/index.js';
import { adminTokenEnv, clusterUrl, ownerReference, s3CredentialsEnv } from '../cluster/desired.js';
import { jobLabels, jobName } from '../naming.js';
import { containerSecurityContext, podSecurityContext, scratch } from '../podsecurity.js';

/** s3://bucket/key?endpoint=…&region=…, as the CLI takes it. */
export function s3Url(o: S3Object): string {
  const params = new URLSearchParams();
  if (o.endpoint) params.set('endpoint', o.endpoint);
  params.set('region', o.region ?? 'us-east-1');
  return `s3://${o.bucket}/${o.key.split('/').map(encodeURIComponent).join('/')}?${params}`;
}

export function cliArgs(cr: ConfigStoreMaintenance): string[] {
  const spec = cr.spec;
  if (spec.operation === 'Export') return ['export', '--to', s3Url(spec.export!.destination.s3)];
  if (spec.operation === 'Import') {
    const imp = spec.import!;
    return ['import', '--from', s3Url(imp.source.s3), ...(imp.sha256 ? ['--sha256', imp.sha256] : []), ...(imp.dryRun ? ['--dry-run'] : [])];
  }
  throw new Error(`operation ${spec.operation} runs no Job`);
}

export function desiredJob(cr: ConfigStoreMaintenance, cluster: ConfigStoreCluster): V1Job {
  const target = cr.spec.export?.destination.s3 ?? cr.spec.import?.source.s3;
  const env: V1EnvVar[] = [{ name: 'CONFIGSTORE_SERVER', value: clusterUrl(cluster) }, ...adminTokenEnv(cluster), ...s3CredentialsEnv(target?.credentialsSecretRef), scratch.env];
  const labels = jobLabels(cluster.metadata.name, cr.metadata.name, cr.metadata.uid);
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: jobName(cr.metadata.name, cr.metadata.uid), namespace: cr.metadata.namespace, labels, ownerReferences: [ownerReference(cr)] },
    spec: {
      backoffLimit: 2,
      activeDeadlineSeconds: cr.spec.timeouts?.runSeconds ?? 3600,
      // exit code 2 is bad input (a broken export, a wrong sha256): retrying cannot help
      podFailurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { containerName: 'configstore', operator: 'In', values: [2, 3] } }] },
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          securityContext: podSecurityContext,
          volumes: [scratch.volume],
          ...(cluster.spec.imagePullSecrets ? { imagePullSecrets: cluster.spec.imagePullSecrets } : {}),
          containers: [
            {
              name: 'configstore',
              image: cluster.spec.image,
              ...(cluster.spec.imagePullPolicy ? { imagePullPolicy: cluster.spec.imagePullPolicy } : {}),
              args: cliArgs(cr),
              env,
              volumeMounts: [scratch.mount],
              terminationMessagePolicy: 'FallbackToLogsOnError',
              securityContext: containerSecurityContext,
            },
          ],
        },
      },
    },
  };
}

export type JobState = { state: 'running' } | { state: 'succeeded'; message: string } | { state: 'failed'; message: string };

const terminationMessage = (pod: V1Pod) => pod.status?.containerStatuses?.find((c) => c.name === 'configstore')?.state?.terminated?.message?.trim() ?? '';

/** Where the Job is, with the message of its last finished pod. */
export function jobState(job: V1Job, pods: V1Pod[]): JobState {
  const cond = (type: string) => job.status?.conditions?.some((c) => c.type === type && c.status === 'True');
  const newestFirst = [...pods].sort((a, b) => String(b.metadata?.creationTimestamp ?? '').localeCompare(String(a.metadata?.creationTimestamp ?? '')));
  // a pod that exited 0 is the Job's one completion: its result is final before the Job
  // controller gets round to marking the Job Complete
  const succeeded = newestFirst.find((p) => p.status?.phase === 'Succeeded');
  if (cond('Complete') || succeeded) return { state: 'succeeded', message: succeeded ? terminationMessage(succeeded) : '' };
  if (cond('Failed')) {
    const reason = job.status?.conditions?.find((c) => c.type === 'Failed');
    const pod = newestFirst.find((p) => p.status?.phase === 'Failed');
    const podMessage = pod ? terminationMessage(pod) : '';
    return { state: 'failed', message: [podMessage, reason?.message ?? reason?.reason].filter(Boolean).join('; ') || 'the Job failed' };
  }
  return { state: 'running' };
}

/** The CLI's final JSON line, checked field by field (a partial or foreign message is not a result). */
export function parseResult(message: string, operation: 'export' | 'import'): OperationResult {
  const line = message.split('\n').filter((l) => l.trim().startsWith('{')).pop();
  if (!line) throw new Error(`the Job succeeded but left no result line in its termination message (got ${JSON.stringify(message.slice(0, 200))})`);
  let r: Record<string, unknown>;
  try {
    r = JSON.parse(line) as Record<string, unknown>;
  } catch {
    throw new Error(`the Job's result line is not JSON: ${line.slice(0, 200)}`);
  }
  if (r.operation !== operation) throw new Error(`the Job's result is for ${String(r.operation)}, expected ${operation}`);
  const int = (k: string) => (Number.isSafeInteger(r[k]) && (r[k] as number) >= 0 ? (r[k] as number) : NaN);
  if (Number.isNaN(int('objects')) || Number.isNaN(int('bytes'))) throw new Error('the Job result lacks objects or bytes');
  if (typeof r.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(r.sha256)) throw new Error('the Job result lacks a sha256');
  return {
    location: String(r.location ?? ''),
    objects: int('objects'),
    bytes: int('bytes'),
    sha256: r.sha256,
    ...(typeof r.revision === 'string' ? { revision: r.revision } : {}),
    ...(typeof r.dryRun === 'boolean' ? { dryRun: r.dryRun } : {}),
  };
}
