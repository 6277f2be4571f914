// Users: unique names; refs are ids or names. A user owns a root project group (created
// with it), tokens and linked accounts (parented by the user) and org memberships.
import { randomUUID } from 'node:crypto';
import { ConflictError, errorCodes } from '../errors.js';
import type { CreateUserRequest, UpdateUserRequest, User } from '../types/user.js';
import type { ListResult } from '../types/list.js';
import type { RequestContext } from '../readdb/readdb.js';
import type { Action } from '../datamanager/wal.js';
import { cascadeLimit, listPage, pageStart, type PageQuery } from './paginate.js';
import { childrenGroup, DataType, idGroup, nameGroup } from './datatypes.js';
import { findUser, memberGroup, userKind } from './lookup.js';
import { allLinkedAccounts, membershipsOf, projectsUsingLinkedAccounts } from './scans.js';
import { checkName } from './namedrefs.js';
import { createRootGroupAction, rootGroupDeletion } from './rootgroups.js';
import { runWrite, type Stores } from './write.js';

function nameTaken(name: string): ConflictError {
  return new ConflictError(`user ${JSON.stringify(name)} already exists`, { code: errorCodes.userExists });
}

export async function createUser(ctx: RequestContext, stores: Stores, req: CreateUserRequest): Promise<User> {
  checkName(userKind, req.name);
  return runWrite(ctx, stores, (tx) => {
    if (tx.getByName(DataType.user, req.name)) throw nameTaken(req.name);
    const user: User = { id: randomUUID(), name: req.name, createdAt: new Date().toISOString() };
    return {
      actions: [{ type: 'put', dataType: DataType.user, id: user.id, data: { ...user } }, createRootGroupAction('user', user.id, 'public')],
      changeGroups: [nameGroup(DataType.user, '', user.name), idGroup(user.id)],
      result: user,
    };
  });
}

export function getUser(ctx: RequestContext, stores: Stores, ref: string): User {
  return stores.readdb.do(ctx, (tx) => findUser(tx, ref));
}

export function listUsers(ctx: RequestContext, stores: Stores, query: PageQuery): ListResult<User> {
  const start = pageStart(query);
  return stores.readdb.do(ctx, (tx) => listPage(tx, DataType.user, null, start, (user) => user));
}

/** Renames a user. Its id, and so everything that refers to it, stays. */
export async function updateUser(ctx: RequestContext, stores: Stores, ref: string, req: UpdateUserRequest): Promise<User> {
  checkName(userKind, req.name);
  return runWrite(ctx, stores, (tx) => {
    const user = findUser(tx, ref);
    const other = tx.getByName(DataType.user, req.name);
    if (other && other.id !== user.id) throw nameTaken(req.name);
    const updated: User = { ...user, name: req.name };
    return {
      actions: [{ type: 'put', dataType: DataType.user, id: user.id, data: { ...updated } }],
      changeGroups: [idGroup(user.id), nameGroup(DataType.user, '', user.name), nameGroup(DataType.user, '', req.name)],
      result: updated,
    };
  });
}

/**
 * Deletes a user with everything it owns, in one write: its root project group (refused
 * with 409 while that holds project groups or projects), tokens, linked accounts (refused
 * while projects, maybe of orgs, use them) and org memberships. Creating any of those
 * checks the user's id group and bumps its children group (a project bumps its linked
 * account's), which this checks: a concurrent creation either lands before (and is
 * deleted or refused here) or fails.
 */
export async function deleteUser(ctx: RequestContext, stores: Stores, ref: string): Promise<void> {
  await runWrite(ctx, stores, (tx) => {
    const user = findUser(tx, ref);
    const root = rootGroupDeletion(tx, user.id);
    if (root.blockedBy) {
      throw new ConflictError(
        `user ${JSON.stringify(user.name)} still owns ${root.blockedBy} project group(s) or project(s) at its top level; delete them first`,
        { code: errorCodes.userHasProjects },
      );
    }
    const actions: Action[] = [{ type: 'delete', dataType: DataType.user, id: user.id }, ...root.actions];
    const changeGroups = [idGroup(user.id), childrenGroup(user.id), nameGroup(DataType.user, '', user.name), ...root.changeGroups];
    for (const t of tx.list(DataType.userToken, { parent: user.id, limit: cascadeLimit })) {
      actions.push({ type: 'delete', dataType: DataType.userToken, id: t.id });
    }
    const accounts = allLinkedAccounts(tx, user.id);
    const projects = projectsUsingLinkedAccounts(tx, new Set(accounts.map((la) => la.id)));
    if (projects) {
      throw new ConflictError(
        `user ${JSON.stringify(user.name)} has linked accounts used by ${projects} project(s); give them another linked account or delete them first`,
        { code: errorCodes.linkedAccountInUse },
      );
    }
    for (const la of accounts) {
      actions.push({ type: 'delete', dataType: DataType.linkedAccount, id: la.id });
      changeGroups.push(idGroup(la.id), childrenGroup(la.id));
    }
    for (const m of membershipsOf(tx, user.id)) {
      actions.push({ type: 'delete', dataType: DataType.orgMember, id: m.member.id });
      changeGroups.push(memberGroup(m.org.id, user.id));
    }
    return { actions, changeGroups, result: undefined };
  });
}
