// Kubernetes Events (events.k8s.io/v1) about the objects the operator manages. Recording
// is best effort: a failure is logged and never reaches the reconciler. The same event
// repeated within a few minutes bumps the first one's series count instead of piling up
// new objects, like client-go's event broadcaster.
import { PatchStrategy, V1MicroTime, setHeaderOptions, type EventsV1Api, type KubernetesObject, type V1ObjectReference } from '@kubernetes/client-node';
import { hostname } from 'node:os';
import type { Log } from '../../configstore/log.js';
import { statusCode } from './request.js';

export type EventType = 'Normal' | 'Warning';

export interface EventInput {
  type: EventType;
  /** Machine-readable, UpperCamelCase: "ExportStarted". */
  reason: string;
  /** What the operator did or failed to do: "CreateJob", "EnterMaintenance". */
  action: string;
  /** Human-readable; cut to 1 kB as the API requires. */
  note: string;
  related?: KubernetesObject;
}

export interface EventRecorderOptions {
  events: EventsV1Api;
  log: Log;
  reportingController?: string; // default "configstore.io/operator"
  reportingInstance?: string; // default POD_NAME, else the hostname
  /** Identical events within this window become one series (default 6 min, as client-go). */
  seriesWindowMs?: number;
}

type Series = { name: string; namespace: string; count: number; last: number };

export class EventRecorder {
  private readonly controller: string;
  private readonly instance: string;
  private readonly windowMs: number;
  private readonly series = new Map<string, Series>();
  private seq = 0;

  constructor(private readonly opts: EventRecorderOptions) {
    this.controller = opts.reportingController ?? 'configstore.io/operator';
    this.instance = (opts.reportingInstance ?? (process.env.POD_NAME || hostname())).slice(0, 128);
    this.windowMs = opts.seriesWindowMs ?? 6 * 60_000;
  }

  normal(regarding: KubernetesObject, reason: string, action: string, note: string): Promise<void> {
    return this.record(regarding, { type: 'Normal', reason, action, note });
  }

  warning(regarding: KubernetesObject, reason: string, action: string, note: string): Promise<void> {
    return this.record(regarding, { type: 'Warning', reason, action, note });
  }

  /** Never rejects. */
  async record(regarding: KubernetesObject, e: EventInput): Promise<void> {
    const ref = objectRef(regarding);
    const namespace = ref.namespace || 'default';
    const note = e.note.length > 1024 ? `${e.note.slice(0, 1021)}...` : e.note;
    const key = [ref.uid, ref.kind, ref.name, e.type, e.reason, e.action, note].join('\u0000');
    const now = Date.now();
    this.prune(now);
    try {
      const seen = this.series.get(key);
      if (seen) {
        seen.count++;
        seen.last = now;
        const body = { series: { count: seen.count, lastObservedTime: new V1MicroTime(now) } };
        try {
          await this.opts.events.patchNamespacedEvent(
            { name: seen.name, namespace: seen.namespace, body },
            setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
          );
          return;
        } catch (err) {
          if (statusCode(err) !== 404) throw err;
          this.series.delete(key); // expired on the server: start a new one
        }
      }
      const name = `${ref.name}.${(BigInt(now) * 1_000_000n + BigInt(this.seq++ % 1_000_000)).toString(16)}`;
      await this.opts.events.createNamespacedEvent({
        namespace,
        body: {
          metadata: { name, namespace },
          eventTime: new V1MicroTime(now),
          type: e.type,
          reason: e.reason.slice(0, 128),
          action: e.action.slice(0, 128),
          note,
          regarding: ref,
          related: e.related ? objectRef(e.related) : undefined,
          reportingController: this.controller,
          reportingInstance: this.instance,
        },
      });
      this.series.set(key, { name, namespace, count: 1, last: now });
    } catch (err) {
      this.opts.log.warn({ err, reason: e.reason, object: `${ref.kind}/${namespace}/${ref.name}` }, 'could not record an event');
    }
  }

  private prune(now: number): void {
    for (const [k, s] of this.series) if (now - s.last > this.windowMs) this.series.delete(k);
  }
}

export function objectRef(obj: KubernetesObject): V1ObjectReference {
  const m = obj.metadata ?? {};
  return { apiVersion: obj.apiVersion, kind: obj.kind, name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion };
}
