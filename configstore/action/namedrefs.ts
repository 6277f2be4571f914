// Refs of users, orgs and remote sources: an id (UUID) or a name. Anything else (odd
// characters, "..") is a 400 before any lookup.
import { BadRequestError, errorCodes, NotFoundError, type ErrorCode } from '../errors.js';
import { isUuid, nameProblem } from '../types/names.js';
import type { DataType } from './datatypes.js';
import type { StoredData, Tx } from './storeddata.js';

type NamedType = typeof DataType.user | typeof DataType.org | typeof DataType.remoteSource;

/** What the messages call the type: `user "x" does not exist`. */
export interface NamedKind<K extends NamedType = NamedType> {
  type: K;
  /** In messages: "user", "org", "remote source". */
  label: string;
  /** The code of its 404: userNotFound, orgNotFound, remoteSourceNotFound. */
  notFound: ErrorCode;
}

export function checkNamedRef(kind: NamedKind, ref: string): void {
  if (!isUuid(ref) && nameProblem(ref)) {
    throw new BadRequestError(`invalid ${kind.label} ref ${JSON.stringify(ref)}: give the ${kind.label}'s id or name`, { code: errorCodes.invalidRef });
  }
}

/** The object `ref` names, or a 404. */
export function findNamed<K extends NamedType>(tx: Tx, kind: NamedKind<K>, ref: string): StoredData[K] {
  checkNamedRef(kind, ref);
  const found = isUuid(ref) ? tx.get(kind.type, ref.toLowerCase()) : tx.getByName(kind.type, ref);
  if (!found) throw new NotFoundError(`${kind.label} ${JSON.stringify(ref)} does not exist`, { code: kind.notFound });
  return found.data;
}

/** Checks a new name's syntax (the schema's pattern misses the "looks like a UUID" rule). */
export function checkName(kind: NamedKind, name: string): void {
  const problem = nameProblem(name);
  if (problem) throw new BadRequestError(`invalid ${kind.label} name ${JSON.stringify(name)}: ${problem}`, { code: errorCodes.invalidName });
}
