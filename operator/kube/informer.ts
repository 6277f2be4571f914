// A list+watch cache of one resource path that never gives up: client-node's informer
// stops on most errors and can go silent, so this one restarts
// with capped, jittered backoff, relists on 410 Gone, restarts a watch that has been quiet
// past a watchdog, and re-delivers every cached object on a periodic resync.
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Log } from '../../configstore/log.js';
import { deadline, jsonLines, kubeGet, statusCode } from './request.js';

export type InformerEventType = 'add' | 'update' | 'delete' | 'resync';

export interface InformerOptions<T extends KubernetesObject> {
  kc: KubeConfig;
  /** Collection path: `/api/v1/namespaces/NS/configmaps`, `/apis/G/V/PLURAL` (all namespaces)… */
  path: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Called in event order; a throw or rejection is logged, never stops the informer. */
  onEvent: (type: InformerEventType, obj: T) => void | Promise<void>;
  log: Log;
  /** No event or bookmark for this long → restart the watch (default 5 min; bookmarks come about every minute). */
  watchdogMs?: number;
  /** Re-deliver every cached object this often (default 10 min; 0 = never). */
  resyncMs?: number;
  backoffInitialMs?: number; // default 500
  backoffMaxMs?: number; // default 30 s
  /** Page size of the list (default 500). */
  pageSize?: number;
  /** Server-side watch timeout; default a random 5–10 min, so watches recycle like client-go's. */
  watchTimeoutSeconds?: number;
}

export interface InformerStats {
  lists: number;
  watches: number;
  failures: number;
  watchdogRestarts: number;
  lastEventAt: number | undefined;
}

type WatchEnd = 'gone' | 'closed' | 'restart';
type WatchEvent = { type?: string; object?: KubernetesObject & { code?: number; message?: string } };

export class Informer<T extends KubernetesObject> {
  private readonly cache = new Map<string, T>();
  private readonly stopAc = new AbortController();
  private watchAc: AbortController | undefined;
  private loop: Promise<void> | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private synced = false;
  private syncWaiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  private forceRelist = false;
  private rewindTo: string | undefined;
  readonly stats: InformerStats = { lists: 0, watches: 0, failures: 0, watchdogRestarts: 0, lastEventAt: undefined };

  constructor(private readonly opts: InformerOptions<T>) {}

  start(): void {
    if (this.loop || this.stopAc.signal.aborted) return;
    this.loop = this.run();
    const resyncMs = this.opts.resyncMs ?? 600_000;
    if (resyncMs > 0) {
      this.resyncTimer = setInterval(() => this.resync(), resyncMs);
      this.resyncTimer.unref();
    }
  }

  /** Resolves once every request is aborted and the loop has ended. */
  async stop(): Promise<void> {
    this.stopAc.abort();
    this.watchAc?.abort();
    clearInterval(this.resyncTimer);
    for (const w of this.syncWaiters.splice(0)) w.reject(new Error(`informer ${this.opts.path} stopped before it synced`));
    await this.loop;
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.cache.get(key(namespace, name));
  }

  list(namespace?: string): T[] {
    const all = [...this.cache.values()];
    return namespace === undefined ? all : all.filter((o) => o.metadata?.namespace === namespace);
  }

  hasSynced(): boolean {
    return this.synced;
  }

  waitForSync(timeoutMs = 60_000): Promise<void> {
    if (this.synced) return Promise.resolve();
    if (this.stopAc.signal.aborted) return Promise.reject(new Error(`informer ${this.opts.path} is stopped`));
    return new Promise((resolve, reject) => {
      const waiter = {
        resolve: () => (clearTimeout(timer), resolve()),
        reject: (e: Error) => (clearTimeout(timer), reject(e)),
      };
      const timer = setTimeout(() => {
        this.syncWaiters = this.syncWaiters.filter((w) => w !== waiter);
        reject(new Error(`informer ${this.opts.path} not synced after ${timeoutMs} ms`));
      }, timeoutMs);
      this.syncWaiters.push(waiter);
    });
  }

