// How a configstore reaches a secured etcd: TLS (a CA, a client certificate) and etcd's
// password auth. One layout for a directory (`configstore serve --etcd-credentials-dir`) and
// for a Kubernetes Secret (ConfigStoreCluster spec.etcd.credentialsSecretRef, mounted as that
// directory): the keys of a cert-manager TLS Secret plus `username` and `password`. Every key
// is optional; the ones present must fit together.

export const etcdCredentialKeys = { ca: 'ca.crt', cert: 'tls.crt', key: 'tls.key', username: 'username', password: 'password' } as const;

export type EtcdCredentials = Partial<Record<keyof typeof etcdCredentialKeys, Buffer>>;

/** The credentials `read` finds by key name (a file of a directory, a key of a Secret); undefined: absent. */
export function collectEtcdCredentials(read: (key: string) => Buffer | undefined): EtcdCredentials {
  const creds: EtcdCredentials = {};
  for (const [field, key] of Object.entries(etcdCredentialKeys) as Array<[keyof EtcdCredentials, string]>) {
    const value = read(key);
    if (value) creds[field] = value;
  }
  return creds;
}

/** The options of an etcd3 client (a structural subset: this module does not import etcd3). */
export interface EtcdConnectionOptions {
  hosts: string[];
  credentials?: { rootCertificate: Buffer; privateKey?: Buffer; certChain?: Buffer };
  auth?: { username: string; password: string };
}

/**
 * etcd3 options for these endpoints and credentials. Throws an Error naming the keys that do
 * not fit together (a certificate without its key, a user without a password, TLS material
 * for plain http:// endpoints, a password that plain http:// would send in clear).
 */
export function etcdConnectionOptions(endpoints: string[], creds: EtcdCredentials): EtcdConnectionOptions {
  const k = etcdCredentialKeys;
  if (!!creds.cert !== !!creds.key) throw new Error(`${k.cert} and ${k.key} go together: only ${creds.cert ? k.cert : k.key} is set`);
  if (!!creds.username !== !!creds.password)
    throw new Error(`${k.username} and ${k.password} go together: only ${creds.username ? k.username : k.password} is set`);
  const tls = creds.ca || creds.cert;
  const plain = endpoints.filter((e) => e.startsWith('http://'));
  if (tls && plain.length > 0)
    throw new Error(`${creds.ca ? k.ca : k.cert} is for TLS, but these etcd endpoints are plain http://: ${plain.join(', ')} (use https://)`);
  const username = creds.username?.toString('utf8').trim();
  const password = creds.password?.toString('utf8').replace(/\r?\n$/, '');
  if (creds.username && !username) throw new Error(`${k.username} is empty`);
  if (creds.password && !password) throw new Error(`${k.password} is empty`);
  if (username && plain.length > 0) {
    throw new Error(
      `${k.username} and ${k.password} would go in clear over plain http:// etcd endpoints (${plain.join(', ')}): serve etcd over TLS and use https:// endpoints (with ${k.ca} for its CA)`,
    );
  }
  return {
    hosts: endpoints,
    // without ca.crt the system's roots verify the server (https:// endpoints)
    ...(tls ? { credentials: { rootCertificate: creds.ca as Buffer, ...(creds.cert ? { certChain: creds.cert, privateKey: creds.key } : {}) } } : {}),
    ...(username && password ? { auth: { username, password } } : {}),
  };
}
