// Whether a schedule may write into its destination folder: the folder's owner marker (written
// by the first export into it) must be absent or name the schedule's cluster. A folder another
// cluster owns gets no runs, so a restored cluster whose schedule still points at its source's
// folder stops at once with a message, rather than failing a Job at every slot.
import type { CustomObjectsApi } from '@kubernetes/client-node';
import { ownedElsewhereMessage, ownerMarkerKey } from '../../../configstore/types/index.js';
import type { ConfigStoreBackupSchedule, ConfigStoreBackupScheduleStatus, ConfigStoreCluster } from '../../api/index.js';
import { clusterKind, group, version } from '../../api/index.js';
import type { BackupObjects } from '../backupobjects.js';
import { ignore404 } from '../errors.js';

type Destination = NonNullable<ConfigStoreBackupScheduleStatus['destination']>;

export interface OwnerCheck {
  destination: Destination;
  /** Why no run may be made (undefined: the folder is free or this cluster's). */
  refusal?: string;
}

const clusters = { group, version, plural: clusterKind.plural };

/** Reads the marker; undefined when the schedule's cluster does not exist (its runs are refused by the maintenance reconciler anyway). */
export async function checkDestinationOwner(
  deps: { custom: CustomObjectsApi; objects: BackupObjects },
  schedule: ConfigStoreBackupSchedule,
  now: Date,
): Promise<OwnerCheck | undefined> {
  const { namespace } = schedule.metadata;
  const cluster = (await deps.custom.getNamespacedCustomObject({ ...clusters, namespace, name: schedule.spec.clusterRef.name }).catch(ignore404)) as
    ConfigStoreCluster | undefined;
  if (!cluster?.metadata.uid) return undefined;
  const place = schedule.spec.destination.s3;
  const prefix = place.prefix ?? '';
  const folder = `s3://${place.bucket}/${prefix}`;
  const markerUrl = `s3://${place.bucket}/${ownerMarkerKey(prefix)}`;
  const owner = await deps.objects.readOwner(namespace, place);
  const checkedAt = now.toISOString();
  if (owner === 'damaged') {
    return {
      destination: { folder, writable: false, checkedAt },
      refusal: `${markerUrl} is not a configstore owner marker (damaged, or written by something else): fix or delete it`,
    };
  }
  if (!owner) return { destination: { folder, writable: true, checkedAt } };
  const destination = { folder, owner: owner.cluster, writable: owner.cluster.uid === cluster.metadata.uid, checkedAt };
  return destination.writable ? { destination } : { destination, refusal: ownedElsewhereMessage(`the destination ${folder}`, owner, markerUrl) };
}
