// `configstore serve`: one configstore instance. Listens at once; /readyz turns 200 when the
// read model is synced (etcd unreachable at start: retried with backoff, logged). SIGTERM or
// SIGINT: stop accepting, let requests in flight finish (bounded), close, exit 0.
import { Option, type Command } from 'commander';
import { createServer } from '../api/server.js';
import { openObjectStorage } from '../objectstorage/index.js';
import { parseServeSettings, type Raw, type ServeSettings } from './settings.js';
import { watchedTokenFile } from './tokenfile.js';

// flag name (commander key) → environment variable, default, help
const options = {
  listen: {
    flag: '--listen <host:port>',
    env: 'CONFIGSTORE_LISTEN',
    default: '127.0.0.1:4000',
    help: 'address to serve HTTP on ([::]:4000 or 0.0.0.0:4000 in a pod)',
  },
  etcdEndpoints: { flag: '--etcd-endpoints <urls>', env: 'CONFIGSTORE_ETCD_ENDPOINTS', help: 'etcd client URLs, comma-separated (required)' },
  etcdCredentialsDir: {
    flag: '--etcd-credentials-dir <dir>',
    env: 'CONFIGSTORE_ETCD_CREDENTIALS_DIR',
    help: 'TLS and user for etcd, as files ca.crt, tls.crt, tls.key, username, password (each optional; a mounted Secret)',
  },
  etcdPrefix: { flag: '--etcd-prefix <prefix>', env: 'CONFIGSTORE_ETCD_PREFIX', default: '/configstore/', help: 'key prefix of this cluster in etcd' },
  objectStorage: {
    flag: '--object-storage <url>',
    env: 'CONFIGSTORE_OBJECT_STORAGE',
    help: 'file:///dir or s3://bucket/prefix?endpoint=URL&region=NAME (S3 keys from AWS_*); default: <data-dir>/objects',
  },
  adminTokenFile: {
    flag: '--admin-token-file <path>',
    env: 'CONFIGSTORE_ADMIN_TOKEN_FILE',
    help: 'file with the bearer token admin routes require (open without)',
  },
  dataDir: { flag: '--data-dir <dir>', env: 'CONFIGSTORE_DATA_DIR', help: 'directory for the read model (in memory without)' },
  instanceId: { flag: '--instance-id <id>', env: 'POD_NAME', help: 'instance id in logs and the instance registry (default: hostname-pid)' },
  logLevel: { flag: '--log-level <level>', env: 'CONFIGSTORE_LOG_LEVEL', default: 'info', help: 'fatal, error, warn, info, debug, trace or silent' },
  shutdownTimeout: {
    flag: '--shutdown-timeout <seconds>',
    env: 'CONFIGSTORE_SHUTDOWN_TIMEOUT',
    default: '10',
    help: 'how long requests in flight may finish after SIGTERM',
  },
  groupCommit: {
    flag: '--group-commit <on|off>',
    env: 'CONFIGSTORE_GROUP_COMMIT',
    default: 'on',
    help: 'concurrent writes on disjoint data committed as one etcd txn (off: one txn per write)',
  },
} as const;

type Key = keyof typeof options;

export function addServeCommand(program: Command): void {
  const cmd = program.command('serve').description('run a configstore instance (settings from flags or CONFIGSTORE_* variables)');
  for (const o of Object.values(options)) {
    const option = new Option(o.flag, o.help).env(o.env);
    if ('default' in o) option.default(o.default);
    cmd.addOption(option);
  }
  cmd.action(async (_opts, command: Command) => {
    const values = command.opts<Record<Key, string | undefined>>();
    const raw = Object.fromEntries(
      (Object.keys(options) as Key[]).map((key) => {
        const source = command.getOptionValueSource(key);
        const from = source === 'cli' ? options[key].flag.split(' ')[0]! : options[key].env;
        return [key, { value: values[key], from } satisfies Raw];
      }),
    ) as Record<Key, Raw>;
    await serve(parseServeSettings(raw));
  });
}

const knownVariables = new Set<string>([...Object.values(options).map((o) => o.env), 'CONFIGSTORE_ADMIN_TOKEN']);

async function serve(settings: ServeSettings): Promise<void> {
  const storage = await openObjectStorage(settings.objectStorageUrl);
  // a token file is read again when it changes (a rotated Secret volume); logged once the server's logger exists
  const logs: { to?: { info(m: string): void; warn(m: string): void } } = {};
  const tokenLog = { info: (m: string) => logs.to?.info(m), warn: (m: string) => logs.to?.warn(m) };
  const adminToken =
    settings.adminToken && settings.adminTokenFile ? watchedTokenFile(settings.adminTokenFile, settings.adminToken, tokenLog) : settings.adminToken;
  const server = await createServer({
    etcdEndpoints: settings.etcdEndpoints,
    etcdSecurity: settings.etcd,
    etcdPrefix: settings.etcdPrefix,
    objectStorage: storage,
    logger: { level: settings.logLevel },
    groupCommit: settings.groupCommit,
    instanceId: settings.instanceId,
    startInBackground: true,
    ...(settings.dataDir ? { dataDir: settings.dataDir } : {}),
    ...(adminToken ? { adminToken } : {}),
  });
  const log = server.app.log;
  logs.to = log;
  const typos = Object.keys(process.env).filter((k) => k.startsWith('CONFIGSTORE_') && !knownVariables.has(k));
  if (typos.length) log.warn({ variables: typos }, 'unknown CONFIGSTORE_ variables ignored');
  if (!settings.adminToken)
    log.warn('no admin token (CONFIGSTORE_ADMIN_TOKEN_FILE or CONFIGSTORE_ADMIN_TOKEN): admin routes are open to anyone who reaches this address');
  log.info(
    {
      etcd: settings.etcdEndpoints,
      etcdTls: !!settings.etcd.credentials,
      etcdUser: settings.etcd.auth?.username,
      prefix: settings.etcdPrefix,
      objectStorage: storage.location,
      dataDir: settings.dataDir ?? '(memory)',
    },
    'starting',
  );

  try {
    await server.app.listen({ host: settings.host, port: settings.port });
  } catch (err) {
    await server.close(0).catch(() => undefined);
    throw new Error(`cannot listen on ${settings.host}:${settings.port}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  log.info({ signal, graceMs: settings.shutdownTimeoutMs }, 'shutting down: finishing requests in flight');
  const again = (s: NodeJS.Signals) => {
    log.warn({ signal: s }, 'second signal: exiting now');
    process.exit(1);
  };
  process.once('SIGTERM', again);
  process.once('SIGINT', again);
  await server.close(settings.shutdownTimeoutMs);
  await storage.close();
  log.info('stopped');
  process.exit(0);
}
