// Project groups: a tree under each owner's root group. Names are unique within a parent
// among groups and projects together (one name change group for both); moves stay within
// one owner and never into the group itself or below it; deletion needs an empty group.
// Creating a child (group, project, secret, variable) checks the parent's id group and
// bumps its children group; deleting or moving a group checks and bumps both. So siblings
// created at once never conflict, while a child and its parent's deletion never both commit.
import { randomUUID } from 'node:crypto';
import { BadRequestError, ConflictError, errorCodes } from '../errors.js';
import { nameProblem } from '../types/names.js';
import type { CreateProjectGroupRequest, ProjectGroup, UpdateProjectGroupRequest } from '../types/projectgroup.js';
import type { ListResult } from '../types/list.js';
import type { RequestContext } from '../readdb/readdb.js';
import type { Action } from '../datamanager/wal.js';
import { cascadeLimit, listPage, pageStart, type PageQuery } from './paginate.js';
import { childrenGroup, DataType, idGroup, nameGroup } from './datatypes.js';
import { childLocation, groupLocation, isRootGroup, resolveGroup, type GroupData, type Location } from './paths.js';
import { runWrite, type Stores } from './write.js';
import type { Tx } from './storeddata.js';

/** The change group of a name among the groups and projects of one parent. */
export const treeNameGroup = (parentId: string, name: string) => nameGroup(DataType.projectGroup, parentId, name);

/** 409 when a group or a project under `parentId` already has `name`. */
export function checkTreeNameFree(tx: Tx, parentId: string, parentPath: string, name: string): void {
  const path = JSON.stringify(`${parentPath}/${name}`);
  if (tx.getByName(DataType.projectGroup, name, parentId))
    throw new ConflictError(`project group ${path} already exists`, { code: errorCodes.projectGroupExists });
  if (tx.getByName(DataType.project, name, parentId)) throw new ConflictError(`project ${path} already exists`, { code: errorCodes.projectExists });
}

export function checkName(kind: string, name: string): void {
  const problem = nameProblem(name);
  if (problem) throw new BadRequestError(`invalid ${kind} name ${JSON.stringify(name)}: ${problem}`, { code: errorCodes.invalidName });
}

/**
 * Deletions of the secrets and variables of `parentId`. No change group per item: every
 * item write checks its parent's id group, which the parent's deletion bumps, and one
 * group per item would push a big cascade past etcd's limit of 128 operations per txn.
 */
export function configItemsDeletion(tx: Tx, parentId: string): { actions: Action[]; changeGroups: string[] } {
  const actions: Action[] = [];
  for (const type of [DataType.secret, DataType.variable]) {
    for (const o of tx.list(type, { parent: parentId, limit: cascadeLimit })) actions.push({ type: 'delete', dataType: type, id: o.id });
  }
  return { actions, changeGroups: [] };
}

export function groupView(group: GroupData, loc: Location): ProjectGroup {
  const { ancestors: _ancestors, ...where } = loc;
  return { ...group, ...where };
}

export async function createProjectGroup(ctx: RequestContext, stores: Stores, req: CreateProjectGroupRequest): Promise<ProjectGroup> {
  checkName('project group', req.name);
  return runWrite(ctx, stores, (tx) => {
    const parent = resolveGroup(tx, req.parentRef);
    const parentLoc = groupLocation(tx, parent);
    checkTreeNameFree(tx, parent.id, parentLoc.path, req.name);
    const group: GroupData = {
      id: randomUUID(),
      name: req.name,
      parentType: 'projectgroup',
      parentId: parent.id,
      visibility: req.visibility,
      createdAt: new Date().toISOString(),
    };
    return {
      actions: [{ type: 'put', dataType: DataType.projectGroup, id: group.id, data: { ...group } }],
      changeGroups: [treeNameGroup(parent.id, group.name), idGroup(group.id)],
      // a concurrent delete or move of the parent conflicts (the result's path depends on it too)
      checkGroups: [idGroup(parent.id)],
      touchGroups: [childrenGroup(parent.id)],
      result: groupView(group, childLocation(parent, parentLoc, group.name, group.visibility)),
    };
  });
}

export function getProjectGroup(ctx: RequestContext, stores: Stores, ref: string): ProjectGroup {
  return stores.readdb.do(ctx, (tx) => {
    const group = resolveGroup(tx, ref);
    return groupView(group, groupLocation(tx, group));
  });
}

