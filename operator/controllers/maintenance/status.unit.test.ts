// Status rules without servers: the same error in a row is counted on one entry, a new
// one is added, and the list keeps the newest 10.
import { describe, expect, it } from 'vitest';
import { withError } from './status.js';

const at = (s: number) => new Date(Date.UTC(2026, 11, 1, 0, 0, s));

describe('withError', () => {
  it('counts a repeat on the last entry instead of adding copies', () => {
    let errors = withError(undefined, 'EnterMaintenance', 'etcd at http://etcd:2379 is unreachable since …', at(0));
    for (let i = 1; i <= 9; i++) errors = withError({ lastErrors: errors }, 'EnterMaintenance', 'etcd at http://etcd:2379 is unreachable since …', at(i));
    expect(errors).toEqual([
      {
        step: 'EnterMaintenance',
        message: 'etcd at http://etcd:2379 is unreachable since …',
        observedAt: at(9).toISOString(),
        count: 10,
        firstObservedAt: at(0).toISOString(),
      },
    ]);
  });

  it('adds a different error (or the same on another step), keeping the newest 10', () => {
    let errors = withError(undefined, 'RunJob', 'a', at(0));
    errors = withError({ lastErrors: errors }, 'Verify', 'a', at(1));
    errors = withError({ lastErrors: errors }, 'Verify', 'b', at(2));
    expect(errors.map((e) => [e.step, e.message, e.count])).toEqual([
      ['RunJob', 'a', undefined],
      ['Verify', 'a', undefined],
      ['Verify', 'b', undefined],
    ]);
    for (let i = 0; i < 12; i++) errors = withError({ lastErrors: errors }, 'Verify', `e${i}`, at(3 + i));
    expect(errors).toHaveLength(10);
    expect(errors.at(-1)!.message).toBe('e11');
  });
});
