// Lookups the read model has no index for, done by walking what it does index (objects
// by parent, in name order). Each is bounded by the number of users, orgs or project
// groups, and is used only on rare writes (creating a linked account, deleting a user
// or a remote source). A `Tx` query by field would make them single lookups.
import { DataType } from './datatypes.js';
import { findRootGroup } from './rootgroups.js';
import type { Stored, Tx } from './storeddata.js';

const page = 500;

/** Every top-level object of `type` (users, orgs), in name order. */
export function* everyTopLevel<K extends typeof DataType.user | typeof DataType.org>(tx: Tx, type: K, after = ''): Generator<Stored<K>> {
  for (let afterName = after; ; ) {
    const rows = tx.list(type, { afterName, limit: page });
    yield* rows;
    if (rows.length < page) return;
    afterName = rows.at(-1)!.name ?? '';
  }
}

/** Every object of `type` whose parent is `parent`. */
export function childrenOf<K extends DataType>(tx: Tx, type: K, parent: string): Array<Stored<K>> {
  return tx.list(type, { parent, limit: 1_000_000 });
}

/** A user's linked accounts. */
export function allLinkedAccounts(tx: Tx, userId: string): Array<Stored<'linkedaccount'>> {
  return childrenOf(tx, DataType.linkedAccount, userId);
}

/** Every linked account of every user. */
export function* everyLinkedAccount(tx: Tx): Generator<Stored<'linkedaccount'>> {
  for (const user of everyTopLevel(tx, DataType.user)) yield* allLinkedAccounts(tx, user.id);
}

/**
 * The orgs `userId` belongs to, in org name order after `afterOrgName`, with the membership
 * objects. Memberships are named by the user's id, so the read model finds them by name
 * (an index), whatever the org: no walk over every org.
 */
export function* membershipsOf(tx: Tx, userId: string, afterOrgName = ''): Generator<{ org: Stored<'org'>; member: Stored<'orgmember'> }> {
  const found: Array<{ org: Stored<'org'>; member: Stored<'orgmember'> }> = [];
  for (const member of tx.named(DataType.orgMember, userId)) {
    const org = member.parent === null ? undefined : tx.get(DataType.org, member.parent);
    // names are ASCII (types/names.ts): JavaScript's order is SQLite's byte order
    if (org && org.data.name > afterOrgName) found.push({ org, member });
  }
  yield* found.sort((a, b) => (a.org.data.name < b.org.data.name ? -1 : a.org.data.name > b.org.data.name ? 1 : 0));
}

/** Every project of every user and org (walks each owner's project group tree). */
export function* everyProject(tx: Tx): Generator<Stored<'project'>> {
  for (const ownerType of [DataType.user, DataType.org]) {
    for (const owner of everyTopLevel(tx, ownerType)) {
      const root = findRootGroup(tx, owner.id);
      const groups = root ? [root.id] : [];
      while (groups.length) {
        const group = groups.pop()!;
        yield* childrenOf(tx, DataType.project, group);
        for (const g of childrenOf(tx, DataType.projectGroup, group)) groups.push(g.id);
      }
    }
  }
}

/** How many projects use each of `linkedAccountIds` (a full project scan; none when the set is empty). */
export function projectsUsingLinkedAccounts(tx: Tx, linkedAccountIds: Set<string>): number {
  if (linkedAccountIds.size === 0) return 0;
  let n = 0;
  for (const p of everyProject(tx)) if (linkedAccountIds.has(p.data.linkedAccountId)) n++;
  return n;
}