export async function updateProjectGroup(ctx: RequestContext, stores: Stores, ref: string, req: UpdateProjectGroupRequest): Promise<ProjectGroup> {
  if (req.name !== undefined) checkName('project group', req.name);
  return runWrite(ctx, stores, (tx) => {
    const group = resolveGroup(tx, ref);
    const loc = groupLocation(tx, group);
    if (isRootGroup(group) && (req.name !== undefined || req.parentRef !== undefined)) {
      throw new BadRequestError(`project group ${JSON.stringify(loc.path)} is a root project group: it cannot be renamed or moved`, {
        code: errorCodes.rootProjectGroup,
      });
    }
    const updated: GroupData = { ...group, name: req.name ?? group.name, visibility: req.visibility ?? group.visibility };
    const changeGroups = [idGroup(group.id)];
    const checkGroups: string[] = [];
    const touchGroups: string[] = [];
    let newLoc = loc;
    if (!isRootGroup(group)) {
      const parent = req.parentRef === undefined ? loc.ancestors[0]! : resolveGroup(tx, req.parentRef);
      const parentLoc = parent.id === group.parentId ? groupLocation(tx, parent) : checkMove(tx, group, loc, parent);
      const parentChain = [parent, ...parentLoc.ancestors].map((g) => idGroup(g.id));
      if (parent.id !== group.parentId || updated.name !== group.name) {
        checkTreeNameFree(tx, parent.id, parentLoc.path, updated.name);
        changeGroups.push(treeNameGroup(group.parentId, group.name), treeNameGroup(parent.id, updated.name));
        // the returned path is read from the parent chain
        checkGroups.push(...parentChain);
      }
      if (parent.id !== group.parentId) {
        // A move checks and bumps the group's own groups, its old parent and the whole new
        // parent chain: a concurrent move of one of those could make a cycle. It enters the
        // new parent as a child does (bumps its children group: the parent's deletion conflicts).
        changeGroups.push(childrenGroup(group.id), idGroup(group.parentId), ...parentChain);
        touchGroups.push(childrenGroup(parent.id));
      }
      updated.parentId = parent.id;
      newLoc = childLocation(parent, parentLoc, updated.name, updated.visibility);
    } else {
      newLoc = { ...loc, globalVisibility: updated.visibility };
    }
    return {
      actions: [{ type: 'put', dataType: DataType.projectGroup, id: group.id, data: { ...updated } }],
      changeGroups,
      checkGroups,
      touchGroups,
      result: groupView(updated, newLoc),
    };
  });
}

/** The new parent's location, after refusing moves to another owner or into the group's own subtree. */
function checkMove(tx: Tx, group: GroupData, loc: Location, parent: GroupData): Location {
  const parentLoc = groupLocation(tx, parent);
  if (parent.id === group.id || parentLoc.ancestors.some((a) => a.id === group.id)) {
    throw new BadRequestError(`cannot move project group ${JSON.stringify(loc.path)} into itself or one of its subgroups (${JSON.stringify(parentLoc.path)})`, {
      code: errorCodes.invalidMove,
    });
  }
  if (parentLoc.ownerId !== loc.ownerId) {
    throw new BadRequestError(`cannot move project group ${JSON.stringify(loc.path)} to another owner (${JSON.stringify(parentLoc.path)})`, {
      code: errorCodes.invalidMove,
    });
  }
  return parentLoc;
}

export async function deleteProjectGroup(ctx: RequestContext, stores: Stores, ref: string): Promise<void> {
  await runWrite(ctx, stores, (tx) => {
    const group = resolveGroup(tx, ref);
    const loc = groupLocation(tx, group);
    if (isRootGroup(group)) {
      throw new BadRequestError(`project group ${JSON.stringify(loc.path)} is a root project group: delete its ${loc.ownerType} instead`, {
        code: errorCodes.rootProjectGroup,
      });
    }
    const groups = tx.count(DataType.projectGroup, group.id);
    const projects = tx.count(DataType.project, group.id);
    if (groups + projects > 0) {
      throw new ConflictError(`project group ${JSON.stringify(loc.path)} is not empty (${groups} subgroups, ${projects} projects): delete or move them first`, {
        code: errorCodes.projectGroupNotEmpty,
      });
    }
    const items = configItemsDeletion(tx, group.id);
    return {
      actions: [{ type: 'delete', dataType: DataType.projectGroup, id: group.id }, ...items.actions],
      // its children group: a child created or moved in meanwhile makes this retry (and refuse)
      changeGroups: [idGroup(group.id), childrenGroup(group.id), treeNameGroup(group.parentId, group.name), ...items.changeGroups],
      result: undefined,
    };
  });
}

export function listSubgroups(ctx: RequestContext, stores: Stores, ref: string, query: PageQuery): ListResult<ProjectGroup> {
  const start = pageStart(query);
  return stores.readdb.do(ctx, (tx) => {
    const parent = resolveGroup(tx, ref);
    const parentLoc = groupLocation(tx, parent);
    return listPage(tx, DataType.projectGroup, parent.id, start, (g) => groupView(g, childLocation(parent, parentLoc, g.name, g.visibility)));
  });
}
