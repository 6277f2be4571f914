// /api/v1alpha/remotesources
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { createRemoteSource, deleteRemoteSource, getRemoteSource, listRemoteSources, updateRemoteSource } from '../action/remotesources.js';
import type { Stores } from '../action/write.js';
import { contextOf } from './context.js';
import { ListQuery, ListResponse } from '../types/list.js';
import { NamedRef } from '../types/names.js';
import { CreateRemoteSourceRequest, RemoteSource, UpdateRemoteSourceRequest } from '../types/remotesource.js';

const Ref = Type.Object({ ref: NamedRef });

export const remoteSourcesRoutes: FastifyPluginAsyncTypebox<{ stores: Stores }> = async (app, { stores }) => {
  app.post('/remotesources', { schema: { body: CreateRemoteSourceRequest, response: { 201: RemoteSource } } }, async (req, reply) => {
    const rs = await createRemoteSource(contextOf(reply), stores, req.body);
    return reply.status(201).send(rs);
  });
  app.get('/remotesources', { schema: { querystring: ListQuery, response: { 200: ListResponse(RemoteSource) } } }, async (req, reply) =>
    listRemoteSources(contextOf(reply), stores, req.query),
  );
  app.get('/remotesources/:ref', { schema: { params: Ref, response: { 200: RemoteSource } } }, async (req, reply) =>
    getRemoteSource(contextOf(reply), stores, req.params.ref),
  );
  app.put('/remotesources/:ref', { schema: { params: Ref, body: UpdateRemoteSourceRequest, response: { 200: RemoteSource } } }, async (req, reply) =>
    updateRemoteSource(contextOf(reply), stores, req.params.ref, req.body),
  );
  app.delete('/remotesources/:ref', { schema: { params: Ref } }, async (req, reply) => {
    await deleteRemoteSource(contextOf(reply), stores, req.params.ref);
    return reply.status(204).send();
  });
};
