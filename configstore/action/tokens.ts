// User tokens: a name unique per user and a random secret returned once, at creation.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { BadRequestError, ConflictError, errorCodes, NotFoundError } from '../errors.js';
import { nameProblem } from '../types/names.js';
import type { CreatedUserToken, CreateUserTokenRequest, UserToken, UserTokenData } from '../types/token.js';
import type { ListResult } from '../types/list.js';
import type { RequestContext } from '../readdb/readdb.js';
import { childrenGroup, DataType, idGroup, nameGroup } from './datatypes.js';
import { findUser } from './lookup.js';
import { listPage, pageStart, type PageQuery } from './paginate.js';
import { runWrite, type Stores } from './write.js';

/**
 * Only a hash is stored, so the read model, exports and backups hold nothing that
 * authenticates. A plain sha256 is enough (no salt or slow KDF): the token is 256 random
 * bits, not a password, so guessing it from its hash is as hard as guessing it.
 */
export function tokenSha256(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function checkTokenName(name: string): void {
  const problem = nameProblem(name);
  if (problem) throw new BadRequestError(`invalid token name ${JSON.stringify(name)}: ${problem}`, { code: errorCodes.invalidName });
}

export async function createUserToken(ctx: RequestContext, stores: Stores, userRef: string, req: CreateUserTokenRequest): Promise<CreatedUserToken> {
  checkTokenName(req.name);
  const token = randomBytes(32).toString('base64url');
  return runWrite(ctx, stores, (tx) => {
    const user = findUser(tx, userRef);
    if (tx.getByName(DataType.userToken, req.name, user.id)) {
      throw new ConflictError(`token ${JSON.stringify(req.name)} of user ${JSON.stringify(user.name)} already exists`, { code: errorCodes.tokenExists });
    }
    const stored: UserTokenData = { id: randomUUID(), name: req.name, parentId: user.id, tokenSha256: tokenSha256(token), createdAt: new Date().toISOString() };
    return {
      actions: [{ type: 'put', dataType: DataType.userToken, id: stored.id, data: { ...stored } }],
      changeGroups: [nameGroup(DataType.userToken, user.id, req.name)],
      // the user must still exist; its deletion checks its children group (no orphan)
      checkGroups: [idGroup(user.id)],
      touchGroups: [childrenGroup(user.id)],
      result: { name: req.name, token },
    };
  });
}

export function listUserTokens(ctx: RequestContext, stores: Stores, userRef: string, query: PageQuery): ListResult<UserToken> {
  const start = pageStart(query);
  return stores.readdb.do(ctx, (tx) => {
    const user = findUser(tx, userRef);
    return listPage(tx, DataType.userToken, user.id, start, (t) => ({ name: t.name, createdAt: t.createdAt }));
  });
}

export async function deleteUserToken(ctx: RequestContext, stores: Stores, userRef: string, name: string): Promise<void> {
  checkTokenName(name);
  await runWrite(ctx, stores, (tx) => {
    const user = findUser(tx, userRef);
    const found = tx.getByName(DataType.userToken, name, user.id);
    if (!found)
      throw new NotFoundError(`token ${JSON.stringify(name)} of user ${JSON.stringify(user.name)} does not exist`, { code: errorCodes.tokenNotFound });
    return {
      actions: [{ type: 'delete', dataType: DataType.userToken, id: found.id }],
      changeGroups: [nameGroup(DataType.userToken, user.id, name)],
      result: undefined,
    };
  });
}
