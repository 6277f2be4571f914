// Probes, metrics, request ids, the OpenAPI document and the admin-token guard, on a real
// server over the local etcd.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { etcdClient, localEnv } from '../../scripts/localenv/testenv.js';
import { etcdKeys } from '../types/etcd.js';
import { NamedRef, pathRefPatterns } from '../types/names.js';
import { createServer, type ConfigStoreServer } from './server.js';
import { eventually } from '../../testsupport/eventually.js';
import { testCluster, type TestCluster, type TestInstance } from '../../testsupport/instance.js';

describe('observability and admin guard', () => {
  let cluster: TestCluster;
  let a: TestInstance;

  beforeAll(async () => {
    cluster = await testCluster('observability');
    a = await cluster.start();
  });
  afterAll(async () => {
    await cluster?.cleanup();
  });

  it('answers the probes', async () => {
    const health = await fetch(`${a.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${a.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
  });

  it('counts requests in a histogram by route pattern, method and status', async () => {
    await a.client.createUser({ name: 'metric-user' });
    await a.client.getUser('metric-user');
    await fetch(`${a.url}/api/v1alpha/users/nobody`);
    const res = await fetch(`${a.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toContain('# TYPE configstore_http_request_duration_seconds histogram');
    expect(text).toMatch(/configstore_http_request_duration_seconds_count\{route="\/api\/v1alpha\/users",method="POST",status_code="201"\} 1/);
    expect(text).toMatch(/configstore_http_request_duration_seconds_count\{route="\/api\/v1alpha\/users\/:ref",method="GET",status_code="200"\} 1/);
    expect(text).toMatch(/configstore_http_request_duration_seconds_count\{route="\/api\/v1alpha\/users\/:ref",method="GET",status_code="404"\} 1/);
    const revision = /^configstore_readdb_applied_revision (\d+)$/m.exec(text);
    expect(Number(revision?.[1])).toBeGreaterThan(0);
    expect(text).toMatch(/^configstore_ready 1$/m);
    expect(text).toContain('process_cpu_user_seconds_total'); // default metrics
  });

  it('echoes a plain incoming x-request-id and makes a UUID otherwise', async () => {
    const given = await fetch(`${a.url}/api/v1alpha/users`, { headers: { 'x-request-id': 'trace-42.abc' } });
    expect(given.headers.get('x-request-id')).toBe('trace-42.abc');
    const made = await fetch(`${a.url}/api/v1alpha/users`);
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    // not echoed verbatim when it could forge log lines
    const odd = await fetch(`${a.url}/api/v1alpha/users`, { headers: { 'x-request-id': 'a b "c"' } });
    expect(odd.headers.get('x-request-id')).not.toBe('a b "c"');
    // errors carry it too
    const missing = await fetch(`${a.url}/api/v1alpha/users/nobody`, { headers: { 'x-request-id': 'err-1' } });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('x-request-id')).toBe('err-1');
  });

  it('serves an OpenAPI document generated from the route schemas', async () => {
    const res = await fetch(`${a.url}/api/v1alpha/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      openapi: string;
      paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: unknown }> }; responses: Record<string, unknown> }>>;
    };
    expect(doc.openapi).toBe('3.1.0');
    const users = doc.paths['/api/v1alpha/users'];
    expect(users).toBeDefined();
    const body = users!.post!.requestBody!.content['application/json']!.schema as { properties: Record<string, { pattern?: string }>; required: string[] };
    expect(body.required).toEqual(['name']);
    expect(body.properties.name!.pattern).toBeTypeOf('string');
    expect(Object.keys(users!.post!.responses)).toContain('201');
    expect(doc.paths['/api/v1alpha/users/{ref}']).toBeDefined();
    expect(doc.paths['/metrics']).toBeUndefined(); // operational routes are not part of the API
  });

  it('documents what the server enforces: every error status as {message, code}, patterns, enums, the import body', async () => {
    type Op = {
      parameters?: Array<{ name: string; schema: { pattern?: string } }>;
      requestBody?: { content: Record<string, { schema: { properties?: Record<string, { enum?: string[] }> } }> };
      responses: Record<string, { content?: Record<string, { schema: { required?: string[]; properties?: object } }> }>;
    };
    const doc = (await (await fetch(`${a.url}/api/v1alpha/openapi.json`)).json()) as { paths: Record<string, Record<string, Op>> };
    const op = (path: string, method: string) => doc.paths[`/api/v1alpha${path}`]![method]!;
    const statuses = (path: string, method: string) => Object.keys(op(path, method).responses).sort();
    expect(statuses('/users', 'post')).toEqual(['201', '400', '409', '413', '415', '503']);
    expect(statuses('/users', 'get')).toEqual(['200', '400', '503']);
    expect(statuses('/users/{ref}', 'get')).toEqual(['200', '400', '404', '503']);
    expect(statuses('/users/{ref}', 'delete')).toEqual(['204', '400', '404', '409', '503']);
    expect(statuses('/projects', 'post')).toEqual(['201', '400', '404', '409', '413', '415', '503']); // its refs may name nothing
    expect(statuses('/maintenance', 'put')).toEqual(['200', '201', '400', '401', '403', '409', '413', '415', '503']);
    expect(statuses('/import', 'post')).toEqual(['200', '400', '401', '403', '409', '413', '415', '503']);
    const notFound = op('/users/{ref}', 'get').responses['404']!.content!['application/json']!.schema;
    expect(notFound).toMatchObject({ required: ['message', 'code'], properties: { message: { type: 'string' }, code: { type: 'string' } } });

    expect(op('/users/{ref}', 'get').parameters!.find((p) => p.name === 'ref')!.schema.pattern).toBe((NamedRef as { pattern?: string }).pattern);
    expect(op('/projects/{ref}', 'get').parameters!.find((p) => p.name === 'ref')!.schema.pattern).toBe(pathRefPatterns.project);
    const body = (path: string) => op(path, 'post').requestBody!.content['application/json']!.schema.properties!;
    expect(body('/projects/{ref}/secrets').type!.enum).toEqual(['internal']);
    expect(body('/projects').remoteRepositoryConfigType!.enum).toEqual(['remotesource']);
    expect(Object.keys(op('/import', 'post').requestBody!.content).sort()).toEqual(['application/gzip', 'application/x-ndjson']);
  });
});

describe('admin token guard', () => {
  let cluster: TestCluster;
  const servers: ConfigStoreServer[] = [];
  let guarded: string;
  let open: string;

  // a server with an admin route, as the maintenance routes will be (added before listen)
  async function serverWithAdminRoute(adminToken?: string): Promise<string> {
    const server = await createServer({
      etcdEndpoints: [localEnv().etcd.endpoint],
      etcdPrefix: cluster.prefix,
      objectStorage: cluster.storage,
      logger: false,
      checkpoint: false,
      ...(adminToken ? { adminToken } : {}),
    });
    servers.push(server);
    server.app.get('/api/v1alpha/test-admin', { config: { admin: true } }, async () => ({ ok: true }));
    return server.app.listen({ host: '127.0.0.1', port: 0 });
  }

  beforeAll(async () => {
    cluster = await testCluster('admin-guard');
    guarded = await serverWithAdminRoute('s3cret-token');
    open = await serverWithAdminRoute();
  });
  afterAll(async () => {
    await Promise.allSettled(servers.map((s) => s.close()));
    await cluster?.cleanup();
  });

  const call = (url: string, authorization?: string) => fetch(`${url}/api/v1alpha/test-admin`, authorization ? { headers: { authorization } } : {});

  it('answers 401 without a token, 403 with a wrong one, 200 with the right one', async () => {
    const none = await call(guarded);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect(await none.json()).toEqual({ message: 'this route needs the admin token: send "Authorization: Bearer <token>"', code: 'adminTokenRequired' });
    const malformed = await call(guarded, 'Basic czNjcmV0');
    expect(malformed.status).toBe(401);
    const wrong = await call(guarded, 'Bearer not-the-token');
    expect(wrong.status).toBe(403);
    expect(await wrong.json()).toEqual({ message: 'the admin token sent is not valid', code: 'adminTokenInvalid' });
    const right = await call(guarded, 'Bearer s3cret-token');
    expect(right.status).toBe(200);
    expect(await right.json()).toEqual({ ok: true });
  });

  it('leaves other routes alone, and admin routes open when no token is set', async () => {
    expect((await fetch(`${guarded}/api/v1alpha/users`)).status).toBe(200);
    expect((await call(open)).status).toBe(200);
  });
});

describe('log level of error answers', () => {
  let cluster: TestCluster;
  let server: ConfigStoreServer;
  let url: string;
  const lines: Array<{
    level: number;
    msg: string;
    code?: string;
    reqId?: string;
    req?: { method: string; url: string };
    res?: { statusCode: number };
    responseTime?: number;
  }> = [];

  beforeAll(async () => {
    cluster = await testCluster('error-logs');
    server = await createServer({
      etcdEndpoints: [localEnv().etcd.endpoint],
      etcdPrefix: cluster.prefix,
      objectStorage: cluster.storage,
      // pino writes JSON lines to any object with write()
      logger: { level: 'info', stream: { write: (line: string) => void lines.push(JSON.parse(line) as (typeof lines)[number]) } },
      checkpoint: false,
    });
    // an untyped failure: the real 500 every bug becomes
    server.app.get('/api/v1alpha/test-boom', async () => {
      throw new Error('boom');
    });
    url = await server.app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await server?.close();
    await cluster?.cleanup();
  });

  const linesOf = (reqId: string) => lines.filter((l) => l.reqId === reqId && l.msg !== 'incoming request' && l.msg !== 'request completed');

  it('logs a maintenance 503 at info and a real 500 at error', async () => {
    const etcd = etcdClient();
    try {
      await etcd.put(etcdKeys(cluster.prefix).maintenance).value(JSON.stringify({ owner: 'log-test' }));
      await eventually(async () => (server.maintenance.mode === 'maintenance' ? true : undefined));
      const refused = await fetch(`${url}/api/v1alpha/users`, { headers: { 'x-request-id': 'in-maintenance' } });
      expect(refused.status).toBe(503);
      expect(((await refused.json()) as { code: string }).code).toBe('maintenanceMode');
    } finally {
      await etcd.delete().key(etcdKeys(cluster.prefix).maintenance);
      etcd.close();
    }
    await eventually(async () => (server.maintenance.mode === 'normal' ? true : undefined));
    const failed = await fetch(`${url}/api/v1alpha/test-boom`, { headers: { 'x-request-id': 'a-bug' } });
    expect(failed.status).toBe(500);
    expect(await failed.json()).toEqual({ message: 'internal server error', code: 'internal' });

    const refusedLogs = linesOf('in-maintenance');
    expect(refusedLogs.map((l) => [l.level, l.msg, l.code])).toEqual([[30, 'request refused: service unavailable', 'maintenanceMode']]);
    expect(linesOf('a-bug').map((l) => [l.level, l.msg])).toEqual([[50, 'request failed']]);
  });

  it('logs one line per request, when it is answered, and the probes at debug only', async () => {
    expect((await fetch(`${url}/api/v1alpha/users/nobody`, { headers: { 'x-request-id': 'one-line' } })).status).toBe(404);
    expect((await fetch(`${url}/readyz`, { headers: { 'x-request-id': 'a-probe' } })).status).toBe(200);
    const ofRequest = lines.filter((l) => l.reqId === 'one-line');
    expect(ofRequest.map((l) => l.msg)).toEqual(['request completed']);
    expect(ofRequest[0]).toMatchObject({ level: 30, req: { method: 'GET', url: '/api/v1alpha/users/nobody' }, res: { statusCode: 404 } });
    expect(ofRequest[0]!.responseTime).toBeGreaterThan(0);
    expect(lines.filter((l) => l.reqId === 'a-probe')).toEqual([]);
  });

  it('compiles every route validator and serialiser in the background once ready (lazily before that)', async () => {
    // a schema that does not compile would be logged and left pending
    await eventually(async () => (server.compilers.pending === 0 ? true : undefined));
    expect(lines.filter((l) => l.msg === 'a route schema does not compile')).toEqual([]);
  });

  it('logs a not-ready 503 at info', async () => {
    const starting: typeof lines = [];
    // nothing listens on port 1: the read model never syncs and the API answers notReady
    const unready = await createServer({
      etcdEndpoints: ['http://127.0.0.1:1'],
      etcdPrefix: cluster.prefix,
      objectStorage: cluster.storage,
      logger: { level: 'info', stream: { write: (line: string) => void starting.push(JSON.parse(line) as (typeof lines)[number]) } },
      checkpoint: false,
      startInBackground: true,
    });
    try {
      const base = await unready.app.listen({ host: '127.0.0.1', port: 0 });
      const res = await fetch(`${base}/api/v1alpha/users`, { headers: { 'x-request-id': 'too-early' } });
      expect(res.status).toBe(503);
      expect(((await res.json()) as { code: string }).code).toBe('notReady');
      const logged = starting.filter((l) => l.reqId === 'too-early' && l.msg !== 'incoming request' && l.msg !== 'request completed');
      expect(logged.map((l) => [l.level, l.msg, l.code])).toEqual([[30, 'request refused: service unavailable', 'notReady']]);
    } finally {
      await unready.close(100);
    }
  });
});
