// The change groups a write names (optimistic concurrency, README "Storage in one
// paragraph"). The data types themselves are configstore/types/datatypes.ts, re-exported here
// for the action files that import both from one place.
import type { DataType } from '../types/datatypes.js';

export { allDataTypes, DataType } from '../types/datatypes.js';

/** Change group guarding an object's existence: writes that depend on it name it. */
export const idGroup = (id: string) => `id/${id}`;
/**
 * Change group of an object's children: a child's creation bumps it without checking it
 * (siblings never conflict), the parent's deletion or move checks it (no orphan).
 */
export const childrenGroup = (id: string) => `children/${id}`;
/** Change group guarding a name in a scope (parent id, or the type for top-level names). */
export const nameGroup = (type: DataType, scope: string, name: string) => `name/${type}/${scope}/${name}`;
