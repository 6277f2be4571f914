// /api/v1alpha/maintenance: turns maintenance on and off for the whole cluster (the etcd
// key every instance watches) and reports what every live instance says (the registry).
// Admin routes, answering in every mode.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Etcd3 } from 'etcd3';
import { ConflictError, errorCodes, UnavailableError } from '../errors.js';
import { etcdKeys } from '../types/etcd.js';
import {
  DisableMaintenanceQuery,
  EnableMaintenanceRequest,
  MaintenanceStatus,
  parseInstanceStatuses,
  parseMaintenanceRequest,
  type MaintenanceRequest,
} from '../types/maintenance.js';

/** Owner and requester recorded when the caller names none. */
const defaultOwner = 'api';

export const maintenanceRoutes: FastifyPluginAsyncTypebox<{ etcd: Etcd3; etcdPrefix: string }> = async (app, { etcd, etcdPrefix }) => {
  const keys = etcdKeys(etcdPrefix);
  const config = { admin: true, alwaysOn: true };
  const unreachable = (err: unknown) => {
    throw new UnavailableError('etcd is unreachable; retry later', { code: errorCodes.etcdUnavailable, cause: err });
  };

  /** The key and every registry entry, read at one revision. */
  async function status(): Promise<MaintenanceStatus> {
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

  app.get('/maintenance', { config, schema: { response: { 200: MaintenanceStatus } } }, async () => status());

  app.put('/maintenance', { config, schema: { body: EnableMaintenanceRequest, response: { 200: MaintenanceStatus, 201: MaintenanceStatus } } }, async (req, reply) => {
    const body = req.body ?? {};
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
    req.log.info({ owner, reason: request.reason, created: res.succeeded }, 'maintenance requested');
    return reply.status(res.succeeded ? 201 : 200).send(await status());
  });

  app.delete('/maintenance', { config, schema: { querystring: DisableMaintenanceQuery } }, async (req, reply) => {
    const owner = req.query.owner;
    if (owner === undefined) {
      await etcd.delete().key(keys.maintenance).exec().catch(unreachable);
    } else {
      const head = await etcd.get(keys.maintenance).exec().catch(unreachable);
      const kv = head.kvs[0];
      if (kv) {
        const current = parseMaintenanceRequest(kv.value).owner;
        if (current !== owner) {
          throw new ConflictError(`maintenance is owned by ${JSON.stringify(current)}, not ${JSON.stringify(owner)}`, { code: errorCodes.maintenanceOwnedByOther });
        }
        // deleted only if unchanged since read: a new owner in between keeps its maintenance
        const res = await etcd.if(keys.maintenance, 'Mod', '==', kv.mod_revision).then(etcd.delete().key(keys.maintenance)).commit().catch(unreachable);
        if (!res.succeeded) throw new ConflictError('maintenance changed while it was being turned off; retry', { code: errorCodes.concurrentUpdate });
      }
    }
    req.log.info({ owner }, 'maintenance ended');
    return reply.status(204).send();
  });
};

/** A key written by hand or by an older operator may lack fields: fill them in. */
