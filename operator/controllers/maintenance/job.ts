// The Job that runs an export or import: the cluster's own image and CLI, owned by the
// ConfigStoreMaintenance (one Job per CR, named by its uid), and its result read back from
// the container's termination message.
import type { V1EnvVar, V1Job, V1Pod } from '@kubernetes/client-node';
import { parseResultLine } from '../../../configstore/types/index.js';
import type { ConfigStoreCluster, ConfigStoreMaintenance, OperationResult } from '../../api/index.js';
import { timeoutsOf } from '../../api/index.js';
import { adminTokenEnv, clusterUrl, ownerReference, s3CredentialsEnv } from '../cluster/desired.js';
import { jobLabels, jobName } from '../naming.js';
import { containerSecurityContext, podSecurityContext, scratch } from '../podsecurity.js';
import { secretFileVolumes, targetOf } from './jobsecrets.js';
import { handlerOf } from './operations.js';

/** The CLI arguments of the CR's Job (from the operation table). */
export function cliArgs(cr: ConfigStoreMaintenance): string[] {
  const job = handlerOf(cr).job;
  if (!job) throw new Error(`operation ${cr.spec.operation} runs no Job`);
  return job.args(cr.spec);
}

export function desiredJob(cr: ConfigStoreMaintenance, cluster: ConfigStoreCluster): V1Job {
  const target = targetOf(cr.spec);
  const secrets = secretFileVolumes(cr.spec);
  const env: V1EnvVar[] = [
    { name: 'CONFIGSTORE_SERVER', value: clusterUrl(cluster) },
    ...adminTokenEnv(cluster),
    ...s3CredentialsEnv(target?.credentialsSecretRef),
    scratch.env,
    ...sourceClusterEnv(cr, cluster),
  ];
  const labels = jobLabels(cluster.metadata.name, cr.metadata.name, cr.metadata.uid);
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: jobName(cr.metadata.name, cr.metadata.uid), namespace: cr.metadata.namespace, labels, ownerReferences: [ownerReference(cr)] },
    spec: {
      backoffLimit: 2,
      activeDeadlineSeconds: timeoutsOf(cr.spec).runSeconds,
      // exit code 2 is bad input (a broken export, a wrong sha256): retrying cannot help
      podFailurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { containerName: 'configstore', operator: 'In', values: [2, 3] } }] },
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          securityContext: podSecurityContext,
          volumes: [scratch.volume, ...secrets.volumes],
          ...(cluster.spec.imagePullSecrets ? { imagePullSecrets: cluster.spec.imagePullSecrets } : {}),
          containers: [
            {
              name: 'configstore',
              image: cluster.spec.image,
              ...(cluster.spec.imagePullPolicy ? { imagePullPolicy: cluster.spec.imagePullPolicy } : {}),
              args: cliArgs(cr),
              env,
              volumeMounts: [scratch.mount, ...secrets.volumeMounts],
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

/** The CLI's final JSON line (configstore/types/dataopresult.ts: the schema the CLI prints by), as the status records it. */
export function parseResult(message: string, operation: 'export' | 'import'): OperationResult {
  const r = parseResultLine(message, operation);
  return {
    location: r.location ?? '',
    objects: r.objects,
    bytes: r.bytes,
    sha256: r.sha256,
    ...(r.revision !== undefined ? { revision: r.revision } : {}),
    ...(r.dryRun !== undefined ? { dryRun: r.dryRun } : {}),
    ...(r.encrypted ? { encrypted: true } : {}),
  };
}

/** An export's manifest names the cluster it came from (an inventory tells backups of different clusters apart). */
function sourceClusterEnv(cr: ConfigStoreMaintenance, cluster: ConfigStoreCluster): V1EnvVar[] {
  if (handlerOf(cr).job?.resultOperation !== 'export') return [];
  return [
    { name: 'CONFIGSTORE_SOURCE_CLUSTER_NAMESPACE', value: cluster.metadata.namespace },
    { name: 'CONFIGSTORE_SOURCE_CLUSTER_NAME', value: cluster.metadata.name },
    { name: 'CONFIGSTORE_SOURCE_CLUSTER_UID', value: cluster.metadata.uid ?? '' },
  ];
}
