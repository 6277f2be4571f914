// Org members: stored with parentId = the org and name = the user's id, so "is this user
// a member" is one lookup and members list by org. Adding or changing a member checks the
// org's and the user's id groups and bumps their children groups (which their deletions
// check: no orphan); only the membership's own group is checked and bumped, so adding
// different users to one org at once never conflicts.
import { errorCodes, NotFoundError } from '../errors.js';
import type { ListResult } from '../types/list.js';
import type { MemberRole, OrgMember, UserOrg } from '../types/org.js';
import type { RequestContext } from '../readdb/readdb.js';
import { encodeCursor } from './cursor.js';
import { childrenGroup, DataType, idGroup } from './datatypes.js';
import { findMembership, findOrg, findUser, memberAction, memberGroup } from './lookup.js';
import { listPage, pageStart, type PageQuery } from './paginate.js';
import { membershipsOf } from './scans.js';
import { runWrite, type Stores } from './write.js';

export function listOrgMembers(ctx: RequestContext, stores: Stores, orgRef: string, query: PageQuery): ListResult<OrgMember> {
  const start = pageStart(query);
  return stores.readdb.do(ctx, (tx) => {
    const org = findOrg(tx, orgRef);
    // in user id order (the stored name); a member whose user is gone is skipped
    return listPage(tx, DataType.orgMember, org.id, start, (m): OrgMember | undefined => {
      const user = tx.get(DataType.user, m.userId);
      return user && { user: user.data, role: m.role };
    });
  });
}

/** Adds the user with `role`, or changes its role. `created` tells which (201 or 200). */
export async function setOrgMember(
  ctx: RequestContext,
  stores: Stores,
  orgRef: string,
  userRef: string,
  role: MemberRole,
): Promise<{ member: OrgMember; created: boolean }> {
  return runWrite(ctx, stores, (tx) => {
    const org = findOrg(tx, orgRef);
    const user = findUser(tx, userRef);
    const existing = findMembership(tx, org.id, user.id)?.data;
    return {
      actions: [memberAction(org.id, user.id, role, existing)],
      changeGroups: [memberGroup(org.id, user.id)],
      checkGroups: [idGroup(org.id), idGroup(user.id)],
      touchGroups: [childrenGroup(org.id), childrenGroup(user.id)],
      result: { member: { user, role }, created: !existing },
    };
  });
}

export async function removeOrgMember(ctx: RequestContext, stores: Stores, orgRef: string, userRef: string): Promise<void> {
  await runWrite(ctx, stores, (tx) => {
    const org = findOrg(tx, orgRef);
    const user = findUser(tx, userRef);
    const existing = findMembership(tx, org.id, user.id);
    if (!existing) {
      throw new NotFoundError(`user ${JSON.stringify(user.name)} is not a member of org ${JSON.stringify(org.name)}`, { code: errorCodes.memberNotFound });
    }
    return {
      actions: [{ type: 'delete', dataType: DataType.orgMember, id: existing.id }],
      changeGroups: [memberGroup(org.id, user.id)],
      result: undefined,
    };
  });
}

/** The orgs a user belongs to, in org name order (its memberships by name: see scans.ts). */
export function listUserOrgs(ctx: RequestContext, stores: Stores, userRef: string, query: PageQuery): ListResult<UserOrg> {
  const { limit, afterName } = pageStart(query);
  return stores.readdb.do(ctx, (tx) => {
    const user = findUser(tx, userRef);
    const items: UserOrg[] = [];
    for (const { org, member } of membershipsOf(tx, user.id, afterName)) {
      if (items.length === limit) return { items, nextCursor: encodeCursor(items.at(-1)!.org.name) };
      items.push({ org: org.data, role: member.data.role });
    }
    return { items };
  });
}
