// /api/v1alpha/projects (refs: URL-encoded ids or paths like org%2Facme%2Fteam%2Fapp)
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { createProject, deleteProject, getProject, updateProject } from '../action/projects.js';
import type { Stores } from '../action/write.js';
import { contextOf } from './context.js';
import { CreateProjectRequest, Project, ProjectRef, UpdateProjectRequest } from '../types/project.js';

const Ref = Type.Object({ ref: ProjectRef });

export const projectsRoutes: FastifyPluginAsyncTypebox<{ stores: Stores }> = async (app, { stores }) => {
  app.post('/projects', { schema: { body: CreateProjectRequest, response: { 201: Project } } }, async (req, reply) => {
    const project = await createProject(contextOf(reply), stores, req.body);
    return reply.status(201).send(project);
  });
  app.get('/projects/:ref', { schema: { params: Ref, response: { 200: Project } } }, async (req, reply) =>
    getProject(contextOf(reply), stores, req.params.ref),
  );
  app.put('/projects/:ref', { schema: { params: Ref, body: UpdateProjectRequest, response: { 200: Project } } }, async (req, reply) =>
    updateProject(contextOf(reply), stores, req.params.ref, req.body),
  );
  app.delete('/projects/:ref', { schema: { params: Ref } }, async (req, reply) => {
    await deleteProject(contextOf(reply), stores, req.params.ref);
    return reply.status(204).send();
  });
};
