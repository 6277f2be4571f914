// Refs of users, orgs and remote sources: an id (UUID) or a name. Anything else (odd
// characters, "..") is a 400 before any lookup.
import { BadRequestError, NotFoundError } from '../errors.js';
import { isUuid, nameProblem } from '../types/names.js';
import type { DataType } from './datatypes.js';
import type { Tx } from './storeddata.js';

/** What the messages call the type: `user "x" does not exist`. */
export interface NamedKind {
  type: DataType;
  /** In messages: "user", "org", "remote source". */
  label: string;
  /** Error code prefix: "user", "org", "remoteSource". */
  code: string;
}

export function checkNamedRef(kind: NamedKind, ref: string): void {
  if (!isUuid(ref) && nameProblem(ref)) {
    throw new BadRequestError(`invalid ${kind.label} ref ${JSON.stringify(ref)}: give the ${kind.label}'s id or name`, { code: 'invalidRef' });
  }
}

/** The object `ref` names, or a 404. */
export function findNamed<T>(tx: Tx, kind: NamedKind, ref: string): T {
  checkNamedRef(kind, ref);
  const found = isUuid(ref) ? tx.get(kind.type, ref.toLowerCase()) : tx.getByName(kind.type, ref);
  if (!found) throw new NotFoundError(`${kind.label} ${JSON.stringify(ref)} does not exist`, { code: `${kind.code}NotFound` });
  return found.data as T;
}

/** Checks a new name's syntax (the schema's pattern misses the "looks like a UUID" rule). */
export function checkName(kind: NamedKind, name: string): void {
  const problem = nameProblem(name);
  if (problem) throw new BadRequestError(`invalid ${kind.label} name ${JSON.stringify(name)}: ${problem}`, { code: 'invalidName' });
}
