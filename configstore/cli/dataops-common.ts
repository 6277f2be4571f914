// What the data commands (maintenance, export, import) share: the server flags, where an
// export lives (a local file or s3://bucket/key), a TTY-only progress line, the final JSON
// result (also for Kubernetes' termination log) and the exit codes.
import { accessSync, constants, readFileSync, writeFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Option, type Command } from 'commander';
import { ConfigStoreClient } from '../client/index.js';
import { ConfigStoreError, errorCodes, RemoteError } from '../errors.js';
import { parseObjectStorageUrl, validateKey, type S3ObjectStorage } from '../objectstorage/index.js';
import { formatResultLine, type DataOpResult } from '../types/dataopresult.js';
import { readAdminToken } from './settings.js';
import { UsageError } from './usage.js';

export const exitCodes = { ok: 0, failure: 1, usage: 2, verification: 3 } as const;

export const exitCodesHelp = `
Exit codes:
  0  done
  1  the server or the network failed (the server's message is printed as is)
  2  bad usage or bad input (flags, a local export that is invalid or has another sha256)
  3  verification failed: the stored export does not match what the server sent`;

/** The stored export does not match what was streamed (exit code 3). */
export class VerificationError extends Error {
  override name = 'VerificationError';
}

export interface ServerFlags {
  server?: string;
  adminTokenFile?: string;
}

export function addServerOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--server <url>', 'configstore URL, e.g. http://configstore:4000 (required)').env('CONFIGSTORE_SERVER'))
    .addOption(new Option('--admin-token-file <path>', 'file with the admin bearer token').env('CONFIGSTORE_ADMIN_TOKEN_FILE'))
    .addHelpText('after', exitCodesHelp);
}

/** The flag or the variable a value came from, for error messages. */
export function sourceOf(cmd: Command, key: string, flag: string, env: string): string {
  return cmd.getOptionValueSource(key) === 'env' ? env : flag;
}

export function clientFrom(cmd: Command): ConfigStoreClient {
  const opts = cmd.opts<ServerFlags>();
  if (!opts.server) throw new UsageError('no server: set CONFIGSTORE_SERVER or --server (e.g. http://127.0.0.1:4000)');
  let url: URL | undefined;
  try {
    url = new URL(opts.server);
  } catch {
    // reported below
  }
  if (!url || !['http:', 'https:'].includes(url.protocol)) {
    throw new UsageError(`${sourceOf(cmd, 'server', '--server', 'CONFIGSTORE_SERVER')}=${JSON.stringify(opts.server)}: expected an http(s):// URL`);
  }
  const token = readAdminToken({ value: opts.adminTokenFile, from: sourceOf(cmd, 'adminTokenFile', '--admin-token-file', 'CONFIGSTORE_ADMIN_TOKEN_FILE') });
  return new ConfigStoreClient(opts.server, token ? { token } : {});
}

/**
 * Where an export is: a local file, or an object (bucket + key) on an S3 server. `storage`
 * reads and writes the export with its server-side encryption; `meta` the small objects
 * beside it (manifest, owner marker): the same, but never with the SSE-C key, so that the
 * operator reads them without it.
 */
export type Location =
  | { kind: 'file'; path: string; display: string }
  | { kind: 's3'; storage: S3ObjectStorage; meta: S3ObjectStorage; bucket: string; key: string; display: string; sse: StoredSse };

/** The server-side encryption an export is written with, as its manifest records it. */
export interface StoredSse {
  serverSideEncryption?: 'AES256' | 'aws:kms' | 'SSE-C';
  kmsKeyId?: string;
}

export const sseCustomerKeyFlag = '--sse-customer-key-file <path>';
export const sseCustomerKeyHelp =
  'S3 SSE-C: a file with the 256-bit customer key (base64, e.g. `openssl rand -base64 32`, or 32 raw bytes); every read needs it too';

