// /api/v1alpha/{projects,projectgroups}/{ref}/variables[/{name}]
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { createVariable, deleteVariable, listVariables, updateVariable } from '../action/variables.js';
import type { Stores } from '../action/write.js';
import { contextOf } from './context.js';
import { ListResponse } from '../types/list.js';
import { Name } from '../types/names.js';
import { ProjectRef } from '../types/project.js';
import { ProjectGroupRef } from '../types/projectgroup.js';
import { ConfigListQuery } from '../types/secret.js';
import { CreateVariableRequest, UpdateVariableRequest, Variable } from '../types/variable.js';

/** The two kinds of objects that hold secrets and variables, with their route prefix. */
export const configParents = [
  { prefix: 'projects', parentType: 'project', Ref: Type.Object({ ref: ProjectRef }), Named: Type.Object({ ref: ProjectRef, name: Name }) },
  { prefix: 'projectgroups', parentType: 'projectgroup', Ref: Type.Object({ ref: ProjectGroupRef }), Named: Type.Object({ ref: ProjectGroupRef, name: Name }) },
] as const;

export const variablesRoutes: FastifyPluginAsyncTypebox<{ stores: Stores }> = async (app, { stores }) => {
  for (const { prefix, parentType, Ref, Named } of configParents) {
    app.get(
      `/${prefix}/:ref/variables`,
      { schema: { params: Ref, querystring: ConfigListQuery, response: { 200: ListResponse(Variable) } } },
      async (req, reply) => listVariables(contextOf(reply), stores, parentType, req.params.ref, req.query),
    );
    app.post(`/${prefix}/:ref/variables`, { schema: { params: Ref, body: CreateVariableRequest, response: { 201: Variable } } }, async (req, reply) => {
      const variable = await createVariable(contextOf(reply), stores, parentType, req.params.ref, req.body);
      return reply.status(201).send(variable);
    });
    app.put(`/${prefix}/:ref/variables/:name`, { schema: { params: Named, body: UpdateVariableRequest, response: { 200: Variable } } }, async (req, reply) =>
      updateVariable(contextOf(reply), stores, parentType, req.params.ref, req.params.name, req.body),
    );
    app.delete(`/${prefix}/:ref/variables/:name`, { schema: { params: Named } }, async (req, reply) => {
      await deleteVariable(contextOf(reply), stores, parentType, req.params.ref, req.params.name);
      return reply.status(204).send();
    });
  }
};
