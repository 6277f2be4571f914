// Restore at creation (spec.bootstrap.restore): once the new cluster's instances are ready,
// an Import ConfigStoreMaintenance `<cluster>-bootstrap` (owned by the cluster, requireEmpty)
// brings the data in. It runs at most once: status.bootstrap records what happened (Restored,
// DataPresent, StartedEmpty) and is never cleared, so a GitOps tool that re-creates the
// cluster object over existing data finds it non-empty and restores nothing.
import type { CustomObjectsApi } from '@kubernetes/client-node';
import type { Log } from '../../../configstore/log.js';
import type { ConfigStoreCluster, ConfigStoreClusterStatus, ConfigStoreMaintenance } from '../../api/index.js';
import { manifestSuffix } from '../../../configstore/types/index.js';
import { apiVersion, group, maintenanceKind, version, type ConfigStoreBackup, type S3Object } from '../../api/index.js';
import { backups } from '../inventory.js';
import type { Condition } from '../../kube/status.js';
import type { BackupObjects } from '../backupobjects.js';
import { ignore404 } from '../errors.js';
import { boundedName, labels } from '../naming.js';
import { dataPresentMessage } from '../maintenance/fence.js';
import { ownerReference } from './desired.js';

export interface BootstrapDeps {
  custom: CustomObjectsApi;
  objects: BackupObjects;
  /** Whether the cluster's etcd prefix never held data. */
  isEmpty(cluster: ConfigStoreCluster): Promise<boolean>;
  log: Log;
  now: () => Date;
}

export const bootstrapName = (cluster: string) => boundedName(cluster, 'bootstrap');
const maintenances = { group, version, plural: maintenanceKind.plural };

export type BootstrapCondition = Omit<Condition, 'lastTransitionTime' | 'observedGeneration'>;

/**
 * One step of the bootstrap; changes `status.bootstrap` when it is settled and returns the
 * Bootstrapped condition (undefined: no bootstrap asked for).
 */
export async function bootstrapStep(
  deps: BootstrapDeps,
  cluster: ConfigStoreCluster,
  status: ConfigStoreClusterStatus,
  ready: boolean,
): Promise<BootstrapCondition | undefined> {
  const restore = cluster.spec.bootstrap?.restore;
  const done = status.bootstrap;
  const type = 'Bootstrapped';
  if (done) return { type, status: 'True', reason: done.result, message: describeDone(done) };
  if (!restore) return undefined;
  if (!ready) return { type, status: 'False', reason: 'WaitingForInstances', message: 'the restore starts once every instance is ready' };

  const { namespace } = cluster.metadata;
  const name = bootstrapName(cluster.metadata.name);
  const run = (await deps.custom.getNamespacedCustomObject({ ...maintenances, namespace, name }).catch(ignore404)) as ConfigStoreMaintenance | undefined;
  const settle = (
    result: 'Restored' | 'DataPresent' | 'StartedEmpty',
    where: string | undefined,
    extra: Partial<NonNullable<ConfigStoreClusterStatus['bootstrap']>> = {},
  ) => {
    status.bootstrap = { result, completedAt: deps.now().toISOString(), ...(where ? { source: where } : {}), ...extra };
    deps.log.info({ cluster: cluster.metadata.name, bootstrap: status.bootstrap }, 'bootstrap settled');
    return { type, status: 'True' as const, reason: result, message: describeDone(status.bootstrap) };
  };

  const owners = run?.metadata.ownerReferences ?? [];
  if (run && !owners.some((o) => o.uid === cluster.metadata.uid)) {
    // the run of an earlier object of the same name (deleted, then re-created): not this one's
    return {
      type,
      status: 'False',
      reason: 'WaitingForOldRun',
      message: `waiting for ConfigStoreMaintenance ${name} of an earlier ${cluster.metadata.name} to be deleted`,
    };
  }
  if (!run) {
    // the cheap checks first; the Import checks emptiness again once fenced (no write can slip in)
    if (!(await deps.isEmpty(cluster))) return settle('DataPresent', undefined);
    const chosen = await chooseSource(deps, namespace, restore);
    if ('ambiguous' in chosen) return { type, status: 'False', reason: 'SourceAmbiguous', message: `${chosen.ambiguous}; looked at again every round` };
    const where = 'source' in chosen ? `s3://${chosen.source.bucket}/${chosen.source.key}` : undefined;
    const missing =
      'missing' in chosen ? chosen.missing : !(await deps.objects.exists(namespace, chosen.source)) ? `the restore source ${where} does not exist` : undefined;
    if (missing || !('source' in chosen)) {
      if ((restore.onMissing ?? 'Fail') === 'StartEmpty') return settle('StartedEmpty', where);
      return { type, status: 'False', reason: 'SourceMissing', message: `${missing} (onMissing: Fail); looked at again every round` };
    }
    const annotations = {
      ...(chosen.backup ? { [backupAnnotation]: chosen.backup } : {}),
      ...(chosen.sourceClusterUid ? { [sourceUidAnnotation]: chosen.sourceClusterUid } : {}),
    };
    const body = {
      apiVersion,
      kind: maintenanceKind.kind,
      metadata: { name, namespace, ownerReferences: [ownerReference(cluster)], annotations },
      spec: {
        clusterRef: { name: cluster.metadata.name },
        operation: 'Import',
        import: {
          source: { s3: chosen.source },
          requireEmpty: true,
          ...(chosen.sha256 ? { sha256: chosen.sha256 } : {}),
          ...(restore.encryption ? { encryption: restore.encryption } : {}),
        },
      },
    };
    await deps.custom.createNamespacedCustomObject({ ...maintenances, namespace, body }).catch((err: unknown) => {
      if ((err as { code?: number }).code !== 409) throw err;
    });
    return { type, status: 'False', reason: 'Restoring', message: `restoring ${where} (ConfigStoreMaintenance ${name})` };
  }

  const source = run.spec.import!.source.s3;
  const where = `s3://${source.bucket}/${source.key}`;
  const recorded = {
    ...(run.metadata.annotations?.[backupAnnotation] ? { backup: run.metadata.annotations[backupAnnotation] } : {}),
    ...(run.metadata.annotations?.[sourceUidAnnotation] ? { sourceClusterUid: run.metadata.annotations[sourceUidAnnotation] } : {}),
  };
  const phase = run.status?.phase;
  if (phase === 'Succeeded') {
    const r = run.status!.result;
    return settle('Restored', where, {
      maintenance: name,
      ...recorded,
      ...(r ? { sha256: r.sha256, objects: r.objects, ...(r.revision ? { revision: r.revision } : {}) } : {}),
    });
  }
  if (phase === 'Failed' && run.status?.message === dataPresentMessage) return settle('DataPresent', where, { maintenance: name });
  if (phase === 'Failed' || phase === 'Rejected') {
    return {
      type,
      status: 'False',
      reason: 'RestoreFailed',
      message: `the restore ${name} ${phase.toLowerCase()}: ${run.status?.message ?? ''}; delete ConfigStoreMaintenance ${name} to try again`.slice(0, 4096),
    };
  }
  return { type, status: 'False', reason: 'Restoring', message: `restoring ${where} (ConfigStoreMaintenance ${name}: ${run.status?.step ?? 'Admit'})` };
}

