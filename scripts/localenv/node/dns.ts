// Cluster DNS: CoreDNS (built from its Go module) with the kubernetes plugin, answering
// <svc>.<ns>.svc.cluster.local on the node's address. Cluster names only: nothing is
// forwarded, since nothing in the cluster talks to anything off the machine.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startProcess, waitReady, type StartedProcess } from '../process.js';
import { clusterDnsIp, clusterDomain } from './network.js';
import { createSocket } from 'node:dgram';

export async function startCoreDns(bin: string, nodeDir: string, kubeconfig: string, healthPort: number): Promise<StartedProcess> {
  const corefile = join(nodeDir, 'Corefile');
  writeFileSync(
    corefile,
    `${clusterDomain}:53 in-addr.arpa:53 ip6.arpa:53 {
    bind ${clusterDnsIp}
    errors
    health 127.0.0.1:${healthPort}
    ready 127.0.0.1:${healthPort + 1}
    kubernetes ${clusterDomain} in-addr.arpa ip6.arpa {
        kubeconfig ${kubeconfig}
        pods insecure
    }
    cache 5
}
.:53 {
    bind ${clusterDnsIp}
    errors
}
`,
  );
  const proc = startProcess('coredns', bin, ['-conf', corefile], { log: join(nodeDir, 'coredns.log') });
  await waitReady(proc, async () => (await fetch(`http://127.0.0.1:${healthPort + 1}/ready`)).ok, 30_000);
  return proc;
}

/** One A lookup at the cluster DNS (for the readiness of the whole node). */
export function resolvesKubernetesService(): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createSocket('udp4');
    const name = `kubernetes.default.svc.${clusterDomain}`;
    const labels = name.split('.').flatMap((l) => [Buffer.from([l.length]), Buffer.from(l)]);
    const query = Buffer.concat([Buffer.from([0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]), ...labels, Buffer.from([0, 0, 1, 0, 1])]);
    const timer = setTimeout(() => (sock.close(), resolve(false)), 1000);
    sock.on('message', (msg) => {
      clearTimeout(timer);
      sock.close();
      resolve((msg.readUInt16BE(6) ?? 0) > 0); // an answer record
    });
    sock.on('error', () => (clearTimeout(timer), sock.close(), resolve(false)));
    sock.send(query, 53, clusterDnsIp);
  });
}
