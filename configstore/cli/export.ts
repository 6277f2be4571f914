// `configstore export --to FILE|s3://bucket/key`: streams the server's export to a temp file
// or a temp S3 object beside the destination, then verifies it there: reads it back, checks
// its bytes are the ones streamed and that it is a complete, valid export (trailer count and
// sha256); --verify-import also has the server dry-run an import of it. Only a verified
// export is renamed (a file) or copied (S3) into place: whatever fails, the previous backup
// at the destination is never overwritten or deleted. With --encrypt-to / --recipients-file the
// stored bytes are age-encrypted (export NDJSON → gzip → age): see exportencryption.ts for how
// such an export is verified without the identity.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { access, constants, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { Option, type Command } from 'commander';
import packageJson from '../../package.json' with { type: 'json' };
import { RemoteError } from '../errors.js';
import { exportManifestKind, exportManifestVersion, manifestSuffix, type ExportManifest } from '../types/exportmanifest.js';
import { ExportFormatError, validateExport, type ExportSummary } from '../datamanager/exportformat.js';
import { DamagedCiphertextError, decrypted, encrypted } from './age.js';
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
  VerificationError,
  type Location,
} from './dataops-common.js';
import { exportEncryption, validatedTee, type EncryptionFlags } from './exportencryption.js';
import { claimFolder } from './prefixclaim.js';
import { UsageError } from './usage.js';

interface ExportFlags extends EncryptionFlags {
  to: string;
  gzip?: boolean;
  verifyImport?: boolean;
  sourceClusterUid?: string;
  sseCustomerKeyFile?: string;
}

type Encryption = Awaited<ReturnType<typeof exportEncryption>>;

