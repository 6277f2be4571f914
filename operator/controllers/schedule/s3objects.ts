// Deleting a pruned backup's stored export: the one place the operator writes to a bucket
// itself (the exports are written by Jobs). The credentials come from the run's own Secret,
// read at the time of the delete, as its Job got them.
import { DeleteObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { CoreV1Api } from '@kubernetes/client-node';
import { manifestSuffix } from '../../../configstore/types/index.js';
import { s3CredentialKeysOf, s3RegionOf, type S3Object } from '../../api/index.js';

export interface BackupObjects {
  /** Deletes the export and its manifest (absent already: fine, S3 answers the same). */
  delete(namespace: string, object: S3Object): Promise<void>;
}

export function s3BackupObjects(core: CoreV1Api): BackupObjects {
  return {
    async delete(namespace, object) {
      let credentials;
      if (object.credentialsSecretRef) {
        const ref = object.credentialsSecretRef;
        const data = (await core.readNamespacedSecret({ name: ref.name, namespace })).data ?? {};
        const keys = s3CredentialKeysOf(ref);
        const value = (k: string) => Buffer.from(data[k] ?? '', 'base64').toString('utf8');
        credentials = { accessKeyId: value(keys.accessKeyId), secretAccessKey: value(keys.secretAccessKey) };
      }
      const client = new S3Client({
        region: s3RegionOf(object),
        ...(object.endpoint ? { endpoint: object.endpoint, forcePathStyle: true } : {}),
        ...(credentials ? { credentials } : {}),
      });
      try {
        // the manifest (the commit marker) first: an interruption leaves an unmarked export, never a marker without one
        await client.send(new DeleteObjectCommand({ Bucket: object.bucket, Key: `${object.key}${manifestSuffix}` }));
        await client.send(new DeleteObjectCommand({ Bucket: object.bucket, Key: object.key }));
      } finally {
        client.destroy();
      }
    },
  };
}
