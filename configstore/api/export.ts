// GET /api/v1alpha/export: the whole configuration as one consistent stream.
// An export is a snapshot streamed: force a checkpoint (so every write acknowledged before
// the request is in it), take the snapshot the pointer names (the state at ONE revision R),
// and stream its data files type by type, rewrapped as export lines. Memory holds one
// chunk; the snapshot is pinned in etcd while it streams, so no garbage collection deletes
// its files under a long export.
// Answers in every mode (maintenance included) and needs the admin token when one is set.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Etcd3 } from 'etcd3';
import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import { setTimeout as sleep } from 'node:timers/promises';
import { pipeline, Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { allDataTypes } from '../action/datatypes.js';
import type { Checkpointer } from '../datamanager/checkpoint.js';
import { exportChunks, type RawLines } from '../datamanager/exportformat.js';
import { readDataChunks, readManifest, type SnapshotManifest } from '../datamanager/snapshot.js';
import { pinSnapshot, type SnapshotPin } from '../datamanager/snapshotpins.js';
import { parsePointer, readCommittedState } from '../datamanager/state.js';
import { errorCodes, UnavailableError } from '../errors.js';
import type { ObjectStorage } from '../objectstorage/objectstorage.js';
import type { etcdKeys } from '../types/etcd.js';
import { exportContentType, exportFormatVersion, exportHeaderKind, ExportQuery, type ExportHeader } from '../types/export.js';
import { contextOf } from './context.js';

/** What an export reads: etcd's snapshot pointer, the object storage, and the checkpointer. */
export interface ExportSource {
  etcd: Etcd3;
  objectStorage: ObjectStorage;
  keys: ReturnType<typeof etcdKeys>;
  checkpointer: Checkpointer;
}

/** How long an export waits for another instance's checkpoint before answering 503. */
const checkpointWaitMs = 20_000;

export const exportRoutes: FastifyPluginAsyncTypebox<{ source: ExportSource }> = async (app, { source }) => {
  app.get(
    '/export',
    {
      config: {
        admin: true,
        alwaysOn: true,
        docs: {
          responses: {
            200: {
              description: 'the export: ndjson, or its gzip file with ?gzip=true',
              content: { [exportContentType]: { schema: { type: 'string' } }, 'application/gzip': { schema: { type: 'string', format: 'binary' } } },
            },
          },
        },
      },
      schema: {
        querystring: ExportQuery,
        description:
          'Streams every object as ndjson: a header line, one {type,id,data} line per object (by type, sorted by id), a trailer with the count and sha256. ' +
          'Accept-Encoding: gzip compresses the transfer; ?gzip=true answers the gzip file itself (application/gzip).',
      },
    },
    async (req, reply) => {
      const signal = contextOf(reply).signal ?? new AbortController().signal;
      const { header, manifest, pin } = await snapshotToExport(source, signal, req.log);
      req.log.info({ revision: header.revision, epoch: header.epoch }, 'export started');

      const body = Readable.from(exportChunks(header, objectsOf(source.objectStorage, manifest, header.types, signal)));
      body.once('close', () => void pin?.release()); // ended, failed or the client went away
      const name = `configstore-export-${header.epoch}-${header.revision}.ndjson`;
      reply.header('cache-control', 'no-store');
      if (req.query.gzip) {
        reply.header('content-type', 'application/gzip').header('content-disposition', `attachment; filename="${name}.gz"`);
        return reply.send(gzipped(body, req.log));
      }
      reply.header('content-type', exportContentType).header('content-disposition', `attachment; filename="${name}"`).header('vary', 'accept-encoding');
      if (acceptsGzip(req)) return reply.header('content-encoding', 'gzip').send(gzipped(body, req.log));
      return reply.send(body);
    },
  );
};

/**
 * Forces a checkpoint, then reads and pins the snapshot the pointer names: the export's
 * state, which garbage collection keeps until the pin is released.
 */
async function snapshotToExport(source: ExportSource, signal: AbortSignal, log: FastifyBaseLogger): Promise<{ header: ExportHeader; manifest: SnapshotManifest | undefined; pin?: SnapshotPin }> {
  const deadline = Date.now() + checkpointWaitMs;
  for (let delay = 50; ; delay = Math.min(delay * 2, 1000)) {
    const result = await source.checkpointer.run({ force: true }).catch((err: unknown) => {
      throw new UnavailableError('the snapshot to export could not be taken: the checkpoint before it failed; retry later', { code: errorCodes.snapshotUnavailable, cause: err });
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
        if ((await source.etcd.get(source.keys.snapshot).string().catch(() => null)) !== raw) {
          await pin.release();
          continue; // a checkpoint moved it meanwhile: take the new one
        }
        const manifest = await readManifest(source.objectStorage, pointer.manifest).catch(async (err: unknown) => {
          await pin.release();
          throw new UnavailableError(`the snapshot to export cannot be read from object storage (${pointer.manifest}); retry later`, { code: errorCodes.snapshotUnreadable, cause: err });
        });
        // a type this configstore does not know is still exported (after the known ones)
        const extra = Object.keys(manifest.files).filter((t) => !(allDataTypes as string[]).includes(t)).sort();
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

function gzipped(body: Readable, log: FastifyBaseLogger): Readable {
  const gz = createGzip();
  // an error ends the response without a trailer (fastify destroys it): the export is detectably cut
  pipeline(body, gz, (err) => {
    if (err && err.name !== 'AbortError' && (err as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') log.warn({ err }, 'export stream failed');
  });
  return gz;
}

/** gzip named in Accept-Encoding with a non-zero quality (`*` counts). */
function acceptsGzip(req: FastifyRequest): boolean {
  const header = req.headers['accept-encoding'];
  if (typeof header !== 'string') return false;
  return header.split(',').some((part) => {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    if (coding !== 'gzip' && coding !== '*') return false;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

