import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  BadRequestError,
  ConfigStoreError,
  ConflictError,
  ForbiddenError,
  InternalError,
  NotFoundError,
  RemoteError,
  UnauthorizedError,
  UnavailableError,
  defaultCodes,
  describeChain,
  errorCodes,
  errorKinds,
  findTypedError,
  isErrorCode,
  isKind,
  toHttpResponse,
  type ConfigStoreErrorOptions,
  type ErrorCode,
  type ErrorKind,
} from './errors.js';

const constructors: Array<[ErrorKind, new (m: string, o?: ConfigStoreErrorOptions) => ConfigStoreError]> = [
  ['BadRequest', BadRequestError],
  ['Unauthorized', UnauthorizedError],
  ['Forbidden', ForbiddenError],
  ['NotFound', NotFoundError],
  ['Conflict', ConflictError],
  ['Unavailable', UnavailableError],
  ['Internal', InternalError],
];

describe('error kinds', () => {
  it.each(constructors)('%s carries its kind, status and default code', (kind, Ctor) => {
    const err = new Ctor('something happened');
    expect(err).toBeInstanceOf(ConfigStoreError);
    expect(err).toBeInstanceOf(Error);
    expect(err.kind).toBe(kind);
    expect(err.status).toBe(errorKinds[kind]);
    expect(err.code).toBe(kind[0]!.toLowerCase() + kind.slice(1));
    expect(err.message).toBe('something happened');
    expect(err.name).toBe(`${kind}Error`);
  });

  it.each(constructors)('%s maps to its status with its message and code', (kind, Ctor) => {
    const res = toHttpResponse(new Ctor('visible message', { code: 'customCode' as ErrorCode }));
    expect(res.status).toBe(errorKinds[kind]);
    expect(res.body).toEqual({ message: 'visible message', code: 'customCode' });
  });

  it('keeps a custom code and the cause', () => {
    const root = new Error('etcd: connection refused');
    const err = new ConflictError('remote source "x" already exists', { code: 'remoteSourceExists', cause: root });
    expect(err.code).toBe('remoteSourceExists');
    expect(err.cause).toBe(root);
  });
});

describe('cause chains', () => {
  it('finds a typed error wrapped by untyped errors', () => {
    const typed = new NotFoundError('user "bob" does not exist');
    const wrapped = new Error('handler failed', { cause: new Error('action failed', { cause: typed }) });
    expect(findTypedError(wrapped)).toBe(typed);
    expect(isKind(wrapped, 'NotFound')).toBe(true);
    expect(isKind(wrapped, 'Conflict')).toBe(false);
    expect(toHttpResponse(wrapped)).toEqual({ status: 404, body: { message: 'user "bob" does not exist', code: 'notFound' }, headers: {} });
  });

  it('uses the outermost typed error', () => {
    const inner = new NotFoundError('inner');
    const outer = new UnavailableError('etcd is unreachable', { cause: inner });
    expect(toHttpResponse(new Error('x', { cause: outer })).status).toBe(503);
  });

  it('survives a cycle in the chain', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as { cause?: unknown }).cause = b;
    expect(findTypedError(a)).toBeUndefined();
    expect(describeChain(a)).toBe('Error: a <- Error: b');
  });

  it('describes the whole chain for logs', () => {
    const err = new BadRequestError('bad name', { cause: new Error('regexp mismatch') });
    expect(describeChain(err)).toBe('BadRequestError: bad name <- Error: regexp mismatch');
  });
});

describe('HTTP mapping of untyped errors', () => {
  it('answers 500 without leaking the message', () => {
    const res = toHttpResponse(new Error('ECONNREFUSED 127.0.0.1:2379 secret-path'));
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ message: 'internal server error', code: 'internal' });
    expect(JSON.stringify(res)).not.toContain('ECONNREFUSED');
  });

  it("shows a typed Internal error's own message but none of its causes", () => {
    const err = new InternalError('cannot reach the object storage', { cause: new Error('EACCES /var/lib/secret-path') });
    const res = toHttpResponse(new Error('wrapped', { cause: err }));
    expect(res).toEqual({ status: 500, body: { message: 'cannot reach the object storage', code: 'internal' }, headers: {} });
    expect(JSON.stringify(res)).not.toContain('secret-path');
  });

  it('handles thrown non-errors', () => {
    expect(toHttpResponse('a string').status).toBe(500);
    expect(toHttpResponse(undefined).status).toBe(500);
  });

  it('sets Retry-After for Unavailable errors that know it', () => {
    const res = toHttpResponse(new UnavailableError('configstore is in maintenance mode', { retryAfterSeconds: 4.2 }));
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
  });
});

