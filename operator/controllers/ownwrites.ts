// The resourceVersions a reconciler wrote itself. Its informer sees each of them come back as
// a watch event; re-queueing on those would re-run the reconcile at once after every status
// write, which defeats the queue's backoff (a failing step wrote status ~50 times a second).
// Events from anyone else (a spec change, a deletion, another controller) still queue.
export class OwnWrites {
  private readonly written = new Map<string, string[]>();

  /** Remembers that this process wrote `resourceVersion` of `key` (the newest few per key). */
  record(key: string, resourceVersion: string | undefined): void {
    if (!resourceVersion) return;
    const versions = this.written.get(key) ?? [];
    versions.push(resourceVersion);
    this.written.set(key, versions.slice(-8));
  }

  /** True (once) when the event's object is one this process wrote. */
  consume(key: string, resourceVersion: string | undefined): boolean {
    const versions = this.written.get(key);
    const i = resourceVersion ? (versions?.indexOf(resourceVersion) ?? -1) : -1;
    if (i < 0) return false;
    versions!.splice(0, i + 1); // older ones will not come any more
    if (versions!.length === 0) this.written.delete(key);
    return true;
  }

  forget(key: string): void {
    this.written.delete(key);
  }
}
