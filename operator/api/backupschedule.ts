// ConfigStoreBackupSchedule: exports of a cluster on a cron schedule. Each run is an ordinary
// ConfigStoreMaintenance Export named `<schedule>-<UTC slot>` (so a restarted operator finds
// the run it made and never makes it twice), labelled with the schedule and owned by it.
import Type, { type Static } from 'typebox';
import { Conditions, ExportEncryption, LocalObjectReference, type ObjectMeta, S3Folder, StringEnum } from './common.js';

export const backupScheduleKind = {
  kind: 'ConfigStoreBackupSchedule',
  plural: 'configstorebackupschedules',
  singular: 'configstorebackupschedule',
  shortNames: ['csbs'],
} as const;

export const concurrencyPolicies = ['Forbid', 'Replace'] as const;

/** Where the runs go: `<prefix><run name>.ndjson.gz` in the bucket (`.ndjson.gz.age` when encrypted), a folder the cluster owns. */
const ScheduleDestination = Type.Object({ s3: S3Folder });

export const RetentionSpec = Type.Object({
  keepLast: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000, description: 'Keep the newest N good backups.' })),
  keepDaily: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000, description: 'Keep the newest good backup of each of the last N days (in timeZone).' })),
  keepWeekly: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000, description: 'Keep the newest good backup of each of the last N ISO weeks.' })),
  keepMonthly: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000, description: 'Keep the newest good backup of each of the last N months.' })),
  minVerified: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 1000, default: 1, description: 'Good (completed and verified) backups always kept, whatever the rest says.' }),
  ),
});
export type RetentionSpec = Static<typeof RetentionSpec>;

export const ConfigStoreBackupScheduleSpec = Type.Object({
  clusterRef: LocalObjectReference,
  schedule: Type.String({
    minLength: 1,
    maxLength: 128,
    description: 'Standard 5-field cron (minute hour day-of-month month day-of-week), or @hourly, @daily, @weekly, @monthly, @yearly.',
    'x-kubernetes-validations': [
      {
        rule: "self.matches('^\\\\s*(@[a-z]+|\\\\S+(\\\\s+\\\\S+){4})\\\\s*$')",
        message:
          'schedule must be the standard 5 cron fields (minute hour day-of-month month day-of-week), e.g. "0 2 * * *" for 02:00 daily, or a macro such as @daily; a 6th field would be read as seconds and is not supported',
      },
    ],
  }),
  timeZone: Type.Optional(Type.String({ minLength: 1, maxLength: 64, default: 'UTC', description: 'IANA time zone of the schedule, e.g. Europe/Berlin.' })),
  suspend: Type.Optional(Type.Boolean({ default: false, description: 'No new runs while true; a running one finishes.' })),
  immediate: Type.Optional(Type.Boolean({ default: false, description: 'Run once as soon as the schedule is created, then on schedule.' })),
  concurrencyPolicy: Type.Optional(
    StringEnum(concurrencyPolicies, {
      default: 'Forbid',
      description: 'A slot that comes while a run is still going: Forbid skips it, Replace deletes the running one.',
    }),
  ),
  startingDeadlineSeconds: Type.Optional(
    Type.Integer({ minimum: 10, description: 'A slot not started within this long (an operator down, a cap reached) is skipped, not run late.' }),
  ),
  destination: ScheduleDestination,
  encryption: Type.Optional(ExportEncryption),
  retention: Type.Optional(RetentionSpec),
  ttlSecondsAfterFinished: Type.Optional(
    Type.Integer({
      minimum: 0,
      description: 'Delete a failed run that long after it finished. Succeeded runs stay as long as retention keeps their backup.',
    }),
  ),
});
export type ConfigStoreBackupScheduleSpec = Static<typeof ConfigStoreBackupScheduleSpec>;

export const RetentionPreview = Type.Object({
  keep: Type.Array(Type.Object({ name: Type.String(), reasons: Type.Array(Type.String()) }), { maxItems: 1000 }),
  prune: Type.Array(Type.String(), { maxItems: 1000, description: 'What the next prune deletes (runs and their stored exports).' }),
  held: Type.Optional(Type.String()),
});

export const ConfigStoreBackupScheduleStatus = Type.Object({
  observedGeneration: Type.Optional(Type.Integer()),
  lastScheduleTime: Type.Optional(Type.String({ format: 'date-time', description: 'The slot of the last run started or adopted.' })),
  lastSuccessfulTime: Type.Optional(Type.String({ format: 'date-time' })),
  lastFailureTime: Type.Optional(Type.String({ format: 'date-time' })),
  nextScheduleTime: Type.Optional(Type.String({ format: 'date-time' })),
  /** Runs not started since the schedule was created (downtime, a deadline, Forbid). */
  missedRuns: Type.Optional(Type.Integer({ minimum: 0 })),
  lastSkipped: Type.Optional(Type.Object({ time: Type.String({ format: 'date-time' }), reason: Type.String() })),
  /** Runs still going. */
  active: Type.Optional(Type.Array(Type.String(), { maxItems: 16 })),
  retention: Type.Optional(RetentionPreview),
  /** The destination folder's owner marker, as last read: a folder another cluster owns gets no runs. */
  destination: Type.Optional(
    Type.Object({
      folder: Type.String({ description: 's3://bucket/prefix' }),
      owner: Type.Optional(Type.Object({ uid: Type.String(), namespace: Type.Optional(Type.String()), name: Type.Optional(Type.String()) })),
      writable: Type.Boolean({ description: 'False: the folder belongs to another cluster (or its marker is damaged).' }),
      checkedAt: Type.String({ format: 'date-time' }),
    }),
  ),
  /** The last inventory of the destination: its ConfigStoreBackup records. */
  inventory: Type.Optional(
    Type.Object({ lastSyncTime: Type.String({ format: 'date-time' }), backups: Type.Integer({ minimum: 0 }), missing: Type.Integer({ minimum: 0 }) }),
  ),
  message: Type.Optional(Type.String({ maxLength: 4096 })),
  conditions: Type.Optional(Conditions),
});
export type ConfigStoreBackupScheduleStatus = Static<typeof ConfigStoreBackupScheduleStatus>;

export const backupSchedulePrinterColumns = [
  { name: 'Schedule', type: 'string', jsonPath: '.spec.schedule' },
  { name: 'Suspended', type: 'boolean', jsonPath: '.spec.suspend' },
  { name: 'Last Success', type: 'date', jsonPath: '.status.lastSuccessfulTime' },
  { name: 'Next', type: 'string', jsonPath: '.status.nextScheduleTime' },
  { name: 'Healthy', type: 'string', jsonPath: ".status.conditions[?(@.type=='BackupsHealthy')].status" },
  { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  { name: 'Message', type: 'string', jsonPath: '.status.message', priority: 1 },
];

export interface ConfigStoreBackupSchedule {
  apiVersion: string;
  kind: 'ConfigStoreBackupSchedule';
  metadata: ObjectMeta;
  spec: ConfigStoreBackupScheduleSpec;
  status?: ConfigStoreBackupScheduleStatus;
}
