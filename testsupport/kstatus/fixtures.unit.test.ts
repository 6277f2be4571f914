// The kstatus fixtures cover every kind of operator/api, and each fixture's conditions say what
// its expected result says (the real library's verdict is operator/api/kstatus.test.ts).
import { beforeAll, describe, expect, it } from 'vitest';
import { unobservedStatus } from '../../operator/api/index.js';
import { shippedCrds } from '../shippedcrds.js';
import { generators, kstatusFixtures, type KstatusFixture } from './index.js';

type Conditions = { type: string; status: string }[];
const is = (f: KstatusFixture, type: string) => (f.object.status?.conditions as Conditions | undefined)?.find((c) => c.type === type)?.status === 'True';

describe('kstatus fixtures', () => {
  let fixtures: KstatusFixture[];
  beforeAll(async () => {
    fixtures = await kstatusFixtures();
  });

  it('has a generator for every CRD of operator/api, and a Current phase of each', () => {
    const kinds = shippedCrds().map((c) => c.spec.names.kind);
    expect(Object.keys(generators).sort()).toEqual([...kinds].sort());
    for (const kind of kinds) expect(fixtures.filter((f) => f.kind === kind && f.expected === 'Current').length, kind).toBeGreaterThan(1);
  });

  it('serves a created object with the CRD status default, and one behind with its old observedGeneration', () => {
    for (const f of fixtures.filter((x) => x.phase.startsWith('created, not seen'))) {
      expect(f.object.status, f.kind).toEqual(unobservedStatus);
      expect(f.object.metadata.generation).toBe(1);
    }
    for (const f of fixtures.filter((x) => x.phase.startsWith('spec changed'))) {
      expect(f.object.metadata.generation, f.kind).toBe(f.object.status!.observedGeneration! + 1);
    }
  });

  it('Reconciling and Stalled are never both True (kstatus would read whichever comes first)', () => {
    for (const f of fixtures) expect(is(f, 'Reconciling') && is(f, 'Stalled'), `${f.kind}: ${f.phase}`).toBe(false);
  });

  it('each reconciled phase’s conditions agree with its expected result', () => {
    const reconciled = fixtures.filter((f) => f.object.status?.conditions && f.object.metadata.generation === f.object.status.observedGeneration);
    expect(reconciled.length).toBeGreaterThan(20);
    for (const f of reconciled) {
      const said = f.object.metadata.deletionTimestamp
        ? 'Terminating'
        : is(f, 'Stalled')
          ? 'Failed'
          : is(f, 'Reconciling') || !is(f, 'Ready')
            ? 'InProgress'
            : 'Current';
      expect(said, `${f.kind}: ${f.phase}`).toBe(f.expected);
    }
  });
});
