// What a ConfigStoreCluster turns into: a Deployment of `configstore serve` and a Service,
// applied server-side with an owner reference (deleting the cluster deletes them).
import type { V1Deployment, V1EnvVar, V1Service, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import { formatS3Url } from '../../../configstore/types/index.js';
import {
  adminTokenKeyOf,
  defaultServerResources,
  etcdPrefixOf,
  logLevelOf,
  portOf,
  replicasOf,
  s3CredentialKeysOf,
  s3RegionOf,
  type ConfigStoreCluster,
  type S3CredentialsSecretRef,
} from '../../api/index.js';
import { clusterLabels, deploymentName, podSelector, serviceName } from '../naming.js';
import { containerSecurityContext, podSecurityContext, scratch } from '../podsecurity.js';
import { heapEnv } from './memory.js';

export function ownerReference(obj: { apiVersion: string; kind: string; metadata: { name: string; uid?: string } }) {
  // no blockOwnerDeletion: with OwnerReferencesPermissionEnforcement it needs update on the owner's finalizers
  return { apiVersion: obj.apiVersion, kind: obj.kind, name: obj.metadata.name, uid: obj.metadata.uid!, controller: true };
}

export function s3CredentialsEnv(ref: S3CredentialsSecretRef | undefined): V1EnvVar[] {
  if (!ref) return [];
  return [
    { name: 'AWS_ACCESS_KEY_ID', valueFrom: { secretKeyRef: { name: ref.name, key: s3CredentialKeysOf(ref).accessKeyId } } },
    { name: 'AWS_SECRET_ACCESS_KEY', valueFrom: { secretKeyRef: { name: ref.name, key: s3CredentialKeysOf(ref).secretAccessKey } } },
  ];
}

/** The object storage URL `configstore serve` takes (CONFIGSTORE_OBJECT_STORAGE). */
export function objectStorageUrl(spec: ConfigStoreCluster['spec']['objectStorage']): string {
  if (spec.posix) return `file://${spec.posix.path}`;
  const s3 = spec.s3!;
  return formatS3Url({ bucket: s3.bucket, prefix: s3.prefix, endpoint: s3.endpoint, region: s3RegionOf(s3) });
}

/** Where a server pod finds the admin token: a Secret volume, so a rotated token reaches it without a restart. */
export const adminTokenDir = '/etc/configstore/admin';

function adminTokenVolume(cluster: ConfigStoreCluster): { env: V1EnvVar[]; volumes: V1Volume[]; volumeMounts: V1VolumeMount[] } {
  const ref = cluster.spec.adminTokenSecretRef;
  if (!ref) return { env: [], volumes: [], volumeMounts: [] };
  return {
    env: [{ name: 'CONFIGSTORE_ADMIN_TOKEN_FILE', value: `${adminTokenDir}/token` }],
    volumes: [{ name: 'admin-token', secret: { secretName: ref.name, items: [{ key: adminTokenKeyOf(ref), path: 'token' }], defaultMode: 0o440 } }],
    volumeMounts: [{ name: 'admin-token', mountPath: adminTokenDir, readOnly: true }],
  };
}

/** The admin token for a Job's CLI (read once: a Job's pod starts after the Secret as it is now). */
export function adminTokenEnv(cluster: ConfigStoreCluster): V1EnvVar[] {
  const ref = cluster.spec.adminTokenSecretRef;
  return ref ? [{ name: 'CONFIGSTORE_ADMIN_TOKEN', valueFrom: { secretKeyRef: { name: ref.name, key: adminTokenKeyOf(ref) } } }] : [];
}

/** Where a pod finds the etcd credentials Secret (CONFIGSTORE_ETCD_CREDENTIALS_DIR). */
export const etcdCredentialsDir = '/etc/configstore/etcd';

/** The credentials Secret as a read-only directory, the layout `configstore serve` reads. */
function etcdCredentials(cluster: ConfigStoreCluster): { env: V1EnvVar[]; volumes: V1Volume[]; volumeMounts: V1VolumeMount[] } {
  const ref = cluster.spec.etcd.credentialsSecretRef;
  if (!ref) return { env: [], volumes: [], volumeMounts: [] };
  return {
    env: [{ name: 'CONFIGSTORE_ETCD_CREDENTIALS_DIR', value: etcdCredentialsDir }],
    // 0440 with the pod's fsGroup: the key is readable by the server's group, not the world
    volumes: [{ name: 'etcd-credentials', secret: { secretName: ref.name, defaultMode: 0o440 } }],
    volumeMounts: [{ name: 'etcd-credentials', mountPath: etcdCredentialsDir, readOnly: true }],
  };
}

/** Posix object storage: the claim every pod shares, mounted at the storage path. */
function posixVolume(cluster: ConfigStoreCluster): { volumes: V1Volume[]; volumeMounts: V1VolumeMount[] } {
  const posix = cluster.spec.objectStorage.posix;
  if (!posix) return { volumes: [], volumeMounts: [] };
  return {
    volumes: [{ name: 'objects', persistentVolumeClaim: { claimName: posix.claimName } }],
    volumeMounts: [{ name: 'objects', mountPath: posix.path }],
  };
}

/** Pod template annotation: a changed credentials Secret rolls the pods (they read it at start). */
export const etcdCredentialsAnnotation = 'configstore.io/etcd-credentials';

/** `etcdCredentials`: a fingerprint of the etcd credentials Secret's content, when it has one. */
export function desiredDeployment(cluster: ConfigStoreCluster, opts: { etcdCredentials?: string } = {}): V1Deployment {
  const { name, namespace } = cluster.metadata;
  const spec = cluster.spec;
  const port = portOf(cluster);
  const credentials = etcdCredentials(cluster);
  const env: V1EnvVar[] = [
    { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    { name: 'CONFIGSTORE_LISTEN', value: `0.0.0.0:${port}` },
    { name: 'CONFIGSTORE_ETCD_ENDPOINTS', value: spec.etcd.endpoints.join(',') },
    { name: 'CONFIGSTORE_ETCD_PREFIX', value: etcdPrefixOf(cluster) },
    { name: 'CONFIGSTORE_OBJECT_STORAGE', value: objectStorageUrl(spec.objectStorage) },
    { name: 'CONFIGSTORE_LOG_LEVEL', value: logLevelOf(cluster) },
    ...s3CredentialsEnv(spec.objectStorage.s3?.credentialsSecretRef),
    ...credentials.env,
    scratch.env,
  ];
  const posix = posixVolume(cluster);
  const admin = adminTokenVolume(cluster);
  // a cluster created before the CRD had its default gets it here
  const resources = (spec.resources as typeof defaultServerResources | undefined) ?? defaultServerResources;
  env.push(...admin.env, ...heapEnv(resources));
  const volumes = [scratch.volume, ...credentials.volumes, ...posix.volumes, ...admin.volumes];
  const volumeMounts = [scratch.mount, ...credentials.volumeMounts, ...posix.volumeMounts, ...admin.volumeMounts];
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: deploymentName(name), namespace, labels: clusterLabels(name), ownerReferences: [ownerReference(cluster)] },
    spec: {
      replicas: replicasOf(cluster),
      selector: { matchLabels: podSelector(name) },
      // a new pod must be ready before an old one goes: the cluster keeps serving during a rollout
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: {
          labels: clusterLabels(name),
          ...(opts.etcdCredentials ? { annotations: { [etcdCredentialsAnnotation]: opts.etcdCredentials.slice(0, 16) } } : {}),
        },
        spec: {
          ...(spec.imagePullSecrets ? { imagePullSecrets: spec.imagePullSecrets } : {}),
          terminationGracePeriodSeconds: 30,
          securityContext: podSecurityContext,
          volumes,
          containers: [
            {
              name: 'configstore',
              image: spec.image,
              ...(spec.imagePullPolicy ? { imagePullPolicy: spec.imagePullPolicy } : {}),
              args: ['serve'],
              env,
              volumeMounts,
              ports: [{ name: 'http', containerPort: port }],
              readinessProbe: { httpGet: { path: '/readyz', port }, periodSeconds: 2, failureThreshold: 3 },
              livenessProbe: { httpGet: { path: '/healthz', port }, periodSeconds: 10, failureThreshold: 6 },
              resources,
              securityContext: containerSecurityContext,
            },
          ],
        },
      },
    },
  };
}

export function desiredService(cluster: ConfigStoreCluster): V1Service {
  const { name, namespace } = cluster.metadata;
  const port = portOf(cluster);
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: serviceName(name), namespace, labels: clusterLabels(name), ownerReferences: [ownerReference(cluster)] },
    spec: { selector: podSelector(name), ports: [{ name: 'http', port, targetPort: port }] },
  };
}

/** The URL Jobs use to reach the cluster (through its Service). */
export function clusterUrl(cluster: ConfigStoreCluster): string {
  return `http://${serviceName(cluster.metadata.name)}.${cluster.metadata.namespace}.svc:${portOf(cluster)}`;
}
