// etcd on loopback ports, data in the state dir: a single member, or a cluster of several.
// `secure` makes the single member one as a production etcd is run: TLS with client
// certificates, and password auth enabled.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { freePort, startProcess, stopProcess, waitReady, type StartedProcess } from './process.js';

export interface EtcdServer {
  endpoint: string;
  process: StartedProcess;
  /** With `secure`: a directory laid out as an etcd credentials Secret (ca.crt, tls.crt, tls.key, username, password). */
  credentialsDir?: string;
}

/** `host`: the address it listens on (the node's, for pods to reach it; loopback by default). */
export async function startEtcd(etcdBin: string, stateDir: string, name: string, opts: { secure?: boolean; host?: string } = {}): Promise<EtcdServer> {
  const host = opts.host ?? '127.0.0.1';
  for (let attempt = 1; ; attempt++) {
    const [client, peer] = [await freePort(), await freePort()];
    const dataDir = join(stateDir, name);
    mkdirSync(dataDir, { recursive: true });
    const credentialsDir = opts.secure ? makeCredentials(join(dataDir, 'credentials'), host) : undefined;
    const endpoint = `${credentialsDir ? 'https' : 'http'}://${host}:${client}`;
    const tls = credentialsDir
      ? [
          '--cert-file',
          join(credentialsDir, 'server.crt'),
          '--key-file',
          join(credentialsDir, 'server.key'),
          '--trusted-ca-file',
          join(credentialsDir, 'ca.crt'),
          '--client-cert-auth',
        ]
      : [];
    const member = { name, client: endpoint, peer: `http://${host}:${peer}` };
    const proc = startProcess(name, etcdBin, [...tls, ...memberArgs(member, [member], dataDir)], { log: join(stateDir, `${name}.log`) });
    try {
      if (!credentialsDir) {
        await waitReady(proc, async () => (await fetch(`${endpoint}/health`)).ok, 20_000);
        return { endpoint, process: proc };
      }
      await waitReady(proc, () => enableAuth(endpoint, credentialsDir), 20_000);
      return { endpoint, process: proc, credentialsDir };
    } catch (err) {
      await stopProcess(proc);
      if (attempt >= 3) throw err; // a port taken between probe and bind: try new ports
    }
  }
}

interface Member {
  name: string;
  client: string;
  peer: string;
}

/** The flags of one member of `cluster` (a single member is a cluster of one). */
function memberArgs(member: Member, cluster: Member[], dataDir: string): string[] {
  return [
    '--name',
    member.name,
    '--data-dir',
    join(dataDir, 'data'),
    '--listen-client-urls',
    member.client,
    '--advertise-client-urls',
    member.client,
    '--listen-peer-urls',
    member.peer,
    '--initial-advertise-peer-urls',
    member.peer,
    '--initial-cluster',
    cluster.map((m) => `${m.name}=${m.peer}`).join(','),
    '--initial-cluster-state',
    'new',
    '--listen-metrics-urls',
    'http://127.0.0.1:0',
    '--log-level',
    'warn',
    // tests and the demo write a lot and keep little: keep the db small
    '--quota-backend-bytes',
    String(4 * 1024 * 1024 * 1024),
    '--auto-compaction-mode',
    'revision',
    '--auto-compaction-retention',
    '100000',
  ];
}

export interface EtcdCluster {
  /** The members' client URLs. */
  endpoints: string[];
  processes: StartedProcess[];
}

/**
 * `size` members on loopback, as production runs etcd (a commit waits for a quorum: each member
 * fsyncs, and the leader waits for the fastest follower): for benches that must not measure a
 * single member's shortcut. Plain HTTP, no auth.
 */
export async function startEtcdCluster(etcdBin: string, stateDir: string, name: string, size: number): Promise<EtcdCluster> {
  const members: Member[] = [];
  for (let i = 0; i < size; i++)
    members.push({ name: `${name}-${i}`, client: `http://127.0.0.1:${await freePort()}`, peer: `http://127.0.0.1:${await freePort()}` });
  const processes = members.map((m) => {
    const dataDir = join(stateDir, m.name);
    mkdirSync(dataDir, { recursive: true });
    return startProcess(m.name, etcdBin, memberArgs(m, members, dataDir), { log: join(stateDir, `${m.name}.log`) });
  });
  try {
    // a member's /health is ok once the cluster has a leader and it has caught up
    await Promise.all(processes.map((proc, i) => waitReady(proc, async () => (await fetch(`${members[i]!.client}/health`)).ok, 30_000)));
  } catch (err) {
    await Promise.all(processes.map(stopProcess));
    throw err;
  }
  return { endpoints: members.map((m) => m.client), processes };
}

/** A CA, a server certificate for `host` and a client certificate, by openssl; the root password. */
function makeCredentials(dir: string, host: string): string {
  mkdirSync(dir, { recursive: true });
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const key = (name: string) => openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', name);
  key('ca.key');
  openssl('req', '-x509', '-new', '-key', 'ca.key', '-subj', '/CN=configstore-test-ca', '-days', '30', '-out', 'ca.crt');
  for (const [name, cn, ext] of [
    ['server', host, [`subjectAltName=IP:127.0.0.1,IP:${host},DNS:localhost`, 'extendedKeyUsage=serverAuth']],
    ['tls', 'configstore', ['extendedKeyUsage=clientAuth']],
  ] as const) {
    key(`${name}.key`);
    openssl('req', '-new', '-key', `${name}.key`, '-subj', `/CN=${cn}`, '-out', `${name}.csr`);
    writeFileSync(join(dir, `${name}.ext`), ext.join('\n'));
    openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '30',
      '-extfile',
      `${name}.ext`,
      '-out',
      `${name}.crt`,
    );
  }
  writeFileSync(join(dir, 'username'), 'root');
  writeFileSync(join(dir, 'password'), `pw-${Math.random().toString(36).slice(2)}`);
  return dir;
}

/** A client of a `secure` etcd with the credentials of its directory: the client certificate, and the root user unless `auth` is false. */
export function secureEtcdClient(server: Pick<EtcdServer, 'endpoint' | 'credentialsDir'>, opts: { auth?: boolean } = {}): Etcd3 {
  const read = (f: string) => readFileSync(join(server.credentialsDir!, f));
  const auth = opts.auth === false ? {} : { auth: { username: read('username').toString(), password: read('password').toString() } };
  return new Etcd3({
    hosts: server.endpoint,
    credentials: { rootCertificate: read('ca.crt'), privateKey: read('tls.key'), certChain: read('tls.crt') },
    ...auth,
    dialTimeout: 1000,
  });
}

/** Creates the root user with the password of the credentials and turns auth on (each step idempotent: the probe retries until etcd is up). */
async function enableAuth(endpoint: string, dir: string): Promise<boolean> {
  const read = (f: string) => readFileSync(join(dir, f));
  const etcd = secureEtcdClient({ endpoint, credentialsDir: dir }, { auth: false });
  try {
    const root = etcd.user('root');
    await root.create(read('password').toString()).catch((err: Error) => {
      if (!/already exists/.test(err.message)) throw err;
    });
    await root.addRole('root');
    await etcd.auth.authEnable();
    return true;
  } finally {
    etcd.close();
  }
}