describe('RemoteError', () => {
  it('keeps the server message, code and status', () => {
    const err = RemoteError.fromResponse(409, JSON.stringify({ message: 'remote source "gh" already exists', code: 'remoteSourceExists' }));
    expect(err).toBeInstanceOf(ConfigStoreError);
    expect(err.message).toBe('remote source "gh" already exists');
    expect(err.code).toBe('remoteSourceExists');
    expect(err.status).toBe(409);
    expect(err.kind).toBe('Conflict');
    // a server that relays it answers the same
    expect(toHttpResponse(new Error('wrap', { cause: err }))).toEqual({
      status: 409,
      body: { message: 'remote source "gh" already exists', code: 'remoteSourceExists' },
      headers: {},
    });
  });

  it('keeps statuses that are not one of the kinds', () => {
    const err = RemoteError.fromResponse(413, JSON.stringify({ message: 'request body is larger than 1 MiB' }));
    expect(err.status).toBe(413);
    expect(err.kind).toBe('BadRequest');
    expect(err.code).toBe('badRequest');
    expect(RemoteError.fromResponse(502, '').kind).toBe('Unavailable');
    expect(RemoteError.fromResponse(501, '').kind).toBe('Internal');
  });

  it('falls back to the text of a non-JSON body', () => {
    const err = RemoteError.fromResponse(502, '<html>\n  <body>Bad Gateway</body>\n</html>\n');
    expect(err.message).toBe('<html> <body>Bad Gateway</body> </html>');
    expect(RemoteError.fromResponse(503, '', { statusText: 'Service Unavailable' }).message).toBe('Service Unavailable');
    expect(RemoteError.fromResponse(500, '').message).toBe('HTTP 500');
    expect(RemoteError.fromResponse(400, '{"message": 42}').message).toBe('{"message": 42}');
  });

  it('parses Retry-After', () => {
    const err = RemoteError.fromResponse(503, '{"message":"maintenance"}', { retryAfter: '3' });
    expect(err.retryAfterSeconds).toBe(3);
    expect(RemoteError.fromResponse(503, '{}', { retryAfter: 'soon' }).retryAfterSeconds).toBeUndefined();
  });
});

describe('the registry of error codes', () => {
  const codes = Object.entries(errorCodes);

  it('names each code by itself, camelCase and unique', () => {
    for (const [key, value] of codes) {
      expect(value).toBe(key);
      expect(value).toMatch(/^[a-z][a-zA-Z0-9]*$/);
    }
    expect(new Set(codes.map(([, v]) => v.toLowerCase())).size).toBe(codes.length);
  });

  it("holds every kind's default code, the kind in camelCase", () => {
    for (const kind of Object.keys(errorKinds) as ErrorKind[]) {
      expect(defaultCodes[kind]).toBe(kind[0]!.toLowerCase() + kind.slice(1));
      expect(isErrorCode(defaultCodes[kind])).toBe(true);
    }
  });

  it('tells listed codes from others', () => {
    expect(isErrorCode('userExists')).toBe(true);
    expect(isErrorCode('userexists')).toBe(false);
    expect(isErrorCode('toString')).toBe(false);
    // a code the server sends is kept as sent, listed or not
    expect(RemoteError.fromResponse(409, JSON.stringify({ message: 'm', code: 'fromANewerServer' })).code).toBe('fromANewerServer');
  });

  it('is where every code of the server, the client and the CLI comes from (no literal codes)', () => {
    const root = new URL('./', import.meta.url);
    const sources = (readdirSync(root, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && f !== 'errors.ts');
    expect(sources.length).toBeGreaterThan(50);
    const literals = sources.flatMap((f) => [...readFileSync(new URL(f, root), 'utf8').matchAll(/\bcode: *['"`]([^'"`]*)/g)].map((m) => `${f}: ${m[1]}`));
    expect(literals).toEqual([]);
  });

  it('holds the codes the documentation names', () => {
    const docs = [readFileSync(new URL('../README.md', import.meta.url), 'utf8'), readFileSync(new URL('./types/error.ts', import.meta.url), 'utf8')].join(
      '\n',
    );
    // README: "503 `notReady`"; the error schema's description: "e.g. userNotFound, invalidRequest, …"
    const named = [...docs.matchAll(/\b[1-5][0-9]{2} `([a-zA-Z]+)`/g)].map((m) => m[1]!);
    const examples = /e\.g\. ([a-zA-Z, ]+)'/.exec(docs)?.[1]?.split(', ') ?? [];
    expect(named.length).toBeGreaterThan(0);
    expect(examples.length).toBeGreaterThan(0);
    for (const code of [...named, ...examples]) expect(isErrorCode(code), code).toBe(true);
  });
});
