// The configstore HTTP server: one fastify app per instance, over its read model and
// the shared datamanager, with its probes, metrics, OpenAPI document and admin guard.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ExponentialBackoff, handleAll, retry, type IBackoff } from 'cockatiel';
import { Etcd3 } from 'etcd3';
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import type { Stores } from '../action/write.js';
import { storedIndexes, type StoredData } from '../action/storeddata.js';
import { Checkpointer, type CheckpointOptions } from '../datamanager/checkpoint.js';
import { DataManager } from '../datamanager/datamanager.js';
import { InstanceRegistry } from '../datamanager/registry.js';
import { etcdKeys } from '../types/etcd.js';
import type { EtcdConnectionOptions } from '../types/etcdcredentials.js';
import type { ObjectStorage } from '../objectstorage/objectstorage.js';
import { ReadDB } from '../readdb/readdb.js';
import { registerAdminAuth, type AdminTokenSource } from './auth.js';
import { registerErrorHandlers } from './errors.js';
import { registerHealthRoutes } from './health.js';
import { maintenanceRoutes } from './maintenance.js';
import { MaintenanceMode } from './maintenance-mode.js';
import { registerMetrics } from './metrics.js';
import { registerOpenApi } from './openapi.js';
import { exportRoutes } from './export.js';
import { importRoutes } from './import.js';
import { registerResourceRoutes } from './routes.js';
import { schemaCompilers, type SchemaCompilers } from './validation.js';
import { schemaFormats } from '../types/formats.js';

export interface ServerOptions {
  etcdEndpoints: string[];
  /** TLS and password auth for etcd (configstore/types etcdConnectionOptions). */
  etcdSecurity?: Pick<EtcdConnectionOptions, 'credentials' | 'auth'>;
  etcdPrefix: string;
  /** Where snapshots live (posix directory or S3). */
  objectStorage: ObjectStorage;
  /** pino options or false; JSON logs by default. */
  logger?: boolean | object;
  bodyLimit?: number;
  /** Directory of the read model's SQLite file; in memory when unset. */
  dataDir?: string;
  /** Bearer token required by routes marked `config: { admin: true }` (or a function giving the one in force); open when unset. */
  adminToken?: AdminTokenSource;
  /** This instance's id (POD_NAME), bound to every log line and its registry key; generated when unset. */
  instanceId?: string;
  /** Instance registry lease TTL and refresh period (tests shorten them). */
  registry?: { ttlSeconds?: number; refreshMs?: number };
  /** How long entering maintenance waits for the requests in flight (default 10 s). */
  maintenanceDrainMs?: number;
  /** Concurrent writes on disjoint change groups share one etcd txn (default true). */
  groupCommit?: boolean;
  /** Checkpoint settings, or false to never checkpoint from this instance. */
  checkpoint?: CheckpointOptions | false;
  /**
   * true: return at once and sync the read model in the background, retrying with backoff
   * while etcd is unreachable (/readyz says when it is done). false (default): wait for
   * the first sync and fail if it fails.
   */
  startInBackground?: boolean;
}

export interface ConfigStoreServer {
  app: FastifyInstance;
  stores: Stores;
  /** Folds WAL entries into snapshots (tests force a round with `run({force: true})`). */
  checkpointer: Checkpointer;
  /** This instance's maintenance mode (follows the etcd key). */
  maintenance: MaintenanceMode;
  /** This instance's entry in `<prefix>instances/`. */
  registry: InstanceRegistry;
  /** True once the read model is synced, until close() starts. */
  ready(): boolean;
  /** The request validators and response serialisers, compiled lazily (tests compile them all to see that every schema compiles). */
  compilers: Pick<SchemaCompilers, 'compilePending' | 'pending'>;
  /** Stops accepting, lets in-flight requests finish for up to `graceMs`, then closes the stores. */
  close(graceMs?: number): Promise<void>;
}

const etcdCallTimeoutMs = 5000;

// An incoming x-request-id is kept when it is short and plain (it lands in every log line).
const requestIdPattern = /^[A-Za-z0-9._:-]{1,128}$/;

function requestId(req: IncomingMessage): string {
  const incoming = req.headers['x-request-id'];
  return typeof incoming === 'string' && requestIdPattern.test(incoming) ? incoming : randomUUID();
}

