// What a test suite takes from the local environment: its own etcd prefix, S3 bucket
// and Kubernetes namespace, so suites never see each other's data.
import { DeleteBucketCommand } from '@aws-sdk/client-s3';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { Etcd3 } from 'etcd3';
import { inject } from 'vitest';
import { S3ObjectStorage, type S3Options } from '../../configstore/objectstorage/s3.js';
import { listAll } from '../../configstore/objectstorage/objectstorage.js';
import { createBucket, s3ClientFor, type LocalEnvState } from './env.js';

export function localEnv(): LocalEnvState {
  return inject('localEnv');
}

/** A lowercase name unique to this run, valid as a bucket, namespace or key segment. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`.toLowerCase();
}

export function etcdClient(): Etcd3 {
  return new Etcd3({ hosts: localEnv().etcd.endpoint });
}

/** A fresh etcd prefix ("/test/<name>-…/"); `cleanup` deletes everything under it. */
export function isolatedEtcdPrefix(name: string): { prefix: string; cleanup: () => Promise<void> } {
  const prefix = `/test/${uniqueName(name)}/`;
  return {
    prefix,
    cleanup: async () => {
      const client = etcdClient();
      try {
        await client.delete().prefix(prefix);
      } finally {
        client.close();
      }
    },
  };
}

/** A fresh bucket on the local MinIO; `cleanup` empties and removes it. */
export async function isolatedBucket(
  name: string,
  options: Partial<S3Options> = {},
): Promise<{ bucket: string; storage: S3ObjectStorage; cleanup: () => Promise<void> }> {
  const env = localEnv();
  const bucket = uniqueName(name).slice(0, 63);
  await createBucket(env.s3, bucket);
  const storage = new S3ObjectStorage({
    bucket,
    endpoint: env.s3.endpoint,
    region: env.s3.region,
    credentials: { accessKeyId: env.s3.accessKeyId, secretAccessKey: env.s3.secretAccessKey },
    ...options,
  });
  return {
    bucket,
    storage,
    cleanup: async () => {
      const keys: string[] = [];
      for await (const o of listAll(storage, '')) keys.push(o.key);
      await storage.deleteMany(keys);
      const client = s3ClientFor(env.s3);
      try {
        await client.send(new DeleteBucketCommand({ Bucket: bucket }));
      } finally {
        client.destroy();
      }
      await storage.close();
    },
  };
}

/** The admin kubeconfig of the local control plane. */
export function adminKubeConfig(): KubeConfig {
  const kube = localEnv().kube;
  if (!kube) throw new Error('this test needs the Kubernetes control plane: start the environment with `scripts/local-env up --kube`');
  const kc = new KubeConfig();
  kc.loadFromFile(kube.kubeconfig);
  return kc;
}

/** A fresh namespace on the local control plane (with `labels`, e.g. Pod Security's); `cleanup` deletes it (and all in it). */
export async function isolatedNamespace(
  name: string,
  labels: Record<string, string> = {},
): Promise<{ namespace: string; kc: KubeConfig; cleanup: () => Promise<void> }> {
  const kc = adminKubeConfig();
  const namespace = uniqueName(name).slice(0, 63);
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: namespace, labels: { 'configstore.io/test': 'true', ...labels } } } });
  return {
    namespace,
    kc,
    cleanup: async () => {
      await core.deleteNamespace({ name: namespace }).catch(() => undefined);
    },
  };
}
