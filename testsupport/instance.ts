// Test harness: configstore instances on the real local etcd, each over HTTP through the
// exported client. Instances of one prefix share one object storage, as pods do.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { ConfigStoreClient, RemoteError } from '../configstore/client/index.js';
import { PosixObjectStorage } from '../configstore/objectstorage/posix.js';
import type { ObjectStorage } from '../configstore/objectstorage/objectstorage.js';
import { isolatedEtcdPrefix, localEnv } from '../scripts/localenv/testenv.js';
import { createServer, type ConfigStoreServer, type ServerOptions } from '../configstore/api/server.js';

export interface TestInstance {
  server: ConfigStoreServer;
  url: string;
  client: ConfigStoreClient;
}

export interface TestCluster {
  prefix: string;
  storage: ObjectStorage;
  /** Starts one more instance on the cluster's prefix and storage. */
  start(overrides?: Partial<ServerOptions>): Promise<TestInstance>;
  /** Stops every instance started and deletes the prefix and the storage directory. */
  cleanup(): Promise<void>;
}

/**
 * A fresh etcd prefix and object storage (posix in a temp dir unless given), shared by
 * the instances it starts.
 */
export async function testCluster(name: string, options: { storage?: ObjectStorage } = {}): Promise<TestCluster> {
  const { prefix, cleanup } = isolatedEtcdPrefix(name);
  const dir = await mkdtemp(join(tmpdir(), `configstore-${name}-`));
  const storage = options.storage ?? new PosixObjectStorage(dir);
  const started: TestInstance[] = [];
  return {
    prefix,
    storage,
    async start(overrides = {}) {
      const server = await createServer({
        etcdEndpoints: [localEnv().etcd.endpoint],
        etcdPrefix: prefix,
        objectStorage: storage,
        logger: process.env.DEBUG_LOG ? true : false,
        bodyLimit: 64 * 1024,
        ...overrides,
      });
      const url = await server.app.listen({ host: '127.0.0.1', port: 0 });
      const instance = { server, url, client: new ConfigStoreClient(url) };
      started.push(instance);
      return instance;
    },
    async cleanup() {
      await Promise.allSettled(started.map((i) => i.server.close()));
      await cleanup();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The RemoteError a client call rejects with (fails the test if it resolves). */
export async function remoteError(p: Promise<unknown>): Promise<RemoteError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RemoteError);
  return err as RemoteError;
}

/** A raw HTTP call, for inputs the typed client cannot send. */
export async function raw(url: string, method: string, path: string, body?: string, contentType = 'application/json') {
  const res = await fetch(`${url}${path}`, { method, ...(body === undefined ? {} : { body, headers: { 'content-type': contentType } }) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : undefined) as { message: string; code: string } };
}