export function addExportCommand(program: Command): void {
  addServerOptions(
    program
      .command('export')
      .description("stream the server's export (admin) to a file or an S3 object and verify it there; prints a JSON result")
      .requiredOption('--to <file|s3-url>', 'a file path, or s3://bucket/key?endpoint=URL&region=NAME (S3 keys from AWS_*)')
      .option('--gzip', 'store it gzip-compressed (implied by a name ending in .gz)')
      .option('--verify-import', 'also ask the server for a dry-run import of the stored export (encrypted: needs --identity-file)')
      .option('--encrypt-to <recipient>', 'encrypt with age to this recipient (age1…); repeat it for several (any one identity decrypts)', collect, [])
      .option('--recipients-file <path>', 'encrypt with age to the recipients in this file (one age1… a line, # comments)')
      .option('--identity-file <path>', 'an age identity of a recipient: the stored export is then decrypted and verified in full (optional)')
      .option(sseCustomerKeyFlag, sseCustomerKeyHelp)
      .addOption(
        new Option(
          '--source-cluster-uid <uid>',
          "the exported cluster's uid (the operator's Jobs set it): an S3 destination's folder must be unowned (then it is claimed) or owned by this cluster",
        ).env('CONFIGSTORE_SOURCE_CLUSTER_UID'),
      ),
  ).action(async (opts: ExportFlags, cmd: Command) => {
    const encryption = await exportEncryption(opts);
    const location = await parseLocation(opts.to, '--to', opts.sseCustomerKeyFile === undefined ? {} : { sseCustomerKeyFile: opts.sseCustomerKeyFile });
    try {
      await runExport(cmd, opts, location, encryption);
    } finally {
      if (location.kind === 's3') await location.storage.close();
    }
  });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

async function runExport(cmd: Command, opts: ExportFlags, location: Location, encryption: Encryption): Promise<void> {
  const gzip = isGzip(location, opts.gzip);
  const client = clientFrom(cmd);
  // the folder's owner first: an export into another cluster's folder writes nothing at all
  if (location.kind === 's3' && opts.sourceClusterUid) {
    await claimFolder({ ...location, storage: location.meta }, { ...sourceCluster(opts.sourceClusterUid), uid: opts.sourceClusterUid });
  }
  let target: Location = location;
  if (location.kind === 'file') {
    const dir = dirname(resolve(location.path));
    await access(dir, constants.W_OK).catch(() => {
      throw new UsageError(`--to=${JSON.stringify(location.path)}: the directory ${dir} does not exist or is not writable`);
    });
    // a temp file beside the destination: renamed only once verified, so a broken export never replaces a good one
    target = { kind: 'file', path: join(dir, `.${basename(location.path)}.${process.pid}.tmp`), display: resolve(location.path) };
  } else {
    // S3 has no rename: a temp key beside the destination, copied into place once verified
    target = { ...location, key: `${location.key}.partial-${randomBytes(4).toString('hex')}`, display: `${location.display} (its temp copy)` };
  }

  const body = await client.exportStream({ gzip });
  const progress = new Progress('exporting');
  async function* tapped(): AsyncGenerator<Uint8Array> {
    try {
      for await (const chunk of body) {
        progress.add(chunk.length);
        yield chunk;
      }
    } catch (err) {
      // fetch says only "terminated": say what it means here
      throw new Error(`the server's export stream was cut after ${progress.bytes} bytes (${describeCut(err)}): nothing was kept`, { cause: err });
    }
  }
  // encrypted: the plaintext is validated here, on its way into the encryption (no identity needed)
  const tee = encryption ? validatedTee(tapped(), gzip) : undefined;
  const outgoing = encryption && tee ? encrypted(encryption.recipients, tee.chunks) : tapped();
  const streamed = createHash('sha256');
  let streamedBytes = 0;
  async function* hashed(): AsyncGenerator<Uint8Array> {
    for await (const chunk of outgoing) {
      streamed.update(chunk);
      streamedBytes += chunk.length;
      yield chunk;
    }
  }
  let summary: ExportSummary;
  let stored: { sha256: string; bytes: number };
  try {
    await store(target, hashed());
  } catch (err) {
    await discard(target);
    // the validation of the plaintext stopped the stream: its reason, not the storage's
    const why: unknown = tee
      ? await tee.summary.then(
          () => undefined,
          (e: unknown) => e,
        )
      : undefined;
    throw why instanceof ExportFormatError || isGunzipError(why) ? invalidStream(why) : err;
  } finally {
    progress.done();
  }
  try {
    const sent = { sha256: streamed.digest('hex'), bytes: streamedBytes };
    const plain = tee ? await tee.summary.catch((err: unknown) => Promise.reject(invalidStream(err))) : undefined;
    const identities = encryption?.identities;
    const decrypt = identities ? (src: AsyncIterable<Uint8Array>) => decrypted(identities, src, target.display) : undefined;
    if (plain && !decrypt) {
      // no identity here (the producing cluster may hold none): the ciphertext is checked by its bytes
      summary = plain;
      stored = await verifyCiphertext(target, sent);
    } else {
      ({ summary, stored } = await verifyStored(target, gzip, sent, decrypt));
      if (plain && summary.sha256 !== plain.sha256) {
        throw new VerificationError(`the export stored at ${target.display} decrypts to sha256 ${summary.sha256}, but ${plain.sha256} was encrypted`);
      }
    }
    if (opts.verifyImport) await verifyImport(cmd, target, gzip, summary, decrypt);
  } catch (err) {
    await discard(target);
    throw err;
  }
  // the previous export's manifest goes first: it must never describe the bytes that replace it
  if (location.kind === 's3') await location.meta.delete(`${location.key}${manifestSuffix}`);
  await moveIntoPlace(target, location, stored.bytes);
  if (location.kind === 's3')
    await writeManifest(location, { summary, stored, gzip, sourceClusterUid: opts.sourceClusterUid, recipients: encryption?.recipients });
  reportResult({
    operation: 'export',
    objects: summary.objects,
    bytes: stored.bytes,
    sha256: summary.sha256,
    revision: summary.header.revision,
    location: location.kind === 'file' ? resolve(location.path) : location.display,
    ...(encryption ? { encrypted: true } : {}),
  });
}

/** The plaintext checked on its way into the encryption was not a valid export: the server sent it so. */
function invalidStream(err: unknown): unknown {
  if (err instanceof ExportFormatError || isGunzipError(err)) {
    const why = err instanceof ExportFormatError ? err.message : `it is not valid gzip (${(err as Error).message})`;
    return new Error(`the server's export stream is incomplete or invalid, nothing was kept: ${why}`, { cause: err });
  }
  return err;
}

/** An encrypted export read back without its identity: the stored ciphertext must be exactly the bytes streamed. */
async function verifyCiphertext(target: Location, sent: { sha256: string; bytes: number }): Promise<{ sha256: string; bytes: number }> {
  let stored: { sha256: string; bytes: number };
  try {
    stored = await digestOf(target);
  } catch (err) {
    throw readBackFailed(target, err);
  }
  if (stored.sha256 !== sent.sha256 || stored.bytes !== sent.bytes) {
    throw new VerificationError(
      `the encrypted export stored at ${target.display} differs from what was encrypted and sent: ${stored.bytes} bytes with sha256 ${stored.sha256}, sent ${sent.bytes} bytes with sha256 ${sent.sha256}`,
    );
  }
  return stored;
}

async function digestOf(target: Location): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of await readBack(target)) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

