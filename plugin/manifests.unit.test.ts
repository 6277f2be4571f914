import { describe, expect, it } from 'vitest';
import { backup, cluster, schedule } from '../testsupport/pluginobjects.js';
import { bootstrapSnippet, exportDestination, exportMaintenance, holdMaintenance, importMaintenance } from './manifests.js';

const main = cluster('main');
const nightly = schedule('nightly', 'main', { prefix: 'backups/main/' });
const name = 'main-backup-20260601020304';

describe('exportDestination', () => {
  it("takes the cluster's schedule folder and its credentials when there is no --to", () => {
    expect(exportDestination({ name, cluster: main, schedules: [nightly, schedule('x', 'other')] })).toEqual({
      s3: { bucket: 'backups', key: `backups/main/${name}.ndjson.gz`, endpoint: 'http://minio:9000', credentialsSecretRef: { name: 'backup-s3' } },
      from: 'schedule nightly',
    });
  });

  it('--to: a key as given, a folder gets <name>.ndjson.gz; credentials from the flag, else the schedule, else the cluster', () => {
    const to = (url: string, o: { credentialsSecret?: string; schedules?: ReturnType<typeof schedule>[] } = {}) =>
      exportDestination({
        name,
        cluster: main,
        schedules: o.schedules ?? [nightly],
        to: url,
        ...(o.credentialsSecret ? { credentialsSecret: o.credentialsSecret } : {}),
      });
    expect(to('s3://elsewhere/dr/one.ndjson.gz?endpoint=http://s3.example:9000&region=eu-west-1')).toEqual({
      s3: {
        bucket: 'elsewhere',
        key: 'dr/one.ndjson.gz',
        endpoint: 'http://s3.example:9000',
        region: 'eu-west-1',
        credentialsSecretRef: { name: 'backup-s3' },
      },
      from: '--to',
    });
    expect(to('s3://elsewhere/dr/', { credentialsSecret: 'mine' }).s3).toEqual({
      bucket: 'elsewhere',
      key: `dr/${name}.ndjson.gz`,
      credentialsSecretRef: { name: 'mine' },
    });
    expect(to('s3://elsewhere', { schedules: [] }).s3).toEqual({ bucket: 'elsewhere', key: `${name}.ndjson.gz`, credentialsSecretRef: { name: 'data-s3' } });
  });

  it('refuses, with exit code 2, what it cannot decide', () => {
    const refusal = (o: Partial<Parameters<typeof exportDestination>[0]>) => {
      try {
        exportDestination({ name, cluster: main, schedules: [], ...o });
      } catch (err) {
        return err as { exitCode: number; message: string };
      }
      throw new Error('decided');
    };
    expect(refusal({}).message).toMatch(/^no destination: pass --to s3:\/\/bucket\/folder\/.*has no ConfigStoreBackupSchedule/);
    expect(refusal({ schedules: [nightly, schedule('weekly', 'main')] }).message).toMatch(/has 2 schedules \(nightly, weekly\): pick one with --schedule/);
    expect(refusal({ schedules: [nightly], schedule: 'weekly' }).message).toBe('--schedule weekly: no ConfigStoreBackupSchedule of cluster main by that name');
    expect(refusal({ to: 'file:///tmp/x' })).toMatchObject({ exitCode: 2, message: expect.stringContaining('expected s3://bucket/key') });
    expect(refusal({ to: 's3://B/x' })).toMatchObject({ exitCode: 2, message: expect.stringContaining('is not a valid S3 bucket name') });
  });

  it('picks the named schedule among several', () => {
    const weekly = schedule('weekly', 'main', { prefix: 'weekly/' });
    expect(exportDestination({ name, cluster: main, schedules: [nightly, weekly], schedule: 'weekly' }).s3.key).toBe(`weekly/${name}.ndjson.gz`);
  });
});

describe('the objects', () => {
  it('Export, Import (from a record, pinned by its sha256) and Maintenance, labelled as made by the plugin', () => {
    const s3 = { bucket: 'b', key: 'k.ndjson.gz' };
    expect(exportMaintenance({ name: 'e', namespace: 'demo', cluster: 'main', s3, quiesce: true })).toEqual({
      apiVersion: 'configstore.io/v1alpha1',
      kind: 'ConfigStoreMaintenance',
      metadata: { name: 'e', namespace: 'demo', labels: { 'app.kubernetes.io/created-by': 'kubectl-configstore' } },
      spec: { clusterRef: { name: 'main' }, operation: 'Export', export: { destination: { s3 }, quiesce: true } },
    });
    const record = backup('nightly-1', { createdAt: '2026-06-01T02:00:00Z' });
    const imp = importMaintenance({ name: 'i', namespace: 'demo', cluster: 'main', backup: record, validateOnly: true });
    expect(imp.metadata.annotations).toEqual({ 'configstore.io/restored-backup': 'nightly-1' });
    expect(imp.spec).toEqual({
      clusterRef: { name: 'main' },
      operation: 'Import',
      import: { source: { s3: record.spec.location }, sha256: 'f'.repeat(64), dryRun: true },
    });
    expect(holdMaintenance({ namespace: 'demo', cluster: 'main' })).toMatchObject({
      metadata: { name: 'main-maintenance' },
      spec: { clusterRef: { name: 'main' }, operation: 'Maintenance' },
    });
  });

  it("a new cluster's spec.bootstrap.restore", () => {
    expect(bootstrapSnippet({ backup: 'latest', backupLocation: 'lost' }).spec).toEqual({
      bootstrap: { restore: { backup: 'latest', backupLocation: 'lost' } },
    });
    expect(bootstrapSnippet({ cluster: 'new', backup: 'b1', sha256: 'abc' })).toMatchObject({
      kind: 'ConfigStoreCluster',
      metadata: { name: 'new' },
      spec: { bootstrap: { restore: { backup: 'b1', sha256: 'abc' } } },
    });
  });
});
