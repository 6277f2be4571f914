// Admission without servers: what the CRD's schema enforces is checked again (an older CRD
// may let it through), so such a resource is Rejected with its reasons, never Running.
import type { CoreV1Api } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { ConfigStoreCluster, ConfigStoreMaintenance } from '../../api/index.js';
import { admissionProblems } from './admit.js';

const noSecrets = { readNamespacedSecret: async () => ({ data: {} }) } as unknown as CoreV1Api;
const cluster = {
  metadata: { name: 'main', namespace: 'ns' },
  spec: { etcd: { endpoints: ['http://etcd:2379'] }, objectStorage: { posix: { path: '/data', claimName: 'data' } } },
} as unknown as ConfigStoreCluster;
const cr = (spec: Record<string, unknown>) =>
  ({ metadata: { name: 'op', namespace: 'ns', uid: 'u' }, spec: { clusterRef: { name: 'main' }, ...spec } }) as unknown as ConfigStoreMaintenance;

describe('admissionProblems', () => {
  it('rejects an operation the CRD should have refused, saying which ones exist', async () => {
    expect(await admissionProblems(cr({ operation: 'Backup' }), { core: noSecrets, cluster })).toEqual([
      'spec.operation "Backup" is not one of Maintenance, Export, Import (is the installed CRD older than this operator? apply crds/ from its chart)',
    ]);
    expect(await admissionProblems(cr({}), { core: noSecrets, cluster })).toHaveLength(1);
  });

  it('rejects an import without its source and an export without its destination (no TypeError)', async () => {
    expect(await admissionProblems(cr({ operation: 'Import', import: {} }), { core: noSecrets, cluster })).toEqual([
      'spec.import.source.s3 is missing: say which export to import (bucket, key, endpoint)',
    ]);
    expect(await admissionProblems(cr({ operation: 'Export', export: { destination: {} } }), { core: noSecrets, cluster })).toEqual([
      'spec.export.destination.s3 is missing: say where the export goes (bucket, key, endpoint)',
    ]);
  });

  it('admits a well-formed Maintenance', async () => {
    expect(await admissionProblems(cr({ operation: 'Maintenance' }), { core: noSecrets, cluster })).toEqual([]);
  });
});
