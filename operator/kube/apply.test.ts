import { CoreV1Api, KubernetesObjectApi, PatchStrategy, setHeaderOptions, type KubeConfig, type V1ConfigMap } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolatedNamespace } from '../../scripts/localenv/testenv.js';
import { applyObject, FIELD_MANAGER } from './apply.js';

describe('applyObject (server-side apply) on a real kube-apiserver', () => {
  let kc: KubeConfig;
  let namespace: string;
  let cleanup: () => Promise<void>;
  let objects: KubernetesObjectApi;
  let core: CoreV1Api;

  beforeAll(async () => {
    ({ kc, namespace, cleanup } = await isolatedNamespace('apply'));
    objects = KubernetesObjectApi.makeApiClient(kc);
    core = kc.makeApiClient(CoreV1Api);
  });
  afterAll(async () => {
    await cleanup();
  });

  const desired = (data: Record<string, string>): V1ConfigMap => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'cfg', namespace, labels: { app: 'cs' } },
    data,
  });

  it('creates, then updates as the configstore-operator field manager, removing what it no longer states', async () => {
    const created = await applyObject(objects, desired({ a: '1', b: '1' }));
    expect(created.data).toEqual({ a: '1', b: '1' });
    expect(created.metadata!.managedFields).toContainEqual(expect.objectContaining({ manager: FIELD_MANAGER, operation: 'Apply' }));

    // someone else adds a key and changes one of ours
    await core.patchNamespacedConfigMap(
      { namespace, name: 'cfg', fieldManager: 'someone', body: { data: { mine: 'x', a: 'hand-edited' } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );

    const updated = await applyObject(objects, desired({ a: '2' }));
    // b dropped (ours, no longer stated); a forced back to ours; their key kept
    expect(updated.data).toEqual({ a: '2', mine: 'x' });
    expect((await core.readNamespacedConfigMap({ namespace, name: 'cfg' })).data).toEqual({ a: '2', mine: 'x' });

    // re-applying the object as read (managedFields and all) is accepted and changes nothing
    const again = await applyObject(objects, { ...updated, apiVersion: 'v1', kind: 'ConfigMap', data: { a: '2' } });
    expect(again.metadata!.resourceVersion).toBe(updated.metadata!.resourceVersion);
  });

  it('without force, a field owned by another manager is a conflict, and dryRun stores nothing', async () => {
    await expect(applyObject(objects, desired({ a: '2', mine: 'y' }), { force: false })).rejects.toMatchObject({ code: 409 });
    const dry = await applyObject(objects, desired({ a: '3' }), { dryRun: true });
    expect(dry.data!.a).toBe('3');
    expect((await core.readNamespacedConfigMap({ namespace, name: 'cfg' })).data!.a).toBe('2');
  });
});