async function store(target: Location, chunks: AsyncIterable<Uint8Array>): Promise<void> {
  if (target.kind === 's3') {
    await target.storage.put(target.key, chunks);
    return;
  }
  const file = await open(target.path, 'w', 0o600);
  try {
    for await (const chunk of chunks) await file.write(chunk);
    await file.sync();
  } finally {
    await file.close();
  }
}

function readBack(target: Location): Promise<Readable> {
  return target.kind === 's3' ? target.storage.get(target.key) : Promise.resolve(createReadStream(target.path));
}

/** Reads the stored export back: same bytes as sent, and a complete, valid export (decrypted first, with `decrypt`). */
async function verifyStored(
  target: Location,
  gzip: boolean,
  sent: { sha256: string; bytes: number },
  decrypt?: (src: AsyncIterable<Uint8Array>) => Promise<AsyncIterable<Uint8Array>>,
): Promise<{ summary: ExportSummary; stored: { sha256: string; bytes: number } }> {
  const hash = createHash('sha256');
  let bytes = 0;
  async function* hashed(src: Readable): AsyncGenerator<Buffer> {
    for await (const chunk of src) {
      hash.update(chunk as Buffer);
      bytes += (chunk as Buffer).length;
      yield chunk as Buffer;
    }
  }
  let summary: ExportSummary | undefined;
  let invalid: Error | undefined;
  try {
    const raw = hashed(await readBack(target));
    summary = await validateExport(decoded(decrypt ? await decrypt(raw) : raw, gzip));
  } catch (err) {
    if (!(err instanceof ExportFormatError) && !(err instanceof DamagedCiphertextError) && !isGunzipError(err)) throw readBackFailed(target, err);
    invalid =
      err instanceof ExportFormatError || err instanceof DamagedCiphertextError
        ? err
        : new ExportFormatError(`it is not valid gzip (${(err as Error).message})`);
    // what was stored is invalid: were the bytes changed on the way, or did the server send it so?
    const { sha256: again, bytes: n } = await digestOf(target);
    if (again !== sent.sha256 || n !== sent.bytes) {
      throw new VerificationError(
        `the export stored at ${target.display} differs from what the server sent (${n} bytes stored, ${sent.bytes} sent) and is unusable: ${invalid.message}`,
      );
    }
    throw new Error(`the server's export stream is incomplete or invalid, nothing was kept: ${invalid.message}`);
  }
  const stored = { sha256: hash.digest('hex'), bytes };
  if (stored.sha256 !== sent.sha256 || stored.bytes !== sent.bytes) {
    throw new VerificationError(
      `the export stored at ${target.display} differs from what the server sent: ${stored.bytes} bytes with sha256 ${stored.sha256}, sent ${sent.bytes} bytes with sha256 ${sent.sha256}`,
    );
  }
  return { summary, stored };
}

/** A read-back that failed for another reason than its content: the destination was not replaced. */
function readBackFailed(target: Location, err: unknown): Error {
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : undefined;
  const code = (cause as NodeJS.ErrnoException | undefined)?.code ?? (err as NodeJS.ErrnoException).code;
  const what = `${err instanceof Error ? err.message : String(err)}${code && !String(err).includes(code) ? ` (${code})` : ''}`;
  return new Error(`could not read back the export stored at ${target.display} to verify it: ${what}; nothing was replaced, retry the export`, { cause: err });
}

/** fetch's error for a body cut short, with its cause ("terminated: other side closed"). */
function describeCut(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : undefined;
  return cause ? `${message}: ${cause}` : message;
}

function isGunzipError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && code.startsWith('Z_');
}

