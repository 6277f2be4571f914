// Opens the object storage named by a URL (CONFIGSTORE_OBJECT_STORAGE):
//   file:///var/lib/configstore            a local directory (posix backend)
//   s3://bucket/prefix?endpoint=…&region=…  an S3-compatible server; keys from AWS_* variables
import { parseObjectStorageUrl } from '../types/objectstorageurl.js';
import type { ObjectStorage } from './objectstorage.js';
import { PosixObjectStorage } from './posix.js';

export * from './objectstorage.js';
export { PosixObjectStorage } from './posix.js';
// the S3 backend (and the AWS SDK, a fifth of the server's code) is loaded when a URL names it:
// import S3ObjectStorage from './s3.js' where it is wanted, or call openObjectStorage
export type { S3ObjectStorage, S3Options } from './s3.js';
export { parseObjectStorageUrl, formatS3Url } from '../types/objectstorageurl.js';

export async function openObjectStorage(raw: string): Promise<ObjectStorage> {
  const parsed = parseObjectStorageUrl(raw);
  if (parsed.kind === 'posix') return new PosixObjectStorage(parsed.dir);
  const { S3ObjectStorage } = await import('./s3.js');
  return new S3ObjectStorage(parsed.options);
}
