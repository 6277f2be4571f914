// /api/v1alpha/projectgroups (refs: URL-encoded ids or paths like org%2Facme%2Fteam)
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { createProjectGroup, deleteProjectGroup, getProjectGroup, listSubgroups, updateProjectGroup } from '../action/projectgroups.js';
import { listGroupProjects } from '../action/projects.js';
import type { Stores } from '../action/write.js';
import { contextOf } from './context.js';
import { ListQuery, ListResponse } from '../types/list.js';
import { Project } from '../types/project.js';
import { CreateProjectGroupRequest, ProjectGroup, ProjectGroupRef, UpdateProjectGroupRequest } from '../types/projectgroup.js';

const Ref = Type.Object({ ref: ProjectGroupRef });

export const projectGroupsRoutes: FastifyPluginAsyncTypebox<{ stores: Stores }> = async (app, { stores }) => {
  app.post('/projectgroups', { schema: { body: CreateProjectGroupRequest, response: { 201: ProjectGroup } } }, async (req, reply) => {
    const group = await createProjectGroup(contextOf(reply), stores, req.body);
    return reply.status(201).send(group);
  });
  app.get('/projectgroups/:ref', { schema: { params: Ref, response: { 200: ProjectGroup } } }, async (req, reply) =>
    getProjectGroup(contextOf(reply), stores, req.params.ref),
  );
  app.put('/projectgroups/:ref', { schema: { params: Ref, body: UpdateProjectGroupRequest, response: { 200: ProjectGroup } } }, async (req, reply) =>
    updateProjectGroup(contextOf(reply), stores, req.params.ref, req.body),
  );
  app.delete('/projectgroups/:ref', { schema: { params: Ref } }, async (req, reply) => {
    await deleteProjectGroup(contextOf(reply), stores, req.params.ref);
    return reply.status(204).send();
  });
  app.get(
    '/projectgroups/:ref/subgroups',
    { schema: { params: Ref, querystring: ListQuery, response: { 200: ListResponse(ProjectGroup) } } },
    async (req, reply) => listSubgroups(contextOf(reply), stores, req.params.ref, req.query),
  );
  app.get('/projectgroups/:ref/projects', { schema: { params: Ref, querystring: ListQuery, response: { 200: ListResponse(Project) } } }, async (req, reply) =>
    listGroupProjects(contextOf(reply), stores, req.params.ref, req.query),
  );
};
