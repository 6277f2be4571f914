// /api/v1alpha/users
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { createUser, deleteUser, getUser, listUsers } from '../action/users.js';
import type { Stores } from '../action/write.js';
import { contextOf } from './context.js';
import { ListQuery, ListResponse } from '../types/list.js';
import { CreateUserRequest, User } from '../types/user.js';

const Ref = Type.Object({ ref: Type.String({ minLength: 1, maxLength: 256 }) });

export const usersRoutes: FastifyPluginAsyncTypebox<{ stores: Stores }> = async (app, { stores }) => {
  app.post('/users', { schema: { body: CreateUserRequest, response: { 201: User } } }, async (req, reply) => {
    const user = await createUser(contextOf(reply), stores, req.body);
    return reply.status(201).send(user);
  });
  app.get('/users', { schema: { querystring: ListQuery, response: { 200: ListResponse(User) } } }, async (req, reply) =>
    listUsers(contextOf(reply), stores, req.query),
  );
  app.get('/users/:ref', { schema: { params: Ref, response: { 200: User } } }, async (req, reply) => getUser(contextOf(reply), stores, req.params.ref));
  app.delete('/users/:ref', { schema: { params: Ref } }, async (req, reply) => {
    await deleteUser(contextOf(reply), stores, req.params.ref);
    return reply.status(204).send();
  });
};
