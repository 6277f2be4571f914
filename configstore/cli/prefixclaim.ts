// Before an export to S3 streams anything: the destination's folder must be unowned (then this
// cluster claims it, write-if-absent, so two first exports cannot both win) or owned by this
// cluster. Another owner is bad input (exit code 2), and nothing is written.
import { isKind } from '../errors.js';
import { readAll, type ObjectStorage } from '../objectstorage/index.js';
import {
  folderOf,
  ownedElsewhereMessage,
  ownerMarkerKey,
  parsePrefixOwner,
  prefixOwnerKind,
  prefixOwnerVersion,
  type PrefixOwner,
} from '../types/prefixowner.js';
import { UsageError } from './usage.js';

export interface ClaimTarget {
  storage: ObjectStorage;
  bucket: string;
  key: string;
}

/** Claims (or confirms) the folder of `target.key` for `cluster`; 'claimed' when this call wrote the marker. */
export async function claimFolder(target: ClaimTarget, cluster: PrefixOwner['cluster'], now = new Date()): Promise<'claimed' | 'owned'> {
  const folder = folderOf(target.key);
  const markerKey = ownerMarkerKey(folder);
  const markerUrl = `s3://${target.bucket}/${markerKey}`;
  const where = `the folder s3://${target.bucket}/${folder}`;
  for (let attempt = 0; ; attempt++) {
    const owner = await readOwner(target.storage, markerKey, markerUrl);
    if (owner) {
      if (owner.cluster.uid === cluster.uid) return 'owned';
      throw new UsageError(ownedElsewhereMessage(where, owner, markerUrl));
    }
    const marker: PrefixOwner = { kind: prefixOwnerKind, version: prefixOwnerVersion, prefix: folder, cluster, claimedAt: now.toISOString() };
    try {
      await target.storage.put(markerKey, JSON.stringify(marker, null, 2) + '\n', { ifAbsent: true });
      return 'claimed';
    } catch (err) {
      // another export claimed it between the read and the write: read who (once)
      if (!isKind(err, 'Conflict') || attempt > 0) throw err;
    }
  }
}

async function readOwner(storage: ObjectStorage, key: string, url: string): Promise<PrefixOwner | undefined> {
  let text: string;
  try {
    text = (await readAll(storage, key)).toString('utf8');
  } catch (err) {
    if (isKind(err, 'NotFound')) return undefined;
    throw err;
  }
  const owner = parsePrefixOwner(text);
  if (!owner) throw new UsageError(`${url} is not a configstore owner marker (damaged, or written by something else): fix or delete it, then export again`);
  return owner;
}
