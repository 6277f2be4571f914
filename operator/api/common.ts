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

/** One key of a Secret in the same namespace (mounted into a Job as a file, never put in its env or args). */
export function secretKeyRef(description: string, keyDescription = 'The key in the Secret.') {
  return Type.Object(
    { name: ObjectName, key: Type.String({ minLength: 1, maxLength: 253, pattern: '^[-._a-zA-Z0-9]+$', description: keyDescription }) },
    { description },
  );
}
export type SecretKeyRef = { name: string; key: string };

/**
 * S3 server-side encryption of what an export writes (S3 encrypts at rest itself; anyone the
 * bucket lets read the object reads the plaintext: age `encryption` is what hides it from them).
 */
export const ServerSideEncryption = Type.Object(
  {
    type: StringEnum(['None', 'AES256', 'aws:kms', 'SSE-C'] as const, {
      default: 'None',
      description:
        "None: no header (the bucket's default encryption applies); AES256: SSE-S3; aws:kms: SSE-KMS (with kmsKeyId, or the account's default key); SSE-C: a customer key from customerKeySecretRef, which every read needs too.",
    }),
    kmsKeyId: Type.Optional(Type.String({ minLength: 1, maxLength: 2048, description: 'With aws:kms: the KMS key id, ARN or alias.' })),
    customerKeySecretRef: Type.Optional(
      secretKeyRef(
        'With SSE-C: the Secret key holding the 256-bit customer key (base64, e.g. `openssl rand -base64 32`, or 32 raw bytes); mounted into the Job as a file.',
      ),
    ),
  },
  {
    description: 'S3 server-side encryption of the export object (and the small objects beside it, SSE-C aside).',
    'x-kubernetes-validations': [
      { rule: "!has(self.kmsKeyId) || self.type == 'aws:kms'", message: 'serverSideEncryption.kmsKeyId goes with type aws:kms only' },
      {
        rule: "has(self.customerKeySecretRef) == (self.type == 'SSE-C')",
        message: 'serverSideEncryption type SSE-C takes its customer key from customerKeySecretRef (a Secret), and no other type takes one',
      },
    ],
  },
);
export type ServerSideEncryption = Static<typeof ServerSideEncryption>;

const S3Endpoint = Type.String({ pattern: '^https?://[^/?#]+/?$', description: 'S3 endpoint URL for S3-compatible servers (MinIO, Ceph…); empty for AWS.' });
const S3Region = Type.String({ minLength: 1, maxLength: 64, default: defaults.s3Region });
const BucketName = Type.String({ minLength: 3, maxLength: 63, pattern: '^[a-z0-9][a-z0-9.-]*[a-z0-9]$' });

/** One object in an S3 bucket: where an export goes or an import comes from. */
export const S3Object = Type.Object(
  {
    bucket: BucketName,
    key: Type.String({ minLength: 1, maxLength: 1024, description: 'Object key; `.gz` (or `.gz.age`) at the end means gzip.' }),
    endpoint: Type.Optional(S3Endpoint),
    region: Type.Optional(S3Region),
    credentialsSecretRef: Type.Optional(S3CredentialsSecretRef),
    serverSideEncryption: Type.Optional(ServerSideEncryption),
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
    serverSideEncryption: Type.Optional(ServerSideEncryption),
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

/** An age recipient: a public key (`age1…`, as age-keygen prints it; post-quantum `age1pq1…` too). */
const AgeRecipient = Type.String({ minLength: 10, maxLength: 4096, pattern: '^age1[0-9a-z]+$' });

const identityKey = 'The key holding an age identity file (AGE-SECRET-KEY-1…, one a line; several for a key rotation).';

/** How an export is encrypted: age, to every recipient (any one's identity decrypts it). */
export const ExportEncryption = Type.Object(
  {
    age: Type.Object({
      recipients: Type.Array(AgeRecipient, {
        minItems: 1,
        maxItems: 32,
        description: 'Public keys (age1…) the export is encrypted to; several for a key rotation: any one identity decrypts it.',
      }),
      identitySecretRef: Type.Optional(
        secretKeyRef(
          "Optional: an identity of a recipient, so the Job decrypts the stored export and verifies it in full. Leave it out and the exporting side cannot read its own backups: the Job then checks the plaintext before encrypting it and the stored ciphertext's sha256.",
          identityKey,
        ),
      ),
    }),
  },
  { description: 'Client-side encryption of the export (age): the bucket holds ciphertext only.' },
);
export type ExportEncryption = Static<typeof ExportEncryption>;

/** What decrypts an encrypted export: an identity of one of its recipients. */
export const ImportEncryption = Type.Object(
  {
    age: Type.Object({
      identitySecretRef: secretKeyRef(
        'A Secret key with age identities; mounted into the Job as a file, never put in its environment or arguments.',
        identityKey,
      ),
    }),
  },
  { description: 'The export is age-encrypted: the identity that decrypts it (one of its recipients).' },
);
export type ImportEncryption = Static<typeof ImportEncryption>;
