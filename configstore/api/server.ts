// The configstore HTTP server: one fastify app per instance, over its read model and
// the shared datamanager.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Etcd3 } from 'etcd3';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Stores } from '../action/write.js';
import { DataManager } from '../datamanager/datamanager.js';
import type { ObjectStorage } from '../objectstorage/objectstorage.js';
import { ReadDB } from '../readdb/readdb.js';
import { registerErrorHandlers } from './errors.js';
import { registerResourceRoutes } from './routes.js';
import { registerValidators } from './validation.js';

export interface ServerOptions {
  etcdEndpoints: string[];
  etcdPrefix: string;
  /** Where snapshots live (posix directory or S3). */
  objectStorage: ObjectStorage;
  /** pino options or false; JSON logs by default. */
  logger?: boolean | object;
  bodyLimit?: number;
}

export interface ConfigStoreServer {
  app: FastifyInstance;
  stores: Stores;
  close(): Promise<void>;
}

export async function createServer(options: ServerOptions): Promise<ConfigStoreServer> {
  const etcd = new Etcd3({ hosts: options.etcdEndpoints });
  const readdb = new ReadDB(etcd, options.etcdPrefix);
  await readdb.start();
  const stores: Stores = { readdb, dm: new DataManager(etcd, options.etcdPrefix) };

  const app = Fastify({
    logger: options.logger ?? true,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    requestIdHeader: 'x-request-id',
  }).withTypeProvider<TypeBoxTypeProvider>();
  registerValidators(app);
  registerErrorHandlers(app);
  await registerResourceRoutes(app, stores);
  app.get('/healthz', async () => ({ status: 'ok' }));

  return {
    app,
    stores,
    close: async () => {
      await app.close();
      await readdb.stop();
      etcd.close();
    },
  };
}
