// Export and import, the whole data at once: what GET /api/v1alpha/export and POST
// /api/v1alpha/import do beyond HTTP (api/export.ts and api/import.ts parse, stream and
// answer). An export is a snapshot streamed: force a checkpoint (so every write
// acknowledged before the request is in it), take the snapshot the pointer names (the
// state at ONE revision R), pin it in etcd (no garbage collection deletes its files under
// a long export) and stream its data files type by type, rewrapped as export lines; memory
// holds one chunk. An import is datamanager/importer.ts with the resources' rules
// (importchecks.ts).
import type { Etcd3 } from 'etcd3';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Checkpointer } from '../datamanager/checkpoint.js';
import { exportChunks, type RawLines } from '../datamanager/exportformat.js';
import { importExport } from '../datamanager/importer.js';
import { readDataChunks, readManifest, type SnapshotManifest } from '../datamanager/snapshot.js';
import { pinSnapshot, type SnapshotPin } from '../datamanager/snapshotpins.js';
import { parsePointer, readCommittedState } from '../datamanager/state.js';
import { errorCodes, UnavailableError } from '../errors.js';
import type { Log } from '../log.js';
import type { ObjectStorage } from '../objectstorage/objectstorage.js';
import { allDataTypes } from '../types/datatypes.js';
import type { etcdKeys } from '../types/etcd.js';
import { exportFormatVersion, exportHeaderKind, type ExportHeader, type ImportResult } from '../types/export.js';
import { importRules } from './importchecks.js';

/** What an export reads and an import replaces: etcd's snapshot pointer, the object storage, and the checkpointer. */
export interface DataSource {
  etcd: Etcd3;
  objectStorage: ObjectStorage;
  keys: ReturnType<typeof etcdKeys>;
  checkpointer: Checkpointer;
}

/** How long an export waits for another instance's checkpoint before answering 503. */
const checkpointWaitMs = 20_000;

export interface OpenedExport {
  header: ExportHeader;
  /** The export's chunks (header line, object lines, trailer); the snapshot's pin is released when it closes (ended, failed or abandoned). */
  body: Readable;
}

/** The export of the current data: its header, and its body to stream. */
export async function openExport(source: DataSource, signal: AbortSignal, log: Log): Promise<OpenedExport> {
  const { header, manifest, pin } = await snapshotToExport(source, signal, log);
  log.info({ revision: header.revision, epoch: header.epoch }, 'export started');
  const body = Readable.from(exportChunks(header, objectsOf(source.objectStorage, manifest, header.types, signal)));
  body.once('close', () => void pin?.release()); // ended, failed or the client went away
  return { header, body };
}

/**
 * Reads, checks and (unless `dryRun`) imports an export: datamanager/importer.ts with the
 * resources' rules. Only in maintenance mode (409 otherwise); any problem with the export
 * is a 400 and changes nothing.
 */
export function importData(
  source: DataSource,
  input: AsyncIterable<Uint8Array | string>,
  options: { dryRun: boolean; signal?: AbortSignal; expectSha256?: string },
  log: Log,
): Promise<ImportResult> {
  return importExport({ etcd: source.etcd, objectStorage: source.objectStorage, keys: source.keys, log }, importRules, input, options);
}

/**
 * Forces a checkpoint, then reads and pins the snapshot the pointer names: the export's
 * state, which garbage collection keeps until the pin is released.
 */
async function snapshotToExport(
  source: DataSource,
  signal: AbortSignal,
  log: Log,
): Promise<{ header: ExportHeader; manifest: SnapshotManifest | undefined; pin?: SnapshotPin }> {
  const deadline = Date.now() + checkpointWaitMs;
  for (let delay = 50; ; delay = Math.min(delay * 2, 1000)) {
    const result = await source.checkpointer.run({ force: true }).catch((err: unknown) => {
      throw new UnavailableError('the snapshot to export could not be taken: the checkpoint before it failed; retry later', {
        code: errorCodes.snapshotUnavailable,
        cause: err,
      });
    });
    if (result.done || result.reason === 'nothing to do') {
      const raw = await source.etcd.get(source.keys.snapshot).string();
      const header = (revision: string, epoch: number): ExportHeader => ({
        kind: exportHeaderKind,
        formatVersion: exportFormatVersion,
        revision,
        epoch,
        createdAt: new Date().toISOString(),
        types: [...allDataTypes],
      });
      if (raw !== null) {
        const pointer = parsePointer(raw);
        // pinned, then the pointer read again: a collection that saw it move to another
        // snapshot saw this pin too (it lists pins after the pointer)
        const pin = await pinSnapshot(source.etcd, source.keys, pointer.manifest).catch((err: unknown) => {
          throw new UnavailableError('the snapshot to export could not be pinned in etcd; retry later', { code: errorCodes.etcdUnavailable, cause: err });
        });
        if (
          (await source.etcd
            .get(source.keys.snapshot)
            .string()
            .catch(() => null)) !== raw
        ) {
          await pin.release();
          continue; // a checkpoint moved it meanwhile: take the new one
        }
        const manifest = await readManifest(source.objectStorage, pointer.manifest).catch(async (err: unknown) => {
          await pin.release();
          throw new UnavailableError(`the snapshot to export cannot be read from object storage (${pointer.manifest}); retry later`, {
            code: errorCodes.snapshotUnreadable,
            cause: err,
          });
        });
        // a type this configstore does not know is still exported (after the known ones)
        const extra = Object.keys(manifest.files)
          .filter((t) => !(allDataTypes as string[]).includes(t))
          .sort();
        const h = header(pointer.revision, pointer.epoch);
        h.types.push(...extra);
        return { header: h, manifest, pin };
      }
      // never checkpointed: empty only if no write committed since (else checkpoint it)
      const state = await readCommittedState(source.etcd, source.keys);
      if (!state.pointer && state.wals.length === 0) return { header: header(String(state.revision), 0), manifest: undefined };
    }
    if (Date.now() > deadline) {
      throw new UnavailableError('the snapshot to export could not be taken: another instance held the checkpoint lock too long; retry', {
        code: errorCodes.checkpointBusy,
        retryAfterSeconds: 5,
      });
    }
    log.debug({ result }, 'export waits for a checkpoint');
    await sleep(delay, undefined, { signal });
  }
}

async function* objectsOf(ost: ObjectStorage, manifest: SnapshotManifest | undefined, types: string[], signal: AbortSignal): AsyncGenerator<RawLines> {
  for (const type of types) {
    const file = manifest?.files[type];
    if (!file) continue;
    for await (const lines of readDataChunks(ost, file, signal)) yield { type, lines };
  }
}
