// The result line of `configstore export` and `configstore import`: the CLI's last line on
// stdout and in the termination log, which the operator reads back from a Job's pod. One
// schema for both sides, so what the CLI prints is what the operator accepts.
import Type, { type Static } from 'typebox';
import { Value } from 'typebox/value';

export const DataOpResult = Type.Object({
  operation: Type.Union([Type.Literal('export'), Type.Literal('import')]),
  objects: Type.Integer({ minimum: 0 }),
  bytes: Type.Integer({ minimum: 0 }),
  sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
  /** The etcd revision the export was read at, or the import switched at ('' for a dry run). */
  revision: Type.Optional(Type.String()),
  /** Where the export was written or the import read from, as the CLI names it. */
  location: Type.Optional(Type.String()),
  dryRun: Type.Optional(Type.Boolean()),
  /** The stored export is age-encrypted (an export that encrypted, an import that decrypted). */
  encrypted: Type.Optional(Type.Boolean()),
});
export type DataOpResult = Static<typeof DataOpResult>;

export class DataOpResultError extends Error {
  override name = 'DataOpResultError';
}

/** The line the CLI prints: one JSON object. */
export function formatResultLine(result: DataOpResult): string {
  return JSON.stringify(result);
}

/**
 * The last JSON line of `message` (a termination message may hold log lines before it),
 * checked against the schema: a partial or foreign message is not a result.
 */
export function parseResultLine(message: string, operation: DataOpResult['operation']): DataOpResult {
  const line = message
    .split('\n')
    .filter((l) => l.trim().startsWith('{'))
    .pop();
  if (!line) throw new DataOpResultError(`the Job succeeded but left no result line in its termination message (got ${JSON.stringify(message.slice(0, 200))})`);
  let r: Record<string, unknown>;
  try {
    r = JSON.parse(line) as Record<string, unknown>;
  } catch {
    throw new DataOpResultError(`the Job's result line is not JSON: ${line.slice(0, 200)}`);
  }
  if (r === null || typeof r !== 'object' || r.operation !== operation)
    throw new DataOpResultError(`the Job's result is for ${String(r?.operation)}, expected ${operation}`);
  if (!Value.Check(DataOpResult, r)) {
    const first = [...Value.Errors(DataOpResult, r)][0];
    const missing = (first?.params as { requiredProperties?: string[] } | undefined)?.requiredProperties?.[0];
    const field = missing ?? first?.instancePath.replace(/^\//, '') ?? '';
    if (field === 'objects' || field === 'bytes') throw new DataOpResultError('the Job result lacks objects or bytes');
    if (field === 'sha256') throw new DataOpResultError('the Job result lacks a sha256');
    throw new DataOpResultError(`the Job result's ${field || 'line'} is not valid: ${line.slice(0, 200)}`);
  }
  return r;
}
