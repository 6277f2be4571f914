// /api/v1alpha/orgs and their members
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { listOrgMembers, removeOrgMember, setOrgMember } from '../action/members.js';
import { createOrg, deleteOrg, getOrg, listOrgs, updateOrg } from '../action/orgs.js';
import type { Stores } from '../action/write.js';
import { contextOf } from './context.js';
import { ListQuery, ListResponse } from '../types/list.js';
import { NamedRef } from '../types/names.js';
import { CreateOrgRequest, Org, OrgMember, SetOrgMemberRequest, UpdateOrgRequest } from '../types/org.js';

const Ref = Type.Object({ ref: NamedRef });
const MemberParams = Type.Object({ ref: NamedRef, userRef: NamedRef });

export const orgsRoutes: FastifyPluginAsyncTypebox<{ stores: Stores }> = async (app, { stores }) => {
  app.post('/orgs', { schema: { body: CreateOrgRequest, response: { 201: Org } } }, async (req, reply) => {
    const org = await createOrg(contextOf(reply), stores, req.body);
    return reply.status(201).send(org);
  });
  app.get('/orgs', { schema: { querystring: ListQuery, response: { 200: ListResponse(Org) } } }, async (req, reply) =>
    listOrgs(contextOf(reply), stores, req.query),
  );
  app.get('/orgs/:ref', { schema: { params: Ref, response: { 200: Org } } }, async (req, reply) => getOrg(contextOf(reply), stores, req.params.ref));
  app.put('/orgs/:ref', { schema: { params: Ref, body: UpdateOrgRequest, response: { 200: Org } } }, async (req, reply) =>
    updateOrg(contextOf(reply), stores, req.params.ref, req.body),
  );
  app.delete('/orgs/:ref', { schema: { params: Ref } }, async (req, reply) => {
    await deleteOrg(contextOf(reply), stores, req.params.ref);
    return reply.status(204).send();
  });

  app.get('/orgs/:ref/members', { schema: { params: Ref, querystring: ListQuery, response: { 200: ListResponse(OrgMember) } } }, async (req, reply) =>
    listOrgMembers(contextOf(reply), stores, req.params.ref, req.query),
  );
  app.put(
    '/orgs/:ref/members/:userRef',
    { schema: { params: MemberParams, body: SetOrgMemberRequest, response: { 200: OrgMember, 201: OrgMember } } },
    async (req, reply) => {
      const { member, created } = await setOrgMember(contextOf(reply), stores, req.params.ref, req.params.userRef, req.body.role);
      return reply.status(created ? 201 : 200).send(member);
    },
  );
  app.delete('/orgs/:ref/members/:userRef', { schema: { params: MemberParams } }, async (req, reply) => {
    await removeOrgMember(contextOf(reply), stores, req.params.ref, req.params.userRef);
    return reply.status(204).send();
  });
};
