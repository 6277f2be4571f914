// Every user and org owns a root project group (Agola's model): created in the same
// write as its owner, named "" and parented by the owner. Paths `org/<org>` and
// `user/<user>` name it; everything else hangs below it.
import { randomUUID } from 'node:crypto';
import type { Action } from '../datamanager/wal.js';
import { childrenGroup, DataType, idGroup } from './datatypes.js';
import { cascadeLimit } from './paginate.js';
import type { OwnerType, Tx } from './storeddata.js';

export type { OwnerType } from './storeddata.js';

export interface RootGroupData {
  id: string;
  name: '';
  parentType: OwnerType;
  parentId: string;
  visibility: 'public' | 'private';
  createdAt: string;
}

/** The put action creating `owner`'s root project group, to add to the owner's creation. */
export function createRootGroupAction(ownerType: OwnerType, ownerId: string, visibility: 'public' | 'private'): Action {
  const data: RootGroupData = { id: randomUUID(), name: '', parentType: ownerType, parentId: ownerId, visibility, createdAt: new Date().toISOString() };
  return { type: 'put', dataType: DataType.projectGroup, id: data.id, data: { ...data } };
}

/** The owner's root project group (undefined only for data written before roots existed). */
export function findRootGroup(tx: Tx, ownerId: string): RootGroupData | undefined {
  return tx.getByName(DataType.projectGroup, '', ownerId)?.data as RootGroupData | undefined;
}

/**
 * What deleting an owner must also delete: its root group and the root's secrets and
 * variables. Refuses (returns `blockedBy`) while the root still holds project groups
 * or projects: deleting those is an explicit act, never a side effect. The root's
 * children group is checked, so a concurrent creation under the root makes this retry.
 */
export function rootGroupDeletion(tx: Tx, ownerId: string): { actions: Action[]; changeGroups: string[]; blockedBy?: number } {
  const root = findRootGroup(tx, ownerId);
  if (!root) return { actions: [], changeGroups: [] };
  const children = tx.count(DataType.projectGroup, root.id) + tx.count(DataType.project, root.id);
  if (children > 0) return { actions: [], changeGroups: [], blockedBy: children };
  const actions: Action[] = [{ type: 'delete', dataType: DataType.projectGroup, id: root.id }];
  for (const type of [DataType.secret, DataType.variable]) {
    for (const o of tx.list(type, { parent: root.id, limit: cascadeLimit })) actions.push({ type: 'delete', dataType: type, id: o.id });
  }
  return { actions, changeGroups: [idGroup(root.id), childrenGroup(root.id)] };
}
