// Opens the object storage named by a URL (CONFIGSTORE_OBJECT_STORAGE):
//   file:///var/lib/configstore            a local directory (posix backend)
//   s3://bucket/prefix?endpoint=…&region=…  an S3-compatible server; keys from AWS_* variables
import { fileURLToPath } from 'node:url';
import { BadRequestError, errorCodes } from '../errors.js';
import type { ObjectStorage } from './objectstorage.js';
import { PosixObjectStorage } from './posix.js';
import { S3ObjectStorage, type S3Options } from './s3.js';

export * from './objectstorage.js';
export { PosixObjectStorage } from './posix.js';
export { S3ObjectStorage, type S3Options } from './s3.js';

const s3Params = new Set(['endpoint', 'region', 'forcePathStyle']);

export function parseObjectStorageUrl(raw: string): { kind: 'posix'; dir: string } | { kind: 's3'; options: S3Options } {
  const fail = (why: string) =>
    new BadRequestError(`invalid object storage URL ${JSON.stringify(raw)}: ${why} (expected file:///dir or s3://bucket/prefix?endpoint=URL&region=NAME)`, {
      code: errorCodes.invalidObjectStorageUrl,
    });
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw fail('it is not a URL');
  }
  if (url.protocol === 'file:') {
    if (url.host !== '' && url.host !== 'localhost') throw fail('a file URL has no host; use three slashes');
    if (url.search) throw fail('a file URL takes no parameters');
    return { kind: 'posix', dir: fileURLToPath(url) };
  }
  if (url.protocol === 's3:') {
    const bucket = url.hostname;
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) throw fail(`bucket name ${JSON.stringify(bucket)} is not a valid S3 bucket name`);
    for (const key of url.searchParams.keys()) if (!s3Params.has(key)) throw fail(`unknown parameter ${JSON.stringify(key)}`);
    const endpoint = url.searchParams.get('endpoint') ?? undefined;
    if (endpoint !== undefined && !/^https?:\/\/[^/]+/.test(endpoint)) throw fail('endpoint must be an http(s) URL');
    const prefix = decodeURIComponent(url.pathname.replace(/^\//, ''));
    const options: S3Options = { bucket };
    if (prefix) options.prefix = prefix;
    if (endpoint) options.endpoint = endpoint;
    const region = url.searchParams.get('region');
    if (region) options.region = region;
    const pathStyle = url.searchParams.get('forcePathStyle');
    if (pathStyle !== null) {
      if (pathStyle !== 'true' && pathStyle !== 'false') throw fail('forcePathStyle must be true or false');
      options.forcePathStyle = pathStyle === 'true';
    }
    return { kind: 's3', options };
  }
  throw fail(`unsupported scheme ${JSON.stringify(url.protocol)}`);
}

export function openObjectStorage(raw: string): ObjectStorage {
  const parsed = parseObjectStorageUrl(raw);
  return parsed.kind === 'posix' ? new PosixObjectStorage(parsed.dir) : new S3ObjectStorage(parsed.options);
}
