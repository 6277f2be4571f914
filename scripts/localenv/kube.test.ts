// Smoke test: the local control plane is a real kube-apiserver (CRDs with CEL rules,
// status subresources, watches, RBAC) with a real kube-controller-manager behind it.
import { BatchV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, PatchStrategy, RbacAuthorizationV1Api, Watch, setHeaderOptions } from '@kubernetes/client-node';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolatedNamespace, localEnv } from './testenv.js';

const run = promisify(execFile);
const group = 'smoke.configstore.io';

const crd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `widgets.${group}` },
  spec: {
    group,
    scope: 'Namespaced',
    names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                required: ['size'],
                properties: { size: { type: 'integer' } },
                'x-kubernetes-validations': [{ rule: 'self.size <= 10', message: 'size must be at most 10' }],
              },
              status: { type: 'object', properties: { phase: { type: 'string' } } },
            },
          },
        },
      },
    ],
  },
};

type Watched = { metadata: { name: string; resourceVersion: string }; status?: { phase?: string } };

/**
 * Watches `path` from `resourceVersion` until `done` accepts an event. A new resource's
 * watch cache answers 429 while it initializes, and client-node reports that after the
 * watch started: restart from the last revision seen, with a pause, like an informer.
 */
async function watchUntil(kc: KubeConfig, path: string, resourceVersion: string, done: (event: string) => boolean): Promise<string[]> {
  const events: string[] = [];
  let rv = resourceVersion;
  for (let attempt = 0; attempt < 100; attempt++) {
    const finished = await new Promise<boolean>((resolve) => {
      let ac: AbortController | undefined;
      new Watch(kc)
        .watch(
          path,
          { resourceVersion: rv },
          (phase, obj: Watched) => {
            rv = obj.metadata.resourceVersion;
            const event = `${phase}:${obj.metadata.name}:${obj.status?.phase ?? '-'}`;
            events.push(event);
            if (done(event)) {
              ac?.abort();
              resolve(true);
            }
          },
          () => resolve(false),
        )
        .then(
          (c) => (ac = c),
          () => resolve(false),
        );
    });
    if (finished) return events;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`watch of ${path} never delivered the expected event; saw ${events.join(', ')}`);
}

/** client-go retries 429 "storage is (re)initializing" (a new CRD's cache) on its own; client-node does not. */
async function retryWhileInitializing<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if ((err as { code?: number }).code !== 429 || attempt >= 50) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

async function kubectl(args: string[], input?: string): Promise<{ stdout: string; stderr: string }> {
  const env = localEnv();
  const child = run(join(env.binDir, 'kubectl'), args, { env: { ...process.env, KUBECONFIG: env.kube!.kubeconfig } });
  if (input !== undefined) {
    child.child.stdin!.end(input);
  }
  return child;
}

