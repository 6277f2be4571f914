// The ConfigStoreBackupLocation reconciler: every syncIntervalSeconds it lists the folder's
// manifests into ConfigStoreBackup records (owned by the location, so they go with it), reads
// the folder's owner marker, and writes what it found. It never writes into the bucket.
import type { CustomObjectsApi, KubernetesObject } from '@kubernetes/client-node';
import type { Log } from '../../../configstore/log.js';
import type { ConfigStoreBackupLocation, ConfigStoreBackupLocationStatus } from '../../api/index.js';
import { backupLocationKind, group, version } from '../../api/index.js';
import { isConflict, replaceStatus, setKstatusConditions, type KstatusConditions } from '../../kube/status.js';
import type { BackupObjects } from '../backupobjects.js';
import { ownerReference } from '../cluster/desired.js';
import { ignore404 } from '../errors.js';
import { syncInventory } from '../inventory.js';
import { labels } from '../naming.js';

export interface LocationRecorder {
  record(obj: ConfigStoreBackupLocation, type: 'Normal' | 'Warning', reason: string, note: string): void;
}

export interface LocationDeps {
  custom: CustomObjectsApi;
  objects: BackupObjects;
  events: LocationRecorder;
  log: Log;
  now?: () => Date;
}

const locations = { group, version, plural: backupLocationKind.plural };
export const defaultSyncIntervalSeconds = 60;

export class BackupLocationReconciler {
  constructor(private readonly deps: LocationDeps) {}

  async reconcile(namespace: string, name: string): Promise<number | undefined> {
    const location = (await this.deps.custom.getNamespacedCustomObject({ ...locations, namespace, name }).catch(ignore404)) as
      ConfigStoreBackupLocation | undefined;
    if (!location || location.metadata.deletionTimestamp) return undefined;
    const now = this.deps.now?.() ?? new Date();
    const intervalMs = (location.spec.syncIntervalSeconds ?? defaultSyncIntervalSeconds) * 1000;
    const generation = location.metadata.generation ?? 1;
    // its own status write coming back, or a resync: not due yet
    const sinceMs = now.getTime() - Date.parse(location.status?.lastSyncTime ?? '');
    if (location.status?.observedGeneration === generation && sinceMs >= 0 && sinceMs < intervalMs) return intervalMs - sinceMs;
    const status: ConfigStoreBackupLocationStatus = { ...location.status, observedGeneration: generation };
    const place = location.spec.s3;
    const folder = `s3://${place.bucket}/${place.prefix ?? ''}`;
    let states: KstatusConditions;
    try {
      const found = await syncInventory(
        { custom: this.deps.custom, objects: this.deps.objects, now: () => now },
        {
          namespace,
          place,
          label: labels.backupLocation,
          value: name,
          field: 'backupLocation',
          ownerReference: { ...ownerReference(location), controller: false },
        },
      );
      const owner = await this.deps.objects.readOwner(namespace, place);
      if (owner && owner !== 'damaged') status.owner = owner.cluster;
      else delete status.owner;
      Object.assign(status, { lastSyncTime: now.toISOString(), backups: found.backups, missing: found.missing });
      status.message = `${found.backups} backup(s) in ${folder}${found.missing ? `, ${found.missing} gone from the bucket (Missing)` : ''}; listed again every ${intervalMs / 1000} s`;
      states = { Ready: ['True', 'Synced'], Reconciling: ['False', 'Synced'], Stalled: ['False', 'Synced'] };
      if (found.created.length > 0) {
        const shown = found.created.slice(0, 10).join(', ') + (found.created.length > 10 ? `, … (${found.created.length} in all)` : '');
        this.deps.events.record(location, 'Normal', 'BackupsFound', `found in ${folder}: ${shown}`);
      }
    } catch (err) {
      // unreachable, refused credentials, no such bucket: said, and tried again at the next interval
      const message = `could not list ${folder}: ${(err as Error).message}; tried again every ${intervalMs / 1000} s`.slice(0, 4096);
      if (status.message !== message) this.deps.events.record(location, 'Warning', 'SyncFailed', message);
      this.deps.log.warn({ location: name, err: (err as Error).message }, 'backup location sync failed');
      status.message = message;
      states = { Ready: ['False', 'SyncFailed'], Reconciling: ['True', 'SyncFailed'], Stalled: ['False', 'SyncFailed'] };
    }
    status.conditions = setKstatusConditions(status.conditions, states, { message: status.message, observedGeneration: generation }, now);
    await this.writeStatus(location, status);
    return intervalMs;
  }

  private async writeStatus(location: ConfigStoreBackupLocation, status: ConfigStoreBackupLocationStatus): Promise<void> {
    if (JSON.stringify(status) === JSON.stringify(location.status)) return;
    try {
      await replaceStatus(this.deps.custom, locations, location as ConfigStoreBackupLocation & KubernetesObject, status);
    } catch (err) {
      if (!isConflict(err)) throw err; // written since: the next round sees it
    }
  }
}
