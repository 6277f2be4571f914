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

/**
 * Every `code` an error answer can carry (`{message, code}`), each with the status it comes
 * with and what it means. Programs switch on these (RemoteError.code); a code's value never
 * changes. A misspelt code fails the typecheck: `ConfigStoreErrorOptions.code` is an ErrorCode.
 */
export const errorCodes = {
  // the kinds' defaults: an error given no code of its own
  /** 400: the request is not acceptable (fastify's own 4xx without a code of ours, too). */
  badRequest: 'badRequest',
  /** 401 */
  unauthorized: 'unauthorized',
  /** 403 */
  forbidden: 'forbidden',
  /** 404 */
  notFound: 'notFound',
  /** 409 */
  conflict: 'conflict',
  /** 503 */
  unavailable: 'unavailable',
  /** 500: anything untyped (its details stay in the log), or a typed internal error. */
  internal: 'internal',

  // requests
  /** 400: the request does not fit the route's schema (the message names the field). */
  invalidRequest: 'invalidRequest',
  /** 400: the body is not valid JSON. */
  invalidJson: 'invalidJson',
  /** 400: a JSON content type with an empty body. */
  emptyBody: 'emptyBody',
  /** 413: the body is larger than the route takes. */
  bodyTooLarge: 'bodyTooLarge',
  /** 415: a content type the route does not take. */
  unsupportedMediaType: 'unsupportedMediaType',
  /** 404: no such route. */
  routeNotFound: 'routeNotFound',
  /** 400: a list cursor that is not the nextCursor of a previous page. */
  invalidCursor: 'invalidCursor',
  /** 400: a ref that is neither an id nor a valid name or path. */
  invalidRef: 'invalidRef',
  /** 400: a new name that is not valid. */
  invalidName: 'invalidName',
  /** 401: an admin route called without the admin token. */
  adminTokenRequired: 'adminTokenRequired',
  /** 403: an admin route called with a wrong admin token. */
  adminTokenInvalid: 'adminTokenInvalid',

  // users, tokens, linked accounts
  /** 404 */
  userNotFound: 'userNotFound',
  /** 409: the name is taken. */
  userExists: 'userExists',
  /** 409: the user still owns project groups or projects at its top level. */
  userHasProjects: 'userHasProjects',
  /** 404 */
  tokenNotFound: 'tokenNotFound',
  /** 409: the user has a token of that name. */
  tokenExists: 'tokenExists',
  /** 404 */
  linkedAccountNotFound: 'linkedAccountNotFound',
  /** 409: that remote user of that remote source is linked already. */
  linkedAccountExists: 'linkedAccountExists',
  /** 409: projects use the linked account (or one of the user's). */
  linkedAccountInUse: 'linkedAccountInUse',

  // orgs and members
  /** 404 */
  orgNotFound: 'orgNotFound',
  /** 409: the name is taken. */
  orgExists: 'orgExists',
  /** 409: the org still owns project groups or projects at its top level. */
  orgHasProjects: 'orgHasProjects',
  /** 404: the user is not a member of the org. */
  memberNotFound: 'memberNotFound',

  // remote sources
  /** 404 */
  remoteSourceNotFound: 'remoteSourceNotFound',
  /** 409: the name is taken. */
  remoteSourceExists: 'remoteSourceExists',
  /** 409: linked accounts or projects use it. */
  remoteSourceInUse: 'remoteSourceInUse',
  /** 400: settings that do not fit together (URL, type and auth type, oauth2 keys). */
  invalidRemoteSource: 'invalidRemoteSource',

  // project groups and projects
  /** 404 */
  projectGroupNotFound: 'projectGroupNotFound',
  /** 409: the parent has a project group of that name. */
  projectGroupExists: 'projectGroupExists',
  /** 409: the group still holds project groups or projects. */
  projectGroupNotEmpty: 'projectGroupNotEmpty',
  /** 400: a root project group cannot be renamed, moved or deleted. */
  rootProjectGroup: 'rootProjectGroup',
  /** 400: a move into the group's own subtree or to another owner. */
  invalidMove: 'invalidMove',
  /** 404 */
  projectNotFound: 'projectNotFound',
  /** 409: the parent has a project of that name. */
  projectExists: 'projectExists',
  /** 400: a remoteRepositoryConfigType other than "remotesource". */
  unsupportedRemoteRepositoryConfigType: 'unsupportedRemoteRepositoryConfigType',

  // secrets and variables
  /** 404 */
  secretNotFound: 'secretNotFound',
  /** 409: the parent has a secret of that name. */
  secretExists: 'secretExists',
  /** 400: a secret type other than "internal". */
  unsupportedSecretType: 'unsupportedSecretType',
  /** 400: an internal secret without data, or with an empty key. */
  invalidSecret: 'invalidSecret',
  /** 404 */
  variableNotFound: 'variableNotFound',
  /** 409: the parent has a variable of that name. */
  variableExists: 'variableExists',
  /** 400: a variable without values. */
  invalidVariable: 'invalidVariable',
  /** 400: a condition's regular expression does not compile. */
  invalidRegexp: 'invalidRegexp',

  // writes, maintenance, the read model
  /** 409: the data changed while the request was processed; retry it. */
  concurrentUpdate: 'concurrentUpdate',
  /** 400: the change is too large for one etcd transaction. */
  writeTooLarge: 'writeTooLarge',
  /** 503: configstore is in maintenance mode (writes are fenced). */
  maintenanceMode: 'maintenanceMode',
  /** 409: maintenance is held by another owner. */
  maintenanceOwnedByOther: 'maintenanceOwnedByOther',
  /** 503: this instance is not in the instance registry (its lease expired). */
  notRegistered: 'notRegistered',
  /** 503: the instance is starting, or its read model is not synced. */
  notReady: 'notReady',
  /** 503: the read model did not apply a write in time. */
  readdbBehind: 'readdbBehind',
  /** 503: etcd is unreachable. */
  etcdUnavailable: 'etcdUnavailable',

  // export and import
  /** 503: the checkpoint before an export failed. */
  snapshotUnavailable: 'snapshotUnavailable',
  /** 503: the export's snapshot cannot be read from object storage. */
  snapshotUnreadable: 'snapshotUnreadable',
  /** 503: a checkpoint or another import holds the snapshot lock. */
  checkpointBusy: 'checkpointBusy',
  /** 400: the export is malformed (the message names the line). */
  invalidExport: 'invalidExport',
  /** 400: an import request without a body. */
  importBodyMissing: 'importBodyMissing',
  /** 400: the import's sha256 is not the one given. */
  sha256Mismatch: 'sha256Mismatch',
  /** 409: an import outside maintenance mode. */
  notInMaintenance: 'notInMaintenance',
  /** 409: the maintenance the import began in ended meanwhile; nothing changed. */
  importSuperseded: 'importSuperseded',
  /** 503: no room for the import's index in the scratch directory. */
  noScratchSpace: 'noScratchSpace',

  // object storage
  /** 400: an object storage URL that cannot be used. */
  invalidObjectStorageUrl: 'invalidObjectStorageUrl',
  /** 400: an object key or list prefix that is refused. */
  invalidObjectKey: 'invalidObjectKey',
  /** 404: no such object. */
  objectNotFound: 'objectNotFound',
  /** 409: a write-if-absent found the key taken. */
  objectExists: 'objectExists',
  /** 503: the object storage is unreachable. */
  objectStorageUnavailable: 'objectStorageUnavailable',
  /** 400: the object is stored with SSE-C: reading it needs its customer key. */
  sseCustomerKeyRequired: 'sseCustomerKeyRequired',
  /** 400: S3 refused the SSE-C customer key given (not the object's, or access denied). */
  sseCustomerKeyRefused: 'sseCustomerKeyRefused',
  /** 400: an SSE-C customer key was given for an object not stored with one. */
  sseCustomerKeyNotApplicable: 'sseCustomerKeyNotApplicable',

  // the client's own
  /** The client could not reach the server (no answer at all). */
  unreachable: 'unreachable',
} as const;

