// What a ConfigStoreMaintenance writes on its cluster's status before it turns Succeeded: the
// cluster's last export, and this operation among those that succeeded (so a re-created CR
// of the same name is not run again: Admit looks there).
import type { KubernetesObject } from '@kubernetes/client-node';
import type { ConfigStoreCluster, ConfigStoreMaintenance, OperationResult } from '../../api/index.js';
import { clusterKind, group, version } from '../../api/index.js';
import { replaceStatus, retryOnConflict } from '../../kube/status.js';
import { ignore404 } from '../errors.js';
import type { StepContext } from './context.js';

/** One entry per name (the newest); the oldest names are dropped past this many. */
export const succeededOperationsKept = 200;

export async function recordSuccess(ctx: StepContext, cr: ConfigStoreMaintenance, result: OperationResult | undefined): Promise<void> {
  const { namespace } = cr.metadata;
  const name = cr.spec.clusterRef.name;
  const clusters = { group, version, plural: clusterKind.plural };
  await retryOnConflict(async () => {
    const cluster = (await ctx.deps.custom.getNamespacedCustomObject({ ...clusters, namespace, name }).catch(ignore404)) as ConfigStoreCluster | undefined;
    if (!cluster) return;
    const status = { ...cluster.status };
    const done = status.succeededOperations ?? [];
    if (!done.some((o) => o.uid === cr.metadata.uid)) {
      const others = done.filter((o) => o.name !== cr.metadata.name);
      status.succeededOperations = [...others, { name: cr.metadata.name, uid: cr.metadata.uid, operation: cr.spec.operation, completedAt: ctx.nowIso() }].slice(
        -succeededOperationsKept,
      );
    }
    if (cr.spec.operation === 'Export' && result) {
      status.lastExport = {
        maintenance: cr.metadata.name,
        location: result.location,
        objects: result.objects,
        bytes: result.bytes,
        sha256: result.sha256,
        revision: result.revision ?? '',
        completedAt: ctx.nowIso(),
      };
    }
    await replaceStatus(ctx.deps.custom, clusters, cluster as ConfigStoreCluster & KubernetesObject, status);
  });
}
