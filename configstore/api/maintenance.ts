// /api/v1alpha/maintenance: turns maintenance on and off for the whole cluster and reports
// what every live instance says (action/maintenance.ts). Admin routes, answering in every mode.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Etcd3 } from 'etcd3';
import { disableMaintenance, enableMaintenance, maintenanceStatus } from '../action/maintenance.js';
import { etcdKeys } from '../types/etcd.js';
import { DisableMaintenanceQuery, EnableMaintenanceRequest, MaintenanceStatus } from '../types/maintenance.js';

export const maintenanceRoutes: FastifyPluginAsyncTypebox<{ etcd: Etcd3; etcdPrefix: string }> = async (app, { etcd, etcdPrefix }) => {
  const store = { etcd, keys: etcdKeys(etcdPrefix) };
  const config = { admin: true, alwaysOn: true };

  app.get('/maintenance', { config, schema: { response: { 200: MaintenanceStatus } } }, async () => maintenanceStatus(store));

  app.put(
    '/maintenance',
    { config, schema: { body: EnableMaintenanceRequest, response: { 200: MaintenanceStatus, 201: MaintenanceStatus } } },
    async (req, reply) => {
      const { created, status } = await enableMaintenance(store, req.body ?? {}, req.log);
      return reply.status(created ? 201 : 200).send(status);
    },
  );

  app.delete('/maintenance', { config, schema: { querystring: DisableMaintenanceQuery } }, async (req, reply) => {
    await disableMaintenance(store, req.query.owner, req.log);
    return reply.status(204).send();
  });
};
