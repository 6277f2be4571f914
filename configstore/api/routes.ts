// Every resource's routes under /api/v1alpha: one fastify plugin per resource.
import type { FastifyInstance } from 'fastify';
import type { Stores } from '../action/write.js';
import { usersRoutes } from './users.js';
import { orgsRoutes } from './orgs.js';
import { remoteSourcesRoutes } from './remotesources.js';

export async function registerResourceRoutes(app: FastifyInstance, stores: Stores): Promise<void> {
  const opts = { prefix: '/api/v1alpha', stores };
  await app.register(usersRoutes, opts);
  // orgs, members, remote sources, tokens, linked accounts
  await app.register(orgsRoutes, opts);
  await app.register(remoteSourcesRoutes, opts);
  // project groups, projects, secrets, variables
}
