// /api/v1alpha/users, with their tokens, linked accounts and orgs
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { createLinkedAccount, deleteLinkedAccount, getLinkedAccount, listLinkedAccounts, updateLinkedAccount } from '../action/linkedaccounts.js';
import { listUserOrgs } from '../action/members.js';
import { createUserToken, deleteUserToken, listUserTokens } from '../action/tokens.js';
import { createUser, deleteUser, getUser, listUsers, updateUser } from '../action/users.js';
import type { Stores } from '../action/write.js';
import { contextOf } from './context.js';
import { CreateLinkedAccountRequest, LinkedAccount, UpdateLinkedAccountRequest } from '../types/linkedaccount.js';
import { ListQuery, ListResponse } from '../types/list.js';
import { Name, NamedRef, Uuid } from '../types/names.js';
import { UserOrg } from '../types/org.js';
import { CreatedUserToken, CreateUserTokenRequest, UserToken } from '../types/token.js';
import { CreateUserRequest, UpdateUserRequest, User } from '../types/user.js';

const Ref = Type.Object({ ref: NamedRef });
const TokenParams = Type.Object({ ref: NamedRef, name: Name });
const LinkedAccountParams = Type.Object({ ref: NamedRef, id: Uuid });

export const usersRoutes: FastifyPluginAsyncTypebox<{ stores: Stores }> = async (app, { stores }) => {
  app.post('/users', { schema: { body: CreateUserRequest, response: { 201: User } } }, async (req, reply) => {
    const user = await createUser(contextOf(reply), stores, req.body);
    return reply.status(201).send(user);
  });
  app.get('/users', { schema: { querystring: ListQuery, response: { 200: ListResponse(User) } } }, async (req, reply) =>
    listUsers(contextOf(reply), stores, req.query),
  );
  app.get('/users/:ref', { schema: { params: Ref, response: { 200: User } } }, async (req, reply) => getUser(contextOf(reply), stores, req.params.ref));
  app.put('/users/:ref', { schema: { params: Ref, body: UpdateUserRequest, response: { 200: User } } }, async (req, reply) =>
    updateUser(contextOf(reply), stores, req.params.ref, req.body),
  );
  app.delete('/users/:ref', { schema: { params: Ref } }, async (req, reply) => {
    await deleteUser(contextOf(reply), stores, req.params.ref);
    return reply.status(204).send();
  });

  app.post('/users/:ref/tokens', { schema: { params: Ref, body: CreateUserTokenRequest, response: { 201: CreatedUserToken } } }, async (req, reply) => {
    const token = await createUserToken(contextOf(reply), stores, req.params.ref, req.body);
    return reply.status(201).send(token);
  });
  app.get('/users/:ref/tokens', { schema: { params: Ref, querystring: ListQuery, response: { 200: ListResponse(UserToken) } } }, async (req, reply) =>
    listUserTokens(contextOf(reply), stores, req.params.ref, req.query),
  );
  app.delete('/users/:ref/tokens/:name', { schema: { params: TokenParams } }, async (req, reply) => {
    await deleteUserToken(contextOf(reply), stores, req.params.ref, req.params.name);
    return reply.status(204).send();
  });

  app.post(
    '/users/:ref/linkedaccounts',
    { schema: { params: Ref, body: CreateLinkedAccountRequest, response: { 201: LinkedAccount } } },
    async (req, reply) => {
      const la = await createLinkedAccount(contextOf(reply), stores, req.params.ref, req.body);
      return reply.status(201).send(la);
    },
  );
  app.get(
    '/users/:ref/linkedaccounts',
    { schema: { params: Ref, querystring: ListQuery, response: { 200: ListResponse(LinkedAccount) } } },
    async (req, reply) => listLinkedAccounts(contextOf(reply), stores, req.params.ref, req.query),
  );
  app.get('/users/:ref/linkedaccounts/:id', { schema: { params: LinkedAccountParams, response: { 200: LinkedAccount } } }, async (req, reply) =>
    getLinkedAccount(contextOf(reply), stores, req.params.ref, req.params.id),
  );
  app.put(
    '/users/:ref/linkedaccounts/:id',
    { schema: { params: LinkedAccountParams, body: UpdateLinkedAccountRequest, response: { 200: LinkedAccount } } },
    async (req, reply) => updateLinkedAccount(contextOf(reply), stores, req.params.ref, req.params.id, req.body),
  );
  app.delete('/users/:ref/linkedaccounts/:id', { schema: { params: LinkedAccountParams } }, async (req, reply) => {
    await deleteLinkedAccount(contextOf(reply), stores, req.params.ref, req.params.id);
    return reply.status(204).send();
  });

  app.get('/users/:ref/orgs', { schema: { params: Ref, querystring: ListQuery, response: { 200: ListResponse(UserOrg) } } }, async (req, reply) =>
    listUserOrgs(contextOf(reply), stores, req.params.ref, req.query),
  );
};
