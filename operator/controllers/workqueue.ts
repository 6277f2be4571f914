// A work queue of object keys, as controllers keep one: a key is queued once however many
// events name it, never reconciled twice at the same time, requeued after the delay its
// reconcile asks for, and retried with capped exponential backoff when it throws (0.5 s
// doubling up to 5 min by default).
import type { Log } from '../../configstore/log.js';
import { describeError } from './errors.js';

/** The longest a failed key waits when an event came for it meanwhile. */
const dirtyRetryMs = 2000;

export type ReconcileFn = (key: string) => Promise<number | undefined>;

export class WorkQueue {
  private readonly queued = new Set<string>();
  private readonly order: string[] = [];
  private readonly active = new Set<string>();
  /** Added again while being reconciled: run once more after. */
  private readonly dirty = new Set<string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly failures = new Map<string, number>();
  private running = 0;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly name: string,
    private readonly reconcile: ReconcileFn,
    private readonly log: Log,
    private readonly options: { workers?: number; backoffMaxMs?: number; onResult?: (ok: boolean, ms: number) => void } = {},
  ) {}

  add(key: string): void {
    if (this.stopped) return;
    const timer = this.timers.get(key);
    if (timer) {
      clearTimeout(timer);
      this.timers.delete(key);
    }
    if (this.active.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.order.push(key);
    this.pump();
  }

  addAfter(key: string, ms: number): void {
    if (this.stopped) return;
    if (ms <= 0) return this.add(key);
    const existing = this.timers.get(key);
    if (existing) clearTimeout(existing);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, ms);
    timer.unref();
    this.timers.set(key, timer);
  }

  /** Stops taking work and waits for reconciles in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.order.length = 0;
    this.queued.clear();
    if (this.running > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    const workers = this.options.workers ?? 2;
    while (!this.stopped && this.running < workers) {
      const index = this.order.findIndex((k) => !this.active.has(k));
      if (index < 0) return;
      const [key] = this.order.splice(index, 1) as [string];
      this.queued.delete(key);
      this.active.add(key);
      this.running++;
      void this.work(key);
    }
  }

  private async work(key: string): Promise<void> {
    const started = Date.now();
    let next: number | undefined;
    let failed = false;
    try {
      next = await this.reconcile(key);
      this.failures.delete(key);
      this.options.onResult?.(true, Date.now() - started);
    } catch (err) {
      failed = true;
      const n = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, n);
      next = Math.min(this.options.backoffMaxMs ?? 300_000, 500 * 2 ** (n - 1)) * (0.8 + Math.random() * 0.4);
      this.log.warn({ queue: this.name, key, attempt: n, retryInMs: Math.round(next), err: describeError(err) }, 'reconcile failed; retrying');
      this.options.onResult?.(false, Date.now() - started);
    } finally {
      this.active.delete(key);
      this.running--;
    }
    // an event during a failed attempt runs it again sooner, never at once: a failure whose
    // own side effects come back as events must not loop without backoff
    if (this.dirty.delete(key)) this.addAfter(key, failed ? Math.min(next!, dirtyRetryMs) : 0);
    else if (next !== undefined) this.addAfter(key, next);
    if (this.running === 0 && this.stopped) for (const w of this.idleWaiters.splice(0)) w();
    this.pump();
  }
}
