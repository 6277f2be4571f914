// Test support: a MinIO of its own over HTTPS (a self-signed certificate for 127.0.0.1, made
// by openssl), for what MinIO does only over TLS: SSE-C (customer-provided keys). The shared
// MinIO of the local environment stays plain HTTP. `caFile` is what a client must trust
// (NODE_EXTRA_CA_CERTS for a CLI process).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { Agent } from 'node:https';
import { startMinio } from '../scripts/localenv/minio.js';
import { stopProcess } from '../scripts/localenv/process.js';
import { binary } from '../scripts/localenv/tools.js';

export interface TlsMinio {
  endpoint: string;
  caFile: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** An S3 client that trusts the certificate. */
  client(): S3Client;
  createBucket(name: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startTlsMinio(): Promise<TlsMinio> {
  const dir = mkdtempSync(join(tmpdir(), 'configstore-tlsminio-'));
  const certsDir = join(dir, 'certs');
  mkdirSync(certsDir);
  // prettier-ignore
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'private.key', '-out', 'public.crt',
    '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { cwd: certsDir, stdio: ['ignore', 'ignore', 'pipe'] });
  const caFile = join(certsDir, 'public.crt');
  const ca = readFileSync(caFile);
  const minio = await startMinio(binary('minio'), dir, '127.0.0.1', { certsDir, ca });
  const client = () =>
    new S3Client({
      endpoint: minio.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: minio.accessKeyId, secretAccessKey: minio.secretAccessKey },
      requestHandler: { httpsAgent: new Agent({ ca }) },
    });
  return {
    endpoint: minio.endpoint,
    caFile,
    accessKeyId: minio.accessKeyId,
    secretAccessKey: minio.secretAccessKey,
    client,
    async createBucket(name) {
      const c = client();
      try {
        await c.send(new CreateBucketCommand({ Bucket: name }));
      } finally {
        c.destroy();
      }
    },
    async stop() {
      await stopProcess(minio.process);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
