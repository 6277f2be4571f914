// `configstore import --from FILE|s3://bucket/key [--sha256 HEX] [--dry-run]`: checks the
// export locally first (a complete, valid export; with --sha256, the one expected), so a bad
// file is refused before the server sees a byte, then streams it to the server's import with
// the sha256 it checked: the source is read twice, and if it changed in between (rewritten),
// the server refuses it before the switch. An age-encrypted export (recognised by its first
// bytes) needs --identity-file: it is decrypted here, both times, and the server sees plaintext.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { Command } from 'commander';
import { ConfigStoreError, errorCodes } from '../errors.js';
import { ExportFormatError, validateExport, type ExportSummary } from '../datamanager/exportformat.js';
import { DamagedCiphertextError, decrypted, looksEncrypted, peek, readIdentities, sniffBytes } from './age.js';
import {
  addServerOptions,
  clientFrom,
  decoded,
  isGzip,
  parseLocation,
  Progress,
  reportResult,
  sseCustomerKeyFlag,
  sseCustomerKeyHelp,
  type Location,
} from './dataops-common.js';
import { UsageError } from './usage.js';

interface ImportFlags {
  from: string;
  sha256?: string;
  dryRun?: boolean;
  gzip?: boolean;
  identityFile?: string;
  sseCustomerKeyFile?: string;
}

export function addImportCommand(program: Command): void {
  addServerOptions(
    program
      .command('import')
      .description('replace all data with an export (admin; the server must be in maintenance unless --dry-run); prints a JSON result')
      .requiredOption('--from <file|s3-url>', 'a file path, or s3://bucket/key?endpoint=URL&region=NAME (S3 keys from AWS_*)')
      .option('--sha256 <hex>', "the export's expected sha256 (its trailer's): refuse any other")
      .option('--dry-run', 'only have the server validate it (any mode, changes nothing)')
      .option('--gzip', 'the export is gzip-compressed (implied by a name ending in .gz or .gz.age)')
      .option('--identity-file <path>', 'age identities (AGE-SECRET-KEY-1…, one a line) to decrypt an encrypted export; any one of its recipients will do')
      .option(sseCustomerKeyFlag, sseCustomerKeyHelp),
  ).action(async (opts: ImportFlags, cmd: Command) => {
    const expected = opts.sha256?.toLowerCase();
    if (expected !== undefined && !/^[0-9a-f]{64}$/.test(expected)) throw new UsageError(`--sha256=${JSON.stringify(opts.sha256)}: expected 64 hex digits`);
    const identities = opts.identityFile === undefined ? undefined : await readIdentities(opts.identityFile);
    const location = await parseLocation(opts.from, '--from', opts.sseCustomerKeyFile === undefined ? {} : { sseCustomerKeyFile: opts.sseCustomerKeyFile });
    try {
      await runImport(cmd, opts, location, expected, identities);
    } finally {
      if (location.kind === 's3') await location.storage.close();
    }
  });
}

async function runImport(cmd: Command, opts: ImportFlags, location: Location, expected: string | undefined, identities: string[] | undefined): Promise<void> {
  const gzip = isGzip(location, opts.gzip);
  const client = clientFrom(cmd);
  const { summary, encrypted } = await checkLocally(location, gzip, identities);
  if (expected !== undefined && summary.sha256 !== expected) {
    throw new UsageError(`${location.display}: the export's sha256 is ${summary.sha256}, not ${expected} (--sha256): refusing to import it`);
  }

  const progress = new Progress(opts.dryRun ? 'sending (dry run)' : 'importing');
  const { stream: source } = await openPlain(location, identities);
  async function* tapped(): AsyncGenerator<Uint8Array> {
    for await (const chunk of source) {
      progress.add((chunk as Buffer).length);
      yield chunk as Buffer;
    }
  }
  let result;
  try {
    result = await client.importStream(tapped(), { gzip, sha256: summary.sha256, ...(opts.dryRun ? { dryRun: true } : {}) });
  } finally {
    progress.done();
  }
  if (result.sha256 !== summary.sha256 || result.objects !== summary.objects) {
    throw new Error(
      `the server read ${result.objects} objects with sha256 ${result.sha256}, the export holds ${summary.objects} with sha256 ${summary.sha256}`,
    );
  }
  reportResult({
    operation: 'import',
    objects: result.objects,
    bytes: result.bytes,
    sha256: result.sha256,
    revision: result.revision,
    location: location.display,
    dryRun: result.dryRun,
    ...(encrypted ? { encrypted: true } : {}),
  });
}

/** Opens the export; a missing or unreadable one is bad input (exit 2). */
async function openSource(location: Location): Promise<Readable> {
  if (location.kind === 'file') {
    const info = await stat(location.path).catch((err: NodeJS.ErrnoException) => {
      throw new UsageError(
        `--from=${JSON.stringify(location.path)}: ${err.code === 'ENOENT' ? 'no such file' : `cannot read it (${err.code ?? err.message})`}`,
      );
    });
    if (!info.isFile()) throw new UsageError(`--from=${JSON.stringify(location.path)}: not a regular file`);
    return createReadStream(location.path);
  }
  try {
    return await location.storage.get(location.key);
  } catch (err) {
    if (err instanceof ConfigStoreError && err.kind === 'NotFound') throw new UsageError(`--from=${JSON.stringify(location.display)}: no such object`);
    const sse = err instanceof ConfigStoreError ? sseAdvice[err.code] : undefined;
    if (sse) throw new UsageError(`--from=${JSON.stringify(location.display)}: ${sse}`, { cause: err });
    throw err;
  }
}

/**
 * The export's plaintext: decrypted when its first bytes are an age file's (which needs
 * identities: without, bad input), as it is otherwise. A wrong identity fails here, before
 * anything is sent.
 */
async function openPlain(location: Location, identities: string[] | undefined): Promise<{ stream: AsyncIterable<Uint8Array>; encrypted: boolean }> {
  const { head, stream } = await peek(await openSource(location), sniffBytes);
  if (!looksEncrypted(head)) return { stream, encrypted: false };
  if (!identities) {
    throw new UsageError(
      `${location.display} is encrypted (age): pass --identity-file with the identity (AGE-SECRET-KEY-1…) of one of its recipients (its manifest lists them)`,
    );
  }
  return { stream: await decrypted(identities, stream, location.display), encrypted: true };
}

/** What to do about an SSE-C refusal (exit 2: the key given is the problem). */
const sseAdvice: Partial<Record<string, string>> = {
  [errorCodes.sseCustomerKeyRequired]: 'the object is stored with SSE-C (a customer key): pass --sse-customer-key-file with its key',
  [errorCodes.sseCustomerKeyRefused]:
    'S3 refused the SSE-C key in --sse-customer-key-file: it is not the key the object was stored with (or the credentials may not read the object)',
  [errorCodes.sseCustomerKeyNotApplicable]: 'the object is not stored with SSE-C: leave --sse-customer-key-file out',
};

async function checkLocally(location: Location, gzip: boolean, identities: string[] | undefined): Promise<{ summary: ExportSummary; encrypted: boolean }> {
  try {
    const { stream, encrypted } = await openPlain(location, identities);
    return { summary: await validateExport(decoded(stream, gzip)), encrypted };
  } catch (err) {
    if (err instanceof ExportFormatError) throw new UsageError(`${location.display}: ${err.message}`);
    if (err instanceof DamagedCiphertextError) throw new UsageError(err.message); // it names the export
    const code = (err as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && code.startsWith('Z_')) throw new UsageError(`${location.display}: not valid gzip (${(err as Error).message})`);
    throw err;
  }
}
