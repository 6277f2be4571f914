// Object storage on any S3-compatible server (AWS S3, MinIO, Ceph RGW, …).
//
// Path-style addressing and checksums only WHEN_REQUIRED: non-AWS servers differ in
// their support of aws-chunked uploads with trailing checksums, and one of them stores
// the framing verbatim (s3rver stored `a\r\n…\r\n0\r\nx-amz-checksum-crc32:…` as the object). Streams go through
// lib-storage's multipart Upload, whose memory is bounded by partSize × queueSize.
// Server-side encryption (SSE-S3, SSE-KMS, SSE-C) is one setting of the storage: the headers
// go on every write and copy, and for SSE-C on every read too (S3 keeps no customer key).
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCopyCommand,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { Readable } from 'node:stream';
import { BadRequestError, ConflictError, errorCodes, NotFoundError, UnavailableError } from '../errors.js';
import type { UrlServerSideEncryption } from '../types/objectstorageurl.js';
import {
  clampLimit,
  validateKey,
  validatePrefix,
  type GetOptions,
  type ListOptions,
  type ListPage,
  type ObjectInfo,
  type ObjectStorage,
  type PutBody,
  type PutOptions,
} from './objectstorage.js';

export interface S3Options {
  bucket: string;
  /** Prepended to every key, e.g. "configstore/" (a trailing '/' is added if missing). */
  prefix?: string;
  endpoint?: string;
  region?: string;
  /** Defaults to the SDK's chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, profiles, …). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  forcePathStyle?: boolean;
  /** Multipart part size in bytes (min 5 MiB). */
  partSize?: number;
  /** Parts uploaded in parallel. */
  queueSize?: number;
  /** Objects larger than this are copied part by part (S3 copies at most 5 GiB in one request). */
  copyPartBytes?: number;
  /** SSE-S3 (AES256) or SSE-KMS (aws:kms) on every object written; absent or None: no header, the bucket's default applies. */
  serverSideEncryption?: UrlServerSideEncryption;
  /** With aws:kms: the KMS key id, ARN or alias (absent: the account's default key for S3). */
  kmsKeyId?: string;
  /** SSE-C: the 256-bit customer key, base64; every write, read and copy then sends it. Excludes serverSideEncryption. */
  sseCustomerKey?: string;
}

/** The SSE request fields of a write (PutObject, CreateMultipartUpload, CopyObject's target). */
type SseWrite = { ServerSideEncryption?: 'AES256' | 'aws:kms'; SSEKMSKeyId?: string; SSECustomerAlgorithm?: string; SSECustomerKey?: string };

const maxSingleCopyBytes = 5 * 1024 ** 3;

const deleteBatch = 1000;

export class S3ObjectStorage implements ObjectStorage {
  readonly location: string;
  readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly partSize: number;
  private readonly queueSize: number;
  private readonly copyPartBytes: number;
  private readonly options: S3Options;
  private readonly sseWrite: SseWrite;
  /** SSE-C: what a read of an object needs (and a copy, for its source). */
  private readonly sseRead: { SSECustomerAlgorithm?: string; SSECustomerKey?: string };
  private readonly ownsClient: boolean;

  constructor(options: S3Options, sharedClient?: S3Client) {
    this.options = options;
    this.sseWrite = sseWriteFields(options);
    this.sseRead = options.sseCustomerKey ? { SSECustomerAlgorithm: 'AES256', SSECustomerKey: options.sseCustomerKey } : {};
    this.ownsClient = sharedClient === undefined;
    this.bucket = options.bucket;
    this.prefix = options.prefix ? options.prefix.replace(/\/?$/, '/') : '';
    this.partSize = options.partSize ?? 8 * 1024 * 1024;
    this.queueSize = options.queueSize ?? 2;
    this.copyPartBytes = Math.min(options.copyPartBytes ?? maxSingleCopyBytes, maxSingleCopyBytes);
    this.location = `s3://${this.bucket}/${this.prefix}${options.endpoint ? ` at ${options.endpoint}` : ''}`;
    const config: S3ClientConfig = {
      region: options.region ?? process.env.AWS_REGION ?? 'us-east-1',
      forcePathStyle: options.forcePathStyle ?? true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 3,
    };
    if (options.endpoint) config.endpoint = options.endpoint;
    if (options.credentials) config.credentials = options.credentials;
    this.client = sharedClient ?? new S3Client(config);
  }

  /**
   * The same bucket without the SSE-C key (sharing the connection): for the small objects
   * beside an export (its manifest, the folder's owner marker), which hold no secret and
   * which the operator reads without the customer key. SSE-S3 and SSE-KMS stay.
   */
  withoutCustomerKey(): S3ObjectStorage {
    if (!this.options.sseCustomerKey) return this;
    const { sseCustomerKey: _key, ...rest } = this.options;
    return new S3ObjectStorage(rest, this.client);
  }

