// ConfigStoreMaintenance: one operation on one cluster, run once, like a Job. The spec is
// immutable (to run again, create a new object); the status only moves forward.
import Type, { type Static } from 'typebox';
import { defaults } from './defaults.js';
import { Conditions, ExportEncryption, ImportEncryption, LocalObjectReference, type ObjectMeta, S3Object, StringEnum } from './common.js';

export const maintenanceKind = {
  kind: 'ConfigStoreMaintenance',
  plural: 'configstoremaintenances',
  singular: 'configstoremaintenance',
  shortNames: ['csm'],
} as const;

export const operations = ['Maintenance', 'Export', 'Import'] as const;
export type Operation = (typeof operations)[number];

const Destination = Type.Object({ s3: S3Object });

export const ExportSpec = Type.Object({
  destination: Destination,
  quiesce: Type.Optional(
    Type.Boolean({
      default: false,
      description: 'Enter maintenance for the export, so no write lands after it (a migration). Exports are consistent without it.',
    }),
  ),
  encryption: Type.Optional(ExportEncryption),
});

export const ImportSpec = Type.Object({
  source: Destination,
  sha256: Type.Optional(
    Type.String({
      pattern: '^[0-9a-f]{64}$',
      description: "The export's sha256 (its trailer's, as an export reports it); the import is refused if it differs.",
    }),
  ),
  dryRun: Type.Optional(Type.Boolean({ default: false, description: 'Validate the whole export, change nothing.' })),
  requireEmpty: Type.Optional(
    Type.Boolean({
      default: false,
      description:
        'Import only into a cluster that never held data (no snapshot, WAL entry or import in its etcd prefix), checked once every instance is fenced: a restore at creation never replaces data.',
    }),
  ),
  encryption: Type.Optional(ImportEncryption),
});

export const ConfigStoreMaintenanceSpec = Type.Object(
  {
    clusterRef: LocalObjectReference,
    operation: StringEnum(operations),
    export: Type.Optional(ExportSpec),
    import: Type.Optional(ImportSpec),
    keepMaintenance: Type.Optional(
      Type.Boolean({ description: 'Stay in maintenance after the operation, until this object is deleted (default false; always true for Maintenance).' }),
    ),
    timeouts: Type.Optional(
      Type.Object({
        enterSeconds: Type.Optional(
          Type.Integer({
            minimum: 1,
            maximum: 3600,
            default: defaults.enterSeconds,
            description: 'How long every Ready instance may take to report maintenance.',
          }),
        ),
        runSeconds: Type.Optional(
          Type.Integer({ minimum: 10, maximum: 604800, default: defaults.runSeconds, description: "The Job's activeDeadlineSeconds." }),
        ),
      }),
    ),
    ttlSecondsAfterFinished: Type.Optional(Type.Integer({ minimum: 0, description: 'Delete this object that long after it finished.' })),
  },
  {
    'x-kubernetes-validations': [
      { rule: 'self == oldSelf', message: 'spec is immutable: create a new ConfigStoreMaintenance to run another operation' },
      { rule: "has(self.export) == (self.operation == 'Export')", message: 'spec.export is required for operation Export and not allowed otherwise' },
      { rule: "has(self.import) == (self.operation == 'Import')", message: 'spec.import is required for operation Import and not allowed otherwise' },
      {
        rule: "!(self.operation == 'Maintenance' && has(self.keepMaintenance) && !self.keepMaintenance)",
        message: 'operation Maintenance always keeps maintenance until deleted; drop keepMaintenance: false',
      },
    ],
  },
);
export type ConfigStoreMaintenanceSpec = Static<typeof ConfigStoreMaintenanceSpec>;

/** Phases only move forward: Pending → Running → Succeeded | Failed, or Pending → Rejected. */
export const phases = ['Pending', 'Running', 'Succeeded', 'Failed', 'Rejected'] as const;
export type Phase = (typeof phases)[number];
export const terminalPhases: readonly Phase[] = ['Succeeded', 'Failed', 'Rejected'];

/** Steps in order; `step` only moves forward too (ExitMaintenance may follow any step on failure). */
export const steps = ['Admit', 'Queue', 'EnterMaintenance', 'WaitForInstances', 'RunJob', 'Verify', 'ExitMaintenance', 'Hold', 'Done'] as const;
export type Step = (typeof steps)[number];

