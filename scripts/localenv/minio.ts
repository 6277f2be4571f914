// A single-drive MinIO server on a loopback port, data in the state dir.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, startProcess, stopProcess, waitReady, type StartedProcess } from './process.js';

export interface MinioServer {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  process: StartedProcess;
}

export async function startMinio(minioBin: string, stateDir: string, host = '127.0.0.1'): Promise<MinioServer> {
  const accessKeyId = 'configstore';
  const secretAccessKey = 'configstore-local-secret';
  for (let attempt = 1; ; attempt++) {
    const [port, consolePort] = [await freePort(), await freePort()];
    const dataDir = join(stateDir, 'minio', 'data');
    mkdirSync(dataDir, { recursive: true });
    const endpoint = `http://${host}:${port}`;
    const proc = startProcess(
      'minio',
      minioBin,
      ['server', dataDir, '--address', `${host}:${port}`, '--console-address', `127.0.0.1:${consolePort}`, '--quiet'],
      {
        log: join(stateDir, 'minio.log'),
        env: {
          MINIO_ROOT_USER: accessKeyId,
          MINIO_ROOT_PASSWORD: secretAccessKey,
          MINIO_BROWSER: 'off',
          MINIO_UPDATE: 'off',
          MINIO_CI_CD: '1',
        },
      },
    );
    try {
      await waitReady(proc, async () => (await fetch(`${endpoint}/minio/health/ready`)).ok, 30_000);
      return { endpoint, accessKeyId, secretAccessKey, process: proc };
    } catch (err) {
      await stopProcess(proc);
      if (attempt >= 3) throw err;
    }
  }
}
