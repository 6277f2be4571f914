// Users: unique names; refs are ids or names.
import { randomUUID } from 'node:crypto';
import { BadRequestError, ConflictError, NotFoundError } from '../errors.js';
import { isUuid, nameProblem } from '../types/names.js';
import type { CreateUserRequest, User } from '../types/user.js';
import type { ListResult } from '../types/list.js';
import type { ReadTx, RequestContext } from '../readdb/readdb.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { runWrite, type Stores } from './write.js';

const dataType = 'user';
const nameGroup = (name: string) => `username/${name}`;
const idGroup = (id: string) => `userid/${id}`;

function findUser(tx: ReadTx, ref: string): User {
  if (!isUuid(ref) && nameProblem(ref)) {
    throw new BadRequestError(`invalid user ref ${JSON.stringify(ref)}: give the user's id or name`, { code: 'invalidRef' });
  }
  const found = isUuid(ref) ? tx.get(dataType, ref) : tx.getByName(dataType, ref);
  if (!found) throw new NotFoundError(`user ${JSON.stringify(ref)} does not exist`, { code: 'userNotFound' });
  return found.data as unknown as User;
}

export async function createUser(ctx: RequestContext, stores: Stores, req: CreateUserRequest): Promise<User> {
  const problem = nameProblem(req.name);
  if (problem) throw new BadRequestError(`invalid user name ${JSON.stringify(req.name)}: ${problem}`, { code: 'invalidName' });
  return runWrite(ctx, stores, (tx) => {
    if (tx.getByName(dataType, req.name)) {
      throw new ConflictError(`user ${JSON.stringify(req.name)} already exists`, { code: 'userExists' });
    }
    const user: User = { id: randomUUID(), name: req.name, createdAt: new Date().toISOString() };
    return {
      actions: [{ type: 'put', dataType, id: user.id, data: { ...user } }],
      changeGroups: [nameGroup(user.name), idGroup(user.id)],
      result: user,
    };
  });
}

export function getUser(ctx: RequestContext, stores: Stores, ref: string): User {
  return stores.readdb.do(ctx, (tx) => findUser(tx, ref));
}

export function listUsers(ctx: RequestContext, stores: Stores, query: { limit?: number; cursor?: string }): ListResult<User> {
  const limit = query.limit ?? 50;
  const afterName = query.cursor === undefined ? '' : decodeCursor(query.cursor);
  return stores.readdb.do(ctx, (tx) => {
    const rows = tx.list(dataType, { afterName, limit: limit + 1 });
    const items = rows.slice(0, limit).map((r) => r.data as unknown as User);
    return rows.length > limit ? { items, nextCursor: encodeCursor(items.at(-1)!.name) } : { items };
  });
}

export async function deleteUser(ctx: RequestContext, stores: Stores, ref: string): Promise<void> {
  await runWrite(ctx, stores, (tx) => {
    const user = findUser(tx, ref);
    return {
      actions: [{ type: 'delete', dataType, id: user.id }],
      changeGroups: [nameGroup(user.name), idGroup(user.id)],
      result: undefined,
    };
  });
}
