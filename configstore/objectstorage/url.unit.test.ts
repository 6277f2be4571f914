import { describe, expect, it } from 'vitest';
import { isKind } from '../errors.js';
import { PosixObjectStorage, formatS3Url, openObjectStorage, parseObjectStorageUrl } from './index.js';
import { S3ObjectStorage } from './s3.js';

describe('object storage URLs', () => {
  it('parses a directory', async () => {
    expect(parseObjectStorageUrl('file:///var/lib/configstore')).toEqual({ kind: 'posix', dir: '/var/lib/configstore' });
    expect(await openObjectStorage('file:///tmp/x%20y')).toBeInstanceOf(PosixObjectStorage);
    expect((await openObjectStorage('file:///tmp/x%20y')).location).toBe('file:///tmp/x y');
  });

  it('parses an S3 bucket with prefix, endpoint and region', async () => {
    expect(parseObjectStorageUrl('s3://my-bucket/data/cs?endpoint=http://127.0.0.1:9000&region=eu-west-1&forcePathStyle=false')).toEqual({
      kind: 's3',
      options: { bucket: 'my-bucket', prefix: 'data/cs', endpoint: 'http://127.0.0.1:9000', region: 'eu-west-1', forcePathStyle: false },
    });
    const ost = await openObjectStorage('s3://bkt?endpoint=http://127.0.0.1:9000');
    expect(ost).toBeInstanceOf(S3ObjectStorage);
    expect(ost.location).toBe('s3://bkt/ at http://127.0.0.1:9000');
  });

  it('parses and formats server-side encryption (SSE-C never: its key is no URL parameter)', () => {
    expect(parseObjectStorageUrl('s3://bkt/k?sse=AES256')).toEqual({ kind: 's3', options: { bucket: 'bkt', prefix: 'k', serverSideEncryption: 'AES256' } });
    expect(parseObjectStorageUrl('s3://bkt/k?sse=None')).toEqual({ kind: 's3', options: { bucket: 'bkt', prefix: 'k', serverSideEncryption: 'None' } });
    const kms = formatS3Url({ bucket: 'bkt', key: 'a/b.ndjson', serverSideEncryption: 'aws:kms', kmsKeyId: 'arn:aws:kms:eu-west-1:1:key/x' });
    expect(kms).toBe('s3://bkt/a/b.ndjson?region=us-east-1&sse=aws%3Akms&kmsKeyId=arn%3Aaws%3Akms%3Aeu-west-1%3A1%3Akey%2Fx');
    expect(parseObjectStorageUrl(kms)).toEqual({
      kind: 's3',
      options: { bucket: 'bkt', prefix: 'a/b.ndjson', region: 'us-east-1', serverSideEncryption: 'aws:kms', kmsKeyId: 'arn:aws:kms:eu-west-1:1:key/x' },
    });
  });

  it('refuses SSE-C and a KMS key without aws:kms in an S3 storage too', () => {
    expect(() => new S3ObjectStorage({ bucket: 'bkt', sseCustomerKey: 'a'.repeat(43) + '=', serverSideEncryption: 'AES256' })).toThrow(/exclude each other/);
    expect(() => new S3ObjectStorage({ bucket: 'bkt', kmsKeyId: 'k', serverSideEncryption: 'AES256' })).toThrow(/kmsKeyId needs serverSideEncryption aws:kms/);
  });

  it.each([
    ['s3://bucket/x?sse=aes256', /sse must be one of None, AES256, aws:kms/],
    ['s3://bucket/x?sse=SSE-C', /sse=SSE-C takes its customer key from a file/],
    ['s3://bucket/x?kmsKeyId=k', /kmsKeyId needs sse=aws:kms/],
    ['s3://bucket/x?sse=aws:kms&kmsKeyId=', /kmsKeyId is empty/],
    ['not a url', /it is not a URL/],
    ['ftp://host/x', /unsupported scheme "ftp:"/],
    ['file://host/x', /three slashes/],
    ['s3://B/x', /not a valid S3 bucket name/],
    ['s3://ab/x', /not a valid S3 bucket name/],
    ['s3://bucket/x?endpoint=localhost:9000', /endpoint must be an http\(s\) URL/],
    ['s3://bucket/x?secret=1', /unknown parameter "secret"/],
    ['s3://bucket/x?forcePathStyle=yes', /forcePathStyle must be true or false/],
  ])('refuses %s with a message that says why', (raw, why) => {
    let caught: unknown;
    try {
      parseObjectStorageUrl(raw);
    } catch (err) {
      caught = err;
    }
    expect(isKind(caught, 'BadRequest')).toBe(true);
    expect((caught as Error).message).toMatch(why);
    expect((caught as Error).message).toContain('expected file:///dir or s3://bucket/prefix');
  });
});
