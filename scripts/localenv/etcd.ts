// A single-member etcd on loopback ports, data in the state dir.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, startProcess, stopProcess, waitReady, type StartedProcess } from './process.js';

export interface EtcdServer {
  endpoint: string;
  process: StartedProcess;
}

export async function startEtcd(etcdBin: string, stateDir: string, name: string): Promise<EtcdServer> {
  for (let attempt = 1; ; attempt++) {
    const [client, peer] = [await freePort(), await freePort()];
    const dataDir = join(stateDir, name);
    mkdirSync(dataDir, { recursive: true });
    const endpoint = `http://127.0.0.1:${client}`;
    const proc = startProcess(name, etcdBin, [
      '--name', name,
      '--data-dir', join(dataDir, 'data'),
      '--listen-client-urls', endpoint,
      '--advertise-client-urls', endpoint,
      '--listen-peer-urls', `http://127.0.0.1:${peer}`,
      '--initial-advertise-peer-urls', `http://127.0.0.1:${peer}`,
      '--initial-cluster', `${name}=http://127.0.0.1:${peer}`,
      '--listen-metrics-urls', 'http://127.0.0.1:0',
      '--log-level', 'warn',
      // tests and the demo write a lot and keep little: keep the db small
      '--quota-backend-bytes', String(4 * 1024 * 1024 * 1024),
      '--auto-compaction-mode', 'revision',
      '--auto-compaction-retention', '100000',
    ], { log: join(stateDir, `${name}.log`) });
    try {
      await waitReady(proc, async () => (await fetch(`${endpoint}/health`)).ok, 20_000);
      return { endpoint, process: proc };
    } catch (err) {
      await stopProcess(proc);
      if (attempt >= 3) throw err; // a port taken between probe and bind: try new ports
    }
  }
}
