// `configstore export --to FILE|s3://bucket/key`: streams the server's export to a temp file
// or a temp S3 object beside the destination, then verifies it there: reads it back, checks
// its bytes are the ones streamed and that it is a complete, valid export (trailer count and
// sha256); --verify-import also has the server dry-run an import of it. Only a verified
// export is renamed (a file) or copied (S3) into place: whatever fails, the previous backup
// at the destination is never overwritten or deleted.
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
import { addServerOptions, clientFrom, decoded, isGzip, parseLocation, Progress, reportResult, VerificationError, type Location } from './dataops-common.js';
import { claimFolder } from './prefixclaim.js';
import { UsageError } from './usage.js';

interface ExportFlags {
  to: string;
  gzip?: boolean;
  verifyImport?: boolean;
  sourceClusterUid?: string;
}

export function addExportCommand(program: Command): void {
  addServerOptions(
    program
      .command('export')
      .description("stream the server's export (admin) to a file or an S3 object and verify it there; prints a JSON result")
      .requiredOption('--to <file|s3-url>', 'a file path, or s3://bucket/key?endpoint=URL&region=NAME (S3 keys from AWS_*)')
      .option('--gzip', 'store it gzip-compressed (implied by a name ending in .gz)')
      .option('--verify-import', 'also ask the server for a dry-run import of the stored export')
      .addOption(
        new Option(
          '--source-cluster-uid <uid>',
          "the exported cluster's uid (the operator's Jobs set it): an S3 destination's folder must be unowned (then it is claimed) or owned by this cluster",
        ).env('CONFIGSTORE_SOURCE_CLUSTER_UID'),
      ),
  ).action(async (opts: ExportFlags, cmd: Command) => {
    const location = parseLocation(opts.to, '--to');
    try {
      await runExport(cmd, opts, location);
    } finally {
      if (location.kind === 's3') await location.storage.close();
    }
  });
}

async function runExport(cmd: Command, opts: ExportFlags, location: Location): Promise<void> {
  const gzip = isGzip(location, opts.gzip);
  const client = clientFrom(cmd);
  // the folder's owner first: an export into another cluster's folder writes nothing at all
  if (location.kind === 's3' && opts.sourceClusterUid) await claimFolder(location, { ...sourceCluster(opts.sourceClusterUid), uid: opts.sourceClusterUid });
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
  const streamed = createHash('sha256');
  const progress = new Progress('exporting');
  async function* tapped(): AsyncGenerator<Uint8Array> {
    try {
      for await (const chunk of body) {
        streamed.update(chunk);
        progress.add(chunk.length);
        yield chunk;
      }
    } catch (err) {
      // fetch says only "terminated": say what it means here
      throw new Error(`the server's export stream was cut after ${progress.bytes} bytes (${describeCut(err)}): nothing was kept`, { cause: err });
    }
  }
  let summary: ExportSummary;
  let stored: { sha256: string; bytes: number };
  try {
    await store(target, tapped());
  } catch (err) {
    await discard(target);
    throw err;
  } finally {
    progress.done();
  }
  try {
    const sent = { sha256: streamed.digest('hex'), bytes: progress.bytes };
    ({ summary, stored } = await verifyStored(target, gzip, sent));
    if (opts.verifyImport) await verifyImport(cmd, target, gzip, summary);
  } catch (err) {
    await discard(target);
    throw err;
  }
  // the previous export's manifest goes first: it must never describe the bytes that replace it
  if (location.kind === 's3') await location.storage.delete(`${location.key}${manifestSuffix}`);
  await moveIntoPlace(target, location, stored.bytes);
  if (location.kind === 's3') await writeManifest(location, { summary, stored, gzip, sourceClusterUid: opts.sourceClusterUid });
  reportResult({
    operation: 'export',
    objects: summary.objects,
    bytes: stored.bytes,
    sha256: summary.sha256,
    revision: summary.header.revision,
    location: location.kind === 'file' ? resolve(location.path) : location.display,
  });
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

/** Reads the stored export back: same bytes as sent, and a complete, valid export. */
async function verifyStored(
  target: Location,
  gzip: boolean,
  sent: { sha256: string; bytes: number },
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
  let invalid: ExportFormatError | undefined;
  try {
    summary = await validateExport(decoded(hashed(await readBack(target)), gzip));
  } catch (err) {
    if (!(err instanceof ExportFormatError) && !isGunzipError(err)) throw readBackFailed(target, err);
    invalid = err instanceof ExportFormatError ? err : new ExportFormatError(`it is not valid gzip (${(err as Error).message})`);
    // what was stored is invalid: were the bytes changed on the way, or did the server send it so?
    const again = createHash('sha256');
    let n = 0;
    for await (const chunk of await readBack(target)) {
      again.update(chunk as Buffer);
      n += (chunk as Buffer).length;
    }
    if (again.digest('hex') !== sent.sha256 || n !== sent.bytes) {
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
  const code = (err as NodeJS.ErrnoException).code;
  return typeof code === 'string' && code.startsWith('Z_');
}

/** The server dry-runs an import of the stored export: it must read the same objects and sha256. */
async function verifyImport(cmd: Command, target: Location, gzip: boolean, summary: ExportSummary): Promise<void> {
  let result;
  try {
    result = await clientFrom(cmd).importStream(await readBack(target), { dryRun: true, gzip });
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
  e: { summary: ExportSummary; stored: { sha256: string; bytes: number }; gzip: boolean; sourceClusterUid?: string },
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
    createdAt: e.summary.header.createdAt,
    configstoreVersion: packageJson.version,
    ...(Object.keys(source).length > 0 ? { source } : {}),
  };
  try {
    await location.storage.put(`${location.key}${manifestSuffix}`, Buffer.from(JSON.stringify(manifest, null, 2) + '\n'));
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
