import { statusCode } from '../kube/request.js';

// One line for an error from the Kubernetes API (client-node's ApiException carries the
// response headers in its message; the Status body has what a person needs).
export function describeError(err: unknown): string {
  const e = err as { code?: number; body?: unknown; message?: string };
  if (typeof e?.code === 'number' && typeof e.body === 'string') {
    try {
      const status = JSON.parse(e.body) as { message?: string; reason?: string };
      if (status.message) return `HTTP ${e.code}${status.reason ? ` ${status.reason}` : ''}: ${status.message}`;
    } catch {
      // not a Status
    }
    return `HTTP ${e.code}`;
  }
  return e?.message ?? String(err);
}

/** For `.catch()`: a 404 (the object is gone) becomes undefined, anything else is thrown on. */
export function ignore404(err: unknown): undefined {
  if (statusCode(err) === 404) return undefined;
  throw err;
}
