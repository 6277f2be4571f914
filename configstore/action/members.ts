// Org members: stored with parentId = the org and name = the user's id, so "is this user
// a member" is one lookup and members list by org. Adding or changing a member checks the
// org's and the user's id groups and bumps their children groups (which their deletions
// check: no orphan); only the membership's own group is checked and bumped, so adding
// different users to one org at once never conflicts.
import { NotFoundError } from '../errors.js';
import type { ListResult } from '../types/list.js';
import type { MemberRole, Org, OrgMember, OrgMemberData, UserOrg } from '../types/org.js';
import type { User } from '../types/user.js';
import type { RequestContext } from '../readdb/readdb.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { childrenGroup, DataType, idGroup } from './datatypes.js';
import { findMembership, findOrg, findUser, memberAction, memberGroup } from './lookup.js';
import { membershipsOf } from './scans.js';
import { runWrite, type Stores } from './write.js';

export function listOrgMembers(ctx: RequestContext, stores: Stores, orgRef: string, query: { limit?: number; cursor?: string }): ListResult<OrgMember> {
  const limit = query.limit ?? 50;
  const afterName = query.cursor === undefined ? '' : decodeCursor(query.cursor);
  return stores.readdb.do(ctx, (tx) => {
    const org = findOrg(tx, orgRef);
    const rows = tx.list(DataType.orgMember, { parent: org.id, afterName, limit: limit + 1 });
    const items: OrgMember[] = [];
    for (const r of rows.slice(0, limit)) {
      const m = r.data as unknown as OrgMemberData;
      const user = tx.get(DataType.user, m.userId);
      if (user) items.push({ user: user.data as unknown as User, role: m.role });
    }
    // the cursor is the last member's user id (the stored name), whatever was skipped
    return rows.length > limit ? { items, nextCursor: encodeCursor(rows[limit - 1]!.name ?? '') } : { items };
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
    const existing = findMembership(tx, org.id, user.id)?.data as OrgMemberData | undefined;
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
      throw new NotFoundError(`user ${JSON.stringify(user.name)} is not a member of org ${JSON.stringify(org.name)}`, { code: 'memberNotFound' });
    }
    return {
      actions: [{ type: 'delete', dataType: DataType.orgMember, id: existing.id }],
      changeGroups: [memberGroup(org.id, user.id)],
      result: undefined,
    };
  });
}

/** The orgs a user belongs to, in org name order (a scan of the orgs: see scans.ts). */
export function listUserOrgs(ctx: RequestContext, stores: Stores, userRef: string, query: { limit?: number; cursor?: string }): ListResult<UserOrg> {
  const limit = query.limit ?? 50;
  const afterName = query.cursor === undefined ? '' : decodeCursor(query.cursor);
  return stores.readdb.do(ctx, (tx) => {
    const user = findUser(tx, userRef);
    const items: UserOrg[] = [];
    for (const { org, member } of membershipsOf(tx, user.id, afterName)) {
      if (items.length === limit) return { items, nextCursor: encodeCursor(items.at(-1)!.org.name) };
      items.push({ org: org.data as unknown as Org, role: (member.data as unknown as OrgMemberData).role });
    }
    return { items };
  });
}
