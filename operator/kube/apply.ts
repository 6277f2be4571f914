// Server-side apply: the operator states the whole desired object and the apiserver merges
// it, removing fields the operator set before and no longer states, leaving other
// managers' fields alone. `force` takes over fields someone else changed by hand.
import { PatchStrategy, type KubernetesObject, type KubernetesObjectApi } from '@kubernetes/client-node';

export const FIELD_MANAGER = 'configstore-operator';

export interface ApplyOptions {
  fieldManager?: string; // default FIELD_MANAGER
  force?: boolean; // default true
  dryRun?: boolean;
}

/** Applies `obj` (apiVersion, kind, metadata.name and namespace set); resolves to the stored object. */
export async function applyObject<T extends KubernetesObject>(objects: KubernetesObjectApi, obj: T, opts: ApplyOptions = {}): Promise<T> {
  if (!obj.apiVersion || !obj.kind || !obj.metadata?.name) throw new Error('applyObject needs apiVersion, kind and metadata.name');
  // an apply body may not carry managedFields; a copy read from the server would
  const body = { ...obj, metadata: { ...obj.metadata, managedFields: undefined } };
  return objects.patch(body, undefined, opts.dryRun ? 'All' : undefined, opts.fieldManager ?? FIELD_MANAGER, opts.force ?? true, PatchStrategy.ServerSideApply);
}
