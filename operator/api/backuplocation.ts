// ConfigStoreBackupLocation: a bucket folder whose backups are listed as ConfigStoreBackup
// records, without any schedule writing there. It is how a fresh namespace sees the backups of
// a cluster that is gone (disaster recovery: a location on the old folder, then a cluster with
// bootstrap.restore.backup: latest); the operator only reads it. The listing is recursive, so
// one location can cover the folders of several clusters.
import Type, { type Static } from 'typebox';
import { Conditions, type ObjectMeta, S3Folder } from './common.js';

export const backupLocationKind = {
  kind: 'ConfigStoreBackupLocation',
  plural: 'configstorebackuplocations',
  singular: 'configstorebackuplocation',
  shortNames: ['csbl'],
} as const;

export const ConfigStoreBackupLocationSpec = Type.Object({
  s3: S3Folder,
  syncIntervalSeconds: Type.Optional(
    Type.Integer({
      minimum: 10,
      maximum: 86_400,
      default: 60,
      description: 'How often the folder is listed (its manifests read) to bring the records in line.',
    }),
  ),
});
export type ConfigStoreBackupLocationSpec = Static<typeof ConfigStoreBackupLocationSpec>;

export const ConfigStoreBackupLocationStatus = Type.Object({
  observedGeneration: Type.Optional(Type.Integer()),
  lastSyncTime: Type.Optional(Type.String({ format: 'date-time', description: 'The last listing that succeeded.' })),
  /** Records whose manifest the last listing found. */
  backups: Type.Optional(Type.Integer({ minimum: 0 })),
  /** Records of this location whose manifest is gone (kept, marked Missing). */
  missing: Type.Optional(Type.Integer({ minimum: 0 })),
  /** The owner marker at the folder itself, if any: whose backups these are. */
  owner: Type.Optional(Type.Object({ uid: Type.String(), namespace: Type.Optional(Type.String()), name: Type.Optional(Type.String()) })),
  message: Type.Optional(Type.String({ maxLength: 4096 })),
  conditions: Type.Optional(Conditions),
});
export type ConfigStoreBackupLocationStatus = Static<typeof ConfigStoreBackupLocationStatus>;

export const backupLocationPrinterColumns = [
  { name: 'Bucket', type: 'string', jsonPath: '.spec.s3.bucket' },
  { name: 'Prefix', type: 'string', jsonPath: '.spec.s3.prefix' },
  { name: 'Backups', type: 'integer', jsonPath: '.status.backups' },
  { name: 'Last Sync', type: 'date', jsonPath: '.status.lastSyncTime' },
  { name: 'Ready', type: 'string', jsonPath: ".status.conditions[?(@.type=='Ready')].status" },
  { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  { name: 'Message', type: 'string', jsonPath: '.status.message', priority: 1 },
];

export interface ConfigStoreBackupLocation {
  apiVersion: string;
  kind: 'ConfigStoreBackupLocation';
  metadata: ObjectMeta;
  spec: ConfigStoreBackupLocationSpec;
  status?: ConfigStoreBackupLocationStatus;
}
