// List-then-watch with the restarts client-node leaves to its callers: a watch that closes
// is resumed from the last revision, one that fails (429 while a watch cache initializes,
// network errors) is retried with backoff, and 410 Gone or repeated failures relist, the
// relist reporting what disappeared meanwhile as DELETED.
import { Watch, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';

export type WatchEvent = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface Informer {
  /** Resolves after the first list has been delivered. */
  synced: Promise<void>;
  stop(): void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const keyOf = (o: KubernetesObject) => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;

export function informer<T extends KubernetesObject>(opts: {
  kc: KubeConfig;
  path: string;
  list: () => Promise<{ items: T[]; metadata?: { resourceVersion?: string } }>;
  onEvent: (type: WatchEvent, obj: T) => void;
  log: (msg: string) => void;
}): Informer {
  const known = new Map<string, T>();
  let stopped = false;
  let current: AbortController | undefined;
  let markSynced!: () => void;
  const synced = new Promise<void>((r) => (markSynced = r));

  const deliver = (type: WatchEvent, obj: T) => {
    if (type === 'DELETED') known.delete(keyOf(obj));
    else known.set(keyOf(obj), obj);
    try {
      opts.onEvent(type, obj);
    } catch (err) {
      opts.log(`${opts.path}: handler failed: ${(err as Error).stack ?? String(err)}`);
    }
  };

  const relist = async (): Promise<string> => {
    const list = await opts.list();
    const seen = new Set(list.items.map(keyOf));
    for (const [key, obj] of known) if (!seen.has(key)) deliver('DELETED', obj);
    for (const item of list.items) deliver(known.has(keyOf(item)) ? 'MODIFIED' : 'ADDED', item);
    markSynced();
    return list.metadata?.resourceVersion ?? '';
  };

  /** One watch from `rv`; resolves with the last revision seen and how it ended. */
  const watchOnce = (rv: string) =>
    new Promise<{ rv: string; outcome: 'closed' | 'gone' | 'error' }>((resolve) => {
      let outcome: 'gone' | 'error' | undefined;
      const params = { resourceVersion: rv, allowWatchBookmarks: true, timeoutSeconds: 25 }; // under client-node's 30 s idle timeout
      new Watch(opts.kc)
        .watch(
          opts.path,
          params,
          (type: string, obj: T & { code?: number }) => {
            if (type === 'ERROR') outcome = obj.code === 410 ? 'gone' : 'error';
            else if (obj.metadata?.resourceVersion) rv = obj.metadata.resourceVersion;
            if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') deliver(type, obj);
          },
          (err: unknown) => resolve({ rv, outcome: outcome ?? (err ? 'error' : 'closed') }),
        )
        .then(
          (ac) => {
            current = ac;
            if (stopped) ac.abort();
          },
          () => resolve({ rv, outcome: 'error' }),
        );
    });

  void (async () => {
    let delay = 0;
    while (!stopped) {
      let rv: string;
      try {
        rv = await relist();
        delay = 0;
      } catch (err) {
        delay = Math.min(Math.max(delay * 2, 200), 5000);
        opts.log(`${opts.path}: list failed (${(err as { code?: number }).code ?? (err as Error).message}), again in ${delay} ms`);
        await sleep(delay);
        continue;
      }
      for (let failures = 0; !stopped && failures <= 5; ) {
        const result = await watchOnce(rv);
        rv = result.rv;
        if (result.outcome === 'gone') break;
        if (result.outcome === 'closed') failures = 0;
        else await sleep(Math.min(200 * 2 ** failures++, 5000));
      }
    }
  })();

  return {
    synced,
    stop: () => {
      stopped = true;
      current?.abort();
    },
  };
}
