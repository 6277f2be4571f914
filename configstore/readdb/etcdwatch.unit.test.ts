import { WatchManager } from 'etcd3/lib/watch.js';
import { describe, expect, it } from 'vitest';
import { droppedWatchResponses } from './etcdwatch.js';

// etcd3's own WatchManager (patched by ./etcdwatch.js), with just the state handleResponse reads
function manager(watchers: Array<{ id: string; emit(event: string, res: unknown): void }>) {
  const m = Object.assign(Object.create(WatchManager.prototype) as object, { watchers, initialBackoff: { next: () => ({}) } });
  return m as unknown as { handleResponse(res: unknown): void };
}

describe("etcd3's watch responses for a watcher it no longer has", () => {
  it('are dropped and counted, not thrown (etcd3 throws, and the rejection would end the process)', () => {
    const before = droppedWatchResponses.count;
    const m = manager([{ id: '1', emit: () => true }]);
    expect(() => m.handleResponse({ watch_id: '7', canceled: false, events: [] })).not.toThrow();
    expect(droppedWatchResponses.count).toBe(before + 1);
  });

  it("go to etcd3's own handling when the watcher is there", () => {
    const emitted: unknown[] = [];
    const m = manager([{ id: '1', emit: (event, res) => emitted.push([event, res]) }]);
    const res = { watch_id: '1', canceled: false, events: [] };
    m.handleResponse(res);
    expect(emitted).toEqual([['data', res]]);
  });
});
