// The CRDs' defaults, in one place: the schemas publish them (`default:` in the CRD, applied
// by the API server on admission) and the getters below apply them again when reading a spec
// (an object stored before a default existed, or made by a test, may lack the field).
// (the schemas import this file: the getters take the fields they read, not the kinds' types)
interface ClusterFields {
  spec: { replicas?: number; port?: number; logLevel?: string; etcd: { prefix?: string } };
}

export const defaults = {
  replicas: 3,
  port: 4000,
  logLevel: 'info',
  etcdPrefix: '/configstore/',
  adminTokenKey: 'token',
  s3Region: 'us-east-1',
  s3AccessKeyIdKey: 'AWS_ACCESS_KEY_ID',
  s3SecretAccessKeyKey: 'AWS_SECRET_ACCESS_KEY',
  /** How long every Ready instance may take to report maintenance. */
  enterSeconds: 60,
  /** The Job's activeDeadlineSeconds. */
  runSeconds: 3600,
} as const;

export const replicasOf = (cluster: ClusterFields) => cluster.spec.replicas ?? defaults.replicas;
export const portOf = (cluster: ClusterFields) => cluster.spec.port ?? defaults.port;
export const logLevelOf = (cluster: ClusterFields) => cluster.spec.logLevel ?? defaults.logLevel;
export const etcdPrefixOf = (cluster: ClusterFields) => cluster.spec.etcd.prefix ?? defaults.etcdPrefix;
export const adminTokenKeyOf = (ref: { key?: string }) => ref.key ?? defaults.adminTokenKey;
export const s3RegionOf = (o: { region?: string }) => o.region ?? defaults.s3Region;
export const s3CredentialKeysOf = (ref: { accessKeyIdKey?: string; secretAccessKeyKey?: string }) => ({
  accessKeyId: ref.accessKeyIdKey ?? defaults.s3AccessKeyIdKey,
  secretAccessKey: ref.secretAccessKeyKey ?? defaults.s3SecretAccessKeyKey,
});
export const timeoutsOf = (spec: { timeouts?: { enterSeconds?: number; runSeconds?: number } }) => ({
  enterSeconds: spec.timeouts?.enterSeconds ?? defaults.enterSeconds,
  runSeconds: spec.timeouts?.runSeconds ?? defaults.runSeconds,
});
