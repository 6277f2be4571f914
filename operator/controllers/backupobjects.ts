// The operator's own use of a backups bucket: deleting a pruned backup's export and manifest,
// and whether a restore's source exists (the exports themselves are written and read by Jobs). The credentials come from the run's own Secret,
// read at the time of the delete, as its Job got them.
import { DeleteObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { CoreV1Api } from '@kubernetes/client-node';
import { manifestSuffix } from '../../configstore/types/index.js';
import { s3CredentialKeysOf, s3RegionOf, type S3Object } from '../api/index.js';

export interface BackupObjects {
  /** Deletes the export and its manifest (absent already: fine, S3 answers the same). */
  delete(namespace: string, object: S3Object): Promise<void>;
  /** Whether the object exists (a 404 is false; any other failure is thrown). */
  exists(namespace: string, object: S3Object): Promise<boolean>;
}

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
  return {
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
        await client.send(new HeadObjectCommand({ Bucket: object.bucket, Key: object.key }));
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
