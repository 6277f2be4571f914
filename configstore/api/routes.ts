// Every resource's routes under /api/v1alpha: one fastify plugin per resource.
import type { FastifyInstance } from 'fastify';
import type { Stores } from '../action/write.js';
import { usersRoutes } from './users.js';
import { orgsRoutes } from './orgs.js';
import { remoteSourcesRoutes } from './remotesources.js';
import { projectGroupsRoutes } from './projectgroups.js';
import { projectsRoutes } from './projects.js';
import { secretsRoutes } from './secrets.js';
import { variablesRoutes } from './variables.js';

export async function registerResourceRoutes(app: FastifyInstance, stores: Stores): Promise<void> {
  const opts = { prefix: '/api/v1alpha', stores };
  await app.register(usersRoutes, opts);
  // orgs, members, remote sources, tokens, linked accounts
  await app.register(orgsRoutes, opts);
  await app.register(remoteSourcesRoutes, opts);
  // project groups, projects, secrets, variables
  await app.register(projectGroupsRoutes, opts);
  await app.register(projectsRoutes, opts);
  await app.register(secretsRoutes, opts);
  await app.register(variablesRoutes, opts);
  // export (admin, always on): reads the snapshot in object storage, not the read model
}
