// `configstore serve` settings: flags or environment (Kubernetes style), checked all at
// once before anything starts, each problem named by the flag or variable it came from.
import { accessSync, constants, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseObjectStorageUrl } from '../objectstorage/index.js';
import { collectEtcdCredentials, etcdConnectionOptions, etcdCredentialKeys, type EtcdConnectionOptions } from '../types/index.js';
import { UsageError } from './usage.js';

/** One raw setting and where it came from ("--listen", "CONFIGSTORE_LISTEN" or "default"). */
export interface Raw {
  value: string | undefined;
  from: string;
}

export interface ServeSettings {
  host: string;
  port: number;
  etcdEndpoints: string[];
  /** The etcd client's options: endpoints, TLS and password auth. */
  etcd: EtcdConnectionOptions;
  etcdPrefix: string;
  objectStorageUrl: string;
  adminToken: string | undefined;
  /** Where the admin token came from, when a file: serve watches it for rotation. */
  adminTokenFile: string | undefined;
  dataDir: string | undefined;
  instanceId: string;
  logLevel: string;
  shutdownTimeoutMs: number;
  groupCommit: boolean;
}

export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

const errnoText: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a parent is not a directory',
  EROFS: 'read-only file system',
};
const why = (err: unknown) => {
  const code = (err as NodeJS.ErrnoException).code;
  return (code && errnoText[code]) ?? code ?? (err as Error).message;
};

const bad = (raw: Raw, why: string) => new UsageError(`${raw.from}=${JSON.stringify(raw.value)}: ${why}`);

export function parseListen(raw: Raw): { host: string; port: number } {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+))?:(\d{1,5})$/.exec(raw.value ?? '');
  if (!m) throw bad(raw, 'expected host:port, e.g. 127.0.0.1:4000, 0.0.0.0:4000 or [::]:4000');
  const port = Number(m[3]);
  if (port > 65535) throw bad(raw, `port ${port} is out of range (0-65535)`);
  return { host: m[1] ?? m[2] ?? '0.0.0.0', port };
}

export function parseEtcdEndpoints(raw: Raw): string[] {
  const endpoints = (raw.value ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  if (endpoints.length === 0) {
    throw new UsageError('no etcd endpoints: set CONFIGSTORE_ETCD_ENDPOINTS or --etcd-endpoints (comma-separated URLs, e.g. http://127.0.0.1:2379)');
  }
  for (const e of endpoints) {
    let url: URL | undefined;
    try {
      url = new URL(e);
    } catch {
      // reported below
    }
    if (!url || !['http:', 'https:'].includes(url.protocol) || !url.hostname || (url.pathname !== '/' && url.pathname !== '') || url.search) {
      throw bad(raw, `etcd endpoint ${JSON.stringify(e)} is not an http(s)://host:port URL`);
    }
  }
  return endpoints;
}

export function parseEtcdPrefix(raw: Raw): string {
  const prefix = raw.value ?? '';
  if (!/^\/[\x21-\x7e]*\/$|^\/$/.test(prefix) || prefix.includes('//')) {
    throw bad(raw, 'the etcd prefix must start and end with "/", e.g. /configstore/ (printable characters, no "//")');
  }
  return prefix;
}

/**
 * The admin token: from the file named by `raw`, else from CONFIGSTORE_ADMIN_TOKEN (how a
 * pod gets it from a Secret; never a flag, which `ps` would show).
 */
export function readAdminToken(raw: Raw): string | undefined {
  if (raw.value === undefined || raw.value === '') {
    const fromEnv = process.env.CONFIGSTORE_ADMIN_TOKEN;
    if (fromEnv === undefined || fromEnv === '') return undefined;
    const token = fromEnv.trim();
    if (token === '' || /\s/.test(token)) throw new UsageError('CONFIGSTORE_ADMIN_TOKEN: the admin token must be one word (no spaces or line breaks)');
    return token;
  }
  let token: string;
  try {
    token = readFileSync(raw.value, 'utf8').trim();
  } catch (err) {
    throw bad(raw, `cannot read the admin token file: ${why(err)}`);
  }
  if (token === '') throw bad(raw, 'the admin token file is empty');
  if (/\s/.test(token)) throw bad(raw, 'the admin token must be one word (no spaces or line breaks)');
  return token;
}

/**
 * TLS files and etcd user of the directory named by `raw` (laid out as the credentials Secret:
 * ca.crt, tls.crt, tls.key, username, password, each optional), checked against the endpoints.
 */
export function readEtcdCredentials(raw: Raw, endpoints: string[]): EtcdConnectionOptions {
  if (raw.value === undefined || raw.value === '') return etcdConnectionOptions(endpoints, {});
  let present: string[];
  try {
    present = readdirSync(raw.value);
  } catch (err) {
    throw bad(raw, `cannot read the etcd credentials directory: ${why(err)}`);
  }
  const dir = raw.value;
  const creds = collectEtcdCredentials((file) => {
    if (!present.includes(file)) return undefined;
    try {
      return readFileSync(join(dir, file));
    } catch (err) {
      throw bad(raw, `cannot read ${file}: ${why(err)}`);
    }
  });
  if (Object.keys(creds).length === 0) throw bad(raw, `none of ${Object.values(etcdCredentialKeys).join(', ')} is in the etcd credentials directory`);
  try {
    return etcdConnectionOptions(endpoints, creds);
  } catch (err) {
    throw bad(raw, (err as Error).message);
  }
}

/** Creates the directory if needed and checks it is writable. */
export function prepareDataDir(raw: Raw): string | undefined {
  if (raw.value === undefined || raw.value === '') return undefined;
  const dir = resolve(raw.value);
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
  } catch (err) {
    throw bad(raw, `the data directory is not usable: ${why(err)}`);
  }
  return dir;
}

