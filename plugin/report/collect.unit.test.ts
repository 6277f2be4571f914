import type { CoreV1Event, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { backup, cluster, operation, schedule } from '../../testsupport/pluginobjects.js';
import type { KindName } from '../kube.js';
import { collect, type ReportReader } from './collect.js';

const pod = (name: string, ns: string, restarts = 0, started = true): V1Pod => ({
  metadata: { name, namespace: ns, labels: { 'app.kubernetes.io/name': 'configstore' } },
  spec: { containers: [{ name: 'server', env: [{ name: 'AWS_SECRET_ACCESS_KEY', value: 'in-the-spec' }] }] },
  status: {
    phase: started ? 'Running' : 'Pending',
    containerStatuses: [
      {
        name: 'server',
        restartCount: restarts,
        ready: started,
        image: 'i',
        imageID: 'i',
        state: started ? { running: {} } : { waiting: { reason: 'ContainerCreating' } },
      },
    ],
  },
});
const event = (about: string, message: string) =>
  ({ metadata: {}, involvedObject: { name: about }, message, lastTimestamp: new Date('2026-06-01T00:00:00Z') }) as CoreV1Event;

function fakeReader(o: { forbidOperators?: boolean } = {}): ReportReader & { selectors: string[] } {
  const crs: Record<KindName, object[]> = {
    cluster: [cluster('main'), cluster('other')],
    maintenance: [
      operation('export-1', 'Export', { phase: 'Failed', message: 'S3 said: Authorization: Bearer leaked-in-a-message' }),
      operation('x', 'Export', {}, 'other'),
    ],
    schedule: [schedule('nightly', 'main')],
    backup: [backup('nightly-1', { createdAt: '2026-06-01T02:00:00Z', schedule: 'nightly' })],
    location: [],
  };
  const selectors: string[] = [];
  return {
    namespace: 'demo',
    selectors,
    list: async (kind) => crs[kind] as never,
    workloads: async (kind, selector) => (
      selectors.push(selector),
      kind === 'pods' ? [pod('main-configstore-a', 'demo', 1), pod('pending', 'demo', 0, false), pod('gone', 'demo')] : []
    ),
    events: async () => [event('main', 'Ready'), event('main-configstore-a', 'Pulled'), event('unrelated-app', 'noise'), event('export-1', 'Failed')],
    operatorPods: async () => {
      if (o.forbidOperators) throw new Error('forbidden: RBAC does not allow list on pods across all namespaces');
      return [pod('configstore-operator-0', 'operators')];
    },
    log: async (_ns, name, _c, previous) => {
      if (name === 'pending') throw new Error('never asked: the container has not run');
      if (name === 'gone') throw new Error('pods "gone" not found');
      return `{"msg":"started","authorization":"Bearer abc123"} ${previous ? 'previous run' : 'this run'} password=hunter2\n`;
    },
  };
}

describe('collect', () => {
  it("holds one cluster's resources, the events about them, every log, redacted, and notes what it could not read", async () => {
    const reader = fakeReader();
    const b = await collect(reader, { cluster: 'main', tailLines: 100 });
    expect([...b.files.keys()].sort()).toEqual([
      'events.yaml',
      'logs/main-configstore-a/server.log',
      'logs/main-configstore-a/server.previous.log',
      'logs/operator/configstore-operator-0/server.log',
      'resources/configstorebackuplocations.yaml',
      'resources/configstorebackups.yaml',
      'resources/configstorebackupschedules.yaml',
      'resources/configstoreclusters.yaml',
      'resources/configstoremaintenances.yaml',
      'resources/deployments.yaml',
      'resources/jobs.yaml',
      'resources/pods.yaml',
      'resources/services.yaml',
    ]);
    expect(reader.selectors[0]).toBe('app.kubernetes.io/name=configstore,app.kubernetes.io/instance=main');
    expect(b.files.get('resources/configstoreclusters.yaml')).toContain('name: main');
    expect(b.files.get('resources/configstoreclusters.yaml')).not.toContain('name: other');
    expect(b.files.get('resources/configstoremaintenances.yaml')).toContain('Authorization: Bearer [REDACTED]');
    expect(b.files.get('resources/configstoremaintenances.yaml')).not.toMatch(/name: x$/m);
    expect(b.files.get('events.yaml')).toMatch(/message: Ready[\s\S]*message: Pulled[\s\S]*message: Failed/);
    expect(b.files.get('events.yaml')).not.toContain('noise');
    expect(b.files.get('logs/main-configstore-a/server.previous.log')).toBe(
      '{"msg":"started","authorization":"[REDACTED]"} previous run password=[REDACTED]\n',
    );
    const all = [...b.files.values()].join('\n');
    for (const secret of ['hunter2', 'abc123', 'in-the-spec', 'leaked-in-a-message']) expect(all).not.toContain(secret);
    expect(b.counts).toEqual({ resources: 7, events: 3, logs: 2, operatorLogs: 1 });
    expect(b.redactions).toBeGreaterThanOrEqual(9);
    expect(b.notes).toEqual([
      'no log for logs/pending/server.log: the container has not run yet (ContainerCreating)',
      'no log for logs/gone/server.log: pods "gone" not found',
    ]);
  });

  it('goes on without what RBAC refuses, except the clusters themselves', async () => {
    const b = await collect(fakeReader({ forbidOperators: true }), { tailLines: 100 });
    expect(b.notes).toContain('operator logs not collected: forbidden: RBAC does not allow list on pods across all namespaces');
    expect(b.files.get('resources/configstoreclusters.yaml')).toContain('name: other');
    const refused = { ...fakeReader(), list: async () => Promise.reject(new Error('forbidden')) };
    await expect(collect(refused, { tailLines: 1 })).rejects.toThrow('forbidden');
  });
});