  /**
   * Breaks the current watch; it resumes from the last revision seen, or relists, or
   * resumes from `resourceVersion` (tests pass a stale one to get a real 410 Gone).
   */
  restartWatch(opts: { relist?: boolean; resourceVersion?: string } = {}): void {
    if (opts.relist) this.forceRelist = true;
    this.rewindTo = opts.resourceVersion;
    this.watchAc?.abort(new Error('restart requested'));
  }

  /** Re-delivers every cached object (also runs every `resyncMs`). */
  resync(): void {
    if (!this.synced) return;
    for (const obj of this.cache.values()) this.deliver('resync', obj);
  }

  private async run(): Promise<void> {
    const { log, path } = this.opts;
    const signal = this.stopAc.signal;
    let rv: string | undefined;
    let failures = 0;
    while (!signal.aborted) {
      let healthy = false;
      try {
        if (rv === undefined || this.forceRelist) {
          this.forceRelist = false;
          rv = await this.relist();
        }
        if (this.rewindTo !== undefined) [rv, this.rewindTo] = [this.rewindTo, undefined];
        const end = await this.watch(rv, (newRv) => {
          rv = newRv;
          healthy = true;
        });
        if (end === 'gone') rv = undefined;
        if (end === 'restart') healthy = true;
      } catch (err) {
        if (signal.aborted) break;
        this.stats.failures++;
        if (statusCode(err) === 410) rv = undefined;
        log.warn({ err, path, failures: failures + 1 }, 'informer: list/watch failed; retrying');
      }
      failures = healthy ? 0 : failures + 1;
      const delay = this.backoff(failures);
      await sleep(delay, undefined, { signal }).catch(() => undefined);
    }
  }

  private backoff(failures: number): number {
    const initial = this.opts.backoffInitialMs ?? 500;
    const max = this.opts.backoffMaxMs ?? 30_000;
    const base = Math.min(max, initial * 2 ** Math.min(failures, 30));
    return base * (0.5 + Math.random() * 0.5); // jitter, so restarted operators don't stampede
  }

  /** Full (paged) list; the cache becomes exactly the list, with add/update/delete for what changed. */
  private async relist(): Promise<string> {
    this.stats.lists++;
    const limit = deadline(this.stopAc.signal, 120_000);
    let listed: { fresh: Map<string, T>; rv: string };
    try {
      listed = await this.listPages(limit.signal);
    } finally {
      limit.done();
    }
    const { fresh, rv } = listed;
    const old = new Map(this.cache);
    this.cache.clear();
    for (const [k, obj] of fresh) {
      this.cache.set(k, obj);
      const prev = old.get(k);
      if (!prev) this.deliver('add', obj);
      else if (prev.metadata?.resourceVersion !== obj.metadata?.resourceVersion) this.deliver('update', obj);
    }
    for (const [k, prev] of old) if (!fresh.has(k)) this.deliver('delete', prev);
    this.markSynced();
    this.opts.log.debug({ path: this.opts.path, objects: fresh.size, resourceVersion: rv }, 'informer: listed');
    return rv;
  }

  private async listPages(signal: AbortSignal): Promise<{ fresh: Map<string, T>; rv: string }> {
    const { kc, path, labelSelector, fieldSelector } = this.opts;
    const fresh = new Map<string, T>();
    let cont: string | undefined;
    let rv = '';
    do {
      const res = await kubeGet(kc, path, { labelSelector, fieldSelector, limit: this.opts.pageSize ?? 500, continue: cont }, signal);
      const page = JSON.parse(await res.body.text()) as {
        apiVersion?: string;
        kind?: string;
        metadata?: { resourceVersion?: string; continue?: string };
        items?: T[];
      };
      const itemKind = page.kind?.replace(/List$/, '');
      for (const item of page.items ?? []) {
        // list items carry no apiVersion/kind; watch events do: make them alike
        fresh.set(keyOf(item), { apiVersion: page.apiVersion, kind: itemKind, ...item });
      }
      rv = page.metadata?.resourceVersion ?? rv;
      cont = page.metadata?.continue || undefined;
    } while (cont);
    return { fresh, rv };
  }

