// etcd3 1.1.2 throws from its watch stream's data handler when a response names a watcher it
// no longer has (one etcd cancelled after a compaction, or one we cancelled, its last response
// still in flight). The throw escapes as an unhandled rejection, which ends a Node process,
// and the stream's other responses are lost with it. Such a response has no listener left:
// it is dropped and counted here instead. Imported for its effect by readdb.ts.
import { WatchManager } from 'etcd3/lib/watch.js';

interface Manager {
  watchers: Array<{ id: string | null }>;
  handleResponse(res: { watch_id: string }): void;
}

const manager = WatchManager.prototype as unknown as Manager;
const handleResponse = manager.handleResponse;

/** Watch responses dropped because their watcher was gone (process-wide). */
export const droppedWatchResponses = { count: 0 };

manager.handleResponse = function (this: Manager, res: { watch_id: string }): void {
  if (!this.watchers.some((w) => w.id === res.watch_id)) {
    droppedWatchResponses.count++;
    return;
  }
  handleResponse.call(this, res);
};
