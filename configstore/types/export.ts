// The export format (GET /api/v1alpha/export, POST /api/v1alpha/import): newline-delimited
// JSON, one header line, one line per object (grouped by type in the header's order,
// sorted by id within a type), one trailer line carrying the object count and the sha256
// of every byte before it. Exported: the operator and the CLI read and write exports.
import Type, { type Static } from 'typebox';

export const exportFormatVersion = 1;
export const exportHeaderKind = 'ConfigStoreExport';
export const exportTrailerKind = 'ConfigStoreExportEnd';
export const exportContentType = 'application/x-ndjson';

export const ExportHeader = Type.Object(
  {
    kind: Type.Literal(exportHeaderKind),
    formatVersion: Type.Integer({ minimum: 1 }),
    /** The etcd revision whose state the export holds (a decimal string: it may exceed 2^53). */
    revision: Type.String({ pattern: '^[0-9]+$' }),
    /** The snapshot epoch (bumped by every import). */
    epoch: Type.Integer({ minimum: 0 }),
    createdAt: Type.String({ format: 'date-time' }),
    /**
     * Every data type the exporting configstore knows, in the order their lines follow
     * (parents before children). A type without objects has no lines.
     */
    types: Type.Array(Type.String({ minLength: 1 })),
  },
  { $id: 'ExportHeader' },
);
export type ExportHeader = Static<typeof ExportHeader>;

/** One stored object: `data` is its stored JSON (see the `*Data` schemas of each type). */
export const ExportObjectLine = Type.Object(
  {
    type: Type.String({ minLength: 1 }),
    id: Type.String({ minLength: 1 }),
    data: Type.Record(Type.String(), Type.Unknown()),
  },
  { $id: 'ExportObjectLine' },
);
export type ExportObjectLine = Static<typeof ExportObjectLine>;

export const ExportTrailer = Type.Object(
  {
    kind: Type.Literal(exportTrailerKind),
    /** Object lines in the export (header and trailer not counted). */
    objects: Type.Integer({ minimum: 0 }),
    /** Lowercase hex sha256 of every byte before the trailer line. */
    sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
  },
  { $id: 'ExportTrailer' },
);
export type ExportTrailer = Static<typeof ExportTrailer>;

export const ExportQuery = Type.Object(
  {
    /** true: the body is the gzip file itself (`application/gzip`, no Content-Encoding), to store as is. */
    gzip: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type ExportQuery = Static<typeof ExportQuery>;

/** What an import did (a dry run: would do): the export's count, size and sha256, the new snapshot's epoch and revision. */
export const ImportResult = Type.Object(
  {
    objects: Type.Integer(),
    bytes: Type.Integer({ description: 'bytes of the (uncompressed) export read' }),
    sha256: Type.String(),
    epoch: Type.Integer({ description: 'the epoch of the new snapshot (a dry run: the one it would have)' }),
    revision: Type.String({
      description:
        'the etcd revision at which the imported data became current (a dry run: the one it read at); an instance whose applied revision reaches it serves the import',
    }),
    dryRun: Type.Boolean(),
  },
  { additionalProperties: false },
);
export type ImportResult = Static<typeof ImportResult>;
