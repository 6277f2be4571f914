// Error kinds shared by the configstore server, its client, the CLI and the operator.
// Exported module: it imports nothing from the server's internals.
//
// Rules (README: Rules the code keeps): errors wrap with `cause`; the API finds the first typed
// error anywhere in the cause chain and answers with its status and message only (never
// the messages of its causes); anything untyped is a 500 "internal server error" whose
// details stay in the logs. A typed InternalError is a 500 whose message is meant for the
// caller ("etcd is unreachable"), as Agola's ErrInternal.

export const errorKinds = {
  BadRequest: 400,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  Conflict: 409,
  Unavailable: 503,
  Internal: 500,
} as const;

export type ErrorKind = keyof typeof errorKinds;

/** Body of every error response: a message for people and a stable code for programs. */
export interface ErrorBody {
  message: string;
  code?: string;
}

export interface ConfigStoreErrorOptions {
  /** Stable machine-readable code; defaults to the kind in camelCase (e.g. `notFound`). */
  code?: string;
  cause?: unknown;
}

/** A typed error: its message is safe to show to the caller. */
export class ConfigStoreError extends Error {
  readonly kind: ErrorKind;
  readonly code: string;

  constructor(kind: ErrorKind, message: string, options: ConfigStoreErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = `${kind}Error`;
    this.kind = kind;
    this.code = options.code ?? defaultCode(kind);
  }

  /** HTTP status of this error. */
  get status(): number {
    return errorKinds[this.kind];
  }
}

export class BadRequestError extends ConfigStoreError {
  constructor(message: string, options?: ConfigStoreErrorOptions) {
    super('BadRequest', message, options);
  }
}
export class UnauthorizedError extends ConfigStoreError {
  constructor(message: string, options?: ConfigStoreErrorOptions) {
    super('Unauthorized', message, options);
  }
}
export class ForbiddenError extends ConfigStoreError {
  constructor(message: string, options?: ConfigStoreErrorOptions) {
    super('Forbidden', message, options);
  }
}
export class NotFoundError extends ConfigStoreError {
  constructor(message: string, options?: ConfigStoreErrorOptions) {
    super('NotFound', message, options);
  }
}
export class ConflictError extends ConfigStoreError {
  constructor(message: string, options?: ConfigStoreErrorOptions) {
    super('Conflict', message, options);
  }
}
export class UnavailableError extends ConfigStoreError {
  /** Seconds after which a retry makes sense (sent as `Retry-After`). */
  readonly retryAfterSeconds: number | undefined;
  constructor(message: string, options?: ConfigStoreErrorOptions & { retryAfterSeconds?: number }) {
    super('Unavailable', message, options);
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }
}
export class InternalError extends ConfigStoreError {
  constructor(message: string, options?: ConfigStoreErrorOptions) {
    super('Internal', message, options);
  }
}

function defaultCode(kind: ErrorKind): string {
  return kind.charAt(0).toLowerCase() + kind.slice(1);
}

/** Walks `err` and its causes (bounded, cycle-safe), outermost first. */
export function* causeChain(err: unknown): Generator<unknown> {
  const seen = new Set<unknown>();
  let current: unknown = err;
  while (current !== undefined && current !== null && !seen.has(current) && seen.size < 64) {
    seen.add(current);
    yield current;
    current = current instanceof Error ? current.cause : undefined;
  }
}

/** The outermost typed error in the cause chain, if any. */
export function findTypedError(err: unknown): ConfigStoreError | undefined {
  for (const e of causeChain(err)) {
    if (e instanceof ConfigStoreError) return e;
  }
  return undefined;
}

/** True when a typed error of `kind` is anywhere in the cause chain. */
export function isKind(err: unknown, kind: ErrorKind): boolean {
  for (const e of causeChain(err)) {
    if (e instanceof ConfigStoreError && e.kind === kind) return true;
  }
  return false;
}

/** One line with every message of the chain, for logs ("a: b: c"). */
export function describeChain(err: unknown): string {
  const parts: string[] = [];
  for (const e of causeChain(err)) {
    parts.push(e instanceof Error ? `${e.name}: ${e.message}` : String(e));
  }
  return parts.join(' <- ');
}

export interface HttpErrorResponse {
  status: number;
  body: ErrorBody;
  headers: Record<string, string>;
}

export const internalErrorMessage = 'internal server error';

/**
 * What the API answers for `err`: the typed error's status, message and code, or a
 * 500 that leaks nothing when no typed error is in the chain.
 */
export function toHttpResponse(err: unknown): HttpErrorResponse {
  const typed = findTypedError(err);
  if (!typed) {
    return { status: 500, body: { message: internalErrorMessage, code: 'internal' }, headers: {} };
  }
  const headers: Record<string, string> = {};
  if (typed instanceof UnavailableError && typed.retryAfterSeconds !== undefined) {
    headers['retry-after'] = String(Math.max(0, Math.ceil(typed.retryAfterSeconds)));
  }
  return { status: typed.status, body: { message: typed.message, code: typed.code }, headers };
}

/** The kind a response status stands for (used by the client for statuses it did not expect). */
export function kindOfStatus(status: number): ErrorKind {
  for (const [kind, s] of Object.entries(errorKinds)) {
    if (s === status) return kind as ErrorKind;
  }
  if (status >= 500) return status === 504 || status === 502 ? 'Unavailable' : 'Internal';
  return 'BadRequest';
}

/**
 * An error answered by a configstore server, as the client sees it. `message` is the
 * server's message unchanged, so the CLI and the operator can pass it through.
 */
export class RemoteError extends ConfigStoreError {
  readonly httpStatus: number;
  readonly retryAfterSeconds: number | undefined;

  constructor(httpStatus: number, message: string, options: ConfigStoreErrorOptions & { retryAfterSeconds?: number } = {}) {
    super(kindOfStatus(httpStatus), message, options);
    this.name = 'RemoteError';
    this.httpStatus = httpStatus;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  override get status(): number {
    return this.httpStatus;
  }

  /**
   * Builds the error from a response. A JSON `{message, code}` body gives the message
   * and code; any other body (a proxy's HTML page, say) gives a short text instead.
   */
  static fromResponse(status: number, bodyText: string, init: { statusText?: string; retryAfter?: string | null } = {}): RemoteError {
    let message: string | undefined;
    let code: string | undefined;
    try {
      const parsed: unknown = JSON.parse(bodyText);
      if (parsed && typeof parsed === 'object') {
        const m = (parsed as Record<string, unknown>).message;
        const c = (parsed as Record<string, unknown>).code;
        if (typeof m === 'string') message = m;
        if (typeof c === 'string') code = c;
      }
    } catch {
      // not JSON: fall through to the text below
    }
    if (message === undefined) {
      const text = bodyText.trim().replace(/\s+/g, ' ').slice(0, 200);
      message = text || init.statusText || `HTTP ${status}`;
    }
    const retry = init.retryAfter ? Number(init.retryAfter) : NaN;
    return new RemoteError(status, message, {
      ...(code === undefined ? {} : { code }),
      ...(Number.isFinite(retry) ? { retryAfterSeconds: retry } : {}),
    });
  }
}
