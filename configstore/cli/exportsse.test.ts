// S3 server-side encryption of exports, as real processes against a real server: SSE-S3
// (sse=AES256) and SSE-KMS (sse=aws:kms with MinIO's own KMS key) on the shared MinIO, read
// back with the AWS SDK's HeadObject; SSE-C (--sse-customer-key-file) on a MinIO of its own
// over TLS, which MinIO requires for customer keys: export, head, a multipart write and a
// part-by-part copy, and an import that needs the key.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getCACertificates, setDefaultCACertificates } from 'node:tls';
import { readFileSync } from 'node:fs';
import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolatedBucket, localEnv } from '../../scripts/localenv/testenv.js';
import { readAll } from '../objectstorage/index.js';
import { S3ObjectStorage } from '../objectstorage/s3.js';
import { parseExportManifest } from '../types/exportmanifest.js';
import { testCluster, type TestCluster, type TestInstance } from '../../testsupport/instance.js';
import { finishedWithin, spawnCli, type CliExit } from '../../testsupport/cli.js';
import { startTlsMinio, type TlsMinio } from '../../testsupport/tlsminio.js';

const runCli = (args: string[], env: Record<string, string>): Promise<CliExit> => finishedWithin(spawnCli(args, env), 60_000);

const resultOf = (exit: CliExit) => {
  expect(exit.stderr, exit.stderr).toBe('');
  expect(exit.code).toBe(0);
  return JSON.parse(exit.stdout.trim()) as { objects: number; bytes: number; sha256: string };
};

describe('configstore export with S3 server-side encryption', () => {
  let cluster: TestCluster;
  let instance: TestInstance;
  let bucket: Awaited<ReturnType<typeof isolatedBucket>>;
  let env: Record<string, string>;

  const url = (key: string, params = '') =>
    `s3://${bucket.bucket}/${key}?endpoint=${encodeURIComponent(localEnv().s3.endpoint)}&region=${localEnv().s3.region}${params}`;
  const head = (key: string) => bucket.storage.client.send(new HeadObjectCommand({ Bucket: bucket.bucket, Key: key }));

  beforeAll(async () => {
    cluster = await testCluster('cli-exportsse');
    instance = await cluster.start();
    await instance.client.createUser({ name: 'alice' });
    bucket = await isolatedBucket('cli-exportsse');
    const s3 = localEnv().s3;
    env = { CONFIGSTORE_SERVER: instance.url, AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey };
  }, 60_000);
  afterAll(async () => {
    await Promise.allSettled([cluster?.cleanup(), bucket?.cleanup()]);
  });

  it('sse=AES256: the export, its copy into place and its manifest are stored SSE-S3; it imports back', async () => {
    const exported = resultOf(await runCli(['export', '--to', url('backups/aes.ndjson.gz', '&sse=AES256')], env));
    expect((await head('backups/aes.ndjson.gz')).ServerSideEncryption).toBe('AES256');
    expect((await head('backups/aes.ndjson.gz.manifest.json')).ServerSideEncryption).toBe('AES256');
    const manifest = parseExportManifest((await readAll(bucket.storage, 'backups/aes.ndjson.gz.manifest.json')).toString());
    expect(manifest).toMatchObject({ serverSideEncryption: 'AES256', sha256: exported.sha256 });
    expect(manifest?.kmsKeyId).toBeUndefined();
    const imported = resultOf(await runCli(['import', '--from', url('backups/aes.ndjson.gz'), '--dry-run', '--sha256', exported.sha256], env));
    expect(imported.sha256).toBe(exported.sha256);
  });

  it('sse=aws:kms with kmsKeyId: stored SSE-KMS under that key', async () => {
    const keyId = localEnv().s3.kmsKeyId;
    if (!keyId) throw new Error('the local environment has no MinIO KMS key: start it again (scripts/local-env up)');
    resultOf(await runCli(['export', '--to', url('backups/kms.ndjson', `&sse=aws:kms&kmsKeyId=${keyId}`)], env));
    const h = await head('backups/kms.ndjson');
    expect(h.ServerSideEncryption).toBe('aws:kms');
    expect(h.SSEKMSKeyId).toContain(keyId);
    const manifest = parseExportManifest((await readAll(bucket.storage, 'backups/kms.ndjson.manifest.json')).toString());
    expect(manifest).toMatchObject({ serverSideEncryption: 'aws:kms', kmsKeyId: keyId });
  });

  it('sse=None asks for nothing; bad sse parameters are exit 2', async () => {
    resultOf(await runCli(['export', '--to', url('backups/none.ndjson', '&sse=None')], env));
    expect((await head('backups/none.ndjson')).ServerSideEncryption).toBeUndefined();
    expect(parseExportManifest((await readAll(bucket.storage, 'backups/none.ndjson.manifest.json')).toString())?.serverSideEncryption).toBeUndefined();
    const cases: [string, RegExp][] = [
      ['&sse=aes', /sse must be one of None, AES256, aws:kms/],
      ['&kmsKeyId=k', /kmsKeyId needs sse=aws:kms/],
      ['&sse=SSE-C', /sse=SSE-C takes its customer key from a file, not the URL/],
    ];
    for (const [params, why] of cases) {
      const exit = await runCli(['export', '--to', url('backups/bad.ndjson', params)], env);
      expect(exit.code, exit.stderr).toBe(2);
      expect(exit.stderr).toMatch(why);
    }
  }, 60_000);
});