export function parseServeSettings(raw: {
  listen: Raw;
  etcdEndpoints: Raw;
  etcdCredentialsDir: Raw;
  etcdPrefix: Raw;
  objectStorage: Raw;
  adminTokenFile: Raw;
  dataDir: Raw;
  instanceId: Raw;
  logLevel: Raw;
  shutdownTimeout: Raw;
  groupCommit: Raw;
}): ServeSettings {
  const { host, port } = parseListen(raw.listen);
  const etcdEndpoints = parseEtcdEndpoints(raw.etcdEndpoints);
  const etcd = readEtcdCredentials(raw.etcdCredentialsDir, etcdEndpoints);
  const etcdPrefix = parseEtcdPrefix(raw.etcdPrefix);

  const logLevel = raw.logLevel.value ?? 'info';
  if (!logLevels.includes(logLevel)) throw bad(raw.logLevel, `not a log level (one of ${logLevels.join(', ')})`);

  const seconds = Number(raw.shutdownTimeout.value);
  if (!raw.shutdownTimeout.value || !Number.isFinite(seconds) || seconds < 0 || seconds > 3600) {
    throw bad(raw.shutdownTimeout, 'expected a number of seconds between 0 and 3600');
  }

  const groupCommit = raw.groupCommit.value ?? 'on';
  if (groupCommit !== 'on' && groupCommit !== 'off') throw bad(raw.groupCommit, 'expected on or off');

  const instanceId = raw.instanceId.value || `${hostname()}-${process.pid}`;
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/.test(instanceId)) throw bad(raw.instanceId, 'an instance id is letters, digits, ".", "_" and "-"');

  const dataDir = prepareDataDir(raw.dataDir);
  // the embedded default: object storage in the data directory (single node, development)
  let objectStorageUrl = raw.objectStorage.value;
  if (!objectStorageUrl) {
    if (!dataDir) {
      throw new UsageError(
        'no object storage: set CONFIGSTORE_OBJECT_STORAGE or --object-storage (file:///dir or s3://bucket/prefix?endpoint=URL&region=NAME), or CONFIGSTORE_DATA_DIR to keep it there',
      );
    }
    objectStorageUrl = pathToFileURL(resolve(dataDir, 'objects')).href;
  }
  try {
    parseObjectStorageUrl(objectStorageUrl);
  } catch (err) {
    throw new UsageError(`${raw.objectStorage.from}: ${(err as Error).message}`);
  }

  return {
    host,
    port,
    etcdEndpoints,
    etcd,
    etcdPrefix,
    objectStorageUrl,
    adminToken: readAdminToken(raw.adminTokenFile),
    adminTokenFile: raw.adminTokenFile.value || undefined,
    dataDir,
    instanceId,
    logLevel,
    shutdownTimeoutMs: Math.round(seconds * 1000),
    groupCommit: groupCommit === 'on',
  };
}
