// Encryption through the operator, without servers: the Job of an encrypted export or import
// (recipients as arguments, the age identity and the SSE-C key mounted from their Secrets as
// files, never env or args), admission of the Secrets they name, a schedule's runs, a restore
// at creation, and the ConfigStoreBackup record of an encrypted export.
import type { CoreV1Api } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { FakeBackupObjects, fakeWorld } from '../../../testsupport/fakeoperator.js';
import type { ConfigStoreBackup, ConfigStoreBackupSchedule, ConfigStoreCluster, ConfigStoreMaintenance } from '../../api/index.js';
import { bootstrapName, bootstrapStep } from '../cluster/bootstrap.js';
import { backupRecordName, syncInventory } from '../inventory.js';
import { desiredRun } from '../schedule/runs.js';
import { admissionProblems } from './admit.js';
import { desiredJob } from './job.js';

const recipients = ['age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p', 'age1lggyhqrw2nlhcxprm67z43rta597azn8gknawjehu9d9dl0jq3yqqvfafg'];
const identitySecretRef = { name: 'backup-age', key: 'identity.txt' };
const customerKeySecretRef = { name: 'backup-ssec', key: 'key' };

const cluster: ConfigStoreCluster = {
  apiVersion: 'configstore.io/v1alpha1',
  kind: 'ConfigStoreCluster',
  metadata: { name: 'main', namespace: 'ns', uid: 'c-uid', generation: 1 },
  spec: { image: 'configstore:1', etcd: { endpoints: ['http://etcd:2379'] }, objectStorage: { posix: { path: '/data', claimName: 'data' } } },
};

const cr = (spec: Partial<ConfigStoreMaintenance['spec']>): ConfigStoreMaintenance => ({
  apiVersion: 'configstore.io/v1alpha1',
  kind: 'ConfigStoreMaintenance',
  metadata: { name: 'op', namespace: 'ns', uid: '0123456789abcdef' },
  spec: { clusterRef: { name: 'main' }, operation: 'Export', ...spec },
});

const s3 = { bucket: 'backups', key: 'main/x.ndjson.gz.age', endpoint: 'http://minio:9000', credentialsSecretRef: { name: 's3' } };

function podOf(job: ReturnType<typeof desiredJob>) {
  const pod = job.spec!.template.spec!;
  return { pod, c: pod.containers[0]! };
}

