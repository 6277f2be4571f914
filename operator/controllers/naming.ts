// Names and labels of what the operator creates, derived from the custom resources so a
// restarted operator finds (never duplicates) what it made before.
import { createHash } from 'node:crypto';
import { jobPodSelector, managedBy, podSelector, labels } from '../api/labels.js';

export { labels, managedBy, podSelector } from '../api/labels.js';

export const fieldManager = 'configstore-operator';
export const finalizer = 'configstore.io/release-maintenance';

/** Labels of a cluster's server pods (and its Deployment and Service). */
export function clusterLabels(cluster: string): Record<string, string> {
  return { ...podSelector(cluster), 'app.kubernetes.io/instance': cluster, 'app.kubernetes.io/managed-by': managedBy };
}

/** Labels of an export/import Job and its pod. */
export function jobLabels(cluster: string, maintenance: string, uid: string): Record<string, string> {
  return {
    ...jobPodSelector(cluster),
    'app.kubernetes.io/managed-by': managedBy,
    [labels.maintenance]: maintenance,
    [labels.runId]: runIdOf(uid),
  };
}

export function selectorString(selector: Record<string, string>): string {
  return Object.entries(selector)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** A name within 63 characters: long inputs keep a hash so they stay unique. */
export function boundedName(base: string, suffix: string): string {
  const full = `${base}-${suffix}`;
  if (full.length <= 63) return full;
  const hash = createHash('sha256').update(full).digest('hex').slice(0, 8);
  return `${base.slice(0, 63 - suffix.length - 10)}-${hash}-${suffix}`;
}

export const deploymentName = (cluster: string) => boundedName(cluster, 'configstore');
export const serviceName = (cluster: string) => boundedName(cluster, 'configstore');
/** The run id is the CR's uid: one Job per ConfigStoreMaintenance, whatever happens to the operator. */
export const runIdOf = (uid: string) => uid.slice(0, 8);
export const jobName = (maintenance: string, uid: string) => boundedName(maintenance, runIdOf(uid));