/** Probes and scrapes, every few seconds from the kubelet and Prometheus: logged at debug only. */
const quietRoutes = new Set(['/healthz', '/readyz', '/metrics']);

/** One line per request, when it is answered (fastify's default is two): what was asked, the status and the time taken. */
class RequestLog extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const level = error ? 'error' : quietRoutes.has(request.routeOptions.url ?? '') ? 'debug' : 'info';
    // pino's methods below the level are no-ops
    request.log[level](
      {
        req: { method: request.method, url: request.url },
        res: { statusCode: reply.statusCode },
        responseTime: reply.elapsedTime,
        ...(error ? { err: error } : {}),
      },
      error ? 'request errored' : 'request completed',
    );
  }
}

export async function createServer(options: ServerOptions): Promise<ConfigStoreServer> {
  const logger = options.logger ?? true;
  const instanceId = options.instanceId || process.env.POD_NAME || `${hostname()}-${randomUUID().slice(0, 8)}`;
  const compilers = schemaCompilers();
  const app = Fastify({
    logger: logger ? { ...(typeof logger === 'object' ? logger : {}), base: { instance: instanceId } } : logger,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    requestIdHeader: false,
    genReqId: requestId,
    logController: new RequestLog(),
    // path params are checked by their schemas (a project path may be 1024 characters,
    // URL-encoded up to 12 bytes each): fastify's own 100-byte cut would answer a bare 414
    routerOptions: { maxParamLength: 16 * 1024 },
    serializerOpts: { ajv: { formats: schemaFormats } },
    schemaController: compilers.schemaController,
  }).withTypeProvider<TypeBoxTypeProvider>();
  // a deadline on every unary call: an unreachable etcd becomes a 503 in seconds, not a hang
  const etcd = new Etcd3({
    hosts: options.etcdEndpoints,
    ...(options.etcdSecurity?.credentials ? { credentials: options.etcdSecurity.credentials } : {}),
    ...(options.etcdSecurity?.auth ? { auth: options.etcdSecurity.auth } : {}),
    defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + etcdCallTimeoutMs }),
    // the watch feeds read-your-writes: after an outage it must be back within seconds
    // (etcd3's default backoff grows to 30 s, longer than a write waits for its echo)
    // (etcd3 calls `.next()` on it as on a factory, which cockatiel 3's backoff is; its d.ts lags)
    faultHandling: { watchBackoff: new ExponentialBackoff({ initialDelay: 100, maxDelay: 2000 }) as unknown as IBackoff<unknown> },
  });
  const readdb = new ReadDB<StoredData>(etcd, options.objectStorage, options.etcdPrefix, {
    log: app.log as Logger,
    dataDir: options.dataDir,
    fieldIndexes: storedIndexes,
  });
  const registryKey = etcdKeys(options.etcdPrefix).instancesPrefix + instanceId;
  const dm = new DataManager(etcd, options.etcdPrefix, {
    registryKey,
    groupCommit: options.groupCommit ?? true,
    onCommitted: (revision, writes) => readdb.applyCommitted(revision, writes),
  });
  const stores: Stores = { readdb, dm };
  const checkpointer = new Checkpointer(etcd, options.objectStorage, etcdKeys(options.etcdPrefix), app.log as Logger, options.checkpoint || {});
  const maintenance = new MaintenanceMode(etcd, options.etcdPrefix, readdb, app.log as Logger, {
    drainMs: options.maintenanceDrainMs,
    onChange: () => void registry.publish(),
  });
  const registry = new InstanceRegistry(etcd, options.etcdPrefix, app.log as Logger, {
    id: instanceId,
    podName: process.env.POD_NAME,
    ...options.registry,
    report: () => ({ mode: maintenance.mode, fenceRevision: maintenance.fenceRevision, appliedRevision: readdb.revision }),
  });
  let closing = false;
  const ready = () => !closing && readdb.synced && maintenance.known && registry.registeredOnce;

  // callback-style hooks here and below: no promise per request on the hot path
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
  compilers.registerValidators(app);
  registerErrorHandlers(app);
  registerAdminAuth(app, options.adminToken);
  registerHealthRoutes(app, {
    notReadyReason: () =>
      closing
        ? 'shutting down'
        : !readdb.synced
          ? 'the read model is not synced with etcd yet'
          : !maintenance.known
            ? 'the maintenance key has not been read yet'
            : !registry.registeredOnce
              ? 'this instance has not registered in the instance registry yet'
              : undefined,
  });
  maintenance.registerGate(app); // after readiness: a request refused there is never counted in flight
  registerMetrics(app, { readdbRevision: () => readdb.revision, ready, mode: () => maintenance.mode });
  await registerOpenApi(app); // before the routes: it collects the schemas of routes registered after it
  await registerResourceRoutes(app, stores);
  // here rather than in routes.ts: it needs the etcd client, not the stores
  await app.register(maintenanceRoutes, { prefix: '/api/v1alpha', etcd, etcdPrefix: options.etcdPrefix });
  await app.register(exportRoutes, {
    prefix: '/api/v1alpha',
    source: { etcd, objectStorage: options.objectStorage, keys: etcdKeys(options.etcdPrefix), checkpointer },
  });
  await app.register(importRoutes, {
    prefix: '/api/v1alpha',
    source: { etcd, objectStorage: options.objectStorage, keys: etcdKeys(options.etcdPrefix), checkpointer },
  });

  // the maintenance key first: an instance starting during maintenance starts in it
  const following = maintenance.start();

  const stopStarting = new AbortController();
  let syncAttempt: Promise<void> | undefined; // the background attempt in flight, if any
  if (options.startInBackground) {
    syncInBackground(stopStarting.signal).catch((err: unknown) => {
      if (!stopStarting.signal.aborted) app.log.error({ err }, 'read model sync gave up');
    });
  } else {
    try {
      await Promise.all([readdb.start(), following]);
    } catch (err) {
      await maintenance.stop();
      etcd.close();
      throw err;
    }
  }
  const registering = registry.start();
  if (!options.startInBackground) await registering; // the first write must not meet notRegistered

  if (options.checkpoint !== false) checkpointer.start();
  compileSchemasOnceReady();

  return {
    app,
    stores,
    checkpointer,
    maintenance,
    registry,
    ready,
    compilers,
    close: async (graceMs = 10_000) => {
      closing = true;
      stopStarting.abort();
      // fastify stops accepting, answers 503 on kept-alive connections and waits for the
      // requests in flight; past the grace period their connections are cut
      const force = setTimeout(() => app.server.closeAllConnections(), graceMs);
      try {
        await app.close();
      } finally {
        clearTimeout(force);
        // registered until the requests in flight are done (their writes need the entry,
        // and maintenance must wait for them); then gone at once, not after the TTL
        await registry.stop();
        await checkpointer.stop();
        await maintenance.stop();
        await readdb.stop().catch(() => undefined);
        etcd.close(); // also fails a sync attempt still waiting on etcd
        await syncAttempt?.catch(() => undefined);
      }
    },
  };

  /** Ready first (compiling the schemas cost 40 % of the start-up's CPU), then the validators and serialisers no request compiled yet. */
  function compileSchemasOnceReady(): void {
    const timer = setInterval(() => {
      if (closing) return clearInterval(timer);
      if (!ready()) return;
      clearInterval(timer);
      compilers.compilePending(() => closing).catch((err: unknown) => app.log.error({ err }, 'a route schema does not compile'));
    }, 50).unref();
  }

  /** Retries the first sync with backoff while etcd (or the object storage) is unreachable. */
  async function syncInBackground(signal: AbortSignal): Promise<void> {
    // unref: a pending backoff never holds the process; close() does not wait for it either
    const backoff = new ExponentialBackoff({ initialDelay: 250, maxDelay: 10_000 });
    const policy = retry(handleAll, { maxAttempts: Infinity, backoff }).dangerouslyUnref();
    policy.onRetry(({ delay, attempt, ...reason }) => {
      if (signal.aborted) return;
      const error = 'error' in reason ? String(reason.error instanceof Error ? reason.error.message : reason.error) : undefined;
      app.log.warn({ error, attempt, retryInMs: Math.round(delay) }, 'read model sync failed (is etcd reachable?); retrying');
    });
    await policy.execute(async () => {
      signal.throwIfAborted();
      syncAttempt = readdb.start();
      try {
        await syncAttempt;
      } finally {
        syncAttempt = undefined;
      }
    }, signal);
    app.log.info({ revision: String(readdb.revision) }, 'ready');
  }
}
