// Orgs: unique names; each owns a root project group (created with it, same visibility)
// and members. Creating an org with a creator makes that user its first owner.
import { randomUUID } from 'node:crypto';
import { ConflictError, errorCodes } from '../errors.js';
import type { ListResult } from '../types/list.js';
import type { CreateOrgRequest, Org, UpdateOrgRequest } from '../types/org.js';
import type { RequestContext } from '../readdb/readdb.js';
import type { Action } from '../datamanager/wal.js';
import { childrenGroup, DataType, idGroup, nameGroup } from './datatypes.js';
import { findOrg, findUser, memberAction, orgKind } from './lookup.js';
import { checkName } from './namedrefs.js';
import { listPage, pageStart, type PageQuery } from './paginate.js';
import { createRootGroupAction, findRootGroup, rootGroupDeletion } from './rootgroups.js';
import { childrenOf } from './scans.js';
import { runWrite, type Stores } from './write.js';

function nameTaken(name: string): ConflictError {
  return new ConflictError(`org ${JSON.stringify(name)} already exists`, { code: errorCodes.orgExists });
}

export async function createOrg(ctx: RequestContext, stores: Stores, req: CreateOrgRequest): Promise<Org> {
  checkName(orgKind, req.name);
  return runWrite(ctx, stores, (tx) => {
    if (tx.getByName(DataType.org, req.name)) throw nameTaken(req.name);
    const creator = req.creatorUserRef === undefined ? undefined : findUser(tx, req.creatorUserRef);
    const org: Org = {
      id: randomUUID(),
      name: req.name,
      visibility: req.visibility,
      ...(creator ? { creatorUserId: creator.id } : {}),
      createdAt: new Date().toISOString(),
    };
    const actions: Action[] = [{ type: 'put', dataType: DataType.org, id: org.id, data: { ...org } }, createRootGroupAction('org', org.id, org.visibility)];
    const changeGroups = [nameGroup(DataType.org, '', org.name), idGroup(org.id)];
    if (!creator) return { actions, changeGroups, result: org };
    actions.push(memberAction(org.id, creator.id, 'owner'));
    // the membership refers to the creator: it must still exist, and its deletion checks its children group
    return { actions, changeGroups, checkGroups: [idGroup(creator.id)], touchGroups: [childrenGroup(creator.id)], result: org };
  });
}

export function getOrg(ctx: RequestContext, stores: Stores, ref: string): Org {
  return stores.readdb.do(ctx, (tx) => findOrg(tx, ref));
}

export function listOrgs(ctx: RequestContext, stores: Stores, query: PageQuery): ListResult<Org> {
  const start = pageStart(query);
  return stores.readdb.do(ctx, (tx) => listPage(tx, DataType.org, null, start, (org) => org));
}

/** Renames and/or changes the visibility; the root project group follows the visibility. */
export async function updateOrg(ctx: RequestContext, stores: Stores, ref: string, req: UpdateOrgRequest): Promise<Org> {
  if (req.name !== undefined) checkName(orgKind, req.name);
  return runWrite(ctx, stores, (tx) => {
    const org = findOrg(tx, ref);
    const updated: Org = {
      ...org,
      ...(req.name === undefined ? {} : { name: req.name }),
      ...(req.visibility === undefined ? {} : { visibility: req.visibility }),
    };
    const other = tx.getByName(DataType.org, updated.name);
    if (other && other.id !== org.id) throw nameTaken(updated.name);
    const actions: Action[] = [{ type: 'put', dataType: DataType.org, id: org.id, data: { ...updated } }];
    const changeGroups = [idGroup(org.id), nameGroup(DataType.org, '', org.name), nameGroup(DataType.org, '', updated.name)];
    const root = findRootGroup(tx, org.id);
    if (root && root.visibility !== updated.visibility) {
      actions.push({ type: 'put', dataType: DataType.projectGroup, id: root.id, data: { ...root, visibility: updated.visibility } });
      changeGroups.push(idGroup(root.id));
    }
    return { actions, changeGroups, result: updated };
  });
}

/**
 * Deletes the org, its members and its root project group (+ the root's secrets and
 * variables) in one write; refused with 409 while the root holds groups or projects.
 * Checks the org's and the root's children groups: a member added or a group created
 * meanwhile makes this retry (and delete or refuse it).
 */
export async function deleteOrg(ctx: RequestContext, stores: Stores, ref: string): Promise<void> {
  await runWrite(ctx, stores, (tx) => {
    const org = findOrg(tx, ref);
    const root = rootGroupDeletion(tx, org.id);
    if (root.blockedBy) {
      throw new ConflictError(
        `org ${JSON.stringify(org.name)} still owns ${root.blockedBy} project group(s) or project(s) at its top level; delete them first`,
        {
          code: errorCodes.orgHasProjects,
        },
      );
    }
    const actions: Action[] = [{ type: 'delete', dataType: DataType.org, id: org.id }, ...root.actions];
    for (const m of childrenOf(tx, DataType.orgMember, org.id)) actions.push({ type: 'delete', dataType: DataType.orgMember, id: m.id });
    return { actions, changeGroups: [idGroup(org.id), childrenGroup(org.id), nameGroup(DataType.org, '', org.name), ...root.changeGroups], result: undefined };
  });
}
