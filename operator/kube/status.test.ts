import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolatedNamespace } from '../../scripts/localenv/testenv.js';
import { ConflictError, getCondition, isConflict, replaceStatus, retryOnConflict, setCondition, setKstatusConditions, type Condition } from './status.js';
import { retry429, throwawayCrd, type ThrowawayCrd } from '../../testsupport/kube.js';

type Widget = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; resourceVersion?: string };
  status?: { phase?: string; conditions?: Condition[] };
};

describe('status writes on a real kube-apiserver', () => {
  let kc: KubeConfig;
  let namespace: string;
  let cleanup: () => Promise<void>;
  let crd: ThrowawayCrd;
  let custom: CustomObjectsApi;

  beforeAll(async () => {
    ({ kc, namespace, cleanup } = await isolatedNamespace('status'));
    crd = await throwawayCrd(kc);
    custom = kc.makeApiClient(CustomObjectsApi);
  });
  afterAll(async () => {
    await crd.cleanup();
    await cleanup();
  });

  const read = async (name: string) => (await custom.getNamespacedCustomObject({ ...crd, namespace, name })) as Widget;

  it('writes status conditional on resourceVersion; a stale write is refused with ConflictError and changes nothing', async () => {
    const created = (await retry429(() =>
      custom.createNamespacedCustomObject({
        ...crd,
        namespace,
        body: { apiVersion: `${crd.group}/v1`, kind: 'Widget', metadata: { name: 'w' }, spec: { size: 1 } },
      }),
    )) as Widget;

    const first = await replaceStatus(custom, crd, created, { phase: 'Running' });
    expect(first.status).toEqual({ phase: 'Running' });
    expect(first.metadata.resourceVersion).not.toBe(created.metadata.resourceVersion);

    // `created` is now stale: its write must not land
    const stale = replaceStatus(custom, crd, created, { phase: 'Pending' });
    await expect(stale).rejects.toBeInstanceOf(ConflictError);
    await expect(stale).rejects.toSatisfy(isConflict);
    expect((await read('w')).status).toEqual({ phase: 'Running' });

    // the reconciler's way out: re-read, decide again, write
    let attempts = 0;
    const done = await retryOnConflict(async () => {
      const fresh = attempts++ === 0 ? created : await read('w');
      return replaceStatus(custom, crd, fresh, { ...fresh.status, phase: 'Succeeded' });
    });
    expect(attempts).toBe(2);
    expect(done.status!.phase).toBe('Succeeded');
  });

  it('refuses to send a status write without a resourceVersion', async () => {
    const obj: Widget = { apiVersion: `${crd.group}/v1`, kind: 'Widget', metadata: { name: 'w', namespace } };
    await expect(replaceStatus(custom, crd, obj, { phase: 'Failed' })).rejects.toThrow(/unconditional/);
    expect((await read('w')).status!.phase).toBe('Succeeded');
  });

  it('stores kstatus conditions the API accepts', async () => {
    const w = await read('w');
    const conditions = setKstatusConditions(
      w.status!.conditions,
      { Ready: ['False', 'JobFailed'], Reconciling: ['False', 'JobFailed'], Stalled: ['True', 'JobFailed'] },
      { message: 'exit 3', observedGeneration: 1 },
    );
    const stored = await replaceStatus(custom, crd, w, { ...w.status, conditions });
    expect(stored.status!.conditions!.map((c) => [c.type, c.status])).toEqual([
      ['Ready', 'False'],
      ['Reconciling', 'False'],
      ['Stalled', 'True'],
    ]);
  });
});

describe('conditions', () => {
  const t0 = new Date('2026-01-01T00:00:00.123Z');
  const t1 = new Date('2026-01-01T00:05:00Z');

  it('keeps lastTransitionTime while the status stays, moves it when the status flips', () => {
    let c = setCondition(undefined, { type: 'Ready', status: 'False', reason: 'Starting', message: 'a' }, t0);
    expect(c).toEqual([{ type: 'Ready', status: 'False', reason: 'Starting', message: 'a', lastTransitionTime: '2026-01-01T00:00:00Z' }]);
    c = setCondition(c, { type: 'Ready', status: 'False', reason: 'Waiting', message: 'b', observedGeneration: 2 }, t1);
    expect(c[0]).toMatchObject({ reason: 'Waiting', message: 'b', observedGeneration: 2, lastTransitionTime: '2026-01-01T00:00:00Z' });
    c = setCondition(c, { type: 'Ready', status: 'True', reason: 'Done', message: '' }, t1);
    expect(c[0]).toMatchObject({ status: 'True', lastTransitionTime: '2026-01-01T00:05:00Z' });
    expect(c).toHaveLength(1);
  });

  it('setKstatusConditions sets all three, each moving its lastTransitionTime only when its status flips', () => {
    let c = setKstatusConditions(
      [],
      { Ready: ['False', 'Exporting'], Reconciling: ['True', 'Exporting'], Stalled: ['False', 'Exporting'] },
      { message: 'step 2/4', observedGeneration: 1 },
      t0,
    );
    expect(c.map((x) => `${x.type}=${x.status}`)).toEqual(['Ready=False', 'Reconciling=True', 'Stalled=False']);
    c = setKstatusConditions(
      c,
      { Ready: ['True', 'Succeeded'], Reconciling: ['False', 'Succeeded'], Stalled: ['False', 'Succeeded'] },
      { message: 'done', observedGeneration: 1 },
      t1,
    );
    expect(c.map((x) => `${x.type}=${x.status}`)).toEqual(['Ready=True', 'Reconciling=False', 'Stalled=False']);
    expect(getCondition(c, 'Ready')!.lastTransitionTime).toBe('2026-01-01T00:05:00Z');
    expect(getCondition(c, 'Stalled')!.lastTransitionTime).toBe('2026-01-01T00:00:00Z');
    expect(c.every((x) => x.message === 'done' && x.reason === 'Succeeded')).toBe(true);
  });
});