/** The server dry-runs an import of the stored export (decrypted here, with `decrypt`): it must read the same objects and sha256. */
async function verifyImport(
  cmd: Command,
  target: Location,
  gzip: boolean,
  summary: ExportSummary,
  decrypt?: (src: AsyncIterable<Uint8Array>) => Promise<AsyncIterable<Uint8Array>>,
): Promise<void> {
  let result;
  try {
    const raw = await readBack(target);
    result = await clientFrom(cmd).importStream(decrypt ? await decrypt(raw) : raw, { dryRun: true, gzip });
  } catch (err) {
    if (err instanceof RemoteError && err.status === 400) throw new VerificationError(`the server refuses to import the stored export: ${err.message}`);
    throw err;
  }
  if (result.sha256 !== summary.sha256 || result.objects !== summary.objects) {
    throw new VerificationError(
      `a dry-run import read ${result.objects} objects with sha256 ${result.sha256}, the export holds ${summary.objects} with sha256 ${summary.sha256}`,
    );
  }
}

/** The verified temp export becomes the destination: a rename, or an S3 server-side copy (atomic: readers see the old object or the new one). */
async function moveIntoPlace(temp: Location, destination: Location, bytes: number): Promise<void> {
  if (temp.kind === 'file' && destination.kind === 'file') {
    await rename(temp.path, destination.path);
    return;
  }
  if (temp.kind !== 's3' || destination.kind !== 's3') throw new Error('temp and destination are of different kinds');
  try {
    await temp.storage.copy(temp.key, destination.key);
    const copied = await temp.storage.head(destination.key);
    if (copied.size !== bytes)
      throw new VerificationError(`the copy of the verified export to ${destination.display} holds ${copied.size} bytes, not ${bytes}`);
  } finally {
    await discard(temp);
  }
}

/** Removes a temp export (never the destination); best effort. */
async function discard(target: Location): Promise<void> {
  if (target.kind === 'file') await unlink(target.path).catch(() => undefined);
  else await target.storage.delete(target.key).catch(() => undefined);
}

/**
 * `<key>.manifest.json`, written last: the export's commit marker, and what an inventory of
 * the bucket reads. The source cluster is named when the operator's Job sets it.
 */
async function writeManifest(
  location: Location & { kind: 's3' },
  e: {
    summary: ExportSummary;
    stored: { sha256: string; bytes: number };
    gzip: boolean;
    sourceClusterUid?: string | undefined;
    recipients?: string[] | undefined;
  },
): Promise<void> {
  const source = sourceCluster(e.sourceClusterUid);
  const manifest: ExportManifest = {
    kind: exportManifestKind,
    manifestVersion: exportManifestVersion,
    key: location.key,
    formatVersion: e.summary.header.formatVersion,
    objects: e.summary.objects,
    bytes: e.stored.bytes,
    sha256: e.summary.sha256,
    storedSha256: e.stored.sha256,
    revision: e.summary.header.revision,
    epoch: e.summary.header.epoch,
    gzip: e.gzip,
    ...(e.recipients ? { encrypted: true, ageRecipients: e.recipients } : {}),
    ...location.sse,
    createdAt: e.summary.header.createdAt,
    configstoreVersion: packageJson.version,
    ...(Object.keys(source).length > 0 ? { source } : {}),
  };
  try {
    await location.meta.put(`${location.key}${manifestSuffix}`, Buffer.from(JSON.stringify(manifest, null, 2) + '\n'));
  } catch (err) {
    throw new Error(
      `the export is in place at ${location.display} but its manifest ${location.key}${manifestSuffix} could not be written (${(err as Error).message}): the backup is not marked complete; run the export again`,
      { cause: err },
    );
  }
}

/** The exported cluster as the operator's Job names it (CONFIGSTORE_SOURCE_CLUSTER_*); the uid from the flag or its variable. */
function sourceCluster(uid: string | undefined): { namespace?: string; name?: string; uid?: string } {
  const env = process.env;
  return {
    ...(env.CONFIGSTORE_SOURCE_CLUSTER_NAMESPACE ? { namespace: env.CONFIGSTORE_SOURCE_CLUSTER_NAMESPACE } : {}),
    ...(env.CONFIGSTORE_SOURCE_CLUSTER_NAME ? { name: env.CONFIGSTORE_SOURCE_CLUSTER_NAME } : {}),
    ...(uid ? { uid } : {}),
  };
}
