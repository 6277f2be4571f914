// Projects: leaves of the project group tree, linked to a repository through a remote
// source and a linked account of that source. Names share one scope per parent with groups.
import { randomBytes, randomUUID } from 'node:crypto';
import { BadRequestError, errorCodes, NotFoundError } from '../errors.js';
import { isUuid, nameProblem } from '../types/names.js';
import type { CreateProjectRequest, Project, UpdateProjectRequest } from '../types/project.js';
import type { ListResult } from '../types/list.js';
import type { RequestContext } from '../readdb/readdb.js';
import { listPage, pageStart, type PageQuery } from './paginate.js';
import { childrenGroup, DataType, idGroup } from './datatypes.js';
import { childLocation, groupLocation, projectLocation, resolveGroup, resolveProject, type Location, type ProjectData } from './paths.js';
import { checkName, checkTreeNameFree, configItemsDeletion, treeNameGroup } from './projectgroups.js';
import { runWrite, type Stores } from './write.js';
import type { Stored, Tx } from './storeddata.js';

export function projectView(project: ProjectData, loc: Location): Project {
  return { ...project, path: loc.path, parentPath: loc.parentPath!, ownerType: loc.ownerType, ownerId: loc.ownerId, globalVisibility: loc.globalVisibility };
}

/** Also the importer's rule. */
export function checkConfigType(type: string): void {
  if (type !== 'remotesource') {
    throw new BadRequestError(`remoteRepositoryConfigType ${JSON.stringify(type)} is not supported: the only supported type is "remotesource"`, {
      code: errorCodes.unsupportedRemoteRepositoryConfigType,
    });
  }
}

function findRemoteSource(tx: Tx, ref: string): Stored<'remotesource'> {
  if (!isUuid(ref) && nameProblem(ref)) {
    throw new BadRequestError(`invalid remote source ref ${JSON.stringify(ref)}: give the remote source's id or name`, { code: errorCodes.invalidRef });
  }
  const found = isUuid(ref) ? tx.get(DataType.remoteSource, ref.toLowerCase()) : tx.getByName(DataType.remoteSource, ref, null);
  if (!found) throw new NotFoundError(`remote source ${JSON.stringify(ref)} does not exist`, { code: errorCodes.remoteSourceNotFound });
  return found;
}

/** The linked account, which must belong to `remoteSource` (else it does not exist for it: 404). */
function findLinkedAccount(tx: Tx, id: string, remoteSource: Stored<'remotesource'>): Stored<'linkedaccount'> {
  if (!isUuid(id)) throw new BadRequestError(`invalid linkedAccountId ${JSON.stringify(id)}: give the linked account's id`, { code: errorCodes.invalidRef });
  const found = tx.get(DataType.linkedAccount, id.toLowerCase());
  if (!found || found.data.remoteSourceId !== remoteSource.id) {
    throw new NotFoundError(`linked account ${JSON.stringify(id)} does not exist for remote source ${JSON.stringify(remoteSource.data.name)}`, {
      code: errorCodes.linkedAccountNotFound,
    });
  }
  return found;
}

export async function createProject(ctx: RequestContext, stores: Stores, req: CreateProjectRequest): Promise<Project> {
  checkName('project', req.name);
  checkConfigType(req.remoteRepositoryConfigType);
  return runWrite(ctx, stores, (tx) => {
    const parent = resolveGroup(tx, req.parentRef);
    const parentLoc = groupLocation(tx, parent);
    checkTreeNameFree(tx, parent.id, parentLoc.path, req.name);
    const remoteSource = findRemoteSource(tx, req.remoteSourceRef);
    const linkedAccount = findLinkedAccount(tx, req.linkedAccountId, remoteSource);
    const project: ProjectData = {
      id: randomUUID(),
      name: req.name,
      parentType: 'projectgroup',
      parentId: parent.id,
      visibility: req.visibility,
      remoteRepositoryConfigType: 'remotesource',
      remoteSourceId: remoteSource.id,
      linkedAccountId: linkedAccount.id,
      repositoryId: req.repositoryId,
      repositoryPath: req.repositoryPath,
      sshPrivateKey: req.sshPrivateKey ?? '',
      skipSshHostKeyCheck: req.skipSshHostKeyCheck ?? false,
      passVarsToForkedPR: req.passVarsToForkedPR ?? false,
      webhookSecret: randomBytes(24).toString('base64url'),
      createdAt: new Date().toISOString(),
    };
    return {
      actions: [{ type: 'put', dataType: DataType.project, id: project.id, data: { ...project } }],
      changeGroups: [treeNameGroup(parent.id, project.name), idGroup(project.id)],
      // the parent group and the referred source and account must still exist; their
      // deletions check the children groups this bumps, so they see this project or fail
      checkGroups: [idGroup(parent.id), idGroup(remoteSource.id), idGroup(linkedAccount.id)],
      touchGroups: [childrenGroup(parent.id), childrenGroup(remoteSource.id), childrenGroup(linkedAccount.id)],
      result: projectView(project, childLocation(parent, parentLoc, project.name, project.visibility)),
    };
  });
}

