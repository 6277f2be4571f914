// What the storage layers need of a logger: fastify's request-scoped pino logger fits.
import type { BaseLogger } from 'pino';

export type Log = Pick<BaseLogger, 'debug' | 'info' | 'warn' | 'error'>;
