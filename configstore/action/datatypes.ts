// The data types stored by the datamanager (WAL actions, snapshots, export lines). A
// stored object's JSON may carry `name` and `parentId`: readdb indexes both, and
// names are unique among objects of one type with the same parent.
export const DataType = {
  user: 'user',
  userToken: 'usertoken',
  linkedAccount: 'linkedaccount',
  org: 'org',
  orgMember: 'orgmember',
  remoteSource: 'remotesource',
  projectGroup: 'projectgroup',
  project: 'project',
  secret: 'secret',
  variable: 'variable',
} as const;
export type DataType = (typeof DataType)[keyof typeof DataType];

/** Every data type, in the order an export writes them (parents before children). */
export const allDataTypes: DataType[] = [
  DataType.remoteSource,
  DataType.user,
  DataType.userToken,
  DataType.linkedAccount,
  DataType.org,
  DataType.orgMember,
  DataType.projectGroup,
  DataType.project,
  DataType.secret,
  DataType.variable,
];

/** Change group guarding an object's existence: writes that depend on it name it. */
export const idGroup = (id: string) => `id/${id}`;
/**
 * Change group of an object's children: a child's creation bumps it without checking it
 * (siblings never conflict), the parent's deletion or move checks it (no orphan).
 */
export const childrenGroup = (id: string) => `children/${id}`;
/** Change group guarding a name in a scope (parent id, or the type for top-level names). */
export const nameGroup = (type: DataType, scope: string, name: string) => `name/${type}/${scope}/${name}`;
