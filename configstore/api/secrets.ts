// /api/v1alpha/{projects,projectgroups}/{ref}/secrets[/{name}]
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { createSecret, deleteSecret, listSecrets, updateSecret } from '../action/secrets.js';
import type { Stores } from '../action/write.js';
import { contextOf } from './context.js';
import { ListResponse } from '../types/list.js';
import { ConfigListQuery, CreateSecretRequest, Secret, UpdateSecretRequest } from '../types/secret.js';
import { configParents } from './variables.js';

export const secretsRoutes: FastifyPluginAsyncTypebox<{ stores: Stores }> = async (app, { stores }) => {
  for (const { prefix, parentType, Ref, Named } of configParents) {
    app.get(`/${prefix}/:ref/secrets`, { schema: { params: Ref, querystring: ConfigListQuery, response: { 200: ListResponse(Secret) } } }, async (req, reply) =>
      listSecrets(contextOf(reply), stores, parentType, req.params.ref, req.query),
    );
    app.post(`/${prefix}/:ref/secrets`, { schema: { params: Ref, body: CreateSecretRequest, response: { 201: Secret } } }, async (req, reply) => {
      const secret = await createSecret(contextOf(reply), stores, parentType, req.params.ref, req.body);
      return reply.status(201).send(secret);
    });
    app.put(`/${prefix}/:ref/secrets/:name`, { schema: { params: Named, body: UpdateSecretRequest, response: { 200: Secret } } }, async (req, reply) =>
      updateSecret(contextOf(reply), stores, parentType, req.params.ref, req.params.name, req.body),
    );
    app.delete(`/${prefix}/:ref/secrets/:name`, { schema: { params: Named } }, async (req, reply) => {
      await deleteSecret(contextOf(reply), stores, parentType, req.params.ref, req.params.name);
      return reply.status(204).send();
    });
  }
};
