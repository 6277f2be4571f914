// A raw GET by path through client-node's own transport (auth, CA, proxy), with an
// AbortSignal we control: generic list/watch by path, which the typed clients don't offer.
import {
  ApiException,
  HttpMethod,
  IsomorphicFetchHttpLibrary,
  Observable,
  RequestContext,
  type ConfigurationOptions,
  type KubeConfig,
  type ResponseContext,
} from '@kubernetes/client-node';

const http = new IsomorphicFetchHttpLibrary();

export async function kubeGet(
  kc: KubeConfig,
  path: string,
  query: Record<string, string | number | boolean | undefined>,
  signal: AbortSignal,
): Promise<ResponseContext> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('no current Kubernetes cluster');
  const url = new URL(cluster.server.replace(/\/$/, '') + path);
  for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
  const ctx = new RequestContext(url.toString(), HttpMethod.GET);
  ctx.setHeaderParam('Accept', 'application/json');
  ctx.setSignal(signal);
  await kc.applySecurityAuthentication(ctx);
  const res = await http.send(ctx).toPromise();
  if (res.httpStatusCode !== 200) {
    const body = await res.body.text().catch(() => '');
    throw new ApiException(res.httpStatusCode, `GET ${path}: HTTP ${res.httpStatusCode}`, body, res.headers);
  }
  return res;
}

/** Newline-delimited JSON from a response body; ends when the stream ends or the signal aborts. */
export async function* jsonLines(res: ResponseContext): AsyncGenerator<unknown> {
  const stream = res.body.stream();
  if (!stream) return;
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const chunk of stream) {
    buffered += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl).trim();
      buffered = buffered.slice(nl + 1);
      if (line) yield JSON.parse(line);
    }
  }
}

/** The HTTP status of a failed call: ApiException.code, or the `code` of a Status body. */
export function statusCode(err: unknown): number | undefined {
  const e = err as { code?: unknown; statusCode?: unknown } | undefined;
  if (typeof e?.code === 'number') return e.code;
  if (typeof e?.statusCode === 'number') return e.statusCode;
  return undefined;
}

/** Options for a typed client call that make it abortable (the generated calls take no signal). */
export function abortable(signal: AbortSignal, opt?: ConfigurationOptions): ConfigurationOptions {
  const middleware = {
    pre: (ctx: RequestContext) => {
      ctx.setSignal(signal);
      return new Observable(Promise.resolve(ctx));
    },
    post: (res: ResponseContext) => new Observable(Promise.resolve(res)),
  };
  return { ...opt, middleware: [...(opt?.middleware ?? []), middleware], middlewareMergeStrategy: 'append' };
}

/**
 * A signal that aborts with `parent` or after `ms`; call `done()` when finished so nothing
 * stays registered on the long-lived parent (these are made every few seconds).
 */
export function deadline(parent: AbortSignal, ms: number): { signal: AbortSignal; done: () => void } {
  const ac = new AbortController();
  const onAbort = (): void => ac.abort(parent.reason);
  if (parent.aborted) onAbort();
  else parent.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => ac.abort(new Error(`timed out after ${ms} ms`)), ms);
  return {
    signal: ac.signal,
    done: () => {
      clearTimeout(timer);
      parent.removeEventListener('abort', onAbort);
    },
  };
}
