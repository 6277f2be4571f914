// ConfigStoreBackup: a record of one export found in a bucket (its manifest, the export's
// commit marker), kept in sync by the operator from what the bucket holds, so that a fresh
// namespace with the schedule re-applied lists every restorable backup (`kubectl get csb`).
// Written by the operator only; a record whose manifest disappeared gets Missing, it does
// not vanish.
import Type, { type Static } from 'typebox';
import { Conditions, type ObjectMetaFields, S3Object, StringEnum } from './common.js';

export const backupKind = { kind: 'ConfigStoreBackup', plural: 'configstorebackups', singular: 'configstorebackup', shortNames: ['csb'] } as const;

export const ConfigStoreBackupSpec = Type.Object(
  {
    /** The export object (credentials are those of the location that listed it). */
    location: S3Object,
    /** The schedule whose destination listed it. */
    schedule: Type.Optional(Type.String()),
    /** The ConfigStoreBackupLocation that listed it. */
    backupLocation: Type.Optional(Type.String()),
    manifest: Type.Object({
      sha256: Type.String(),
      storedSha256: Type.String(),
      objects: Type.Integer(),
      bytes: Type.Integer(),
      revision: Type.String(),
      epoch: Type.Integer(),
      gzip: Type.Boolean(),
      encrypted: Type.Optional(Type.Boolean({ description: 'Encrypted with age: restoring it needs an identity of one of ageRecipients.' })),
      ageRecipients: Type.Optional(Type.Array(Type.String({ maxLength: 4096 }), { maxItems: 64, description: 'The public keys (age1…) it is encrypted to.' })),
      serverSideEncryption: Type.Optional(StringEnum(['AES256', 'aws:kms', 'SSE-C'] as const)),
      kmsKeyId: Type.Optional(Type.String()),
      createdAt: Type.String({ format: 'date-time' }),
      configstoreVersion: Type.String(),
      source: Type.Optional(Type.Object({ namespace: Type.Optional(Type.String()), name: Type.Optional(Type.String()), uid: Type.Optional(Type.String()) })),
    }),
  },
  { 'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: 'a ConfigStoreBackup records what the bucket holds: its spec does not change' }] },
);
export type ConfigStoreBackupSpec = Static<typeof ConfigStoreBackupSpec>;

export const ConfigStoreBackupStatus = Type.Object({
  observedGeneration: Type.Optional(Type.Integer()),
  /** When the last inventory of its location saw the manifest. */
  lastSeen: Type.Optional(Type.String({ format: 'date-time' })),
  conditions: Type.Optional(Conditions),
});
export type ConfigStoreBackupStatus = Static<typeof ConfigStoreBackupStatus>;

export const backupPrinterColumns = [
  { name: 'Created', type: 'string', jsonPath: '.spec.manifest.createdAt' },
  { name: 'Objects', type: 'integer', jsonPath: '.spec.manifest.objects' },
  { name: 'Bytes', type: 'integer', jsonPath: '.spec.manifest.bytes' },
  { name: 'Source', type: 'string', jsonPath: '.spec.manifest.source.name' },
  { name: 'Encrypted', type: 'boolean', jsonPath: '.spec.manifest.encrypted', priority: 1 },
  { name: 'Available', type: 'string', jsonPath: ".status.conditions[?(@.type=='Available')].status" },
  { name: 'Key', type: 'string', jsonPath: '.spec.location.key', priority: 1 },
];

export interface ConfigStoreBackup {
  apiVersion: string;
  kind: 'ConfigStoreBackup';
  metadata: ObjectMetaFields;
  spec: ConfigStoreBackupSpec;
  status?: ConfigStoreBackupStatus;
}
