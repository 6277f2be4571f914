// What a support bundle holds, gathered through a narrow reader (the API in practice, a fake
// in the unit tests): the configstore custom resources of the namespace (or of one cluster),
// the cluster's Deployments, Services, Jobs and Pods, the Events about them, the logs of their
// containers and of the operator. Secrets are never read. Every file is redacted (redact.ts);
// what could not be read is a note in the bundle, not a failure.
import { dumpYaml, type CoreV1Event, type V1Pod } from '@kubernetes/client-node';
import { operatorPodSelector } from '../../operator/api/labels.js';
import { backupsOf } from '../ownership.js';
import type { KindName, KindTypes } from '../kube.js';
import { redactObject, redactText } from './redact.js';

export interface ReportReader {
  namespace: string;
  list<K extends KindName>(kind: K): Promise<KindTypes[K][]>;
  /** Workloads of the namespace by label selector. */
  workloads(kind: 'deployments' | 'services' | 'jobs' | 'pods', selector: string): Promise<object[]>;
  events(): Promise<CoreV1Event[]>;
  /** The operator's pods: --operator-namespace, else this namespace, else every namespace. */
  operatorPods(selector: string): Promise<V1Pod[]>;
  log(namespace: string, pod: string, container: string, previous: boolean): Promise<string>;
}

export interface Bundle {
  files: Map<string, string>;
  notes: string[];
  redactions: number;
  counts: { resources: number; events: number; logs: number; operatorLogs: number };
}

const crdFiles: [KindName, string][] = [
  ['cluster', 'configstoreclusters'],
  ['maintenance', 'configstoremaintenances'],
  ['schedule', 'configstorebackupschedules'],
  ['backup', 'configstorebackups'],
  ['location', 'configstorebackuplocations'],
];

export async function collect(reader: ReportReader, o: { cluster?: string; tailLines: number }): Promise<Bundle> {
  const bundle: Bundle = { files: new Map(), notes: [], redactions: 0, counts: { resources: 0, events: 0, logs: 0, operatorLogs: 0 } };
  const note = (what: string, err: unknown) => bundle.notes.push(`${what}: ${(err as Error).message ?? String(err)}`);
  const write = (path: string, text: string) => {
    const r = redactText(text);
    bundle.redactions += r.count;
    bundle.files.set(path, r.text);
  };
  const writeObjects = (path: string, items: object[]) => {
    const r = redactObject(items.map(clean));
    bundle.redactions += r.count;
    bundle.counts.resources += items.length;
    write(path, dumpYaml({ apiVersion: 'v1', kind: 'List', items: r.value }));
  };

  // the custom resources: the clusters must be readable (a cluster named but absent is an error upstream)
  const crs = new Map<KindName, object[]>();
  for (const [kind, file] of crdFiles) {
    try {
      const all = await reader.list(kind);
      crs.set(kind, all);
    } catch (err) {
      if (kind === 'cluster') throw err;
      note(`${file} not collected`, err);
    }
  }
  const mine = (kind: KindName): object[] => {
    const all = crs.get(kind) ?? [];
    if (!o.cluster) return all;
    const c = o.cluster;
    if (kind === 'cluster') return (all as KindTypes['cluster'][]).filter((x) => x.metadata.name === c);
    if (kind === 'maintenance' || kind === 'schedule') return (all as KindTypes['schedule'][]).filter((x) => x.spec.clusterRef.name === c);
    if (kind === 'backup') return backupsOf({ name: c }, all as KindTypes['backup'][], (crs.get('schedule') ?? []) as KindTypes['schedule'][]);
    return all; // locations belong to no cluster
  };
  for (const [kind, file] of crdFiles) if (crs.has(kind)) writeObjects(`resources/${file}.yaml`, mine(kind));

  // the workloads the operator made for the cluster(s): server pods and Job pods both carry app.kubernetes.io/instance
  const selector = o.cluster ? `app.kubernetes.io/name=configstore,app.kubernetes.io/instance=${o.cluster}` : 'app.kubernetes.io/name=configstore';
  const names = new Set(crdFiles.flatMap(([k]) => mine(k).map((x) => (x as { metadata: { name: string } }).metadata.name)));
  let pods: V1Pod[] = [];
  for (const kind of ['deployments', 'services', 'jobs', 'pods'] as const) {
    try {
      const items = await reader.workloads(kind, selector);
      if (kind === 'pods') pods = items as V1Pod[];
      for (const i of items) names.add((i as { metadata: { name: string } }).metadata.name);
      writeObjects(`resources/${kind}.yaml`, items);
    } catch (err) {
      note(`${kind} not collected`, err);
    }
  }

  // events about any of them (a Deployment's ReplicaSets and pods carry its name as a prefix)
  try {
    const about = (e: CoreV1Event) => [...names].some((n) => e.involvedObject.name === n || e.involvedObject.name?.startsWith(`${n}-`));
    const events = (await reader.events()).filter(about).sort((a, b) => eventTime(a) - eventTime(b));
    bundle.counts.events = events.length;
    const r = redactObject(events.map(clean));
    bundle.redactions += r.count;
    write('events.yaml', dumpYaml({ apiVersion: 'v1', kind: 'List', items: r.value }));
  } catch (err) {
    note('events not collected', err);
  }

  // logs: every container of the cluster's pods (the previous run too after a restart), then the operator's
  const logsOf = async (pod: V1Pod, dir: string) => {
    const ns = pod.metadata!.namespace ?? reader.namespace;
    const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
    for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
      const status = statuses.find((s) => s.name === c.name);
      const base = `${dir}/${pod.metadata!.name}/${c.name}`;
      if (!status || (status.restartCount === 0 && !status.state?.running && !status.state?.terminated)) {
        // a container that never ran has no log (the API server answers 204, or an error)
        const waiting = status?.state?.waiting?.reason ?? pod.status?.phase ?? 'not started';
        bundle.notes.push(`no log for ${base}.log: the container has not run yet (${waiting})`);
        continue;
      }
      for (const previous of status.restartCount > 0 ? [false, true] : [false]) {
        const path = `${base}${previous ? '.previous' : ''}.log`;
        try {
          write(path, await reader.log(ns, pod.metadata!.name!, c.name, previous));
          if (dir === 'logs/operator') bundle.counts.operatorLogs++;
          else bundle.counts.logs++;
        } catch (err) {
          note(`no log for ${path}`, err);
        }
      }
    }
  };
  for (const pod of pods) await logsOf(pod, 'logs');
  try {
    const operators = await reader.operatorPods(
      Object.entries(operatorPodSelector)
        .map(([k, v]) => `${k}=${v}`)
        .join(','),
    );
    if (!operators.length) bundle.notes.push('no operator pod found (label app.kubernetes.io/name=configstore-operator): pass --operator-namespace');
    for (const pod of operators) await logsOf(pod, 'logs/operator');
  } catch (err) {
    note('operator logs not collected', err);
  }
  return bundle;
}

/** Without the bulk and the echoes of applied manifests (which could hold anything). */
function clean(obj: object): object {
  // JSON's round trip also drops the client's undefined fields and writes its Dates as the API server does
  const o = JSON.parse(JSON.stringify(obj)) as { metadata?: { managedFields?: unknown; annotations?: Record<string, string> } };
  if (o.metadata) {
    delete o.metadata.managedFields;
    if (o.metadata.annotations) delete o.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'];
  }
  return o;
}

const eventTime = (e: CoreV1Event) => new Date(e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp ?? 0).getTime();
