// GET /api/v1alpha/export: the whole configuration as one consistent stream (action/dataops.ts
// takes and pins the snapshot and makes the lines; here: the HTTP answer, gzip or not).
// Answers in every mode (maintenance included) and needs the admin token when one is set.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import { pipeline, type Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { openExport, type DataSource } from '../action/dataops.js';
import { exportContentType, ExportQuery } from '../types/export.js';
import { contextOf } from './context.js';

export const exportRoutes: FastifyPluginAsyncTypebox<{ source: DataSource }> = async (app, { source }) => {
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
      const { header, body } = await openExport(source, signal, req.log);
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
