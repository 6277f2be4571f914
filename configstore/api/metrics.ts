// Prometheus metrics on /metrics, in a registry of this server (tests run several servers
// in one process, and the global registry would mix them).
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export interface MetricsSources {
  /** The etcd revision the read model has applied. */
  readdbRevision(): bigint;
  ready(): boolean;
  /** Maintenance mode of this instance: normal, entering, maintenance or exiting. */
  mode?(): string;
}

const modes = ['normal', 'entering', 'maintenance', 'exiting'];

export function registerMetrics(app: FastifyInstance, sources: MetricsSources): Registry {
  const register = new Registry();
  collectDefaultMetrics({ register });
  const duration = new Histogram({
    name: 'configstore_http_request_duration_seconds',
    help: 'HTTP request duration by route pattern, method and status',
    labelNames: ['route', 'method', 'status_code'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [register],
  });
  new Gauge({
    name: 'configstore_readdb_applied_revision',
    help: 'etcd revision applied by this instance read model',
    registers: [register],
    collect() {
      this.set(Number(sources.readdbRevision()));
    },
  });
  new Gauge({
    name: 'configstore_ready',
    help: '1 when this instance is ready to serve the API',
    registers: [register],
    collect() {
      this.set(sources.ready() ? 1 : 0);
    },
  });
  if (sources.mode) {
    const mode = sources.mode.bind(sources);
    new Gauge({
      name: 'configstore_maintenance_mode',
      help: '1 for the maintenance mode this instance is in (label mode), 0 for the others',
      labelNames: ['mode'] as const,
      registers: [register],
      collect() {
        const current = mode();
        for (const m of modes) this.set({ mode: m }, m === current ? 1 : 0);
      },
    });
  }

  app.addHook('onResponse', (request, reply, done) => {
    // the route pattern, never the raw URL: one series per route, whatever the ids
    const route = request.routeOptions.url ?? 'unmatched';
    duration.observe({ route, method: request.method, status_code: String(reply.statusCode) }, reply.elapsedTime / 1000);
    done();
  });
  app.get('/metrics', { config: { alwaysOn: true }, schema: { hide: true } }, async (_request, reply) => {
    return reply.type(register.contentType).send(await register.metrics());
  });
  return register;
}