  async put(key: string, body: PutBody, options: PutOptions = {}): Promise<{ size: number }> {
    validateKey(key);
    const Key = this.prefix + key;
    try {
      if (typeof body === 'string' || body instanceof Uint8Array) {
        const buf = Buffer.from(body);
        await this.client.send(
          new PutObjectCommand({
            Bucket: this.bucket,
            Key,
            Body: buf,
            ContentLength: buf.length,
            ...this.sseWrite,
            ...(options.ifAbsent ? { IfNoneMatch: '*' } : {}),
          }),
          options.signal ? { abortSignal: options.signal } : {},
        );
        return { size: buf.length };
      }
      if (options.ifAbsent) throw new Error('ifAbsent takes a whole-buffer body');
      let size = 0;
      const counted = Readable.from(countBytes(body, (n) => (size += n)));
      const upload = new Upload({
        client: this.client,
        params: { Bucket: this.bucket, Key, Body: counted, ...this.sseWrite },
        partSize: this.partSize,
        queueSize: this.queueSize,
        leavePartsOnError: false,
        ...(options.signal ? { abortController: abortControllerFor(options.signal) } : {}),
      });
      await upload.done();
      return { size };
    } catch (err) {
      throw this.wrap(err, `writing object ${JSON.stringify(key)}`, options.ifAbsent ? key : undefined);
    }
  }

  async get(key: string, options: GetOptions = {}): Promise<Readable> {
    validateKey(key);
    try {
      const res = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.prefix + key, ...this.sseRead }),
        options.signal ? { abortSignal: options.signal } : {},
      );
      if (!(res.Body instanceof Readable)) throw new Error('S3 GetObject returned no stream body');
      return res.Body;
    } catch (err) {
      throw this.wrap(err, `reading object ${JSON.stringify(key)}`, key);
    }
  }

  async head(key: string): Promise<ObjectInfo> {
    validateKey(key);
    try {
      const res = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.prefix + key, ...this.sseRead }));
      return {
        key,
        size: res.ContentLength ?? 0,
        lastModified: res.LastModified ?? new Date(0),
        ...(res.ServerSideEncryption ? { serverSideEncryption: res.ServerSideEncryption } : {}),
        ...(res.SSECustomerAlgorithm ? { serverSideEncryption: 'SSE-C' } : {}),
      };
    } catch (err) {
      throw this.wrap(err, `reading object ${JSON.stringify(key)}`, key);
    }
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListPage> {
    validatePrefix(prefix);
    const limit = clampLimit(options.limit);
    try {
      const res = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: this.prefix + prefix,
          MaxKeys: limit,
          ...(options.startAfter === undefined ? {} : { StartAfter: this.prefix + options.startAfter }),
          ...(options.cursor === undefined ? {} : { ContinuationToken: options.cursor }),
        }),
      );
      const items = (res.Contents ?? []).map((o) => ({
        key: (o.Key ?? '').slice(this.prefix.length),
        size: o.Size ?? 0,
        lastModified: o.LastModified ?? new Date(0),
      }));
      return res.IsTruncated && res.NextContinuationToken ? { items, nextCursor: res.NextContinuationToken } : { items };
    } catch (err) {
      throw this.wrap(err, `listing ${JSON.stringify(prefix)}`);
    }
  }

  async copy(from: string, to: string): Promise<void> {
    validateKey(from);
    validateKey(to);
    const { size } = await this.head(from);
    const source = `${this.bucket}/${(this.prefix + from).split('/').map(encodeURIComponent).join('/')}`;
    const target = { Bucket: this.bucket, Key: this.prefix + to };
    // a copy keeps no encryption of its own accord: the target's is asked for again, and an SSE-C source needs its key
    const copySource = {
      CopySource: source,
      ...(this.options.sseCustomerKey ? { CopySourceSSECustomerAlgorithm: 'AES256', CopySourceSSECustomerKey: this.options.sseCustomerKey } : {}),
    };
    try {
      if (size <= this.copyPartBytes) {
        await this.client.send(new CopyObjectCommand({ ...target, ...copySource, ...this.sseWrite }));
        return;
      }
      // a multipart copy: the object appears only at CompleteMultipartUpload
      const { UploadId } = await this.client.send(new CreateMultipartUploadCommand({ ...target, ...this.sseWrite }));
      try {
        const parts = [];
        for (let start = 0, n = 1; start < size; start += this.copyPartBytes, n++) {
          const end = Math.min(start + this.copyPartBytes, size) - 1;
          const res = await this.client.send(
            new UploadPartCopyCommand({ ...target, ...copySource, ...this.sseRead, UploadId, PartNumber: n, CopySourceRange: `bytes=${start}-${end}` }),
          );
          parts.push({ PartNumber: n, ETag: res.CopyPartResult?.ETag });
        }
        await this.client.send(new CompleteMultipartUploadCommand({ ...target, ...this.sseRead, UploadId, MultipartUpload: { Parts: parts } }));
      } catch (err) {
        await this.client.send(new AbortMultipartUploadCommand({ ...target, UploadId })).catch(() => undefined);
        throw err;
      }
    } catch (err) {
      throw this.wrap(err, `copying object ${JSON.stringify(from)} to ${JSON.stringify(to)}`, from);
    }
  }

  async delete(key: string): Promise<void> {
    validateKey(key);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }));
    } catch (err) {
      throw this.wrap(err, `deleting object ${JSON.stringify(key)}`);
    }
  }

  async deleteMany(keys: Iterable<string>): Promise<void> {
    const all = [...keys];
    all.forEach(validateKey);
    for (let i = 0; i < all.length; i += deleteBatch) {
      const batch = all.slice(i, i + deleteBatch);
      try {
        const res = await this.client.send(
          new DeleteObjectsCommand({
            Bucket: this.bucket,
            Delete: { Quiet: true, Objects: batch.map((k) => ({ Key: this.prefix + k })) },
          }),
        );
        const failed = res.Errors?.[0];
        if (failed) throw new Error(`S3 refused to delete ${JSON.stringify(failed.Key)}: ${failed.Code} ${failed.Message}`);
      } catch (err) {
        throw this.wrap(err, `deleting ${batch.length} objects`);
      }
    }
  }

  async close(): Promise<void> {
    if (this.ownsClient) this.client.destroy();
  }

  /** SSE-C answers S3 gives a read: no key for an SSE-C object, a key it refuses, a key for a plain object. */
  private sseProblem(status: number | undefined, err: unknown, key: string): Error | undefined {
    const message = (err as Error | undefined)?.message ?? '';
    const hasKey = this.options.sseCustomerKey !== undefined;
    const o = `object ${JSON.stringify(key)}`;
    if (!hasKey && status === 400 && (/Server Side Encryption/i.test(message) || (err as { name?: string }).name === 'Unknown')) {
      return new BadRequestError(`${o} is stored with SSE-C (a customer key): reading it needs that key`, {
        code: errorCodes.sseCustomerKeyRequired,
        cause: err,
      });
    }
    if (hasKey && status === 403) {
      return new BadRequestError(
        `S3 refused the SSE-C key for ${o} (access denied): it is not the key the object was stored with, or the credentials may not read it`,
        { code: errorCodes.sseCustomerKeyRefused, cause: err },
      );
    }
    if (hasKey && status === 400 && /not applicable/i.test(message)) {
      return new BadRequestError(`${o} is not stored with SSE-C: it is read without a customer key`, {
        code: errorCodes.sseCustomerKeyNotApplicable,
        cause: err,
      });
    }
    return undefined;
  }

  /** Missing objects become NotFound, an unreachable server Unavailable; the rest stays untyped. */
  private wrap(err: unknown, doing: string, key?: string): Error {
    const status = err instanceof S3ServiceException ? err.$metadata.httpStatusCode : undefined;
    const name = (err as { name?: string } | undefined)?.name;
    if (key !== undefined && (name === 'NoSuchKey' || name === 'NotFound' || (status === 404 && name !== 'NoSuchBucket'))) {
      return new NotFoundError(`object ${JSON.stringify(key)} does not exist`, { code: errorCodes.objectNotFound, cause: err });
    }
    const sseProblem = key === undefined ? undefined : this.sseProblem(status, err, key);
    if (sseProblem) return sseProblem;
    if (key !== undefined && status === 412) {
      return new ConflictError(`object ${JSON.stringify(key)} already exists`, { code: errorCodes.objectExists, cause: err });
    }
    const code = (err as NodeJS.ErrnoException | undefined)?.code;
    if (code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'ETIMEDOUT' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
      return new UnavailableError(`object storage ${this.location} is unreachable`, { code: errorCodes.objectStorageUnavailable, cause: err });
    }
    return new Error(`${doing} in ${this.location}`, { cause: err });
  }
}

