// Shared probes of the failure e2e tests (failures.test.ts, abort.test.ts): what a person
// would check with kubectl, etcdctl and the configstore API.
import { EventsV1Api } from '@kubernetes/client-node';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ConfigStoreClient } from '../../configstore/client/index.js';
import type { ConfigStoreMaintenance } from '../../operator/api/index.js';
import { readMaintenance, readRegistry } from '../../operator/controllers/etcd.js';
import { etcdClient, localEnv } from '../../scripts/localenv/testenv.js';
import { adminToken, getCluster, getMaintenance, until, type World } from './setup.js';

const run = promisify(execFile);
export const waitMs = 90_000; // the machine is shared and loaded

/** kubectl from the local env's binaries, as the test's admin. */
export async function kubectl(w: World, args: string[]): Promise<{ stdout: string; stderr: string }> {
  const env = localEnv();
  return run('kubectl', ['-n', w.namespace, ...args], { env: { ...process.env, KUBECONFIG: env.kube!.kubeconfig, PATH: `${env.binDir}:${process.env.PATH}` } });
}

export const readyCluster = (w: World, name: string) =>
  until(
    w,
    `cluster ${name} Ready`,
    async () => {
      const c = await getCluster(w, name);
      return c.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True') && c.status.mode === 'normal' && c;
    },
    waitMs,
  );

/** The cluster's server pods, those being deleted left out. */
export async function serverPods(w: World, cluster: string) {
  const pods = await w.core.listNamespacedPod({
    namespace: w.namespace,
    labelSelector: `app.kubernetes.io/component=server,configstore.io/cluster=${cluster}`,
  });
  return pods.items.filter((p) => !p.metadata?.deletionTimestamp);
}

/** One client per Ready server pod of the cluster. */
export async function podClients(w: World, cluster: string): Promise<{ pod: string; client: ConfigStoreClient }[]> {
  return (await serverPods(w, cluster))
    .filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
    .map((p) => ({ pod: p.metadata!.name!, client: new ConfigStoreClient(`http://${p.status!.podIP}:4000`, { token: adminToken }) }));
}

export const finished = (w: World, name: string) =>
  until(
    w,
    `${name} finished`,
    async () => {
      const m = await getMaintenance(w, name);
      return m?.status?.phase && ['Succeeded', 'Failed', 'Rejected'].includes(m.status.phase) && m;
    },
    waitMs,
    200,
    async () => (await getMaintenance(w, name))?.status,
  );

export const condition = (m: ConfigStoreMaintenance | undefined, type: string) => m?.status?.conditions?.find((c) => c.type === type);

/** Every user name a client serves, sorted. */
export async function userNames(client: ConfigStoreClient): Promise<string[]> {
  const names: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.listUsers({ limit: 100, ...(cursor ? { cursor } : {}) });
    names.push(...page.items.map((u) => u.name));
    cursor = page.nextCursor;
  } while (cursor);
  return names.sort();
}

/** The users every pod of the cluster serves, once they all answer (after maintenance they may still be exiting). */
export async function usersOnEveryPod(w: World, cluster: string): Promise<string[][]> {
  const pods = await podClients(w, cluster);
  return Promise.all(
    pods.map(({ pod, client }) =>
      until(
        w,
        `users on ${pod}`,
        async () => {
          try {
            return await userNames(client);
          } catch {
            return undefined;
          }
        },
        waitMs,
      ),
    ),
  );
}

/** The HTTP status a write gets (201 when accepted: it then creates user `name`). */
export async function writeStatus(client: ConfigStoreClient, name: string): Promise<number> {
  try {
    await client.createUser({ name });
    return 201;
  } catch (err) {
    return (err as { status?: number }).status ?? 0;
  }
}

/** The cluster's maintenance key in etcd and its instances' registry entries. */
export async function etcdState(prefix: string) {
  const etcd = etcdClient();
  try {
    return { key: await readMaintenance(etcd, prefix), instances: await readRegistry(etcd, prefix) };
  } finally {
    etcd.close();
  }
}

/** Waits until every registered instance reports `mode` (2 of them). */
export const instancesIn = (w: World, prefix: string, mode: string, replicas = 2) =>
  until(
    w,
    `every instance ${mode}`,
    async () => {
      const { instances } = await etcdState(prefix);
      return instances.length === replicas && instances.every((i) => i.mode === mode) && instances;
    },
    waitMs,
    300,
    () => etcdState(prefix),
  );

export async function jobsOf(w: World, maintenance: string) {
  return (await w.batch.listNamespacedJob({ namespace: w.namespace, labelSelector: `configstore.io/maintenance=${maintenance}` })).items;
}

export async function podsOfJobs(w: World, maintenance: string) {
  return (await w.core.listNamespacedPod({ namespace: w.namespace, labelSelector: `configstore.io/maintenance=${maintenance}` })).items;
}

/** events.k8s.io Events about a ConfigStoreMaintenance. */
export async function eventsOf(w: World, name: string, kind = 'ConfigStoreMaintenance') {
  const events = await w.kc.makeApiClient(EventsV1Api).listNamespacedEvent({ namespace: w.namespace });
  return events.items.filter((e) => e.regarding?.kind === kind && e.regarding.name === name);
}

export const gone = (w: World, name: string) => until(w, `${name} deleted`, async () => (await getMaintenance(w, name)) === undefined, waitMs, 100);
