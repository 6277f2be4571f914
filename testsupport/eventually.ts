// Polling for tests: the one helper every suite waits with (configstore, operator/kube, and
// e2e/operator's `until`, which adds the world's state to the timeout error).

export interface EventuallyOptions {
  /** What is awaited, named in the timeout error ("timed out after 5000 ms waiting for …"). */
  what?: string;
  /** Default 5000. */
  timeoutMs?: number;
  /** Pause between probes; default 20. */
  intervalMs?: number;
  /**
   * Default true: a probe that throws counts as "not yet" (a read that 404s until the other
   * instance caught up) and its last error is in the timeout error. false: the error fails at once.
   */
  retryErrors?: boolean;
  /** More text for the timeout error, computed when it happens (e.g. the state of the world). */
  describe?: () => Promise<string> | string;
}

/** What a probe returns while the condition does not hold yet. */
type NotYet = undefined | null | false;

/**
 * Polls `probe` until it returns a value other than undefined, null or false (so both
 * `() => client.getUser(id)` and `() => seen.length >= 4` work), and returns that value;
 * fails after `timeoutMs`.
 */
export async function eventually<T>(probe: () => T | Promise<T>, options: EventuallyOptions = {}): Promise<Exclude<T, NotYet>> {
  const { what = 'the condition', timeoutMs = 5000, intervalMs = 20, retryErrors = true, describe } = options;
  const deadline = Date.now() + timeoutMs;
  let last: { error: unknown } | undefined;
  for (;;) {
    let value: T | undefined;
    try {
      value = await probe();
    } catch (error) {
      if (!retryErrors) throw error;
      last = { error };
    }
    if (value !== undefined && value !== null && value !== false) return value as Exclude<T, NotYet>;
    if (Date.now() > deadline) {
      const lastError = last ? `; last error: ${String(last.error)}` : '';
      const more = describe ? await describe() : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError}${more}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