function sseWriteFields(o: S3Options): SseWrite {
  if (o.sseCustomerKey) {
    if (o.serverSideEncryption && o.serverSideEncryption !== 'None') {
      throw new BadRequestError(`SSE-C (a customer key) and serverSideEncryption ${o.serverSideEncryption} exclude each other: choose one`, {
        code: errorCodes.invalidObjectStorageUrl,
      });
    }
    return { SSECustomerAlgorithm: 'AES256', SSECustomerKey: o.sseCustomerKey };
  }
  if (o.kmsKeyId && o.serverSideEncryption !== 'aws:kms')
    throw new BadRequestError('kmsKeyId needs serverSideEncryption aws:kms', { code: errorCodes.invalidObjectStorageUrl });
  if (o.serverSideEncryption === 'AES256') return { ServerSideEncryption: 'AES256' };
  if (o.serverSideEncryption === 'aws:kms') return { ServerSideEncryption: 'aws:kms', ...(o.kmsKeyId ? { SSEKMSKeyId: o.kmsKeyId } : {}) };
  return {};
}

async function* countBytes(source: AsyncIterable<Uint8Array> | Readable, add: (n: number) => void): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    const buf = asBuffer(chunk as Uint8Array | string);
    add(buf.length);
    yield buf;
  }
}

/** A Buffer view of a chunk, without copying bytes. */
function asBuffer(chunk: Uint8Array | string): Buffer {
  if (typeof chunk === 'string') return Buffer.from(chunk);
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

function abortControllerFor(signal: AbortSignal): AbortController {
  const ac = new AbortController();
  if (signal.aborted) ac.abort(signal.reason);
  else signal.addEventListener('abort', () => ac.abort(signal.reason), { once: true });
  return ac;
}
