import { CoreV1Api, EventsV1Api, type KubeConfig, type V1ConfigMap } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolatedNamespace } from '../../scripts/localenv/testenv.js';
import { EventRecorder } from './events.js';
import { quiet, recordingLog } from '../../testsupport/kube.js';

describe('EventRecorder on a real kube-apiserver', () => {
  let kc: KubeConfig;
  let namespace: string;
  let cleanup: () => Promise<void>;
  let target: V1ConfigMap;

  beforeAll(async () => {
    ({ kc, namespace, cleanup } = await isolatedNamespace('events'));
    target = await kc.makeApiClient(CoreV1Api).createNamespacedConfigMap({ namespace, body: { metadata: { name: 'target' } } });
    target = { apiVersion: 'v1', kind: 'ConfigMap', ...target };
  });
  afterAll(async () => {
    await cleanup();
  });

  /** What `kubectl get events` reads: core/v1 Events. */
  const coreEvents = async () => (await kc.makeApiClient(CoreV1Api).listNamespacedEvent({ namespace })).items;

  it('records an event about an object that the core/v1 event list shows', async () => {
    const rec = new EventRecorder({ events: kc.makeApiClient(EventsV1Api), log: quiet, reportingInstance: 'op-0' });
    await rec.warning(target, 'ExportFailed', 'RunJob', 'the export job failed: exit 3');
    const events = await coreEvents();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'Warning',
      reason: 'ExportFailed',
      action: 'RunJob',
      message: 'the export job failed: exit 3',
      involvedObject: { kind: 'ConfigMap', name: 'target', namespace, uid: target.metadata!.uid },
      reportingComponent: 'configstore.io/operator',
      reportingInstance: 'op-0',
    });
    expect(Date.parse(String(events[0]!.eventTime))).toBeGreaterThan(Date.now() - 60_000);
  });

  it('folds a repeated event into one series and keeps different ones apart', async () => {
    const rec = new EventRecorder({ events: kc.makeApiClient(EventsV1Api), log: quiet });
    for (let i = 0; i < 3; i++) await rec.normal(target, 'Waiting', 'Queue', 'waiting for export main-1');
    await rec.normal(target, 'Waiting', 'Queue', 'waiting for export main-2');
    const waiting = (await kc.makeApiClient(EventsV1Api).listNamespacedEvent({ namespace })).items.filter((e) => e.reason === 'Waiting');
    expect(waiting.map((e) => [e.note, e.series?.count ?? 1]).sort()).toEqual([
      ['waiting for export main-1', 3],
      ['waiting for export main-2', 1],
    ]);
  });

  it('logs and swallows a failure instead of throwing it at the caller', async () => {
    const log = recordingLog();
    const rec = new EventRecorder({ events: kc.makeApiClient(EventsV1Api), log });
    const elsewhere = { ...target, metadata: { ...target.metadata, namespace: 'no-such-namespace-here' } };
    await expect(rec.normal(elsewhere, 'Started', 'Start', 'x')).resolves.toBeUndefined();
    expect(log.lines).toEqual([expect.objectContaining({ level: 'warn', msg: 'could not record an event' })]);
  });
});