describe('encryption in the Jobs', () => {
  it('an encrypted export: recipients as arguments; identity and SSE-C key mounted read-only from their Secrets, named by path only', () => {
    const job = desiredJob(
      cr({
        export: {
          destination: { s3: { ...s3, serverSideEncryption: { type: 'SSE-C', customerKeySecretRef } } },
          encryption: { age: { recipients, identitySecretRef } },
        },
      }),
      cluster,
    );
    const { pod, c } = podOf(job);
    expect(c.args).toEqual([
      'export',
      '--to',
      's3://backups/main/x.ndjson.gz.age?endpoint=http%3A%2F%2Fminio%3A9000&region=us-east-1',
      '--encrypt-to',
      recipients[0],
      '--encrypt-to',
      recipients[1],
      '--identity-file',
      '/etc/configstore/age/identity',
      '--sse-customer-key-file',
      '/etc/configstore/sse-c/key',
    ]);
    expect(pod.volumes).toContainEqual({
      name: 'age-identity',
      secret: { secretName: 'backup-age', items: [{ key: 'identity.txt', path: 'identity' }], defaultMode: 0o440 },
    });
    expect(pod.volumes).toContainEqual({
      name: 'sse-customer-key',
      secret: { secretName: 'backup-ssec', items: [{ key: 'key', path: 'key' }], defaultMode: 0o440 },
    });
    expect(c.volumeMounts).toContainEqual({ name: 'age-identity', mountPath: '/etc/configstore/age', readOnly: true });
    expect(c.volumeMounts).toContainEqual({ name: 'sse-customer-key', mountPath: '/etc/configstore/sse-c', readOnly: true });
    // neither Secret reaches the environment
    const fromSecrets = (c.env ?? []).flatMap((e) => (e.valueFrom?.secretKeyRef ? [e.valueFrom.secretKeyRef.name] : []));
    expect(fromSecrets).not.toContain('backup-age');
    expect(fromSecrets).not.toContain('backup-ssec');
  });

  it('an export to recipients only mounts nothing: the exporting side cannot read its backups', () => {
    const { pod, c } = podOf(desiredJob(cr({ export: { destination: { s3 }, encryption: { age: { recipients: [recipients[0]!] } } } }), cluster));
    expect(c.args).toEqual([
      'export',
      '--to',
      's3://backups/main/x.ndjson.gz.age?endpoint=http%3A%2F%2Fminio%3A9000&region=us-east-1',
      '--encrypt-to',
      recipients[0],
    ]);
    expect(pod.volumes!.map((v) => v.name)).toEqual(['scratch']);
  });

  it('an import with its identity and SSE-KMS: the identity as a file, sse and kmsKeyId in the URL', () => {
    const job = desiredJob(
      cr({
        operation: 'Import',
        import: {
          source: { s3: { ...s3, serverSideEncryption: { type: 'aws:kms', kmsKeyId: 'alias/backups' } } },
          sha256: 'c'.repeat(64),
          encryption: { age: { identitySecretRef } },
        },
      }),
      cluster,
    );
    const { pod, c } = podOf(job);
    expect(c.args).toEqual([
      'import',
      '--from',
      's3://backups/main/x.ndjson.gz.age?endpoint=http%3A%2F%2Fminio%3A9000&region=us-east-1&sse=aws%3Akms&kmsKeyId=alias%2Fbackups',
      '--sha256',
      'c'.repeat(64),
      '--identity-file',
      '/etc/configstore/age/identity',
    ]);
    expect(pod.volumes!.map((v) => v.name)).toEqual(['scratch', 'age-identity']);
    // an explicit None asks for nothing
    const none = desiredJob(cr({ export: { destination: { s3: { ...s3, serverSideEncryption: { type: 'None' } } } } }), cluster);
    expect(podOf(none).c.args).toEqual(['export', '--to', 's3://backups/main/x.ndjson.gz.age?endpoint=http%3A%2F%2Fminio%3A9000&region=us-east-1']);
  });
});

describe('admission of the encryption Secrets', () => {
  const core = (secrets: Record<string, Record<string, string>>) =>
    ({
      readNamespacedSecret: async ({ name }: { name: string }) => {
        if (!secrets[name]) throw Object.assign(new Error('not found'), { code: 404 });
        return { data: secrets[name] };
      },
    }) as unknown as CoreV1Api;
  const s3Keys = { AWS_ACCESS_KEY_ID: 'eA==', AWS_SECRET_ACCESS_KEY: 'eA==' };
  const spec = {
    export: {
      destination: { s3: { ...s3, serverSideEncryption: { type: 'SSE-C' as const, customerKeySecretRef } } },
      encryption: { age: { recipients, identitySecretRef } },
    },
  };

  it('names a missing Secret and a missing key', async () => {
    expect(await admissionProblems(cr(spec), { core: core({ s3: s3Keys }), cluster })).toEqual([
      'spec.export.destination.s3.serverSideEncryption.customerKeySecretRef: Secret backup-ssec not found in namespace ns',
      'spec.export.encryption.age.identitySecretRef: Secret backup-age not found in namespace ns',
    ]);
    expect(
      await admissionProblems(cr(spec), { core: core({ s3: s3Keys, 'backup-ssec': { other: 'eA==' }, 'backup-age': { other: 'eA==' } }), cluster }),
    ).toEqual([
      'spec.export.destination.s3.serverSideEncryption.customerKeySecretRef: Secret backup-ssec has no key key',
      'spec.export.encryption.age.identitySecretRef: Secret backup-age has no key identity.txt',
    ]);
    expect(
      await admissionProblems(cr(spec), { core: core({ s3: s3Keys, 'backup-ssec': { key: 'eA==' }, 'backup-age': { 'identity.txt': 'eA==' } }), cluster }),
    ).toEqual([]);
    const imp = cr({ operation: 'Import', import: { source: { s3 }, encryption: { age: { identitySecretRef } } } });
    expect(await admissionProblems(imp, { core: core({ s3: s3Keys }), cluster })).toEqual([
      'spec.import.encryption.age.identitySecretRef: Secret backup-age not found in namespace ns',
    ]);
  });
});

