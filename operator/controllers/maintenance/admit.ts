// Admission: every reason a ConfigStoreMaintenance cannot run, found at once (the user
// fixes them all in one go). Only facts that will not change by waiting are reasons: the
// spec is immutable, so a wrong reference stays wrong.
import type { CoreV1Api } from '@kubernetes/client-node';
import { statusCode } from '../../kube/request.js';
import {
  adminTokenKeyOf,
  operations,
  s3CredentialKeysOf,
  type ConfigStoreCluster,
  type ConfigStoreMaintenance,
  type S3CredentialsSecretRef,
  type S3Object,
  type SecretKeyRef,
} from '../../api/index.js';

export interface AdmitDeps {
  core: CoreV1Api;
  cluster: ConfigStoreCluster | undefined;
}

async function secretProblems(core: CoreV1Api, namespace: string, ref: S3CredentialsSecretRef | undefined, what: string): Promise<string[]> {
  if (!ref) return [];
  const { accessKeyId, secretAccessKey } = s3CredentialKeysOf(ref);
  return missingKeys(core, namespace, ref.name, [accessKeyId, secretAccessKey], what);
}

/** A Secret key the Job mounts as a file (an age identity, an SSE-C key): the Secret must exist and hold the key. */
async function secretKeyProblems(core: CoreV1Api, namespace: string, ref: SecretKeyRef | undefined, what: string): Promise<string[]> {
  return ref ? missingKeys(core, namespace, ref.name, [ref.key], what) : [];
}

/** What is wrong with Secret `name` for `what`: absent, or without some of `keys`. */
async function missingKeys(core: CoreV1Api, namespace: string, name: string, keys: string[], what: string): Promise<string[]> {
  let data: Record<string, string>;
  try {
    data = (await core.readNamespacedSecret({ name, namespace })).data ?? {};
  } catch (err) {
    if (statusCode(err) === 404) return [`${what}: Secret ${name} not found in namespace ${namespace}`];
    throw err;
  }
  return keys.filter((k) => !data[k]).map((k) => `${what}: Secret ${name} has no key ${k}`);
}

/** An export written inside the cluster's own snapshot prefix would be garbage-collected by it. */
function overlapsClusterStorage(cluster: ConfigStoreCluster, target: S3Object): boolean {
  const s3 = cluster.spec.objectStorage.s3;
  if (!s3 || s3.bucket !== target.bucket) return false;
  const sameEndpoint = (s3.endpoint ?? '').replace(/\/$/, '') === (target.endpoint ?? '').replace(/\/$/, '');
  return sameEndpoint && target.key.startsWith(s3.prefix ?? '');
}

export async function admissionProblems(cr: ConfigStoreMaintenance, deps: AdmitDeps): Promise<string[]> {
  const { namespace } = cr.metadata;
  const spec = cr.spec;
  const reasons: string[] = [];
  const cluster = deps.cluster;
  // names become label values (63 characters at most)
  if (cr.metadata.name.length > 63) reasons.push(`metadata.name is ${cr.metadata.name.length} characters long; at most 63 (it labels the Job)`);
  if (spec.clusterRef.name.length > 63) reasons.push(`spec.clusterRef.name is longer than 63 characters`);
  if (!cluster) reasons.push(`ConfigStoreCluster ${spec.clusterRef.name} not found in namespace ${namespace}`);
  // what the CRD's schema says too, checked again: an older CRD may not say it
  if (!(operations as readonly string[]).includes(spec.operation)) {
    reasons.push(
      `spec.operation ${JSON.stringify(spec.operation ?? null)} is not one of ${operations.join(', ')} (is the installed CRD older than this operator? apply crds/ from its chart)`,
    );
  }
  if (spec.operation === 'Export' && !spec.export) reasons.push('operation Export needs spec.export');
  if (spec.operation === 'Import' && !spec.import) reasons.push('operation Import needs spec.import');
  if (spec.export && !spec.export.destination?.s3) reasons.push('spec.export.destination.s3 is missing: say where the export goes (bucket, key, endpoint)');
  if (spec.import && !spec.import.source?.s3) reasons.push('spec.import.source.s3 is missing: say which export to import (bucket, key, endpoint)');
  if (spec.operation !== 'Export' && spec.export) reasons.push(`spec.export is not allowed with operation ${spec.operation}`);
  if (spec.operation !== 'Import' && spec.import) reasons.push(`spec.import is not allowed with operation ${spec.operation}`);
  const target = spec.export?.destination?.s3 ?? spec.import?.source?.s3;
  if (target) {
    if (spec.operation === 'Export' && cluster && overlapsClusterStorage(cluster, target)) {
      reasons.push(
        `spec.export.destination: s3://${target.bucket}/${target.key} is inside the cluster's own snapshot prefix, where its garbage collection would delete it`,
      );
    }
    const where = spec.export ? 'spec.export.destination.s3' : 'spec.import.source.s3';
    reasons.push(...(await secretProblems(deps.core, namespace, target.credentialsSecretRef, `${where}.credentialsSecretRef`)));
    const sse = target.serverSideEncryption;
    reasons.push(...(await secretKeyProblems(deps.core, namespace, sse?.customerKeySecretRef, `${where}.serverSideEncryption.customerKeySecretRef`)));
    // what the CRD's CEL rules say too, checked again: an older CRD may not say it
    if (sse?.type === 'SSE-C' && !sse.customerKeySecretRef) reasons.push(`${where}.serverSideEncryption: type SSE-C needs customerKeySecretRef`);
  }
  const identity = spec.export?.encryption?.age?.identitySecretRef ?? spec.import?.encryption?.age?.identitySecretRef;
  const encryptionField = spec.export ? 'spec.export.encryption.age.identitySecretRef' : 'spec.import.encryption.age.identitySecretRef';
  reasons.push(...(await secretKeyProblems(deps.core, namespace, identity, encryptionField)));
  if (spec.export?.encryption && !(spec.export.encryption.age?.recipients?.length ?? 0)) {
    reasons.push('spec.export.encryption.age.recipients is empty: name at least one recipient (age1…)');
  }
  if (cluster?.spec.adminTokenSecretRef) {
    const ref = cluster.spec.adminTokenSecretRef;
    try {
      const data = (await deps.core.readNamespacedSecret({ name: ref.name, namespace })).data ?? {};
      if (!data[adminTokenKeyOf(ref)]) reasons.push(`the cluster's admin token Secret ${ref.name} has no key ${adminTokenKeyOf(ref)}`);
    } catch (err) {
      if (statusCode(err) !== 404) throw err;
      reasons.push(`the cluster's admin token Secret ${ref.name} not found`);
    }
  }
  return reasons;
}
