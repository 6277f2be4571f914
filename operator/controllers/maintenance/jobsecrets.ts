// The secrets an export or import Job reads as files: the age identity (spec.*.encryption.age
// .identitySecretRef) and the SSE-C customer key (s3.serverSideEncryption.customerKeySecretRef).
// Each is one key of a Secret, mounted read-only at a fixed path (0440 with the pod's fsGroup)
// and named to the CLI by that path: never an environment variable or an argument, which
// `kubectl describe` and the API server's audit log would show.
import type { V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import type { ConfigStoreMaintenanceSpec, S3Object, SecretKeyRef } from '../../api/index.js';

export const ageIdentityFile = '/etc/configstore/age/identity';
export const sseCustomerKeyFile = '/etc/configstore/sse-c/key';

/** The Secret keys the Job of `spec` mounts, by what they are. */
function secretFiles(spec: ConfigStoreMaintenanceSpec): { volume: string; ref: SecretKeyRef; file: string }[] {
  const identity = spec.export?.encryption?.age.identitySecretRef ?? spec.import?.encryption?.age.identitySecretRef;
  const customerKey = targetOf(spec)?.serverSideEncryption?.customerKeySecretRef;
  return [
    ...(identity ? [{ volume: 'age-identity', ref: identity, file: ageIdentityFile }] : []),
    ...(customerKey ? [{ volume: 'sse-customer-key', ref: customerKey, file: sseCustomerKeyFile }] : []),
  ];
}

export function targetOf(spec: ConfigStoreMaintenanceSpec): S3Object | undefined {
  return spec.export?.destination.s3 ?? spec.import?.source.s3;
}

export function secretFileVolumes(spec: ConfigStoreMaintenanceSpec): { volumes: V1Volume[]; volumeMounts: V1VolumeMount[] } {
  const files = secretFiles(spec);
  const dir = (file: string) => file.slice(0, file.lastIndexOf('/'));
  const name = (file: string) => file.slice(file.lastIndexOf('/') + 1);
  return {
    volumes: files.map((f) => ({ name: f.volume, secret: { secretName: f.ref.name, items: [{ key: f.ref.key, path: name(f.file) }], defaultMode: 0o440 } })),
    volumeMounts: files.map((f) => ({ name: f.volume, mountPath: dir(f.file), readOnly: true })),
  };
}

/** The CLI flags of the encryption: recipients (public keys, fine as arguments) and the paths of the mounted secrets. */
export function encryptionArgs(spec: ConfigStoreMaintenanceSpec): string[] {
  const age = spec.export?.encryption?.age;
  const identity = age?.identitySecretRef ?? spec.import?.encryption?.age.identitySecretRef;
  return [
    ...(age?.recipients ?? []).flatMap((r) => ['--encrypt-to', r]),
    ...(identity ? ['--identity-file', ageIdentityFile] : []),
    ...(targetOf(spec)?.serverSideEncryption?.customerKeySecretRef ? ['--sse-customer-key-file', sseCustomerKeyFile] : []),
  ];
}

/** The s3:// URL's SSE parameters (SSE-C goes as a file, not in the URL). */
export function urlSse(o: S3Object): { serverSideEncryption?: 'None' | 'AES256' | 'aws:kms'; kmsKeyId?: string } {
  const sse = o.serverSideEncryption;
  if (!sse || sse.type === 'SSE-C' || sse.type === 'None') return {};
  return { serverSideEncryption: sse.type, ...(sse.kmsKeyId ? { kmsKeyId: sse.kmsKeyId } : {}) };
}