describe('configstore export with SSE-C (customer key), on MinIO over TLS', () => {
  let cluster: TestCluster;
  let instance: TestInstance;
  let minio: TlsMinio;
  let s3: S3Client;
  let dir: string;
  let keyFile: string;
  let env: Record<string, string>;
  const bucketName = 'ssec-test';
  const key = randomBytes(32);

  const url = (k: string) => `s3://${bucketName}/${k}?endpoint=${encodeURIComponent(minio.endpoint)}&region=us-east-1`;
  const withKey = { SSECustomerAlgorithm: 'AES256', SSECustomerKey: key.toString('base64') };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'configstore-ssec-'));
    keyFile = join(dir, 'sse-c.key');
    await writeFile(keyFile, key.toString('base64') + '\n', { mode: 0o600 });
    minio = await startTlsMinio();
    await minio.createBucket(bucketName);
    s3 = minio.client();
    cluster = await testCluster('cli-exportssec');
    instance = await cluster.start();
    await instance.client.createUser({ name: 'alice' });
    env = {
      CONFIGSTORE_SERVER: instance.url,
      AWS_ACCESS_KEY_ID: minio.accessKeyId,
      AWS_SECRET_ACCESS_KEY: minio.secretAccessKey,
      NODE_EXTRA_CA_CERTS: minio.caFile,
    };
  }, 60_000);
  afterAll(async () => {
    s3?.destroy();
    await Promise.allSettled([cluster?.cleanup(), minio?.stop()]);
    await rm(dir, { recursive: true, force: true });
  });

  it('stores the export with the customer key (a read without it is refused), the manifest without it; import needs the key', async () => {
    const exported = resultOf(await runCli(['export', '--to', url('backups/c.ndjson.gz'), '--sse-customer-key-file', keyFile], env));
    await expect(s3.send(new HeadObjectCommand({ Bucket: bucketName, Key: 'backups/c.ndjson.gz' }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 400 },
    });
    const h = await s3.send(new HeadObjectCommand({ Bucket: bucketName, Key: 'backups/c.ndjson.gz', ...withKey }));
    expect(h.SSECustomerAlgorithm).toBe('AES256');
    expect(h.ContentLength).toBe(exported.bytes);
    // the manifest: readable without the key (the operator's inventory reads it so), and it says SSE-C
    const manifest = await s3.send(new GetObjectCommand({ Bucket: bucketName, Key: 'backups/c.ndjson.gz.manifest.json' }));
    expect(parseExportManifest(await manifest.Body!.transformToString())).toMatchObject({ serverSideEncryption: 'SSE-C', sha256: exported.sha256 });

    const imported = resultOf(await runCli(['import', '--from', url('backups/c.ndjson.gz'), '--sse-customer-key-file', keyFile, '--dry-run'], env));
    expect(imported.sha256).toBe(exported.sha256);
    const without = await runCli(['import', '--from', url('backups/c.ndjson.gz'), '--dry-run'], env);
    expect(without.code).toBe(2);
    expect(without.stderr).toMatch(
      /^configstore: --from=".*": the object is stored with SSE-C \(a customer key\): pass --sse-customer-key-file with its key\n$/,
    );
    const otherKey = join(dir, 'other.key');
    await writeFile(otherKey, randomBytes(32));
    const wrong = await runCli(['import', '--from', url('backups/c.ndjson.gz'), '--sse-customer-key-file', otherKey, '--dry-run'], env);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(
      /^configstore: --from=".*": S3 refused the SSE-C key in --sse-customer-key-file: it is not the key the object was stored with/,
    );
  }, 60_000);

  it('a multipart write and a part-by-part copy carry the customer key', async () => {
    const ca = readFileSync(minio.caFile, 'utf8');
    setDefaultCACertificates([...getCACertificates('default'), ca]);
    const storage = new S3ObjectStorage({
      bucket: bucketName,
      endpoint: minio.endpoint,
      credentials: { accessKeyId: minio.accessKeyId, secretAccessKey: minio.secretAccessKey },
      sseCustomerKey: key.toString('base64'),
      partSize: 5 * 1024 * 1024,
      copyPartBytes: 5 * 1024 * 1024,
    });
    try {
      const body = randomBytes(11 * 1024 * 1024);
      async function* chunks() {
        for (let i = 0; i < body.length; i += 1024 * 1024) yield body.subarray(i, i + 1024 * 1024);
      }
      await storage.put('big/a', chunks());
      await storage.copy('big/a', 'big/b');
      expect((await storage.head('big/b')).serverSideEncryption).toBe('SSE-C');
      expect((await readAll(storage, 'big/b')).equals(body)).toBe(true);
      await expect(s3.send(new HeadObjectCommand({ Bucket: bucketName, Key: 'big/b' }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 400 } });
    } finally {
      await storage.close();
    }
  }, 60_000);
});
