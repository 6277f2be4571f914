// POST /api/v1alpha/import: replaces every object with those of an export,
// only in maintenance mode; `?dryRun=true` only validates, in any mode. The body streams
// (ndjson, or gzip by content type or Content-Encoding) straight into the importer
// (action/dataops.ts importData): neither the global body limit nor any buffering applies.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { finished, PassThrough, Stream, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { ImportResult } from '../types/export.js';
import Type from 'typebox';
import { ExportFormatError } from '../datamanager/exportformat.js';
import { exportContentType } from '../types/export.js';
import { BadRequestError, errorCodes } from '../errors.js';
import { contextOf } from './context.js';
import { importData, type DataSource } from '../action/dataops.js';

const ImportQuery = Type.Object(
  {
    dryRun: Type.Optional(Type.Boolean()),
    sha256: Type.Optional(
      Type.String({
        pattern: '^[0-9a-f]{64}$',
        description:
          "The export's expected sha256 (its trailer's, lowercase hex): any other export is refused with a 400 sha256Mismatch before anything changes.",
      }),
    ),
  },
  { additionalProperties: false },
);

const maxImportBytes = 10 * 1024 ** 3;
/** How long a refused import keeps reading the rest of the body, so the client sees the answer. */
const drainMs = 10_000;

export const importRoutes: FastifyPluginAsyncTypebox<{ source: DataSource }> = async (app, { source }) => {
  // the body goes to the handler as the raw request stream (this plugin's routes only);
  // JSON is not an export: 415 naming the types to send
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser([exportContentType, 'application/gzip', 'application/octet-stream'], (_req, payload, done) => done(null, payload));

  app.post(
    '/import',
    {
      bodyLimit: maxImportBytes,
      config: {
        admin: true,
        alwaysOn: true,
        docs: {
          body: {
            description: 'an export, as GET /api/v1alpha/export answers it',
            content: {
              [exportContentType]: { schema: { type: 'string' } },
              'application/gzip': { schema: { type: 'string', format: 'binary' } },
            },
          },
        },
      },
      schema: {
        querystring: ImportQuery,
        response: { 200: ImportResult },
        description:
          'Replaces all data with an export (application/x-ndjson; application/gzip or Content-Encoding: gzip for a compressed one). ' +
          'Only in maintenance mode; ?dryRun=true validates only, in any mode; ?sha256= refuses any export but the one expected. Any problem: 400 and nothing changes.',
      },
    },
    async (req, reply) => {
      // no body (a body of any other type is a 415 before this): nothing to stream
      if (!(req.body instanceof Stream)) {
        throw new BadRequestError(
          `the import needs the export as its body (${exportContentType}, or application/gzip); ${req.body === undefined ? 'this request has none' : `got ${String(req.headers['content-type'] ?? 'no content type')}`}`,
          { code: errorCodes.importBodyMissing },
        );
      }
      const payload = req.body as Readable;
      const signal = contextOf(reply).signal;
      const body = bodyOf(req, payload);
      try {
        return await importData(
          source,
          body.chunks,
          { dryRun: req.query.dryRun ?? false, ...(signal ? { signal } : {}), ...(req.query.sha256 ? { expectSha256: req.query.sha256 } : {}) },
          req.log,
        );
      } catch (err) {
        body.release();
        await drain(payload);
        throw err;
      }
    },
  );
};

/**
 * The body the importer reads: the payload piped through a stream of its own (gunzip or
 * pass-through). The importer may stop reading at any point (an error): `release` then
 * unpipes the payload, whose rest `drain` can read, without any reader of the importer's
 * left holding it (a paused, half-read body kept the client waiting for ever) and without
 * destroying it (which would destroy the socket the answer goes out on).
 */
function bodyOf(req: FastifyRequest, payload: Readable): { chunks: AsyncIterable<Uint8Array>; release(): void } {
  const encoding = String(req.headers['content-encoding'] ?? '')
    .trim()
    .toLowerCase();
  const type = String(req.headers['content-type'] ?? '')
    .split(';')[0]!
    .trim()
    .toLowerCase();
  const gzip = encoding === 'gzip' || type === 'application/gzip';
  const through = gzip ? createGunzip() : new PassThrough();
  payload.pipe(through);
  // errors reach the importer through its reading; one while it does not read (waiting for
  // the lock, or after it stopped) must not go uncaught
  through.on('error', () => undefined);
  // pipe does not pass on a body cut short (the client went away): the importer must fail
  finished(payload, (err) => {
    if (err) through.destroy(err);
  });
  return {
    chunks: gzip ? gunzipped(through) : through,
    release() {
      payload.unpipe(through);
      through.destroy();
    },
  };
}

async function* gunzipped(gz: Readable): AsyncGenerator<Uint8Array> {
  try {
    for await (const chunk of gz) yield chunk as Uint8Array;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code?.startsWith('Z_')) throw new ExportFormatError(`the body is not valid gzip (${(err as Error).message})`);
    throw err;
  }
}

/** Reads the rest of a refused body (bounded): a client still sending then reads the error. */
async function drain(payload: Readable): Promise<void> {
  if (payload.readableEnded || payload.destroyed) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, drainMs);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    payload.once('end', done).once('close', done).once('error', done);
    payload.resume();
  });
}