  /** One watch from `rv`; resolves when it ends, rejects on a transport or server error. */
  private async watch(rv: string, progress: (rv: string) => void): Promise<WatchEnd> {
    const { kc, path, labelSelector, fieldSelector, log } = this.opts;
    const ac = new AbortController();
    this.watchAc = ac;
    const onStop = (): void => ac.abort();
    this.stopAc.signal.addEventListener('abort', onStop, { once: true });
    const watchdogMs = this.opts.watchdogMs ?? 300_000;
    let watchdog: NodeJS.Timeout | undefined;
    let watchdogFired = false;
    const pet = (): void => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => {
        watchdogFired = true;
        ac.abort(new Error(`no watch event for ${watchdogMs} ms`));
      }, watchdogMs);
    };
    this.stats.watches++;
    pet();
    try {
      const timeoutSeconds = this.opts.watchTimeoutSeconds ?? Math.floor(300 + Math.random() * 300);
      const query = { watch: true, resourceVersion: rv, allowWatchBookmarks: true, timeoutSeconds, labelSelector, fieldSelector };
      const res = await kubeGet(kc, path, query, ac.signal);
      for await (const raw of jsonLines(res)) {
        pet();
        this.stats.lastEventAt = Date.now();
        const { type, object } = raw as WatchEvent;
        if (!object) continue;
        if (type === 'ERROR') {
          if (object.code === 410) {
            log.info({ path, message: object.message }, 'informer: resource version too old; relisting');
            return 'gone';
          }
          throw Object.assign(new Error(`watch error: ${object.message ?? JSON.stringify(object)}`), { code: object.code });
        }
        const newRv = object.metadata?.resourceVersion;
        if (type === 'ADDED' || type === 'MODIFIED') this.upsert(object as T);
        else if (type === 'DELETED') this.remove(object as T);
        if (newRv) progress(newRv);
      }
      return 'closed';
    } catch (err) {
      if (this.stopAc.signal.aborted) return 'closed';
      if (ac.signal.aborted) {
        if (watchdogFired) {
          this.stats.watchdogRestarts++;
          log.warn({ path, watchdogMs }, 'informer: watch silent past the watchdog; restarting it');
          throw new Error(`watch silent for ${watchdogMs} ms`);
        }
        return 'restart';
      }
      throw err;
    } finally {
      clearTimeout(watchdog);
      this.stopAc.signal.removeEventListener('abort', onStop);
      ac.abort(); // ends the response stream if we left early
    }
  }

  private upsert(obj: T): void {
    const k = keyOf(obj);
    const had = this.cache.has(k);
    this.cache.set(k, obj);
    this.deliver(had ? 'update' : 'add', obj);
  }

  private remove(obj: T): void {
    this.cache.delete(keyOf(obj));
    this.deliver('delete', obj); // its last state, as the server sent it
  }

  private markSynced(): void {
    if (this.synced) return;
    this.synced = true;
    for (const w of this.syncWaiters.splice(0)) w.resolve();
  }

  private deliver(type: InformerEventType, obj: T): void {
    const fail = (err: unknown): void => this.opts.log.error({ err, type, path: this.opts.path, name: obj.metadata?.name }, 'informer: event handler failed');
    try {
      const r = this.opts.onEvent(type, obj);
      if (r && typeof r.then === 'function') r.then(undefined, fail);
    } catch (err) {
      fail(err);
    }
  }
}

function key(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

function keyOf(obj: KubernetesObject): string {
  return key(obj.metadata?.namespace, obj.metadata?.name ?? '');
}
