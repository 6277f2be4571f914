// Lookups over several objects of the read model: children by parent, a user's
// memberships by name, projects by linked account through an index (storedIndexes).
import { DataType } from './datatypes.js';
import type { Stored, Tx } from './storeddata.js';

/** Every object of `type` whose parent is `parent`. */
export function childrenOf<K extends DataType>(tx: Tx, type: K, parent: string): Array<Stored<K>> {
  return tx.list(type, { parent, limit: 1_000_000 });
}

/** A user's linked accounts. */
export function allLinkedAccounts(tx: Tx, userId: string): Array<Stored<'linkedaccount'>> {
  return childrenOf(tx, DataType.linkedAccount, userId);
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

/** How many projects use one of `linkedAccountIds` (a project uses one: none is counted twice). */
export function projectsUsingLinkedAccounts(tx: Tx, linkedAccountIds: Set<string>): number {
  let n = 0;
  for (const linkedAccountId of linkedAccountIds) n += tx.where(DataType.project, { linkedAccountId }).length;
  return n;
}