export async function parseLocation(raw: string, flag: string, given: { sseCustomerKeyFile?: string } = {}): Promise<Location> {
  if (!raw) throw new UsageError(`${flag}: expected a file path or s3://bucket/key?endpoint=URL&region=NAME`);
  if (!raw.startsWith('s3://')) {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) throw new UsageError(`${flag}=${JSON.stringify(raw)}: expected a file path or s3://bucket/key (no other scheme)`);
    if (given.sseCustomerKeyFile !== undefined) throw new UsageError(`--sse-customer-key-file is for an s3:// ${flag}, not a file`);
    return { kind: 'file', path: raw, display: raw };
  }
  let parsed: ReturnType<typeof parseObjectStorageUrl>;
  try {
    parsed = parseObjectStorageUrl(raw);
  } catch (err) {
    throw new UsageError(`${flag}: ${(err as Error).message.replace(/s3:\/\/bucket\/prefix/, 's3://bucket/key')}`);
  }
  if (parsed.kind !== 's3') throw new UsageError(`${flag}=${JSON.stringify(raw)}: expected s3://bucket/key`);
  // here the URL's path is the object's key, not a prefix
  const { prefix: key, ...options } = parsed.options;
  if (!key) throw new UsageError(`${flag}=${JSON.stringify(raw)}: the URL names a bucket but no object key (s3://bucket/key)`);
  try {
    validateKey(key);
  } catch (err) {
    throw new UsageError(`${flag}=${JSON.stringify(raw)}: ${(err as Error).message}`);
  }
  const customerKey = given.sseCustomerKeyFile === undefined ? undefined : readCustomerKey(given.sseCustomerKeyFile);
  if (customerKey && options.serverSideEncryption && options.serverSideEncryption !== 'None') {
    throw new UsageError(`${flag}: sse=${options.serverSideEncryption} and --sse-customer-key-file (SSE-C) exclude each other: choose one`);
  }
  const { S3ObjectStorage } = await import('../objectstorage/s3.js'); // the AWS SDK only when an s3:// URL is given
  const storage = new S3ObjectStorage({ ...options, ...(customerKey ? { sseCustomerKey: customerKey } : {}) });
  const sse: StoredSse = customerKey
    ? { serverSideEncryption: 'SSE-C' }
    : options.serverSideEncryption && options.serverSideEncryption !== 'None'
      ? { serverSideEncryption: options.serverSideEncryption, ...(options.kmsKeyId ? { kmsKeyId: options.kmsKeyId } : {}) }
      : {};
  return { kind: 's3', storage, meta: storage.withoutCustomerKey(), bucket: options.bucket, key, display: `s3://${options.bucket}/${key}`, sse };
}

/** An SSE-C key file: base64 of 32 bytes (whitespace around it ignored), or the 32 bytes themselves; as base64. Never echoed. */
export function readCustomerKey(file: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(
      `--sse-customer-key-file=${JSON.stringify(file)}: cannot read it (${code === 'ENOENT' ? 'no such file' : (code ?? (err as Error).message)})`,
    );
  }
  if (bytes.length === 32) return bytes.toString('base64');
  const text = bytes.toString('utf8').trim();
  const decoded = /^[A-Za-z0-9+/]{43}=$/.test(text) ? Buffer.from(text, 'base64') : undefined;
  if (decoded?.length === 32) return text;
  throw new UsageError(
    `--sse-customer-key-file=${JSON.stringify(file)}: not an SSE-C key: expected 256 bits, as base64 (44 characters, e.g. from \`openssl rand -base64 32\`) or 32 raw bytes`,
  );
}

/** Whether a location holds gzip: by flag or by a `.gz` name (`.gz.age` when encrypted). */
export function isGzip(location: Location, flag: boolean | undefined): boolean {
  return flag === true || /\.gz(\.age)?$/i.test(location.kind === 'file' ? location.path : location.key);
}

/** Bytes so far, rewritten in place on stderr, at most ~10 times a second; nothing when stderr is not a TTY. */
export class Progress {
  private readonly tty = process.stderr.isTTY === true;
  private last = 0;
  private shown = false;
  bytes = 0;

  constructor(private readonly label: string) {}

  add(n: number): void {
    this.bytes += n;
    if (!this.tty) return;
    const now = Date.now();
    if (now - this.last < 100) return;
    this.last = now;
    this.shown = true;
    process.stderr.write(`\r\x1b[K${this.label}: ${formatBytes(this.bytes)}`);
  }

  done(): void {
    if (this.tty && this.shown) process.stderr.write('\r\x1b[K');
  }
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

/**
 * Prints the result line on stdout and writes it to the termination log Kubernetes reads
 * (CONFIGSTORE_TERMINATION_LOG, else /dev/termination-log when it exists and is writable).
 */
export function reportResult(result: DataOpResult & { revision: string; location: string }): void {
  const line = formatResultLine(result);
  process.stdout.write(line + '\n');
  const configured = process.env.CONFIGSTORE_TERMINATION_LOG;
  const path = configured || '/dev/termination-log';
  try {
    if (!configured) accessSync(path, constants.W_OK); // never create a file in /dev
    writeFileSync(path, line + '\n');
  } catch {
    // not in a pod: stdout is the result
  }
}

/** The one line a failure prints, and its exit code. */
export function describeFailure(err: unknown): { line: string; exitCode: number } | undefined {
  if (err instanceof RemoteError) return { line: `error: ${err.message} (HTTP ${err.status}, ${err.code})`, exitCode: exitCodes.failure };
  if (err instanceof VerificationError) return { line: `configstore: verification failed: ${err.message}`, exitCode: exitCodes.verification };
  if (err instanceof ConfigStoreError && err.code === errorCodes.unreachable) {
    const cause = err.cause instanceof Error ? (err.cause.cause instanceof Error ? err.cause.cause.message : err.cause.message) : undefined;
    return { line: `error: ${err.message}${cause ? ` (${cause})` : ''}`, exitCode: exitCodes.failure };
  }
  return undefined;
}

/** The export's ndjson bytes: gunzipped when it is stored compressed. */
export function decoded(source: AsyncIterable<Uint8Array> | Readable, gzip: boolean): AsyncIterable<Uint8Array> {
  if (!gzip) return source;
  const readable = source instanceof Readable ? source : Readable.from(source);
  const gunzip = createGunzip();
  readable.on('error', (err) => gunzip.destroy(err));
  return readable.pipe(gunzip);
}
