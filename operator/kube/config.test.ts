import { AuthenticationV1Api, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isolatedNamespace, localEnv } from '../../scripts/localenv/testenv.js';
import { currentNamespace, loadKubeConfig, makeClients } from './config.js';

describe('loadKubeConfig and makeClients', () => {
  let kc: KubeConfig;
  let namespace: string;
  let cleanup: () => Promise<void>;
  const saved = { ...process.env };
  const dirs: string[] = [];

  beforeAll(async () => {
    ({ kc, namespace, cleanup } = await isolatedNamespace('config'));
  });
  afterEach(() => {
    for (const k of ['KUBECONFIG', 'KUBERNETES_SERVICE_HOST', 'KUBERNETES_SERVICE_PORT']) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });
  afterAll(async () => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    await cleanup();
  });

  it('uses $KUBECONFIG, and its clients reach the apiserver', async () => {
    process.env.KUBECONFIG = localEnv().kube!.kubeconfig;
    process.env.KUBERNETES_SERVICE_HOST = '203.0.113.1'; // $KUBECONFIG wins over in-cluster
    const clients = makeClients(loadKubeConfig());
    expect(clients.kc.getCurrentCluster()!.server).toBe(localEnv().kube!.server);
    expect((await clients.core.readNamespace({ name: namespace })).metadata!.name).toBe(namespace);
    const read = await clients.objects.read({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
    expect(read.metadata!.uid).toBeTruthy();
    for (const api of ['apps', 'batch', 'custom', 'coordination', 'events'] as const) expect(clients[api]).toBeTruthy();
  });

  it('uses the in-cluster service account when KUBERNETES_SERVICE_HOST is set and no kubeconfig is given', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'operator' } } });
    const token = await core.createNamespacedServiceAccountToken({ namespace, name: 'operator', body: { spec: { audiences: [], expirationSeconds: 600 } } });
    const prefix = mkdtempSync(join(tmpdir(), 'incluster-'));
    dirs.push(prefix);
    const sa = join(prefix, 'var/run/secrets/kubernetes.io/serviceaccount');
    mkdirSync(sa, { recursive: true });
    writeFileSync(join(sa, 'token'), token.status!.token!);
    writeFileSync(join(sa, 'ca.crt'), readFileSync(kc.getCurrentCluster()!.caFile!));
    writeFileSync(join(sa, 'namespace'), namespace);

    const server = new URL(localEnv().kube!.server);
    delete process.env.KUBECONFIG;
    process.env.KUBERNETES_SERVICE_HOST = server.hostname;
    process.env.KUBERNETES_SERVICE_PORT = server.port;
    const inCluster = loadKubeConfig({ serviceAccountPrefix: prefix });
    expect(currentNamespace(inCluster)).toBe(namespace);
    const review = await inCluster.makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body: {} });
    expect(review.status!.userInfo!.username).toBe(`system:serviceaccount:${namespace}:operator`);
  });

  it('an explicit kubeconfig file wins over the environment', () => {
    process.env.KUBECONFIG = '/nonexistent/kubeconfig';
    const explicit = loadKubeConfig({ kubeconfig: localEnv().kube!.kubeconfig });
    expect(explicit.getCurrentCluster()!.server).toBe(localEnv().kube!.server);
    expect(currentNamespace(explicit)).toBe('default');
  });
});
