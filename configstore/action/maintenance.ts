// Maintenance mode for the whole cluster: the etcd key every instance watches (its fence,
// api/maintenance-mode.ts) and what every live instance reports (the registry). What GET, PUT
// and DELETE /api/v1alpha/maintenance do (api/maintenance.ts parses and answers).
import type { Etcd3 } from 'etcd3';
import { ConflictError, errorCodes, UnavailableError } from '../errors.js';
import type { Log } from '../log.js';
import type { etcdKeys } from '../types/etcd.js';
import {
  parseInstanceStatuses,
  parseMaintenanceRequest,
  type EnableMaintenanceRequest,
  type MaintenanceRequest,
  type MaintenanceStatus,
} from '../types/maintenance.js';

/** The cluster's etcd and its key layout. */
export interface MaintenanceStore {
  etcd: Etcd3;
  keys: ReturnType<typeof etcdKeys>;
}

/** Owner and requester recorded when the caller names none. */
const defaultOwner = 'api';

const unreachable = (err: unknown): never => {
  throw new UnavailableError('etcd is unreachable; retry later', { code: errorCodes.etcdUnavailable, cause: err });
};

/** The key and every registry entry, read at one revision. */
export async function maintenanceStatus({ etcd, keys }: MaintenanceStore): Promise<MaintenanceStatus> {
  const head = await etcd.get(keys.maintenance).exec().catch(unreachable);
  const rev = head.header.revision;
  const entries = await etcd.getAll().prefix(keys.instancesPrefix).revision(rev).exec().catch(unreachable);
  const instances = parseInstanceStatuses(entries.kvs.map((kv) => kv.value));
  instances.sort((a, b) => a.id.localeCompare(b.id));
  const kv = head.kvs[0];
  if (!kv) {
    return { requested: false, instances, allInstancesInRequestedMode: instances.length > 0 && instances.every((i) => i.mode === 'normal') };
  }
  const request = parseMaintenanceRequest(kv.value);
  const revision = kv.create_revision;
  return {
    requested: true,
    ...(request.requestedAt ? { since: request.requestedAt } : {}),
    owner: request.owner,
    reason: request.reason,
    requestedBy: request.requestedBy,
    revision,
    instances,
    allInstancesInRequestedMode: instances.length > 0 && instances.every((i) => i.mode === 'maintenance' && i.fenceRevision === revision),
  };
}

/**
 * Turns maintenance on for `body.owner` (default "api"): `created` when the key was put, not
 * when this owner already held it; a 409 when another owner holds it.
 */
export async function enableMaintenance(
  store: MaintenanceStore,
  body: EnableMaintenanceRequest,
  log: Log,
): Promise<{ created: boolean; status: MaintenanceStatus }> {
  const { etcd, keys } = store;
  const owner = body.owner ?? defaultOwner;
  const request: MaintenanceRequest = { requestedAt: new Date().toISOString(), requestedBy: body.requestedBy ?? owner, reason: body.reason ?? '', owner };
  // created only if absent: two callers racing get one 201 and one 200 (or 409)
  const res = await etcd
    .if(keys.maintenance, 'Create', '==', 0)
    .then(etcd.put(keys.maintenance).value(JSON.stringify(request)))
    .else(etcd.get(keys.maintenance))
    .commit()
    .catch(unreachable);
  if (!res.succeeded) {
    const existing = res.responses[0]?.response_range?.kvs?.[0];
    const current = existing ? parseMaintenanceRequest(existing.value).owner : undefined;
    if (existing && current !== owner) {
      throw new ConflictError(`maintenance is already on, owned by ${JSON.stringify(current)}; only that owner can take it over or end it`, {
        code: errorCodes.maintenanceOwnedByOther,
      });
    }
  }
  log.info({ owner, reason: request.reason, created: res.succeeded }, 'maintenance requested');
  return { created: res.succeeded, status: await maintenanceStatus(store) };
}

/** Ends maintenance: whoever owns it when `owner` is undefined, else only if `owner` does (409 otherwise). */
export async function disableMaintenance({ etcd, keys }: MaintenanceStore, owner: string | undefined, log: Log): Promise<void> {
  if (owner === undefined) {
    await etcd.delete().key(keys.maintenance).exec().catch(unreachable);
  } else {
    const head = await etcd.get(keys.maintenance).exec().catch(unreachable);
    const kv = head.kvs[0];
    if (kv) {
      const current = parseMaintenanceRequest(kv.value).owner;
      if (current !== owner) {
        throw new ConflictError(`maintenance is owned by ${JSON.stringify(current)}, not ${JSON.stringify(owner)}`, {
          code: errorCodes.maintenanceOwnedByOther,
        });
      }
      // deleted only if unchanged since read: a new owner in between keeps its maintenance
      const res = await etcd.if(keys.maintenance, 'Mod', '==', kv.mod_revision).then(etcd.delete().key(keys.maintenance)).commit().catch(unreachable);
      if (!res.succeeded) throw new ConflictError('maintenance changed while it was being turned off; retry', { code: errorCodes.concurrentUpdate });
    }
  }
  log.info({ owner }, 'maintenance ended');
}
