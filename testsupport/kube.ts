// Test helpers for operator/kube: a throwaway CRD, a KubeConfig routed through a TCP proxy
// (to cut the network under a watch).
import { ApiextensionsV1Api, KubeConfig } from '@kubernetes/client-node';
import { startTcpProxy, type TcpProxy } from '../scripts/localenv/tcpproxy.js';
import { uniqueName } from '../scripts/localenv/testenv.js';
import type { Log } from '../configstore/log.js';
import { eventually } from './eventually.js';

export const quiet: Log = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

/** A log that keeps what it was given, to assert on warnings. */
export function recordingLog(): Log & { lines: { level: string; msg: string; obj: unknown }[] } {
  const lines: { level: string; msg: string; obj: unknown }[] = [];
  const at = (level: string) => (obj: unknown, msg?: string) => void lines.push({ level, msg: msg ?? String(obj), obj });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } as never;
}

export interface ThrowawayCrd {
  group: string;
  version: 'v1';
  plural: 'widgets';
  kind: 'Widget';
  cleanup: () => Promise<void>;
}

/** A namespaced Widget CRD with a status subresource in a group of its own; established on return. */
export async function throwawayCrd(kc: KubeConfig): Promise<ThrowawayCrd> {
  const group = `${uniqueName('t')}.kube.configstore.io`;
  const ext = kc.makeApiClient(ApiextensionsV1Api);
  const name = `widgets.${group}`;
  await ext.createCustomResourceDefinition({
    body: {
      metadata: { name },
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
                  spec: { type: 'object', properties: { size: { type: 'integer' } } },
                  status: { type: 'object', x_kubernetes_preserve_unknown_fields: true },
                },
              },
            },
          },
        ],
      },
    },
  });
  await eventually(
    async () => {
      const crd = await ext.readCustomResourceDefinition({ name });
      return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
    },
    { what: `CRD ${name} established`, timeoutMs: 20_000 },
  );
  return {
    group,
    version: 'v1',
    plural: 'widgets',
    kind: 'Widget',
    cleanup: async () => {
      await ext.deleteCustomResourceDefinition({ name }).catch(() => undefined);
    },
  };
}

/** client-go retries 429 "storage is (re)initializing" (a new CRD's cache); client-node does not. */
export async function retry429<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if ((err as { code?: number }).code !== 429 || attempt >= 100) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** The same credentials as `kc`, but every connection goes through a TCP proxy the test can cut. */
export async function proxiedKubeConfig(kc: KubeConfig): Promise<{ kc: KubeConfig; proxy: TcpProxy }> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('no current cluster');
  const target = new URL(cluster.server);
  const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port) });
  const via = new KubeConfig();
  via.loadFromOptions({
    clusters: kc.clusters.map((c) => (c.name === cluster.name ? { ...c, server: `https://${proxy.address}` } : c)),
    users: kc.users,
    contexts: kc.contexts,
    currentContext: kc.getCurrentContext(),
  });
  return { kc: via, proxy };
}
