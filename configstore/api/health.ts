// Probes: /healthz answers while the process serves HTTP; /readyz only once the read model
// is synced and until shutdown starts (so a load balancer drains this instance first).
// Until ready, the API itself answers 503 instead of reading an empty read model.
import type { FastifyInstance } from 'fastify';
import { errorCodes, UnavailableError } from '../errors.js';

export interface Readiness {
  /** Why the instance is not ready, or undefined when it is. */
  notReadyReason(): string | undefined;
}

export function registerHealthRoutes(app: FastifyInstance, readiness: Readiness): void {
  app.addHook('onRequest', (request, _reply, done) => {
    const reason = request.routeOptions.config.alwaysOn ? undefined : readiness.notReadyReason();
    done(reason === undefined ? undefined : new UnavailableError(`configstore is not ready: ${reason}`, { code: errorCodes.notReady, retryAfterSeconds: 1 }));
  });
  const hidden = { hide: true };
  app.get('/healthz', { config: { alwaysOn: true }, schema: hidden }, async () => ({ status: 'ok' }));
  app.get('/readyz', { config: { alwaysOn: true }, schema: hidden }, async (_request, reply) => {
    const reason = readiness.notReadyReason();
    if (reason === undefined) return { status: 'ready' };
    return reply.status(503).send({ message: `configstore is not ready: ${reason}`, code: errorCodes.notReady });
  });
}
