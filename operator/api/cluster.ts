// ConfigStoreCluster: a configstore deployment the operator runs (Deployment + Service) and
// reports on (ready pods, each instance's mode from the etcd registry, the last export).
import Type, { type Static } from 'typebox';
import { defaults } from './defaults.js';
import { Conditions, ImportEncryption, LocalObjectReference, type ObjectMetaFields, ObjectName, Opaque, S3Object, S3Storage, StringEnum } from './common.js';

export const clusterKind = { kind: 'ConfigStoreCluster', plural: 'configstoreclusters', singular: 'configstorecluster', shortNames: ['csc'] } as const;

const EtcdSpec = Type.Object({
  endpoints: Type.Array(Type.String({ pattern: '^https?://[^/?#]+/?$' }), { minItems: 1, maxItems: 16, description: 'etcd client URLs.' }),
  prefix: Type.Optional(
    Type.String({
      default: defaults.etcdPrefix,
      pattern: '^/([\\x21-\\x7e]*/)?$',
      maxLength: 256,
      description: 'Key prefix of this cluster in etcd; starts and ends with "/".',
    }),
  ),
  credentialsSecretRef: Type.Optional(
    Type.Object(
      { name: ObjectName },
      {
        description:
          "Secret with the TLS material and user for etcd, each key optional: ca.crt (the CA that signed etcd's certificate), tls.crt and tls.key (a client certificate; a cert-manager Certificate's Secret fits), username and password (etcd auth). Mounted into every pod; the operator reads it to reach etcd itself. TLS needs https:// endpoints.",
      },
    ),
  ),
});

const ObjectStorageSpec = Type.Object(
  {
    s3: Type.Optional(S3Storage),
    posix: Type.Optional(
      Type.Object({
        path: Type.String({ pattern: '^/', description: 'Where the claim is mounted in every pod; the objects live under it.' }),
        claimName: Type.String({
          minLength: 1,
          maxLength: 253,
          pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$',
          description:
            'PersistentVolumeClaim in the same namespace that every pod mounts at `path` (ReadWriteMany for more than one replica). Pods have a read-only root: without a volume the data would have nowhere to go.',
        }),
      }),
    ),
  },
  { 'x-kubernetes-validations': [{ rule: 'has(self.s3) != has(self.posix)', message: 'set exactly one of objectStorage.s3 and objectStorage.posix' }] },
);

/** Resources of a server pod when the spec names none (a 1M-object import peaked at ~340 MB RSS). */
export const defaultServerResources = { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '1Gi' } };

/** Restore at creation: run once, only into an empty cluster; never again (status.bootstrap records it). */
export const BootstrapSpec = Type.Object({
  restore: Type.Object(
    {
      source: Type.Optional(
        Type.Object({ s3: S3Object }, { description: 'The export to restore (an object a ConfigStoreMaintenance Export or a schedule wrote).' }),
      ),
      backup: Type.Optional(
        Type.String({
          minLength: 1,
          maxLength: 253,
          description:
            'A ConfigStoreBackup of this namespace to restore, by name, or `latest`: the newest Available one (by its manifest createdAt). Instead of source.',
        }),
      ),
      backupLocation: Type.Optional(
        Type.String({
          minLength: 1,
          maxLength: 253,
          description: "With backup: look only at the ConfigStoreBackup records this ConfigStoreBackupLocation lists (e.g. the lost cluster's folder).",
        }),
      ),
      sha256: Type.Optional(Type.String({ pattern: '^[0-9a-f]{64}$', description: "The export's sha256: refused if it differs." })),
      encryption: Type.Optional(ImportEncryption),
      onMissing: Type.Optional(
        StringEnum(['Fail', 'StartEmpty'] as const, {
          default: 'Fail',
          description: 'The source object (or backup) is absent: Fail (Bootstrapped False, looked at again) or StartEmpty.',
        }),
      ),
    },
    {
      'x-kubernetes-validations': [
        {
          rule: 'has(self.source) != has(self.backup)',
          message: 'bootstrap.restore names exactly one of source (an S3 object) and backup (a ConfigStoreBackup name, or latest)',
        },
        {
          rule: '!has(self.backupLocation) || has(self.backup)',
          message: 'bootstrap.restore.backupLocation narrows backup (a name or latest): set backup too',
        },
      ],
    },
  ),
});
export type BootstrapSpec = Static<typeof BootstrapSpec>;

