// The plugin's errors and exit codes, as the configstore CLI's (configstore/cli/usage.ts,
// dataops-common.ts): 0 done, 1 a failure (the API server, the operation), 2 bad usage or input.
// describeApiError turns what @kubernetes/client-node throws into one line that says what was
// refused and why (forbidden: which verb on which resource; CRDs not installed; unreachable).

export const exitCodes = { ok: 0, failure: 1, usage: 2 } as const;

export class PluginError extends Error {
  override name = 'PluginError';
  constructor(
    message: string,
    readonly exitCode: number = exitCodes.failure,
  ) {
    super(message);
  }
}

/** Bad flags, a name that does not exist, a kubeconfig that cannot be used: exit code 2. */
export const usageError = (message: string) => new PluginError(message, exitCodes.usage);

/** What a call was doing, for its error message. */
export interface ApiAction {
  verb: 'get' | 'list' | 'create' | 'delete' | 'patch';
  /** plural.group, e.g. configstoreclusters.configstore.io, or pods */
  resource: string;
  namespace?: string;
  name?: string;
}

/** The API server's Status object, when the body is one. */
export interface ApiStatus {
  kind?: string;
  reason?: string;
  message?: string;
  details?: { name?: string; group?: string; kind?: string };
}

export function statusOf(body: unknown): ApiStatus | undefined {
  if (body && typeof body === 'object') return body as ApiStatus;
  if (typeof body !== 'string') return undefined;
  try {
    const parsed = JSON.parse(body) as unknown;
    return parsed && typeof parsed === 'object' && (parsed as ApiStatus).kind === 'Status' ? (parsed as ApiStatus) : undefined;
  } catch {
    return undefined;
  }
}

/** HTTP code of an ApiException (client-node), or undefined for a network error. */
export function codeOf(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** An object that does not exist (404 with a Status naming it), not a resource the server does not serve. */
export function isNotFound(err: unknown): boolean {
  return codeOf(err) === 404 && statusOf((err as { body?: unknown }).body)?.reason === 'NotFound';
}

const where = (a: ApiAction) => (a.namespace === '' ? ' across all namespaces' : a.namespace ? ` in namespace ${a.namespace}` : '');
const target = (a: ApiAction) => `${a.resource}${a.name ? ` ${a.name}` : ''}`;

/** One line for a failed API call; `server` is the API server's URL (for unreachable). */
export function describeApiError(err: unknown, action: ApiAction, server: string): PluginError {
  if (err instanceof PluginError) return err;
  const code = codeOf(err);
  const status = statusOf((err as { body?: unknown } | undefined)?.body);
  const said = status?.message ? `: ${status.message}` : '';
  switch (code) {
    case undefined:
      return new PluginError(`cannot reach the Kubernetes API server at ${server}: ${networkCause(err)}`);
    case 401:
      return new PluginError(
        `unauthorized: the API server at ${server} refused the credentials of the current context (kubectl would say the same; log in again)`,
      );
    case 403:
      return new PluginError(
        `forbidden: RBAC does not allow ${action.verb} on ${action.resource}${where(action)}${said} (ask for a Role with "${action.verb}" on "${action.resource}")`,
      );
    case 404:
      if (status?.reason === 'NotFound' && status.details?.name) return usageError(`${target(action)} not found${where(action)}`);
      // a plain "404 page not found": the API server does not serve this resource at all
      return new PluginError(
        action.resource.endsWith('.configstore.io')
          ? `the ConfigStore CRDs are not installed on ${server} (${action.resource} is not served): kubectl apply --server-side -f crds/, or install the operator's Helm chart`
          : `${action.resource} is not served by ${server}`,
      );
    case 409:
      return usageError(`${target(action)} already exists${where(action)}${said}`);
    case 422:
    case 400:
      return usageError(`the API server refused to ${action.verb} ${target(action)}${said}`);
    default:
      return new PluginError(`${action.verb} ${target(action)}${where(action)}: HTTP ${code}${said}`);
  }
}

/** The innermost message of a fetch failure (ECONNREFUSED, a certificate error, …). */
function networkCause(err: unknown): string {
  let e = err as { message?: string; cause?: unknown; code?: unknown } | undefined;
  let message = e?.message ?? String(err);
  for (let i = 0; i < 5 && e?.cause; i++) {
    e = e.cause as typeof e;
    if (e?.message) message = e.message;
  }
  return message.split('\n')[0]!;
}
