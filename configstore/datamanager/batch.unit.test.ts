// Which queued writes go into one txn (takeBatch): disjoint change groups only, per-group order
// kept, etcd's operation limits respected, the first always taken.
import { describe, expect, it } from 'vitest';
import { maxTxnOps, takeBatch } from './datamanager.js';

const write = (name: string, checked: string[], bumped: string[] = checked) => ({
  name,
  walKey: `wal/${name}`,
  wal: '{}',
  checked: new Set(checked),
  bumped: new Set(bumped),
  readRevision: 1n,
});
const names = (ws: { name: string }[]) => ws.map((w) => w.name);

describe('takeBatch', () => {
  it('takes writes on disjoint groups together, in queue order', () => {
    const queue = [write('a', ['g1']), write('b', ['g2']), write('c', ['g3'])];
    expect(names(takeBatch(queue))).toEqual(['a', 'b', 'c']);
    expect(queue).toEqual([]);
  });

  it('leaves a write sharing a group for the next batch, and anything queued behind it on its groups', () => {
    // b bumps what a checks; c shares g4 with b only: it waits behind b; d is free
    const queue = [write('a', ['g1']), write('b', ['g4'], ['g1', 'g4']), write('c', ['g4', 'g5']), write('d', ['g6'])];
    expect(names(takeBatch(queue))).toEqual(['a', 'd']);
    expect(names(queue)).toEqual(['b', 'c']);
    expect(names(takeBatch(queue))).toEqual(['b']);
    expect(names(takeBatch(queue))).toEqual(['c']);
  });

  it('keeps two bumps of one group (siblings touching their parent) apart: etcd refuses two puts of a key in one txn', () => {
    const queue = [write('a', ['a'], ['a', 'children']), write('b', ['b'], ['b', 'children'])];
    expect(names(takeBatch(queue))).toEqual(['a']);
    expect(names(takeBatch(queue))).toEqual(['b']);
  });

  it("stays within etcd's operation limits, and always takes the first", () => {
    const wide = (name: string, n: number) =>
      write(
        name,
        Array.from({ length: n }, (_, i) => `${name}-${i}`),
      );
    const queue = [wide('a', 60), wide('b', 60), wide('c', 60)];
    const first = takeBatch(queue);
    expect(names(first)).toEqual(['a', 'b']); // 3 + 61 + 61 = 125 compares; c would pass 128
    expect(first.reduce((n, w) => n + w.checked.size + 1, 3)).toBeLessThanOrEqual(maxTxnOps);
    const huge = [wide('x', 200)];
    expect(names(takeBatch(huge))).toEqual(['x']); // too big alone: etcd says so, as without batching
  });
});