export const OperationResult = Type.Object({
  location: Type.String(),
  objects: Type.Integer(),
  bytes: Type.Integer(),
  sha256: Type.String(),
  revision: Type.Optional(Type.String()),
  dryRun: Type.Optional(Type.Boolean()),
  /** The stored export is age-encrypted. */
  encrypted: Type.Optional(Type.Boolean()),
});
export type OperationResult = Static<typeof OperationResult>;

/** One error; the same error again in a row is counted on its entry (`count`, `firstObservedAt`), not added. */
export const LastError = Type.Object({
  step: Type.String(),
  message: Type.String({ maxLength: 4096 }),
  observedAt: Type.String({ format: 'date-time', description: 'The last time this error was seen.' }),
  count: Type.Optional(Type.Integer({ minimum: 1, description: 'How many times in a row it was seen (absent: once).' })),
  firstObservedAt: Type.Optional(Type.String({ format: 'date-time', description: 'The first time, when seen more than once.' })),
});
export type LastError = Static<typeof LastError>;

/** Where this CR put the maintenance key: recorded before it is put, so abort and exit release it there. */
export const MaintenanceEtcd = Type.Object({
  endpoints: Type.Array(Type.String()),
  prefix: Type.String(),
  credentialsSecretRef: Type.Optional(Type.Object({ name: Type.String() })),
});
export type MaintenanceEtcd = Static<typeof MaintenanceEtcd>;

export const ConfigStoreMaintenanceStatus = Type.Object({
  observedGeneration: Type.Optional(Type.Integer()),
  phase: Type.Optional(StringEnum(phases)),
  step: Type.Optional(StringEnum(steps)),
  message: Type.Optional(Type.String({ maxLength: 4096 })),
  /** Rejected: every reason the spec was refused. */
  reasons: Type.Optional(Type.Array(Type.String(), { maxItems: 32 })),
  /** Pending: 1 = next to run on its cluster. */
  queuePosition: Type.Optional(Type.Integer({ minimum: 1 })),
  runId: Type.Optional(Type.String()),
  jobName: Type.Optional(Type.String()),
  /** Create revision of the etcd maintenance key this operation put (its fence). */
  maintenanceRevision: Type.Optional(Type.String()),
  /** Where this operation puts (and so releases) the maintenance key: recorded before it is put, so a release never depends on the cluster still existing or being unchanged. */
  maintenanceEtcd: Type.Optional(MaintenanceEtcd),
  /** Who held the maintenance key when this operation entered it: this CR's uid when it put the key (and so releases it). */
  maintenanceOwner: Type.Optional(Type.String()),
  maintenanceReleased: Type.Optional(Type.Boolean()),
  /** When the current step began (its timeout counts from here). */
  stepStartedAt: Type.Optional(Type.String({ format: 'date-time' })),
  /** Decided before the last steps (releasing maintenance) run: the phase this operation ends in. */
  outcome: Type.Optional(StringEnum(['Succeeded', 'Failed'] as const)),
  startedAt: Type.Optional(Type.String({ format: 'date-time' })),
  completedAt: Type.Optional(Type.String({ format: 'date-time' })),
  result: Type.Optional(OperationResult),
  lastErrors: Type.Optional(Type.Array(LastError, { maxItems: 10 })),
  conditions: Type.Optional(Conditions),
});
export type ConfigStoreMaintenanceStatus = Static<typeof ConfigStoreMaintenanceStatus>;

export const maintenancePrinterColumns = [
  { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
  { name: 'Cluster', type: 'string', jsonPath: '.spec.clusterRef.name' },
  { name: 'Operation', type: 'string', jsonPath: '.spec.operation' },
  { name: 'Step', type: 'string', jsonPath: '.status.step', priority: 1 },
  { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  { name: 'Message', type: 'string', jsonPath: '.status.message' },
];

export interface ConfigStoreMaintenance {
  apiVersion: string;
  kind: 'ConfigStoreMaintenance';
  metadata: ObjectMeta;
  spec: ConfigStoreMaintenanceSpec;
  status?: ConfigStoreMaintenanceStatus;
}
