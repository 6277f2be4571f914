// The manifest an export to S3 writes beside itself, last: `<key>.manifest.json`. It is the
// export's commit marker (an export object without one is not a complete backup) and what an
// inventory of a bucket reads instead of downloading every export.
import Type, { type Static } from 'typebox';
import { parseChecked } from './checkedjson.js';

export const exportManifestKind = 'ConfigStoreExportManifest';
export const exportManifestVersion = 1;
export const manifestSuffix = '.manifest.json';

export const ExportManifest = Type.Object({
  kind: Type.Literal(exportManifestKind),
  manifestVersion: Type.Literal(exportManifestVersion),
  /** The export object's key, beside which this manifest lies. */
  key: Type.String({ minLength: 1 }),
  /** The export's own format version (its header's). */
  formatVersion: Type.Integer({ minimum: 1 }),
  objects: Type.Integer({ minimum: 0 }),
  /** Bytes as stored (gzip and encryption included). */
  bytes: Type.Integer({ minimum: 0 }),
  /** The export's trailer sha256, as `import --sha256` and spec.import.sha256 take it. */
  sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
  /** sha256 of the stored bytes (what `aws s3 cp` then `sha256sum` gives): of the ciphertext when encrypted. */
  storedSha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
  revision: Type.String(),
  epoch: Type.Integer({ minimum: 0 }),
  gzip: Type.Boolean(),
  /** Encrypted with age (absent in manifests of older versions: not encrypted). */
  encrypted: Type.Optional(Type.Boolean()),
  /** The age recipients (public keys, age1…) it is encrypted to: any one's identity decrypts it. Never an identity. */
  ageRecipients: Type.Optional(Type.Array(Type.String({ pattern: '^age1[0-9a-z]+$' }), { maxItems: 64 })),
  /** The server-side encryption the export object was written with (absent: none asked for, the bucket's default). */
  serverSideEncryption: Type.Optional(Type.Union([Type.Literal('AES256'), Type.Literal('aws:kms'), Type.Literal('SSE-C')])),
  /** With aws:kms: the KMS key asked for (absent: the account's default key). */
  kmsKeyId: Type.Optional(Type.String()),
  /** When the export was read (its header's createdAt). */
  createdAt: Type.String({ format: 'date-time' }),
  configstoreVersion: Type.String(),
  /** The cluster exported, when the operator ran the export (CONFIGSTORE_SOURCE_CLUSTER_* in its Job). */
  source: Type.Optional(Type.Object({ namespace: Type.Optional(Type.String()), name: Type.Optional(Type.String()), uid: Type.Optional(Type.String()) })),
});
export type ExportManifest = Static<typeof ExportManifest>;

/** A manifest read back: checked against the schema, else undefined (not ours, or damaged). */
export function parseExportManifest(text: string): ExportManifest | undefined {
  return parseChecked(ExportManifest, text);
}
