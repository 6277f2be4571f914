// Pod status as the kubelet writes it (through the status subresource), and its Events.
import { PatchStrategy, setHeaderOptions, type CoreV1Api, type V1ContainerState, type V1Pod, type V1PodCondition, type V1PodStatus } from '@kubernetes/client-node';

export const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

/** What the pod's worker knows of its single container. */
export interface PodState {
  phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
  podIP: string;
  hostIP: string;
  startTime: string;
  state: V1ContainerState;
  lastState?: V1ContainerState;
  restartCount: number;
  ready: boolean;
}

/** Builds the status; conditions keep their lastTransitionTime while their value holds. */
export function buildStatus(pod: V1Pod, s: PodState, previous: V1PodCondition[]): V1PodStatus {
  const container = pod.spec!.containers[0]!;
  const done = s.phase === 'Succeeded' || s.phase === 'Failed';
  const condition = (type: string, value: boolean, reason?: string): V1PodCondition => {
    const status = value ? 'True' : 'False';
    const old = previous.find((c) => c.type === type);
    const lastTransitionTime = (old?.status === status ? old.lastTransitionTime : undefined) ?? now();
    return { type, status, lastTransitionTime: lastTransitionTime as unknown as Date, ...(reason ? { reason } : {}) };
  };
  const notReady = done ? 'PodCompleted' : 'ContainersNotReady';
  const ours = [
    condition('PodReadyToStartContainers', !done),
    condition('Initialized', true),
    condition('ContainersReady', s.ready, s.ready ? undefined : notReady),
    condition('Ready', s.ready, s.ready ? undefined : notReady),
    condition('PodScheduled', true),
  ];
  // conditions of others (the Job controller's DisruptionTarget, ...) stay
  const others = (pod.status?.conditions ?? []).filter((c) => !ours.some((o) => o.type === c.type));
  return {
    phase: s.phase,
    hostIP: s.hostIP,
    hostIPs: [{ ip: s.hostIP }],
    podIP: s.podIP,
    podIPs: [{ ip: s.podIP }],
    startTime: s.startTime as unknown as Date,
    qosClass: pod.status?.qosClass ?? 'BestEffort',
    conditions: [...ours, ...others],
    containerStatuses: [
      {
        name: container.name,
        image: container.image ?? '',
        imageID: `fake-node://${container.image ?? ''}`,
        containerID: `fake-node://${pod.metadata!.uid}/${s.restartCount}`,
        ready: s.ready,
        started: s.state.running !== undefined,
        restartCount: s.restartCount,
        state: s.state,
        lastState: s.lastState ?? {},
      },
    ],
  };
}

const gone = (err: unknown) => (err as { code?: number }).code === 404;

/** Writes one pod's status in order (merge patch of status; others' conditions kept by buildStatus). */
export class StatusWriter {
  private chain: Promise<void> = Promise.resolve();
  constructor(
    private readonly core: CoreV1Api,
    private readonly log: (msg: string) => void,
  ) {}

  write(pod: V1Pod, status: V1PodStatus): Promise<void> {
    const { name, namespace } = pod.metadata as { name: string; namespace: string };
    const attempt = async () => {
      for (let i = 0; ; i++) {
        try {
          await this.core.patchNamespacedPodStatus({ name, namespace, body: { status } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
          return;
        } catch (err) {
          if (gone(err)) return;
          if (i >= 10) {
            this.log(`status of ${namespace}/${name} not written: ${(err as { body?: string }).body ?? String(err)}`);
            return;
          }
          await new Promise((r) => setTimeout(r, 100 * (i + 1)));
        }
      }
    };
    this.chain = this.chain.then(attempt);
    return this.chain;
  }

  /** Resolves once every write asked for so far is done. */
  flush(): Promise<void> {
    return this.chain;
  }
}

/** A core/v1 Event about a pod, from the kubelet of `node` (best effort, like the real one). */
export async function podEvent(core: CoreV1Api, pod: V1Pod, node: string, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
  const { name, namespace, uid } = pod.metadata as { name: string; namespace: string; uid: string };
  const time = now() as unknown as Date;
  const component = reason === 'Scheduled' ? 'default-scheduler' : 'kubelet';
  await core
    .createNamespacedEvent({
      namespace,
      body: {
        metadata: { generateName: `${name}.` },
        involvedObject: { apiVersion: 'v1', kind: 'Pod', name, namespace, uid },
        type,
        reason,
        message,
        source: { component, host: node },
        reportingComponent: component,
        reportingInstance: node,
        firstTimestamp: time,
        lastTimestamp: time,
        count: 1,
      },
    })
    .catch(() => undefined);
}
