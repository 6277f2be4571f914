// What every pod the operator creates needs to run under Pod Security "restricted" with a
// read-only root: a non-root uid, the runtime's seccomp profile, no capabilities, and a
// writable scratch directory (the import's index, Node's temp files) on an emptyDir.
import type { V1EnvVar, V1PodSecurityContext, V1SecurityContext, V1Volume, V1VolumeMount } from '@kubernetes/client-node';

/** The image's user (Dockerfile `USER 1000:1000`). */
export const imageUid = 1000;

export const podSecurityContext: V1PodSecurityContext = {
  runAsNonRoot: true,
  runAsUser: imageUid,
  runAsGroup: imageUid,
  fsGroup: imageUid,
  seccompProfile: { type: 'RuntimeDefault' },
};

export const containerSecurityContext: V1SecurityContext = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
};

/** Where the scratch volume is mounted; TMPDIR points there (Node's os.tmpdir()). */
export const scratchDir = '/tmp';

export const scratch: { volume: V1Volume; mount: V1VolumeMount; env: V1EnvVar } = {
  volume: { name: 'scratch', emptyDir: {} },
  mount: { name: 'scratch', mountPath: scratchDir },
  env: { name: 'TMPDIR', value: scratchDir },
};
