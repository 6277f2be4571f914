// Opens the object storage named by a URL (CONFIGSTORE_OBJECT_STORAGE):
//   file:///var/lib/configstore            a local directory (posix backend)
//   s3://bucket/prefix?endpoint=…&region=…  an S3-compatible server; keys from AWS_* variables
import { parseObjectStorageUrl } from '../types/objectstorageurl.js';
import type { ObjectStorage } from './objectstorage.js';
import { PosixObjectStorage } from './posix.js';
import { S3ObjectStorage } from './s3.js';

export * from './objectstorage.js';
export { PosixObjectStorage } from './posix.js';
export { S3ObjectStorage, type S3Options } from './s3.js';
export { parseObjectStorageUrl, formatS3Url } from '../types/objectstorageurl.js';

export function openObjectStorage(raw: string): ObjectStorage {
  const parsed = parseObjectStorageUrl(raw);
  return parsed.kind === 'posix' ? new PosixObjectStorage(parsed.dir) : new S3ObjectStorage(parsed.options);
}
