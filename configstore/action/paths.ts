// Refs of project groups and projects: an id, or a path `org/<org>/<group>/…[/<project>]`
// or `user/<user>/…` (`org/<org>` alone is the owner's root group). Resolves refs to
// stored objects and stored objects to their path, owner and ancestors.
import { BadRequestError, errorCodes, InternalError, NotFoundError } from '../errors.js';
import { pathRefExamples, pathRefProblem } from '../types/names.js';
import type { ProjectVisibility } from '../types/projectgroup.js';
import { DataType } from './datatypes.js';
import { findRootGroup, type OwnerType } from './rootgroups.js';
import type { GroupData, ProjectData, Tx } from './storeddata.js';

export type { GroupData, ProjectData } from './storeddata.js';

/** Where an object sits in its owner's tree. */
export interface Location {
  path: string;
  /** Absent for root groups. */
  parentPath?: string;
  ownerType: OwnerType;
  ownerId: string;
  /** private when the object or any ancestor group is private. */
  globalVisibility: ProjectVisibility;
  /** The enclosing groups, nearest first, ending with the root group (excludes the object). */
  ancestors: GroupData[];
}

const kindName = { projectgroup: 'project group', project: 'project' } as const;
// Deeper than any real tree; guards the walks against corrupt data.
const maxDepth = 1000;

type Kind = keyof typeof kindName;
type ParsedRef = { id: string } | { ownerType: OwnerType; owner: string; names: string[] };

function parseRef(kind: Kind, ref: string): ParsedRef {
  const why = pathRefProblem(kind, ref);
  if (why)
    throw new BadRequestError(`invalid ${kindName[kind]} ref ${JSON.stringify(ref)}: ${why}; give an id or a path like ${pathRefExamples[kind]}`, {
      code: errorCodes.invalidRef,
    });
  if (!ref.includes('/')) return { id: ref.toLowerCase() };
  const [ownerType, owner, ...names] = ref.split('/') as [OwnerType, string, ...string[]];
  return { ownerType, owner, names };
}

function notFound(kind: Kind, ref: string): NotFoundError {
  return new NotFoundError(`${kindName[kind]} ${JSON.stringify(ref)} does not exist`, {
    code: kind === 'project' ? 'projectNotFound' : 'projectGroupNotFound',
  });
}

/** The root group of the owner named in a path, or 404 naming what is missing. */
function rootOf(tx: Tx, ownerType: OwnerType, owner: string): GroupData {
  const found = tx.getByName(ownerType === 'org' ? DataType.org : DataType.user, owner, null);
  if (!found)
    throw new NotFoundError(`${ownerType} ${JSON.stringify(owner)} does not exist`, {
      code: ownerType === 'org' ? errorCodes.orgNotFound : errorCodes.userNotFound,
    });
  const root = findRootGroup(tx, found.id);
  if (!root) throw new NotFoundError(`${ownerType} ${JSON.stringify(owner)} has no root project group`, { code: errorCodes.projectGroupNotFound });
  return root as GroupData;
}

/** Walks `names` down from the owner's root group; 404 names the first missing group. */
function walkGroups(tx: Tx, ownerType: OwnerType, owner: string, names: string[]): GroupData {
  let current = rootOf(tx, ownerType, owner);
  let path = `${ownerType}/${owner}`;
  for (const name of names) {
    path += `/${name}`;
    const child = tx.getByName(DataType.projectGroup, name, current.id);
    if (!child) throw notFound('projectgroup', path);
    current = child.data;
  }
  return current;
}

export function resolveGroup(tx: Tx, ref: string): GroupData {
  const parsed = parseRef('projectgroup', ref);
  if ('id' in parsed) {
    const found = tx.get(DataType.projectGroup, parsed.id);
    if (!found) throw notFound('projectgroup', ref);
    return found.data;
  }
  return walkGroups(tx, parsed.ownerType, parsed.owner, parsed.names);
}

export function resolveProject(tx: Tx, ref: string): ProjectData {
  const parsed = parseRef('project', ref);
  if ('id' in parsed) {
    const found = tx.get(DataType.project, parsed.id);
    if (!found) throw notFound('project', ref);
    return found.data;
  }
  const group = walkGroups(tx, parsed.ownerType, parsed.owner, parsed.names.slice(0, -1));
  const found = tx.getByName(DataType.project, parsed.names.at(-1)!, group.id);
  if (!found) throw notFound('project', ref);
  return found.data;
}

/** The enclosing groups of an object whose parent group is `parentId`, nearest first, ending with the root. */
export function ancestorsFrom(tx: Tx, parentId: string): GroupData[] {
  const chain: GroupData[] = [];
  let id = parentId;
  for (;;) {
    const found = tx.get(DataType.projectGroup, id);
    if (!found) throw new InternalError(`project group ${id} is missing from the read model`);
    const group = found.data;
    chain.push(group);
    if (group.parentType !== 'projectgroup') return chain;
    if (chain.length > maxDepth) throw new InternalError(`project group ${parentId} is nested deeper than ${maxDepth} levels`);
    id = group.parentId;
  }
}

function locate(tx: Tx, name: string, visibility: ProjectVisibility, ancestors: GroupData[]): Location {
  const root = ancestors.at(-1)!;
  const ownerType = root.parentType as OwnerType;
  const owner = tx.get(ownerType === 'org' ? DataType.org : DataType.user, root.parentId);
  if (!owner) throw new InternalError(`the owner ${root.parentId} of project group ${root.id} is missing`);
  const names = ancestors
    .slice(0, -1)
    .map((g) => g.name)
    .reverse();
  const parentPath = [ownerType, String(owner.data.name), ...names].join('/');
  const isPrivate = visibility === 'private' || ancestors.some((g) => g.visibility === 'private');
  return { path: `${parentPath}/${name}`, parentPath, ownerType, ownerId: root.parentId, globalVisibility: isPrivate ? 'private' : 'public', ancestors };
}

export function groupLocation(tx: Tx, group: GroupData): Location {
  if (group.parentType !== 'projectgroup') {
    const owner = tx.get(group.parentType === 'org' ? DataType.org : DataType.user, group.parentId);
    if (!owner) throw new InternalError(`the owner ${group.parentId} of project group ${group.id} is missing`);
    return {
      path: `${group.parentType}/${String(owner.data.name)}`,
      ownerType: group.parentType,
      ownerId: group.parentId,
      globalVisibility: group.visibility,
      ancestors: [],
    };
  }
  return locate(tx, group.name, group.visibility, ancestorsFrom(tx, group.parentId));
}

export function projectLocation(tx: Tx, project: ProjectData): Location {
  return locate(tx, project.name, project.visibility, ancestorsFrom(tx, project.parentId));
}

export const isRootGroup = (group: GroupData) => group.parentType !== 'projectgroup';

/** The location of an object named `name` directly under `parent` (whose location is `parentLoc`). */
export function childLocation(parent: GroupData, parentLoc: Location, name: string, visibility: ProjectVisibility): Location {
  const isPrivate = visibility === 'private' || parentLoc.globalVisibility === 'private';
  return {
    path: `${parentLoc.path}/${name}`,
    parentPath: parentLoc.path,
    ownerType: parentLoc.ownerType,
    ownerId: parentLoc.ownerId,
    globalVisibility: isPrivate ? 'private' : 'public',
    ancestors: [parent, ...parentLoc.ancestors],
  };
}
