// The object storage URL, in one place: the format the CLI and `configstore serve` take
// (CONFIGSTORE_OBJECT_STORAGE, `export --to`, `import --from`), its parser, and the builder
// the operator and the scripts use to hand one over.
//   file:///var/lib/configstore                   a local directory (posix backend)
//   s3://bucket/prefix-or-key?endpoint=…&region=…  an S3-compatible server; keys from AWS_* variables
//     &sse=None|AES256|aws:kms[&kmsKeyId=…]         server-side encryption of the objects written (SSE-C's key
//                                                   is a secret: never in a URL, the CLI takes it from a file)
import { fileURLToPath } from 'node:url';
import { BadRequestError, errorCodes } from '../errors.js';

/** Where in S3: what the URL says (credentials come from elsewhere). */
export interface S3Location {
  bucket: string;
  /** The key prefix (a store) or the key (an export); '' or absent: the bucket's root. */
  prefix?: string;
  endpoint?: string;
  region?: string;
  forcePathStyle?: boolean;
  /** Server-side encryption asked for on every object written; absent or 'None': no header (the bucket's default applies). */
  serverSideEncryption?: UrlServerSideEncryption;
  /** With aws:kms: the KMS key (id, ARN or alias); absent: the account's default S3 key. */
  kmsKeyId?: string;
}

/** The server-side encryption an S3 request can ask for; SSE-C (a customer key) is set apart, as its key never goes in a URL. */
export const serverSideEncryptionTypes = ['None', 'AES256', 'aws:kms', 'SSE-C'] as const;
export type ServerSideEncryptionType = (typeof serverSideEncryptionTypes)[number];
export type UrlServerSideEncryption = Exclude<ServerSideEncryptionType, 'SSE-C'>;
const urlSseTypes: readonly string[] = ['None', 'AES256', 'aws:kms'];

/** s3://bucket/path?endpoint=…&region=…: each path segment encoded, the region always named. */
export function formatS3Url(
  o: { bucket: string; key?: string; prefix?: string; endpoint?: string; region?: string; serverSideEncryption?: UrlServerSideEncryption; kmsKeyId?: string },
  defaultRegion = 'us-east-1',
): string {
  const params = new URLSearchParams();
  if (o.endpoint) params.set('endpoint', o.endpoint);
  params.set('region', o.region ?? defaultRegion);
  if (o.serverSideEncryption) params.set('sse', o.serverSideEncryption);
  if (o.kmsKeyId) params.set('kmsKeyId', o.kmsKeyId);
  const path = o.key ?? o.prefix;
  return `s3://${o.bucket}${path ? `/${path.split('/').map(encodeURIComponent).join('/')}` : ''}?${params}`;
}

const s3Params = new Set(['endpoint', 'region', 'forcePathStyle', 'sse', 'kmsKeyId']);

export function parseObjectStorageUrl(raw: string): { kind: 'posix'; dir: string } | { kind: 's3'; options: S3Location } {
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
    const options: S3Location = { bucket };
    if (prefix) options.prefix = prefix;
    if (endpoint) options.endpoint = endpoint;
    const region = url.searchParams.get('region');
    if (region) options.region = region;
    const pathStyle = url.searchParams.get('forcePathStyle');
    if (pathStyle !== null) {
      if (pathStyle !== 'true' && pathStyle !== 'false') throw fail('forcePathStyle must be true or false');
      options.forcePathStyle = pathStyle === 'true';
    }
    const sse = url.searchParams.get('sse');
    const kmsKeyId = url.searchParams.get('kmsKeyId');
    if (sse !== null) {
      if (sse === 'SSE-C') throw fail('sse=SSE-C takes its customer key from a file, not the URL: drop sse and pass --sse-customer-key-file');
      if (!urlSseTypes.includes(sse)) throw fail(`sse must be one of ${urlSseTypes.join(', ')}`);
      options.serverSideEncryption = sse as UrlServerSideEncryption;
    }
    if (kmsKeyId !== null) {
      if (sse !== 'aws:kms') throw fail('kmsKeyId needs sse=aws:kms');
      if (!kmsKeyId) throw fail('kmsKeyId is empty');
      options.kmsKeyId = kmsKeyId;
    }
    return { kind: 's3', options };
  }
  throw fail(`unsupported scheme ${JSON.stringify(url.protocol)}`);
}
