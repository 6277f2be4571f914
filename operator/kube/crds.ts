// Installs the operator's CRDs (server-side apply) and waits until they are served. The
// operator itself never does this (its RBAC has no CRD rights): Helm, the demo and tests do.
import { ApiextensionsV1Api, type KubeConfig, PatchStrategy, setHeaderOptions, type V1CustomResourceDefinition } from '@kubernetes/client-node';
import { customResourceDefinitions } from '../api/index.js';

export async function applyCrds(kc: KubeConfig, timeoutMs = 30_000): Promise<void> {
  const ext = kc.makeApiClient(ApiextensionsV1Api);
  for (const crd of customResourceDefinitions()) {
    await ext.patchCustomResourceDefinition(
      { name: crd.metadata.name, body: crd as unknown as V1CustomResourceDefinition, fieldManager: 'configstore-installer', force: true },
      setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
    );
  }
  const deadline = Date.now() + timeoutMs;
  for (const crd of customResourceDefinitions()) {
    for (;;) {
      const live = await ext.readCustomResourceDefinition({ name: crd.metadata.name });
      if (live.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) break;
      if (Date.now() > deadline) throw new Error(`CRD ${crd.metadata.name} not established after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