describe('local Kubernetes control plane', () => {
  let kc: KubeConfig;
  let namespace: string;

  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    ({ kc, namespace, cleanup } = await isolatedNamespace('kube-smoke'));
  });
  afterAll(async () => {
    await cleanup();
  });

  it('applies a CRD with kubectl and serves it, watches, status subresource and CEL included', async () => {
    const file = join(localEnv().dir, 'widgets-crd.json');
    writeFileSync(file, JSON.stringify(crd));
    const applied = await kubectl(['apply', '-f', file]);
    expect(applied.stdout).toMatch(/customresourcedefinition.apiextensions.k8s.io\/widgets.smoke.configstore.io (created|configured|unchanged)/);
    await kubectl(['wait', '--for=condition=Established', `crd/widgets.${group}`, '--timeout=30s']);

    const custom = kc.makeApiClient(CustomObjectsApi);
    const coords = { group, version: 'v1', namespace, plural: 'widgets' };
    // list-then-watch, as informers do: the watch replays everything after the list's revision
    const listed = (await retryWhileInitializing(() => custom.listNamespacedCustomObject(coords))) as { metadata: { resourceVersion: string } };
    await custom.createNamespacedCustomObject({
      ...coords,
      body: { apiVersion: `${group}/v1`, kind: 'Widget', metadata: { name: 'w1' }, spec: { size: 3 } },
    });
    // status is written through its subresource, as controllers do
    await custom.patchNamespacedCustomObjectStatus(
      { ...coords, name: 'w1', body: { status: { phase: 'Ready' } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const events = await watchUntil(kc, `/apis/${group}/v1/namespaces/${namespace}/widgets`, listed.metadata.resourceVersion, (e) => e.endsWith(':Ready'));
    expect(events).toEqual(['ADDED:w1:-', 'MODIFIED:w1:Ready']);
    const got = (await custom.getNamespacedCustomObject({ ...coords, name: 'w1' })) as {
      spec: { size: number };
      status: { phase: string };
    };
    expect(got.status.phase).toBe('Ready');
    expect(got.spec.size).toBe(3);

    // the CEL rule refuses a bad object, through kubectl and through the client
    const bad = JSON.stringify({ apiVersion: `${group}/v1`, kind: 'Widget', metadata: { name: 'too-big', namespace }, spec: { size: 11 } });
    const refused = await kubectl(['apply', '-f', '-'], bad).then(
      () => undefined,
      (err: { stderr: string }) => err.stderr,
    );
    expect(refused).toContain('size must be at most 10');
    await expect(
      custom.createNamespacedCustomObject({
        group,
        version: 'v1',
        namespace,
        plural: 'widgets',
        body: { apiVersion: `${group}/v1`, kind: 'Widget', metadata: { name: 'too-big' }, spec: { size: 12 } },
      }),
    ).rejects.toMatchObject({ code: 422 });
  });

  it('runs a Job to completion: the job controller makes the pod, the scheduler binds it, the kubelet runs the image', async () => {
    const node = localEnv().node;
    if (!node) throw new Error('this test needs the real node: start the environment with `scripts/local-env up --kube` (npm test does)');
    const batch = kc.makeApiClient(BatchV1Api);
    const core = kc.makeApiClient(CoreV1Api);
    const job = await batch.createNamespacedJob({
      namespace,
      body: {
        metadata: { name: 'smoke' },
        spec: { backoffLimit: 0, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: node.image, args: ['--help'] }] } } },
      },
    });
    let pod: Awaited<ReturnType<CoreV1Api['listNamespacedPod']>>['items'][number] | undefined;
    for (let i = 0; i < 600 && pod?.status?.phase !== 'Succeeded'; i++) {
      pod = (await core.listNamespacedPod({ namespace, labelSelector: `job-name=smoke` })).items[0];
      if (pod?.status?.phase === 'Failed') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(pod?.metadata!.ownerReferences?.[0]).toMatchObject({ kind: 'Job', name: 'smoke', uid: job.metadata!.uid });
    expect(pod?.spec!.nodeName).toBe(node.name);
    expect(pod?.status!.phase, JSON.stringify(pod?.status?.containerStatuses)).toBe('Succeeded');
  });

  it('enforces RBAC on a service-account token', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'reader' } } });
    const token = await core.createNamespacedServiceAccountToken({
      namespace,
      name: 'reader',
      body: { spec: { audiences: [], expirationSeconds: 600 } },
    });
    const asReader = new KubeConfig();
    const cluster = kc.getCurrentCluster()!;
    asReader.loadFromOptions({
      clusters: [{ name: 'local', server: cluster.server, caFile: cluster.caFile! }],
      users: [{ name: 'reader', token: token.status!.token }],
      contexts: [{ name: 'local', cluster: 'local', user: 'reader' }],
      currentContext: 'local',
    });
    const readerCore = asReader.makeApiClient(CoreV1Api);
    await expect(readerCore.listNamespacedConfigMap({ namespace })).rejects.toMatchObject({ code: 403 });

    const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
    await rbac.createNamespacedRole({
      namespace,
      body: { metadata: { name: 'cm-reader' }, rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['list'] }] },
    });
    await rbac.createNamespacedRoleBinding({
      namespace,
      body: {
        metadata: { name: 'cm-reader' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'cm-reader' },
        subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace }],
      },
    });
    // RBAC now allows it; kube-root-ca.crt is published into every namespace by the real controller
    let names: string[] = [];
    for (let i = 0; i < 100 && !names.includes('kube-root-ca.crt'); i++) {
      if (i) await new Promise((r) => setTimeout(r, 100));
      names = (await readerCore.listNamespacedConfigMap({ namespace })).items.map((c) => c.metadata!.name!);
    }
    expect(names).toContain('kube-root-ca.crt');
    await expect(readerCore.listNamespacedSecret({ namespace })).rejects.toMatchObject({ code: 403 });
  });
});