export function getProject(ctx: RequestContext, stores: Stores, ref: string): Project {
  return stores.readdb.do(ctx, (tx) => {
    const project = resolveProject(tx, ref);
    return projectView(project, projectLocation(tx, project));
  });
}

export async function updateProject(ctx: RequestContext, stores: Stores, ref: string, req: UpdateProjectRequest): Promise<Project> {
  if (req.name !== undefined) checkName('project', req.name);
  if (req.remoteRepositoryConfigType !== undefined) checkConfigType(req.remoteRepositoryConfigType);
  return runWrite(ctx, stores, (tx) => {
    const project = resolveProject(tx, ref);
    const loc = projectLocation(tx, project);
    const { parentRef, remoteSourceRef, ...fields } = req;
    const updated: ProjectData = { ...project, ...fields };
    const changeGroups = [idGroup(project.id)];
    const touchGroups: string[] = [];
    const parent = parentRef === undefined ? loc.ancestors[0]! : resolveGroup(tx, parentRef);
    const parentLoc = groupLocation(tx, parent);
    // the (new) parent must exist, and the returned path is read from it
    const checkGroups = [idGroup(parent.id)];
    if (parentLoc.ownerId !== loc.ownerId) {
      throw new BadRequestError(`cannot move project ${JSON.stringify(loc.path)} to another owner (${JSON.stringify(parentLoc.path)})`, {
        code: errorCodes.invalidMove,
      });
    }
    if (parent.id !== project.parentId || updated.name !== project.name) {
      checkTreeNameFree(tx, parent.id, parentLoc.path, updated.name);
      changeGroups.push(treeNameGroup(project.parentId, project.name), treeNameGroup(parent.id, updated.name));
    }
    if (parent.id !== project.parentId) {
      // enters the new parent as a created project does; its own children (secrets,
      // variables) follow it, and a concurrent creation of one retries
      changeGroups.push(childrenGroup(project.id));
      touchGroups.push(childrenGroup(parent.id));
      updated.parentId = parent.id;
    }
    if (remoteSourceRef !== undefined || req.linkedAccountId !== undefined) {
      const remoteSource = findRemoteSource(tx, remoteSourceRef ?? project.remoteSourceId);
      const linkedAccount = findLinkedAccount(tx, req.linkedAccountId ?? project.linkedAccountId, remoteSource);
      updated.remoteSourceId = remoteSource.id;
      updated.linkedAccountId = linkedAccount.id;
      // refers to them as a created project does
      checkGroups.push(idGroup(remoteSource.id), idGroup(linkedAccount.id));
      touchGroups.push(childrenGroup(remoteSource.id), childrenGroup(linkedAccount.id));
    }
    return {
      actions: [{ type: 'put', dataType: DataType.project, id: project.id, data: { ...updated } }],
      changeGroups,
      checkGroups,
      touchGroups,
      result: projectView(updated, childLocation(parent, parentLoc, updated.name, updated.visibility)),
    };
  });
}

export async function deleteProject(ctx: RequestContext, stores: Stores, ref: string): Promise<void> {
  await runWrite(ctx, stores, (tx) => {
    const project = resolveProject(tx, ref);
    const items = configItemsDeletion(tx, project.id);
    return {
      actions: [{ type: 'delete', dataType: DataType.project, id: project.id }, ...items.actions],
      // its children group: a secret or variable created meanwhile makes this retry (and delete it)
      changeGroups: [idGroup(project.id), childrenGroup(project.id), treeNameGroup(project.parentId, project.name), ...items.changeGroups],
      result: undefined,
    };
  });
}

/** The projects directly in a group, in name order. */
export function listGroupProjects(ctx: RequestContext, stores: Stores, ref: string, query: PageQuery): ListResult<Project> {
  const start = pageStart(query);
  return stores.readdb.do(ctx, (tx) => {
    const parent = resolveGroup(tx, ref);
    const parentLoc = groupLocation(tx, parent);
    return listPage(tx, DataType.project, parent.id, start, (p) => projectView(p, childLocation(parent, parentLoc, p.name, p.visibility)));
  });
}