const backupAnnotation = 'configstore.io/bootstrap-backup';
const sourceUidAnnotation = 'configstore.io/source-cluster-uid';
type Restore = NonNullable<NonNullable<ConfigStoreCluster['spec']['bootstrap']>['restore']>;
/** What to restore; or nothing there (missing: onMissing decides); or a choice that cannot be made (ambiguous: never StartEmpty). */
type Chosen = { source: S3Object; sha256?: string; backup?: string; sourceClusterUid?: string } | { missing: string } | { ambiguous: string };

/** What to restore: the S3 object named, or a ConfigStoreBackup by name or the newest Available one. */
async function chooseSource(deps: BootstrapDeps, namespace: string, restore: Restore): Promise<Chosen> {
  if (restore.source) {
    const source = restore.source.s3;
    // the manifest beside it names the cluster it came from (best effort: an export without one restores all the same)
    const manifest = await deps.objects.readManifest(namespace, { ...source, key: `${source.key}${manifestSuffix}` }).catch(() => undefined);
    return { source, ...(restore.sha256 ? { sha256: restore.sha256 } : {}), ...(manifest?.source?.uid ? { sourceClusterUid: manifest.source.uid } : {}) };
  }
  const selector = restore.backupLocation ? { labelSelector: `${labels.backupLocation}=${restore.backupLocation}` } : {};
  const list = (await deps.custom.listNamespacedCustomObject({ ...backups, namespace, ...selector })) as { items: ConfigStoreBackup[] };
  const available = list.items.filter((b) => b.status?.conditions?.some((c) => c.type === 'Available' && c.status === 'True'));
  const among = restore.backupLocation ? ` listed by ConfigStoreBackupLocation ${restore.backupLocation}` : '';
  if (restore.backup === 'latest') {
    // the newest of two clusters' backups is not "the latest" of either: refuse rather than restore the wrong cluster's data
    const sources = [...new Set(available.map(sourceName))];
    if (sources.length > 1) {
      return {
        ambiguous: `backup: latest is ambiguous: the Available ConfigStoreBackups${among} in namespace ${namespace} come from ${sources.length} clusters (${sources.join(', ')}); name the backup, or set backupLocation to a ConfigStoreBackupLocation on one cluster's folder`,
      };
    }
  }
  const record =
    restore.backup === 'latest'
      ? available.sort((a, b) => Date.parse(b.spec.manifest.createdAt) - Date.parse(a.spec.manifest.createdAt))[0]
      : available.find((b) => b.metadata.name === restore.backup);
  if (!record) {
    return {
      missing:
        restore.backup === 'latest'
          ? `no Available ConfigStoreBackup${among} in namespace ${namespace} yet (a ConfigStoreBackupLocation on the folder that holds the backups lists them)`
          : `no Available ConfigStoreBackup ${restore.backup}${among} in namespace ${namespace}`,
    };
  }
  const uid = record.spec.manifest.source?.uid;
  return {
    source: record.spec.location,
    sha256: restore.sha256 ?? record.spec.manifest.sha256,
    backup: record.metadata.name,
    ...(uid ? { sourceClusterUid: uid } : {}),
  };
}

/** The cluster a backup came from, as its manifest names it. */
function sourceName(b: ConfigStoreBackup): string {
  const s = b.spec.manifest.source;
  return s?.name ? `${s.namespace ? `${s.namespace}/` : ''}${s.name}` : 'an unnamed cluster';
}

function describeDone(b: NonNullable<ConfigStoreClusterStatus['bootstrap']>): string {
  if (b.result === 'Restored')
    return `restored ${b.source} (sha256 ${b.sha256}, revision ${b.revision}, ${b.objects} objects) at ${b.completedAt}; never run again`;
  if (b.result === 'StartedEmpty' && !b.source) return `no backup to restore was found at ${b.completedAt} (onMissing: StartEmpty): started empty`;
  if (b.result === 'DataPresent') return `the cluster already held data at ${b.completedAt}: nothing was restored over it, and bootstrap will not run again`;
  return `the restore source ${b.source} did not exist at ${b.completedAt} (onMissing: StartEmpty): started empty`;
}