export const BootstrapStatus = Type.Object({
  result: StringEnum(['Restored', 'DataPresent', 'StartedEmpty'] as const),
  completedAt: Type.String({ format: 'date-time' }),
  source: Type.Optional(Type.String()),
  sha256: Type.Optional(Type.String()),
  revision: Type.Optional(Type.String()),
  objects: Type.Optional(Type.Integer()),
  maintenance: Type.Optional(Type.String({ description: 'The ConfigStoreMaintenance Import that restored it.' })),
  /** The ConfigStoreBackup restored, when named by spec.bootstrap.restore.backup. */
  backup: Type.Optional(Type.String()),
  /** The uid of the cluster the backup was taken from (its manifest's). */
  sourceClusterUid: Type.Optional(Type.String()),
});

export const ConfigStoreClusterSpec = Type.Object({
  replicas: Type.Optional(Type.Integer({ minimum: 1, maximum: 50, default: defaults.replicas })),
  image: Type.String({ minLength: 1, description: 'The configstore image (its entrypoint is the `configstore` CLI).' }),
  imagePullPolicy: Type.Optional(StringEnum(['Always', 'IfNotPresent', 'Never'] as const)),
  port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, default: defaults.port })),
  logLevel: Type.Optional(StringEnum(['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const, { default: defaults.logLevel })),
  etcd: EtcdSpec,
  objectStorage: ObjectStorageSpec,
  bootstrap: Type.Optional(BootstrapSpec),
  adminTokenSecretRef: Type.Optional(
    Type.Object(
      { name: ObjectName, key: Type.Optional(Type.String({ default: defaults.adminTokenKey })) },
      { description: 'Secret with the admin token; admin routes are open without one.' },
    ),
  ),
  resources: Type.Optional(
    Type.Unsafe<Record<string, unknown>>({
      ...Opaque<Record<string, unknown>>(
        "Container resources of the server pods (core/v1 ResourceRequirements). V8's heap is capped at 3/4 of limits.memory (NODE_OPTIONS=--max-old-space-size).",
      ),
      default: defaultServerResources,
    }),
  ),
  imagePullSecrets: Type.Optional(Type.Array(LocalObjectReference)),
});
export type ConfigStoreClusterSpec = Static<typeof ConfigStoreClusterSpec>;

export const InstanceReport = Type.Object({
  id: Type.String(),
  pod: Type.Optional(Type.String()),
  mode: Type.String(),
  appliedRevision: Type.Optional(Type.String()),
  fenceRevision: Type.Optional(Type.String()),
});
export type InstanceReport = Static<typeof InstanceReport>;

export const ExportRecord = Type.Object({
  maintenance: Type.String({ description: 'The ConfigStoreMaintenance that made it.' }),
  location: Type.String(),
  objects: Type.Integer(),
  bytes: Type.Integer(),
  sha256: Type.String(),
  revision: Type.String(),
  completedAt: Type.String({ format: 'date-time' }),
});
export type ExportRecord = Static<typeof ExportRecord>;

/** An operation that succeeded on this cluster: a CR re-created under the same name (GitOps after a TTL) does not run again. */
export const OperationRecord = Type.Object({
  name: Type.String(),
  uid: Type.String(),
  operation: Type.String(),
  completedAt: Type.String({ format: 'date-time' }),
});
export type OperationRecord = Static<typeof OperationRecord>;

export const ConfigStoreClusterStatus = Type.Object({
  observedGeneration: Type.Optional(Type.Integer()),
  replicas: Type.Optional(Type.Integer()),
  readyReplicas: Type.Optional(Type.Integer()),
  /** normal, maintenance, entering or exiting when every instance agrees, else mixed. */
  mode: Type.Optional(Type.String()),
  maintenanceOwner: Type.Optional(Type.String()),
  instances: Type.Optional(Type.Array(InstanceReport, { maxItems: 100 })),
  lastExport: Type.Optional(ExportRecord),
  /** The operations that succeeded (the newest per name, at most 200), oldest first. */
  succeededOperations: Type.Optional(Type.Array(OperationRecord, { maxItems: 200 })),
  /** spec.bootstrap's outcome: set once, never run again (a re-created object that finds data does not restore over it). */
  bootstrap: Type.Optional(BootstrapStatus),
  conditions: Type.Optional(Conditions),
});
export type ConfigStoreClusterStatus = Static<typeof ConfigStoreClusterStatus>;

export const clusterPrinterColumns = [
  { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas' },
  { name: 'Ready', type: 'integer', jsonPath: '.status.readyReplicas' },
  { name: 'Mode', type: 'string', jsonPath: '.status.mode' },
  { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  { name: 'Message', type: 'string', jsonPath: ".status.conditions[?(@.type=='Ready')].message", priority: 1 },
];

export interface ConfigStoreCluster {
  apiVersion: string;
  kind: 'ConfigStoreCluster';
  metadata: ObjectMetaFields;
  spec: ConfigStoreClusterSpec;
  status?: ConfigStoreClusterStatus;
}
