// A real Kubernetes control plane: kube-apiserver (its own etcd, TLS, client-certificate
// auth, Node + RBAC authorization, a service-account signing key) and kube-controller-manager
// (Deployment, ReplicaSet, Job, GC, namespace, service-account controllers). With `node`, it
// listens on the node's address (pods reach it through the `kubernetes` Service) and
// node/ adds the scheduler and a kubelet; without, the e2e harness plays the node.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { startEtcd } from './etcd.js';
import { apiServiceIp, nodeIp, serviceCidr } from './node/network.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, isRunning, startProcess, stopProcess, waitReady, type StartedProcess } from './process.js';

export interface KubeControlPlane {
  server: string;
  /** Admin kubeconfig (system:masters, client certificate). */
  kubeconfig: string;
  pkiDir: string;
  processes: StartedProcess[];
}

/** The real node's name (node/). */
export const nodeName = 'configstore-node';

export const serviceAccountIssuer = 'https://kubernetes.default.svc.cluster.local';

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A CA, the apiserver's serving certificate, client certificates and the service-account key pair. */
function makePki(dir: string, node: boolean): void {
  mkdirSync(dir, { recursive: true });
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '3650', '-subj', '/CN=configstore-local-ca'], dir);
  const sign = (name: string, subject: string, ext: string) => {
    writeFileSync(join(dir, `${name}.ext`), ext);
    openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject], dir);
    openssl(
      [
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        'ca.crt',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-out',
        `${name}.crt`,
        '-days',
        '3650',
        '-extfile',
        `${name}.ext`,
      ],
      dir,
    );
  };
  sign(
    'apiserver',
    '/CN=kube-apiserver',
    `subjectAltName=IP:127.0.0.1,IP:${nodeIp},IP:${apiServiceIp},DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local\nextendedKeyUsage=serverAuth\n`,
  );
  sign('admin', '/O=system:masters/CN=local-admin', 'extendedKeyUsage=clientAuth\n');
  sign('controller-manager', '/CN=system:kube-controller-manager', 'extendedKeyUsage=clientAuth\n');
  openssl(['genrsa', '-out', 'sa.key', '2048'], dir);
  openssl(['rsa', '-in', 'sa.key', '-pubout', '-out', 'sa.pub'], dir);
  if (!node) return; // the node's components' certificates
  sign('scheduler', '/CN=system:kube-scheduler', 'extendedKeyUsage=clientAuth\n');
  sign('kube-proxy', '/CN=system:kube-proxy', 'extendedKeyUsage=clientAuth\n');
  sign('kubelet', `/O=system:nodes/CN=system:node:${nodeName}`, 'extendedKeyUsage=clientAuth\n');
  sign('kubelet-serving', `/CN=${nodeName}`, `subjectAltName=IP:${nodeIp},DNS:${nodeName}\nextendedKeyUsage=serverAuth\n`);
}

export function kubeconfigYaml(server: string, pki: string, user: string): string {
  return `apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: ${server}
    certificate-authority: ${join(pki, 'ca.crt')}
users:
- name: ${user}
  user:
    client-certificate: ${join(pki, `${user}.crt`)}
    client-key: ${join(pki, `${user}.key`)}
contexts:
- name: local
  context: {cluster: local, user: ${user}, namespace: default}
current-context: local
`;
}

function readyz(server: string, pki: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(
      `${server}/readyz`,
      {
        ca: readFileSync(join(pki, 'ca.crt')),
        cert: readFileSync(join(pki, 'admin.crt')),
        key: readFileSync(join(pki, 'admin.key')),
        timeout: 2000,
      },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      },
    );
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

export async function startKube(
  bins: { etcd: string; apiserver: string; controllerManager: string },
  stateDir: string,
  opts: { node?: boolean } = {},
): Promise<KubeControlPlane> {
  const host = opts.node ? nodeIp : '127.0.0.1';
  const dir = join(stateDir, 'kube');
  const pki = join(dir, 'pki');
  makePki(pki, opts.node === true);
  const processes: StartedProcess[] = [];
  try {
    const etcd = await startEtcd(bins.etcd, dir, 'kube-etcd');
    processes.push(etcd.process);

    let server = '';
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      server = `https://${host}:${port}`;
      const apiserver = startProcess(
        'kube-apiserver',
        bins.apiserver,
        [
          `--etcd-servers=${etcd.endpoint}`,
          `--bind-address=${host}`,
          `--advertise-address=${host}`,
          `--secure-port=${port}`,
          `--cert-dir=${join(dir, 'apiserver-certs')}`,
          `--tls-cert-file=${join(pki, 'apiserver.crt')}`,
          `--tls-private-key-file=${join(pki, 'apiserver.key')}`,
          `--client-ca-file=${join(pki, 'ca.crt')}`,
          `--service-account-issuer=${serviceAccountIssuer}`,
          `--service-account-key-file=${join(pki, 'sa.pub')}`,
          `--service-account-signing-key-file=${join(pki, 'sa.key')}`,
          '--authorization-mode=Node,RBAC',
          '--enable-admission-plugins=NodeRestriction',
          `--service-cluster-ip-range=${serviceCidr}`,
          // logs and exec through the kubelet: as an admin, to the node's InternalIP (not a DNS lookup of its name)
          `--kubelet-client-certificate=${join(pki, 'admin.crt')}`,
          `--kubelet-client-key=${join(pki, 'admin.key')}`,
          `--kubelet-certificate-authority=${join(pki, 'ca.crt')}`,
          '--kubelet-preferred-address-types=InternalIP',
          '--allow-privileged=true',
          '--profiling=false',
          '--v=1',
        ],
        { log: join(stateDir, 'kube-apiserver.log') },
      );
      try {
        await waitReady(apiserver, () => readyz(server, pki), 120_000);
        processes.push(apiserver);
        break;
      } catch (err) {
        await stopProcess(apiserver);
        if (attempt >= 2) throw err;
      }
    }

    const adminConfig = join(dir, 'admin.kubeconfig');
    writeFileSync(adminConfig, kubeconfigYaml(server, pki, 'admin'));
    const kcmConfig = join(dir, 'controller-manager.kubeconfig');
    for (const user of opts.node ? ['controller-manager', 'scheduler', 'kube-proxy', 'kubelet'] : ['controller-manager'])
      writeFileSync(join(dir, `${user}.kubeconfig`), kubeconfigYaml(server, pki, user));

    const kcm = startProcess(
      'kube-controller-manager',
      bins.controllerManager,
      [
        `--kubeconfig=${kcmConfig}`,
        '--leader-elect=false',
        '--secure-port=0',
        `--service-account-private-key-file=${join(pki, 'sa.key')}`,
        `--root-ca-file=${join(pki, 'ca.crt')}`,
        '--use-service-account-credentials=true', // each controller with its bootstrap RBAC role
        // a real kubelet: the node lifecycle controller lifts its not-ready taint once it is Ready;
        // the fake node sends no heartbeats, and that controller would evict every pod
        opts.node ? '--controllers=*' : '--controllers=*,-node-lifecycle-controller,-taint-eviction-controller',
        '--v=1',
      ],
      { log: join(stateDir, 'kube-controller-manager.log') },
    );
    processes.push(kcm);
    // It has no port to probe: it must at least stay up through its start-up.
    await waitReady(kcm, async () => (await sleep(1500), isRunning(kcm)), 10_000);

    return { server, kubeconfig: adminConfig, pkiDir: pki, processes };
  } catch (err) {
    for (const p of processes.reverse()) await stopProcess(p);
    throw err;
  }
}
