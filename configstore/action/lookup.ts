// Lookups the user, org and member actions share: finding a user or an org by ref and
// a membership's change group and put action. A leaf of action/ (it imports none of the
// resource modules), so users.ts, orgs.ts and members.ts import it and not each other.
import { randomUUID } from 'node:crypto';
import { errorCodes } from '../errors.js';
import type { MemberRole, Org, OrgMemberData } from '../types/org.js';
import type { User } from '../types/user.js';
import type { PutAction } from '../datamanager/wal.js';
import { DataType, nameGroup } from './datatypes.js';
import { findNamed, type NamedKind } from './namedrefs.js';
import type { Tx } from './storeddata.js';

export const userKind: NamedKind<'user'> = { type: DataType.user, label: 'user', notFound: errorCodes.userNotFound };
export const orgKind: NamedKind<'org'> = { type: DataType.org, label: 'org', notFound: errorCodes.orgNotFound };

export function findUser(tx: Tx, ref: string): User {
  return findNamed(tx, userKind, ref);
}

export function findOrg(tx: Tx, ref: string): Org {
  return findNamed(tx, orgKind, ref);
}

/** The membership of `userId` in `orgId`: stored with parentId = the org and name = the user's id. */
export function findMembership(tx: Tx, orgId: string, userId: string) {
  return tx.getByName(DataType.orgMember, userId, orgId);
}

export const memberGroup = (orgId: string, userId: string) => nameGroup(DataType.orgMember, orgId, userId);

/** The put action making `userId` a member of `orgId` (a new one, or `existing` with a new role). */
export function memberAction(orgId: string, userId: string, role: MemberRole, existing?: OrgMemberData): PutAction {
  const data: OrgMemberData = existing
    ? { ...existing, role }
    : { id: randomUUID(), name: userId, parentId: orgId, orgId, userId, role, createdAt: new Date().toISOString() };
  return { type: 'put', dataType: DataType.orgMember, id: data.id, data: { ...data } };
}
