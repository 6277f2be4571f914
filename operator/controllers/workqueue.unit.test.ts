// The work queue's retry rules, without servers: a failing key backs off exponentially even
// when its own failure handling produces events for it (the reconcile storm), an event
// during a failed attempt retries sooner but never at once, and success clears the backoff.
import { describe, expect, it } from 'vitest';
import { WorkQueue } from './workqueue.js';
import { OwnWrites } from './ownwrites.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('WorkQueue', () => {
  it('backs off a failing key exponentially, however many events its attempts cause', async () => {
    const attempts: number[] = [];
    const started = Date.now();
    const queue: WorkQueue = new WorkQueue(
      'test',
      async (key) => {
        attempts.push(Date.now() - started);
        queue.add(key); // as the status write of a failed attempt comes back as a watch event
        queue.add(key);
        throw new Error('etcd at http://etcd:2379 is unreachable');
      },
      quiet,
    );
    queue.add('ns/a');
    await sleep(4000);
    await queue.stop();
    // 0, then at most every 2 s (events during failures), never a tight loop
    expect(attempts.length).toBeGreaterThanOrEqual(2);
    expect(attempts.length).toBeLessThanOrEqual(4);
    for (let i = 1; i < attempts.length; i++) expect(attempts[i]! - attempts[i - 1]!).toBeGreaterThanOrEqual(350);
  });

  it('without events, waits 0.5 s, 1 s, 2 s… between failed attempts', async () => {
    const attempts: number[] = [];
    const started = Date.now();
    const queue = new WorkQueue(
      'test',
      async () => {
        attempts.push(Date.now() - started);
        throw new Error('no');
      },
      quiet,
    );
    queue.add('ns/a');
    await sleep(4200);
    await queue.stop();
    const gaps = attempts.slice(1).map((t, i) => t - attempts[i]!);
    expect(gaps.length).toBeGreaterThanOrEqual(2);
    expect(gaps.length).toBeLessThanOrEqual(4);
    // at least 0.5 s × 2^n less its 20 % jitter (timers never fire early)
    gaps.forEach((gap, n) => expect(gap).toBeGreaterThanOrEqual(0.8 * 500 * 2 ** n - 5));
  });

  it('an event for a key that succeeded runs it again at once', async () => {
    let runs = 0;
    const queue: WorkQueue = new WorkQueue(
      'test',
      async (key) => {
        if (++runs === 1) queue.add(key); // a real change came while it ran
        return undefined;
      },
      quiet,
    );
    queue.add('ns/a');
    await sleep(100);
    await queue.stop();
    expect(runs).toBe(2);
  });
});

describe('OwnWrites', () => {
  it('recognises each version it wrote once, and nothing else', () => {
    const own = new OwnWrites();
    own.record('ns/a', '10');
    own.record('ns/a', '12');
    expect(own.consume('ns/a', '11')).toBe(false); // someone else's
    expect(own.consume('ns/a', '10')).toBe(true);
    expect(own.consume('ns/a', '10')).toBe(false); // once
    expect(own.consume('ns/b', '12')).toBe(false);
    expect(own.consume('ns/a', '12')).toBe(true);
    own.record('ns/a', '20');
    own.forget('ns/a');
    expect(own.consume('ns/a', '20')).toBe(false);
  });

  it('a version seen drops the older ones (their events will not come)', () => {
    const own = new OwnWrites();
    for (const rv of ['1', '2', '3']) own.record('ns/a', rv);
    expect(own.consume('ns/a', '3')).toBe(true);
    expect(own.consume('ns/a', '1')).toBe(false);
  });
});
