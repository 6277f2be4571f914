// Linked accounts: a user's account on a remote source. Stored with parentId = the user,
// so a user's accounts list by parent. One account per (remote source, remote user id)
// across all users: checked by an index of the read model (storedIndexes) and guarded by
// a change group on that pair, so concurrent creations of the same pair conflict and exactly one wins.
import { randomUUID } from 'node:crypto';
import { BadRequestError, ConflictError, errorCodes, NotFoundError } from '../errors.js';
import { isUuid } from '../types/names.js';
import type { CreateLinkedAccountRequest, LinkedAccount, LinkedAccountData, UpdateLinkedAccountRequest } from '../types/linkedaccount.js';
import type { ListResult } from '../types/list.js';
import type { RequestContext } from '../readdb/readdb.js';
import { childrenGroup, DataType, idGroup, nameGroup } from './datatypes.js';
import { findRemoteSource } from './remotesources.js';
import { projectsUsingLinkedAccounts } from './scans.js';
import { findUser } from './lookup.js';
import { listPage, pageStart, type PageQuery } from './paginate.js';
import { runWrite, type Stores } from './write.js';
import type { Tx } from './storeddata.js';

const remoteUserGroup = (remoteSourceId: string, remoteUserId: string) => nameGroup(DataType.linkedAccount, remoteSourceId, remoteUserId);

function toApi(stored: LinkedAccountData): LinkedAccount {
  const { name: _name, parentId: _parentId, ...la } = stored;
  return la;
}

function findLinkedAccount(tx: Tx, userId: string, id: string): LinkedAccountData {
  if (!isUuid(id))
    throw new BadRequestError(`invalid linked account id ${JSON.stringify(id)}: give the id returned at creation`, { code: errorCodes.invalidRef });
  const found = tx.get(DataType.linkedAccount, id.toLowerCase());
  if (!found || found.parent !== userId)
    throw new NotFoundError(`linked account ${JSON.stringify(id)} of this user does not exist`, { code: errorCodes.linkedAccountNotFound });
  return found.data;
}

function checkRemoteUserFree(tx: Tx, remoteSourceId: string, remoteUserId: string, remoteSourceName: string, exceptId?: string): void {
  for (const la of tx.where(DataType.linkedAccount, { remoteSourceId, remoteUserId })) {
    if (la.id !== exceptId) {
      throw new ConflictError(
        `linked account for remote user ${JSON.stringify(remoteUserId)} of remote source ${JSON.stringify(remoteSourceName)} already exists`,
        {
          code: errorCodes.linkedAccountExists,
        },
      );
    }
  }
}

export async function createLinkedAccount(ctx: RequestContext, stores: Stores, userRef: string, req: CreateLinkedAccountRequest): Promise<LinkedAccount> {
  return runWrite(ctx, stores, (tx) => {
    const user = findUser(tx, userRef);
    const rs = findRemoteSource(tx, req.remoteSourceRef);
    checkRemoteUserFree(tx, rs.id, req.remoteUserId, rs.name);
    const { remoteSourceRef: _ref, ...fields } = req;
    const id = randomUUID();
    const la: LinkedAccount = { id, userId: user.id, remoteSourceId: rs.id, ...fields, createdAt: new Date().toISOString() };
    return {
      actions: [{ type: 'put', dataType: DataType.linkedAccount, id, data: { ...la, name: id, parentId: user.id } }],
      changeGroups: [idGroup(id), remoteUserGroup(rs.id, req.remoteUserId)],
      // the user and the source must still exist; their deletions check their children
      // groups, which this bumps (an account is a child of the user, a referrer of the source)
      checkGroups: [idGroup(user.id), idGroup(rs.id)],
      touchGroups: [childrenGroup(user.id), childrenGroup(rs.id)],
      result: la,
    };
  });
}

export function listLinkedAccounts(ctx: RequestContext, stores: Stores, userRef: string, query: PageQuery): ListResult<LinkedAccount> {
  const start = pageStart(query);
  return stores.readdb.do(ctx, (tx) => {
    const user = findUser(tx, userRef);
    // stored with name = id: in id order, the cursor is the last id
    return listPage(tx, DataType.linkedAccount, user.id, start, toApi);
  });
}

export function getLinkedAccount(ctx: RequestContext, stores: Stores, userRef: string, id: string): LinkedAccount {
  return stores.readdb.do(ctx, (tx) => toApi(findLinkedAccount(tx, findUser(tx, userRef).id, id)));
}

export async function updateLinkedAccount(
  ctx: RequestContext,
  stores: Stores,
  userRef: string,
  id: string,
  req: UpdateLinkedAccountRequest,
): Promise<LinkedAccount> {
  return runWrite(ctx, stores, (tx) => {
    const user = findUser(tx, userRef);
    const current = findLinkedAccount(tx, user.id, id);
    const changeGroups = [idGroup(current.id)];
    if (req.remoteUserId !== undefined && req.remoteUserId !== current.remoteUserId) {
      const rs = tx.get(DataType.remoteSource, current.remoteSourceId);
      checkRemoteUserFree(tx, current.remoteSourceId, req.remoteUserId, rs?.name ?? current.remoteSourceId, current.id);
      changeGroups.push(remoteUserGroup(current.remoteSourceId, current.remoteUserId), remoteUserGroup(current.remoteSourceId, req.remoteUserId));
    }
    const updated: LinkedAccountData = { ...current, ...req };
    return {
      actions: [{ type: 'put', dataType: DataType.linkedAccount, id: current.id, data: { ...updated } }],
      changeGroups,
      result: toApi(updated),
    };
  });
}

export async function deleteLinkedAccount(ctx: RequestContext, stores: Stores, userRef: string, id: string): Promise<void> {
  await runWrite(ctx, stores, (tx) => {
    const user = findUser(tx, userRef);
    const current = findLinkedAccount(tx, user.id, id);
    // projects act on their repository through the account: move them to another first
    const projects = projectsUsingLinkedAccounts(tx, new Set([current.id]));
    if (projects) {
      throw new ConflictError(
        `linked account ${JSON.stringify(current.id)} is used by ${projects} project(s); give them another linked account or delete them first`,
        {
          code: errorCodes.linkedAccountInUse,
        },
      );
    }
    return {
      actions: [{ type: 'delete', dataType: DataType.linkedAccount, id: current.id }],
      // its children group: a project starting to use it meanwhile makes this retry (and refuse)
      changeGroups: [idGroup(current.id), childrenGroup(current.id), remoteUserGroup(current.remoteSourceId, current.remoteUserId)],
      result: undefined,
    };
  });
}
