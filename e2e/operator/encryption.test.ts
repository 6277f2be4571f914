// Encrypted backups through ConfigStoreMaintenance CRs on the real node: an Export to two age
// recipients whose Job holds no identity (the stored object is ciphertext, stored SSE-S3), a
// dry-run Import with an identity mounted from a Secret, and one with a wrong identity: Failed
// with the CLI's message (exit 2, not retried), maintenance released, the data unchanged.
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { generateIdentity, identityToRecipient } from 'age-encryption';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3ClientFor } from '../../scripts/localenv/env.js';
import { localEnv } from '../../scripts/localenv/testenv.js';
import { finished, podClients, readyCluster } from './helpers.js';
import { backupObject, createCluster, createMaintenance, startWorld, type World } from './setup.js';

describe('encrypted backups through ConfigStoreMaintenance', () => {
  let w: World;
  let a: Awaited<ReturnType<typeof createCluster>>;
  const recipients: string[] = [];
  const identities: string[] = [];
  const key = 'alpha/enc-1.ndjson.gz.age';

  const secret = (name: string, data: Record<string, string>) =>
    w.core.createNamespacedSecret({ namespace: w.namespace, body: { metadata: { name }, stringData: data } });

  beforeAll(async () => {
    w = await startWorld('encryption');
    a = await createCluster(w, 'alpha');
    await readyCluster(w, 'alpha');
    for (let i = 0; i < 3; i++) {
      identities.push(await generateIdentity());
      recipients.push(await identityToRecipient(identities[i]!));
    }
    await secret('age-restore', { 'identity.txt': `# restore key\n${identities[1]}\n` });
    await secret('age-wrong', { 'identity.txt': `${identities[2]}\n` });
  }, 180_000);
  afterAll(async () => {
    await w?.cleanup();
    await a?.cleanup();
  });

  let sha256: string;
  it('exports to two recipients with no identity in the Job: ciphertext in the bucket, SSE-S3 on it', async () => {
    const client = (await podClients(w, 'alpha'))[0]!.client;
    await client.createUser({ name: 'canary-user-e2e' });
    const destination = backupObject(w, key);
    await createMaintenance(w, 'enc-export', {
      clusterRef: { name: 'alpha' },
      operation: 'Export',
      export: {
        destination: { s3: { ...destination.s3, serverSideEncryption: { type: 'AES256' } } },
        encryption: { age: { recipients: recipients.slice(0, 2) } },
      },
    });
    const done = await finished(w, 'enc-export');
    expect(done.status!.phase, done.status!.message).toBe('Succeeded');
    expect(done.status!.result).toMatchObject({ encrypted: true });
    sha256 = done.status!.result!.sha256;
    const s3 = s3ClientFor(localEnv().s3);
    try {
      expect((await s3.send(new HeadObjectCommand({ Bucket: w.backups.bucket, Key: key }))).ServerSideEncryption).toBe('AES256');
      const body = Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: w.backups.bucket, Key: key }))).Body!.transformToByteArray());
      expect(body.subarray(0, 22).toString()).toBe('age-encryption.org/v1\n');
      const manifest = JSON.parse(
        await (await s3.send(new GetObjectCommand({ Bucket: w.backups.bucket, Key: `${key}.manifest.json` }))).Body!.transformToString(),
      ) as Record<string, unknown>;
      expect(manifest).toMatchObject({ encrypted: true, ageRecipients: recipients.slice(0, 2), serverSideEncryption: 'AES256', sha256 });
    } finally {
      s3.destroy();
    }
    const jobs = await w.batch.listNamespacedJob({ namespace: w.namespace, labelSelector: 'configstore.io/maintenance=enc-export' });
    expect(jobs.items[0]!.spec!.template.spec!.volumes!.map((v) => v.name)).not.toContain('age-identity');
  }, 150_000);

  it('a dry-run import with the second recipient’s identity (a Secret mounted as a file) succeeds', async () => {
    await createMaintenance(w, 'enc-check', {
      clusterRef: { name: 'alpha' },
      operation: 'Import',
      import: { source: backupObject(w, key), sha256, dryRun: true, encryption: { age: { identitySecretRef: { name: 'age-restore', key: 'identity.txt' } } } },
    });
    const done = await finished(w, 'enc-check');
    expect(done.status!.phase, done.status!.message).toBe('Succeeded');
    expect(done.status!.result).toMatchObject({ sha256, dryRun: true, encrypted: true });
  }, 150_000);

  it('an import with a wrong identity fails with the CLI’s message, releases maintenance and changes nothing', async () => {
    await createMaintenance(w, 'enc-wrong', {
      clusterRef: { name: 'alpha' },
      operation: 'Import',
      import: { source: backupObject(w, key), encryption: { age: { identitySecretRef: { name: 'age-wrong', key: 'identity.txt' } } } },
    });
    const done = await finished(w, 'enc-wrong');
    expect(done.status!.phase).toBe('Failed');
    expect(done.status!.message).toContain('is encrypted to other recipients: the identity in --identity-file cannot decrypt it');
    expect(done.status!.maintenanceReleased).toBe(true);
    await readyCluster(w, 'alpha');
    const client = (await podClients(w, 'alpha'))[0]!.client;
    expect((await client.getUser('canary-user-e2e')).name).toBe('canary-user-e2e');
  }, 150_000);

  it('admission refuses an identity Secret that does not exist', async () => {
    await createMaintenance(w, 'enc-nosecret', {
      clusterRef: { name: 'alpha' },
      operation: 'Import',
      import: { source: backupObject(w, key), dryRun: true, encryption: { age: { identitySecretRef: { name: 'absent', key: 'identity.txt' } } } },
    });
    const done = await finished(w, 'enc-nosecret');
    expect(done.status!.phase).toBe('Rejected');
    expect(done.status!.reasons).toContain(`spec.import.encryption.age.identitySecretRef: Secret absent not found in namespace ${w.namespace}`);
  });
});
