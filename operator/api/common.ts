// Schema pieces shared by both kinds. Written with TypeBox so one definition gives the
// TypeScript type, the CRD's OpenAPI schema (crd.ts) and the operator's own validation.
import { defaults } from './defaults.js';
import Type, { type Static, type TSchema } from 'typebox';

export const group = 'configstore.io';
export const version = 'v1alpha1';
export const apiVersion = `${group}/${version}`;

/** A string enum as Kubernetes wants it (`type: string` + `enum`, a structural schema). */
export function StringEnum<const T extends readonly string[]>(values: T, options: Record<string, unknown> = {}) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}

/** A field Kubernetes itself defines (resources, tolerations, …): kept as given, checked by the API server where it lands. */
export function Opaque<T>(description: string) {
  return Type.Unsafe<T>({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true, description });
}

/** The name of a DNS-1123 subdomain (Kubernetes object names). */
export const ObjectName = Type.String({ minLength: 1, maxLength: 253, pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$' });

export const LocalObjectReference = Type.Object({ name: ObjectName }, { description: 'An object in the same namespace.' });
export type LocalObjectReference = Static<typeof LocalObjectReference>;

/** A Secret holding S3 credentials under the AWS SDK's names. */
export const S3CredentialsSecretRef = Type.Object(
  {
    name: ObjectName,
    accessKeyIdKey: Type.Optional(Type.String({ default: defaults.s3AccessKeyIdKey, description: 'Key of the access key id in the Secret.' })),
    secretAccessKeyKey: Type.Optional(Type.String({ default: defaults.s3SecretAccessKeyKey, description: 'Key of the secret access key in the Secret.' })),
  },
  { description: 'A Secret in the same namespace with the S3 credentials (keys AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY unless renamed).' },
);
export type S3CredentialsSecretRef = Static<typeof S3CredentialsSecretRef>;

const S3Endpoint = Type.String({ pattern: '^https?://[^/?#]+/?$', description: 'S3 endpoint URL for S3-compatible servers (MinIO, Ceph…); empty for AWS.' });
const S3Region = Type.String({ minLength: 1, maxLength: 64, default: defaults.s3Region });
const BucketName = Type.String({ minLength: 3, maxLength: 63, pattern: '^[a-z0-9][a-z0-9.-]*[a-z0-9]$' });

/** One object in an S3 bucket: where an export goes or an import comes from. */
export const S3Object = Type.Object(
  {
    bucket: BucketName,
    key: Type.String({ minLength: 1, maxLength: 1024, description: 'Object key; `.gz` at the end means gzip.' }),
    endpoint: Type.Optional(S3Endpoint),
    region: Type.Optional(S3Region),
    credentialsSecretRef: Type.Optional(S3CredentialsSecretRef),
  },
  { description: 'An object in an S3 bucket.' },
);
export type S3Object = Static<typeof S3Object>;

/** A folder of backups in a bucket (a schedule's destination, a backup location): one cluster owns it (its owner marker). */
export const S3Folder = Type.Object(
  {
    bucket: BucketName,
    prefix: Type.Optional(Type.String({ maxLength: 512, description: 'The folder, ending in `/`, e.g. `backups/main/`; empty: the bucket root.' })),
    endpoint: Type.Optional(S3Endpoint),
    region: Type.Optional(S3Region),
    credentialsSecretRef: Type.Optional(S3CredentialsSecretRef),
  },
  {
    'x-kubernetes-validations': [
      {
        rule: "!has(self.prefix) || self.prefix == '' || self.prefix.endsWith('/')",
        message: 'prefix must be a folder ending in "/" (e.g. backups/main/): the folder is what one cluster owns and an inventory lists',
      },
    ],
  },
);
export type S3Folder = Static<typeof S3Folder>;

/** A place in a bucket where a cluster keeps its snapshots. */
export const S3Storage = Type.Object({
  bucket: BucketName,
  prefix: Type.Optional(Type.String({ maxLength: 512, description: 'Key prefix, e.g. `configstore/`.' })),
  endpoint: Type.Optional(S3Endpoint),
  region: Type.Optional(S3Region),
  credentialsSecretRef: Type.Optional(S3CredentialsSecretRef),
});
export type S3Storage = Static<typeof S3Storage>;

/** kstatus condition (metav1.Condition). */
export const Condition = Type.Object({
  type: Type.String({ maxLength: 316 }),
  status: StringEnum(['True', 'False', 'Unknown'] as const),
  reason: Type.String({ maxLength: 1024 }),
  message: Type.String({ maxLength: 32768 }),
  observedGeneration: Type.Optional(Type.Integer({ minimum: 0 })),
  lastTransitionTime: Type.String({ format: 'date-time' }),
});
export type Condition = Static<typeof Condition>;

export const Conditions = Type.Unsafe<Condition[]>({
  type: 'array',
  items: Condition,
  'x-kubernetes-list-type': 'map',
  'x-kubernetes-list-map-keys': ['type'],
  maxItems: 16,
});

export type Schema = TSchema;

/** The metadata fields the operator reads or sets on its kinds (the API server keeps the rest). */
export interface ObjectMetaFields {
  name: string;
  namespace: string;
  /** Set by the API server: absent only on an object not created yet. */
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  finalizers?: string[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }[];
  [k: string]: unknown;
}

/** Metadata of an object read from the API server (its uid is set). */
export interface ObjectMeta extends ObjectMetaFields {
  uid: string;
}
