// The data types stored by the datamanager (WAL actions, snapshots, export lines). A
// stored object's JSON may carry `name` and `parentId`: readdb indexes both, and
// names are unique among objects of one type with the same parent. Here, below every
// layer that names them (action, datamanager, readdb, api); it imports nothing.
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
