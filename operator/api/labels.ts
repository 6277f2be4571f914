// The labels the operator puts on what it makes. They are part of its API: users select by
// them (`kubectl get pods -l …`), and so does the kubectl plugin (plugin/), which may import
// operator/api but not the controllers.
export const managedBy = 'configstore-operator';

export const labels = {
  cluster: 'configstore.io/cluster',
  maintenance: 'configstore.io/maintenance',
  runId: 'configstore.io/run-id',
  /** On a backup schedule's runs (ConfigStoreMaintenance): the schedule's name. */
  schedule: 'configstore.io/backup-schedule',
  /** On the ConfigStoreBackup records a ConfigStoreBackupLocation lists: the location's name. */
  backupLocation: 'configstore.io/backup-location',
};

/** app.kubernetes.io/component of a cluster's server pods and of its export/import Jobs' pods. */
export const components = { server: 'server', job: 'maintenance-job' } as const;

/** The selector of a cluster's server pods (a subset of their labels: selectors are immutable); Job pods never match it. */
export function podSelector(cluster: string): Record<string, string> {
  return { 'app.kubernetes.io/name': 'configstore', 'app.kubernetes.io/component': components.server, [labels.cluster]: cluster };
}

/** The selector of a cluster's export/import Job pods. */
export function jobPodSelector(cluster: string): Record<string, string> {
  return { 'app.kubernetes.io/name': 'configstore', 'app.kubernetes.io/component': components.job, 'app.kubernetes.io/instance': cluster };
}

/** The chart's label on the operator's own pods (charts/configstore-operator/templates/_helpers.tpl). */
export const operatorPodSelector = { 'app.kubernetes.io/name': 'configstore-operator' } as const;