export type ErrorCode = (typeof errorCodes)[keyof typeof errorCodes];

/** True when `code` is one this module lists (a server of another version may send others). */
export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(errorCodes, code);
}

/** The code of an error of each kind given no code of its own. */
export const defaultCodes: { readonly [K in ErrorKind]: ErrorCode } = {
  BadRequest: errorCodes.badRequest,
  Unauthorized: errorCodes.unauthorized,
  Forbidden: errorCodes.forbidden,
  NotFound: errorCodes.notFound,
  Conflict: errorCodes.conflict,
  Unavailable: errorCodes.unavailable,
  Internal: errorCodes.internal,
};

/** Body of every error response: a message for people and a stable code for programs. */
export interface ErrorBody {
  message: string;
  code?: ErrorCode;
}

export interface ConfigStoreErrorOptions {
  /** Stable machine-readable code (errorCodes); defaults to the kind's (`defaultCodes`, e.g. `notFound`). */
  code?: ErrorCode;
  cause?: unknown;
}

/** A typed error: its message is safe to show to the caller. */
export class ConfigStoreError extends Error {
  readonly kind: ErrorKind;
  readonly code: ErrorCode;

  constructor(kind: ErrorKind, message: string, options: ConfigStoreErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = `${kind}Error`;
    this.kind = kind;
    this.code = options.code ?? defaultCodes[kind];
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
    return { status: 500, body: { message: internalErrorMessage, code: errorCodes.internal }, headers: {} };
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
 * server's message unchanged, so the CLI and the operator can pass it through; `code` is
 * one of `errorCodes` to switch on (kept as sent: a server of another version may send a
 * code this module does not list, which `isErrorCode` tells).
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
    let code: ErrorCode | undefined;
    try {
      const parsed: unknown = JSON.parse(bodyText);
      if (parsed && typeof parsed === 'object') {
        const m = (parsed as Record<string, unknown>).message;
        const c = (parsed as Record<string, unknown>).code;
        if (typeof m === 'string') message = m;
        // kept as sent, listed or not (see the class comment)
        if (typeof c === 'string') code = c as ErrorCode;
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
