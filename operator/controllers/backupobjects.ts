// The operator's own use of a backups bucket: deleting a pruned backup's export and manifest,
// whether a restore's source exists, the inventory of a schedule's destination (its
// manifests) and its folder's owner marker; the exports themselves are written and read by Jobs. The credentials come from the run's own Secret,
// read at the time of the delete, as its Job got them.
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { CoreV1Api } from '@kubernetes/client-node';
import { manifestSuffix, ownerMarkerKey, parseExportManifest, parsePrefixOwner, type ExportManifest, type PrefixOwner } from '../../configstore/types/index.js';
import { s3CredentialKeysOf, s3RegionOf, type S3Object } from '../api/index.js';

export interface BackupObjects {
  /** Deletes the export and its manifest (absent already: fine, S3 answers the same). */
  delete(namespace: string, object: S3Object): Promise<void>;
  /** Whether the object exists (a 404 is false; any other failure is thrown). */
  exists(namespace: string, object: S3Object): Promise<boolean>;
  /** The keys of the export manifests under `prefix` (at most `limit`). */
  listManifests(namespace: string, place: S3Place, limit?: number): Promise<string[]>;
  /** A manifest read and checked; undefined when it is absent or not one. */
  readManifest(namespace: string, object: S3Object): Promise<ExportManifest | undefined>;
  /** The owner marker of the folder `place.prefix`: undefined when there is none, 'damaged' when it is not one. */
  readOwner(namespace: string, place: S3Place): Promise<PrefixOwner | 'damaged' | undefined>;
}

/** A bucket and key prefix, with how to reach it. */
export type S3Place = Omit<S3Object, 'key'> & { prefix?: string };

export function s3BackupObjects(core: CoreV1Api): BackupObjects {
  async function clientFor(namespace: string, object: S3Object): Promise<S3Client> {
    let credentials;
    if (object.credentialsSecretRef) {
      const ref = object.credentialsSecretRef;
      const data = (await core.readNamespacedSecret({ name: ref.name, namespace })).data ?? {};
      const keys = s3CredentialKeysOf(ref);
      const value = (k: string) => Buffer.from(data[k] ?? '', 'base64').toString('utf8');
      credentials = { accessKeyId: value(keys.accessKeyId), secretAccessKey: value(keys.secretAccessKey) };
    }
    return new S3Client({
      region: s3RegionOf(object),
      ...(object.endpoint ? { endpoint: object.endpoint, forcePathStyle: true } : {}),
      ...(credentials ? { credentials } : {}),
    });
  }
  async function customerKey(namespace: string, object: S3Object): Promise<{ SSECustomerAlgorithm?: string; SSECustomerKey?: string }> {
    const ref = object.serverSideEncryption?.type === 'SSE-C' ? object.serverSideEncryption.customerKeySecretRef : undefined;
    if (!ref) return {};
    const raw = Buffer.from((await core.readNamespacedSecret({ name: ref.name, namespace })).data?.[ref.key] ?? '', 'base64');
    // as the CLI reads the key file: 32 raw bytes, or their base64
    return { SSECustomerAlgorithm: 'AES256', SSECustomerKey: raw.length === 32 ? raw.toString('base64') : raw.toString('utf8').trim() };
  }
  return {
    async listManifests(namespace, place, limit = 10_000) {
      const client = await clientFor(namespace, { ...place, key: '' });
      const keys: string[] = [];
      try {
        let token: string | undefined;
        do {
          const page = await client.send(new ListObjectsV2Command({ Bucket: place.bucket, Prefix: place.prefix ?? '', ContinuationToken: token }));
          for (const o of page.Contents ?? []) if (o.Key?.endsWith(manifestSuffix)) keys.push(o.Key);
          token = page.IsTruncated ? page.NextContinuationToken : undefined;
        } while (token && keys.length < limit);
      } finally {
        client.destroy();
      }
      return keys.slice(0, limit);
    },
    async readOwner(namespace, place) {
      const key = ownerMarkerKey(place.prefix ?? '');
      const client = await clientFor(namespace, { ...place, key });
      try {
        const res = await client.send(new GetObjectCommand({ Bucket: place.bucket, Key: key }));
        return parsePrefixOwner(await res.Body!.transformToString()) ?? 'damaged';
      } catch (err) {
        if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return undefined;
        throw err;
      } finally {
        client.destroy();
      }
    },
    async readManifest(namespace, object) {
      const client = await clientFor(namespace, object);
      try {
        const res = await client.send(new GetObjectCommand({ Bucket: object.bucket, Key: object.key }));
        return parseExportManifest(await res.Body!.transformToString());
      } catch (err) {
        if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return undefined;
        throw err;
      } finally {
        client.destroy();
      }
    },
    async delete(namespace, object) {
      const client = await clientFor(namespace, object);
      try {
        // the manifest (the commit marker) first: an interruption leaves an unmarked export, never a marker without one
        await client.send(new DeleteObjectCommand({ Bucket: object.bucket, Key: `${object.key}${manifestSuffix}` }));
        await client.send(new DeleteObjectCommand({ Bucket: object.bucket, Key: object.key }));
      } finally {
        client.destroy();
      }
    },
    async exists(namespace, object) {
      const client = await clientFor(namespace, object);
      try {
        // an SSE-C object answers a head without its key with 400: the key is read as the Job gets it
        const ssec = await customerKey(namespace, object);
        await client.send(new HeadObjectCommand({ Bucket: object.bucket, Key: object.key, ...ssec }));
        return true;
      } catch (err) {
        if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return false;
        throw err;
      } finally {
        client.destroy();
      }
    },
  };
}