describe('encryption through schedules, restores and records', () => {
  const schedule: ConfigStoreBackupSchedule = {
    apiVersion: 'configstore.io/v1alpha1',
    kind: 'ConfigStoreBackupSchedule',
    metadata: { name: 'nightly', namespace: 'ns', uid: 's-uid' },
    spec: {
      clusterRef: { name: 'main' },
      schedule: '0 2 * * *',
      destination: { s3: { bucket: 'backups', prefix: 'main/', serverSideEncryption: { type: 'AES256' } } },
      encryption: { age: { recipients } },
    },
  };

  it('a schedule encrypts its runs: the key ends in .age, the run carries recipients and SSE', () => {
    const run = desiredRun(schedule, new Date('2026-06-02T02:00:00Z'));
    expect(run.spec.export).toEqual({
      destination: { s3: { bucket: 'backups', key: 'main/nightly-202606020200.ndjson.gz.age', serverSideEncryption: { type: 'AES256' } } },
      encryption: { age: { recipients } },
    });
    const plain = desiredRun({ ...schedule, spec: { ...schedule.spec, encryption: undefined } } as ConfigStoreBackupSchedule, new Date('2026-06-02T02:00:00Z'));
    expect(plain.spec.export!.destination.s3.key).toBe('main/nightly-202606020200.ndjson.gz');
    expect(plain.spec.export).not.toHaveProperty('encryption');
  });

  it('a restore at creation hands its identity to the Import', async () => {
    const w = fakeWorld();
    const made = w.cluster('restored', 1);
    const stored = w.api.get<ConfigStoreCluster>('ConfigStoreCluster', 'ns', 'restored')!;
    stored.spec.bootstrap = { restore: { source: { s3 }, encryption: { age: { identitySecretRef } } } };
    const deps = { custom: w.deps.custom, objects: new FakeBackupObjects(), isEmpty: async () => true, log: w.deps.log, now: w.clock.now };
    deps.objects.putExport('backups', s3.key, { encrypted: true, ageRecipients: recipients });
    await bootstrapStep(deps, { ...stored, metadata: { ...stored.metadata, uid: made.metadata.uid } }, {}, true);
    const run = w.api.get<ConfigStoreMaintenance>('ConfigStoreMaintenance', 'ns', bootstrapName('restored'))!;
    expect(run.spec.import).toMatchObject({ source: { s3 }, requireEmpty: true, encryption: { age: { identitySecretRef } } });
  });

  it('an encrypted export gets a record naming its recipients; its name drops .ndjson.gz.age', async () => {
    expect(backupRecordName('main/nightly-202606020200.ndjson.gz.age')).toBe('nightly-202606020200');
    const w = fakeWorld();
    const objects = new FakeBackupObjects();
    objects.putExport('backups', 'main/nightly-202606020200.ndjson.gz.age', {
      gzip: true,
      encrypted: true,
      ageRecipients: recipients,
      serverSideEncryption: 'AES256',
    });
    await syncInventory(
      { custom: w.deps.custom, objects, now: w.clock.now },
      { namespace: 'ns', place: schedule.spec.destination.s3, label: 'configstore.io/backup-schedule', value: 'nightly', field: 'schedule' },
    );
    const record = w.api.get<ConfigStoreBackup>('ConfigStoreBackup', 'ns', 'nightly-202606020200')!;
    expect(record.spec.manifest).toMatchObject({ encrypted: true, ageRecipients: recipients, serverSideEncryption: 'AES256' });
    expect(record.spec.location).toMatchObject({ key: 'main/nightly-202606020200.ndjson.gz.age', serverSideEncryption: { type: 'AES256' } });
  });
});
