// Status writes that only land on the revision they were computed from, and kstatus
// conditions (Ready / Reconciling / Stalled) that kubectl wait, Argo CD and Flux understand.
import type { CustomObjectsApi, KubernetesObject } from '@kubernetes/client-node';
import { statusCode } from './request.js';

/** The object changed since it was read: re-read it and decide again. */
export class ConflictError extends Error {
  readonly code = 409;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConflictError';
  }
}

export function isConflict(err: unknown): boolean {
  return err instanceof ConflictError || statusCode(err) === 409;
}

export interface ResourceCoords {
  group: string;
  version: string;
  plural: string;
}

/**
 * Replaces the status subresource of `obj`, conditional on `obj.metadata.resourceVersion`
 * (so a stale status never overwrites a newer one). Resolves to the stored object.
 */
export async function replaceStatus<T extends KubernetesObject & { status?: unknown }>(
  custom: CustomObjectsApi,
  res: ResourceCoords,
  obj: T,
  status: T['status'],
): Promise<T> {
  const { name, namespace, resourceVersion } = obj.metadata ?? {};
  if (!name || !namespace) throw new Error('replaceStatus needs metadata.name and metadata.namespace');
  if (!resourceVersion) throw new Error(`refusing an unconditional status write to ${res.plural}/${namespace}/${name}: no resourceVersion`);
  try {
    return (await custom.replaceNamespacedCustomObjectStatus({ ...res, namespace, name, body: { ...obj, status } })) as T;
  } catch (err) {
    if (statusCode(err) === 409) {
      throw new ConflictError(`${res.plural}/${namespace}/${name} changed since resourceVersion ${resourceVersion}`, { cause: err });
    }
    throw err;
  }
}

/** Runs `attempt` again (it should re-read) while it fails with a conflict. */
export async function retryOnConflict<T>(attempt: () => Promise<T>, attempts = 5): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (err) {
      if (!isConflict(err) || i >= attempts) throw err;
    }
  }
}

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface Condition {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
  observedGeneration?: number;
  lastTransitionTime: string;
}

export type ConditionInput = Omit<Condition, 'lastTransitionTime'>;

/** metav1.Time: RFC 3339 in whole seconds. */
export function metaTime(d: Date = new Date()): string {
  return d.toISOString().replace(/\.\d+Z$/, 'Z');
}

/**
 * Sets (adds or replaces) the condition of `input.type`; lastTransitionTime moves only when
 * the status changes. Returns a new array, order kept.
 */
export function setCondition(conditions: readonly Condition[] | undefined, input: ConditionInput, now: Date = new Date()): Condition[] {
  const list = [...(conditions ?? [])];
  const i = list.findIndex((c) => c.type === input.type);
  const prev = i >= 0 ? list[i] : undefined;
  const next: Condition = {
    ...input,
    lastTransitionTime: prev && prev.status === input.status ? prev.lastTransitionTime : metaTime(now),
  };
  if (i >= 0) list[i] = next;
  else list.push(next);
  return list;
}

export function getCondition(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

export function isConditionTrue(conditions: readonly Condition[] | undefined, type: string): boolean {
  return getCondition(conditions, type)?.status === 'True';
}

export function removeCondition(conditions: readonly Condition[] | undefined, type: string): Condition[] {
  return (conditions ?? []).filter((c) => c.type !== type);
}

/** The three kstatus conditions' status and reason: Ready, and the "abnormal-true" Reconciling and Stalled. */
export type KstatusConditions = Record<'Ready' | 'Reconciling' | 'Stalled', readonly [ConditionStatus, string]>;

/**
 * Sets the three kstatus conditions at once, with one message (both reconcilers write their
 * conditions through this; kubectl wait, kstatus, Argo CD and Flux read them).
 */
export function setKstatusConditions(
  conditions: readonly Condition[] | undefined,
  states: KstatusConditions,
  detail: { message: string; observedGeneration?: number },
  now: Date = new Date(),
): Condition[] {
  let list = [...(conditions ?? [])];
  for (const type of ['Ready', 'Reconciling', 'Stalled'] as const) {
    const [status, reason] = states[type];
    list = setCondition(list, { type, status, reason, ...detail }, now);
  }
  return list;
}
