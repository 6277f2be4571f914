// A single-drive MinIO server on a loopback port, data in the state dir. It has a KMS key of
// its own (MINIO_KMS_SECRET_KEY), so SSE-S3 (AES256) and SSE-KMS (that key's id) work as on S3;
// SSE-C it refuses without TLS.
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { get } from 'node:https';
import { join } from 'node:path';
import { freePort, startProcess, stopProcess, waitReady, type StartedProcess } from './process.js';

export interface MinioServer {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** The id of MinIO's one KMS key (for sse=aws:kms). */
  kmsKeyId: string;
  process: StartedProcess;
}

export const minioKmsKeyId = 'configstore-local';

/** With `tls`: HTTPS with the certificate in `certsDir` (public.crt, private.key), trusted through `ca` (what SSE-C needs). */
export async function startMinio(minioBin: string, stateDir: string, host = '127.0.0.1', tls?: { certsDir: string; ca: Buffer }): Promise<MinioServer> {
  const accessKeyId = 'configstore';
  const secretAccessKey = 'configstore-local-secret';
  const kmsKey = `${minioKmsKeyId}:${randomBytes(32).toString('base64')}`;
  for (let attempt = 1; ; attempt++) {
    const [port, consolePort] = [await freePort(), await freePort()];
    const dataDir = join(stateDir, 'minio', 'data');
    mkdirSync(dataDir, { recursive: true });
    const endpoint = `${tls ? 'https' : 'http'}://${host}:${port}`;
    const proc = startProcess(
      'minio',
      minioBin,
      [
        'server',
        dataDir,
        '--address',
        `${host}:${port}`,
        '--console-address',
        `127.0.0.1:${consolePort}`,
        '--quiet',
        ...(tls ? ['--certs-dir', tls.certsDir] : []),
      ],
      {
        log: join(stateDir, 'minio.log'),
        env: {
          MINIO_ROOT_USER: accessKeyId,
          MINIO_ROOT_PASSWORD: secretAccessKey,
          MINIO_BROWSER: 'off',
          MINIO_UPDATE: 'off',
          MINIO_CI_CD: '1',
          MINIO_KMS_SECRET_KEY: kmsKey,
        },
      },
    );
    try {
      const ready = `${endpoint}/minio/health/ready`;
      await waitReady(proc, async () => (tls ? (await httpsStatus(ready, tls.ca)) === 200 : (await fetch(ready)).ok), 30_000);
      return { endpoint, accessKeyId, secretAccessKey, kmsKeyId: minioKmsKeyId, process: proc };
    } catch (err) {
      await stopProcess(proc);
      if (attempt >= 3) throw err;
    }
  }
}

/** fetch cannot be told of a CA: node:https can. */
function httpsStatus(url: string, ca: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    get(url, { ca }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', reject);
  });
}
