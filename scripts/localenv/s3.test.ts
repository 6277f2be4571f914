// Smoke test: the local MinIO is a real S3 server (multipart upload, paginated listing).
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3ClientFor } from './env.js';
import { isolatedBucket, localEnv } from './testenv.js';

describe('local S3 server (MinIO)', () => {
  let bucket: string;
  let cleanup: () => Promise<void>;
  const client = s3ClientFor(localEnv().s3);
  beforeAll(async () => {
    ({ bucket, cleanup } = await isolatedBucket('s3-smoke'));
  });
  afterAll(async () => {
    await cleanup();
    client.destroy();
  });

  it('stores a 20 MB multipart upload and returns the same bytes', async () => {
    const data = randomBytes(20 * 1024 * 1024);
    const parts: number[] = [];
    const upload = new Upload({
      client,
      params: { Bucket: bucket, Key: 'multipart/blob', Body: Readable.from([data.subarray(0, 7e6), data.subarray(7e6)]) },
      partSize: 5 * 1024 * 1024,
      queueSize: 2,
    });
    upload.on('httpUploadProgress', (p) => parts.push(p.part ?? 0));
    const res = await upload.done();
    expect(res.ETag).toMatch(/-4"$/); // a real multipart ETag: md5-of-md5s with the part count
    expect(new Set(parts).size).toBe(4);
    const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'multipart/blob' }));
    const h = createHash('sha256');
    for await (const c of got.Body as Readable) h.update(c as Buffer);
    expect(h.digest('hex')).toBe(createHash('sha256').update(data).digest('hex'));
  });

  it('paginates ListObjectsV2 with continuation tokens', async () => {
    const keys = Array.from({ length: 25 }, (_, i) => `list/${String(i).padStart(3, '0')}`);
    await Promise.all(keys.map((Key) => client.send(new PutObjectCommand({ Bucket: bucket, Key, Body: Key }))));
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'list/', MaxKeys: 10, ContinuationToken: token }));
      seen.push(...(page.Contents ?? []).map((o) => o.Key!));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
      pages++;
    } while (token);
    expect(pages).toBe(3);
    expect(seen).toEqual(keys);
  });
});
