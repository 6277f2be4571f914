// What the read model holds for each data type: the JSON the actions write (and an import
// checks against the schemas), as TypeScript types. `Tx` is the read side the actions
// plan on: `tx.get(DataType.user, id)?.data` is a User, `tx.list(DataType.project, …)`
// gives projects, with no cast. A leaf of action/: it imports only types.
import type { FieldIndex, ReadTx, StoredObject } from '../readdb/readdb.js';
import type { LinkedAccountData } from '../types/linkedaccount.js';
import type { Org, OrgMemberData } from '../types/org.js';
import type { ProjectVisibility } from '../types/projectgroup.js';
import type { RemoteSource } from '../types/remotesource.js';
import type { ConfigParentType, Secret } from '../types/secret.js';
import type { UserTokenData } from '../types/token.js';
import type { User } from '../types/user.js';
import type { VariableValue } from '../types/variable.js';
import { DataType } from './datatypes.js';

export type OwnerType = 'org' | 'user';

/** A project group as stored (root groups: name "", parentType org|user). */
export interface GroupData {
  id: string;
  name: string;
  parentType: OwnerType | 'projectgroup';
  parentId: string;
  visibility: ProjectVisibility;
  createdAt: string;
}

/** A project as stored. */
export interface ProjectData {
  id: string;
  name: string;
  parentType: 'projectgroup';
  parentId: string;
  visibility: ProjectVisibility;
  remoteRepositoryConfigType: string;
  remoteSourceId: string;
  linkedAccountId: string;
  repositoryId: string;
  repositoryPath: string;
  sshPrivateKey: string;
  skipSshHostKeyCheck: boolean;
  passVarsToForkedPR: boolean;
  webhookSecret: string;
  createdAt: string;
}

/** A secret or a variable as stored: its fields plus identity and parent. */
export type StoredItem<Fields> = Fields & { id: string; name: string; parentType: ConfigParentType; parentId: string; createdAt: string };
export type SecretFields = Pick<Secret, 'type' | 'data'>;
export type VariableFields = { values: VariableValue[] };

/** Data type → the JSON stored for it. */
export interface StoredData {
  user: User;
  usertoken: UserTokenData;
  linkedaccount: LinkedAccountData;
  org: Org;
  orgmember: OrgMemberData;
  remotesource: RemoteSource;
  projectgroup: GroupData;
  project: ProjectData;
  secret: StoredItem<SecretFields>;
  variable: StoredItem<VariableFields>;
}

/**
 * The lookups by reference (Tx.where): a remote user's linked account, a remote source's
 * linked accounts and projects, a linked account's projects. Each replaces a walk over
 * every user's accounts or every owner's project tree.
 */
export const storedIndexes: readonly FieldIndex[] = [
  { type: DataType.linkedAccount, fields: ['remoteSourceId', 'remoteUserId'] },
  { type: DataType.project, fields: ['remoteSourceId'] },
  { type: DataType.project, fields: ['linkedAccountId'] },
];

/** The read transaction of the actions. */
export type Tx = ReadTx<StoredData>;

/** A stored object of data type `K`. */
export type Stored<K extends DataType> = StoredObject<StoredData[K]>;
