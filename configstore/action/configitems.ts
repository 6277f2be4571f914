// What secrets and variables share: they belong to a project or a project group, have
// names unique within it, and a list can add those inherited from every ancestor group
// (`tree`), nearest first. List cursors carry the tree level and the last name.
import { randomUUID } from 'node:crypto';
import { ConflictError, errorCodes, NotFoundError } from '../errors.js';
import type { ConfigParentType } from '../types/secret.js';
import { defaultListLimit, type ListResult } from '../types/list.js';
import type { RequestContext } from '../readdb/readdb.js';
import { decodeLeveledCursor, encodeCursor } from './cursor.js';
import { childrenGroup, idGroup, nameGroup, type DataType } from './datatypes.js';
import { groupLocation, projectLocation, resolveGroup, resolveProject } from './paths.js';
import { checkName } from './projectgroups.js';
import type { StoredItem, Tx } from './storeddata.js';
import { runWrite, type Stores } from './write.js';

export type { StoredItem } from './storeddata.js';

export interface ItemKind<Fields> {
  dataType: typeof DataType.secret | typeof DataType.variable;
  label: 'secret' | 'variable';
  /** Throws a 400 when the complete fields of an item are not acceptable. */
  validate(name: string, fields: Fields): void;
}

export type ItemView<Fields> = StoredItem<Fields> & { parentPath: string };

const itemCodes = {
  secret: { exists: errorCodes.secretExists, notFound: errorCodes.secretNotFound },
  variable: { exists: errorCodes.variableExists, notFound: errorCodes.variableNotFound },
} as const;

interface Level {
  id: string;
  path: string;
}

/** The parent (level 0) and, for `tree`, every ancestor group with its path. */
function levelsOf(tx: Tx, parentType: ConfigParentType, ref: string): { parentLabel: string; levels: Level[] } {
  const parent = parentType === 'project' ? resolveProject(tx, ref) : resolveGroup(tx, ref);
  const loc =
    parentType === 'project' ? projectLocation(tx, parent as ReturnType<typeof resolveProject>) : groupLocation(tx, parent as ReturnType<typeof resolveGroup>);
  const segments = loc.path.split('/');
  const levels = [
    { id: parent.id, path: loc.path },
    ...loc.ancestors.map((g, i) => ({ id: g.id, path: segments.slice(0, segments.length - 1 - i).join('/') })),
  ];
  return { parentLabel: `${parentType === 'project' ? 'project' : 'project group'} ${JSON.stringify(loc.path)}`, levels };
}

function parseCursor(cursor: string | undefined): { level: number; after: string } {
  return cursor === undefined ? { level: 0, after: '' } : decodeLeveledCursor(cursor);
}

export function listItems<F>(
  ctx: RequestContext,
  stores: Stores,
  kind: ItemKind<F>,
  parentType: ConfigParentType,
  ref: string,
  query: { tree?: boolean; limit?: number; cursor?: string },
): ListResult<ItemView<F>> {
  const limit = query.limit ?? defaultListLimit;
  const start = parseCursor(query.cursor);
  return stores.readdb.do(ctx, (tx) => {
    const { levels: all } = levelsOf(tx, parentType, ref);
    const levels = query.tree ? all : all.slice(0, 1);
    const found: Array<{ level: number; item: ItemView<F> }> = [];
    for (let level = start.level; level < levels.length && found.length <= limit; level++) {
      const { id, path } = levels[level]!;
      const afterName = level === start.level ? start.after : '';
      for (const row of tx.list(kind.dataType, { parent: id, afterName, limit: limit + 1 - found.length })) {
        found.push({ level, item: { ...(row.data as StoredItem<F>), parentPath: path } });
      }
    }
    const items = found.slice(0, limit).map((f) => f.item);
    if (found.length <= limit) return { items };
    const last = found[limit - 1]!;
    return { items, nextCursor: encodeCursor(last.item.name, last.level) };
  });
}

export async function createItem<F extends object>(
  ctx: RequestContext,
  stores: Stores,
  kind: ItemKind<F>,
  parentType: ConfigParentType,
  ref: string,
  name: string,
  fields: F,
): Promise<ItemView<F>> {
  checkName(kind.label, name);
  kind.validate(name, fields);
  return runWrite(ctx, stores, (tx) => {
    const { parentLabel, levels } = levelsOf(tx, parentType, ref);
    const parent = levels[0]!;
    if (tx.getByName(kind.dataType, name, parent.id)) {
      throw new ConflictError(`${kind.label} ${JSON.stringify(name)} already exists in ${parentLabel}`, { code: itemCodes[kind.label].exists });
    }
    const item = { ...fields, id: randomUUID(), name, parentType, parentId: parent.id, createdAt: new Date().toISOString() } as StoredItem<F>;
    return {
      actions: [{ type: 'put', dataType: kind.dataType, id: item.id, data: { ...item } }],
      changeGroups: [nameGroup(kind.dataType, parent.id, name), idGroup(item.id)],
      // the parent must still exist; its deletion checks its children group (no orphan)
      checkGroups: [idGroup(parent.id)],
      touchGroups: [childrenGroup(parent.id)],
      result: { ...item, parentPath: parent.path },
    };
  });
}

function findItem<F>(tx: Tx, kind: ItemKind<F>, parentType: ConfigParentType, ref: string, name: string) {
  checkName(kind.label, name);
  const { parentLabel, levels } = levelsOf(tx, parentType, ref);
  const found = tx.getByName(kind.dataType, name, levels[0]!.id);
  if (!found) throw new NotFoundError(`${kind.label} ${JSON.stringify(name)} does not exist in ${parentLabel}`, { code: itemCodes[kind.label].notFound });
  return { item: found.data as StoredItem<F>, parent: levels[0]!, parentLabel };
}

/** Changes the fields given; a new `name` renames (and must be free). */
export async function updateItem<F extends object>(
  ctx: RequestContext,
  stores: Stores,
  kind: ItemKind<F>,
  parentType: ConfigParentType,
  ref: string,
  name: string,
  changes: Partial<F> & { name?: string },
): Promise<ItemView<F>> {
  if (changes.name !== undefined) checkName(kind.label, changes.name);
  return runWrite(ctx, stores, (tx) => {
    const { item, parent, parentLabel } = findItem(tx, kind, parentType, ref, name);
    const updated = { ...item, ...changes } as StoredItem<F>;
    const newName = updated.name;
    // an item is its fields and more: the kind reads only its fields
    kind.validate(newName, updated);
    // the parent is only checked (its deletion bumps its id group): sibling updates never conflict
    const changeGroups = [idGroup(item.id)];
    if (newName !== item.name) {
      if (tx.getByName(kind.dataType, newName, parent.id)) {
        throw new ConflictError(`${kind.label} ${JSON.stringify(newName)} already exists in ${parentLabel}`, { code: itemCodes[kind.label].exists });
      }
      changeGroups.push(nameGroup(kind.dataType, parent.id, item.name), nameGroup(kind.dataType, parent.id, newName));
    }
    return {
      actions: [{ type: 'put', dataType: kind.dataType, id: item.id, data: { ...updated } }],
      changeGroups,
      checkGroups: [idGroup(parent.id)],
      result: { ...updated, parentPath: parent.path },
    };
  });
}

export async function deleteItem<F>(
  ctx: RequestContext,
  stores: Stores,
  kind: ItemKind<F>,
  parentType: ConfigParentType,
  ref: string,
  name: string,
): Promise<void> {
  await runWrite(ctx, stores, (tx) => {
    const { item, parent } = findItem(tx, kind, parentType, ref, name);
    return {
      actions: [{ type: 'delete', dataType: kind.dataType, id: item.id }],
      changeGroups: [idGroup(item.id), nameGroup(kind.dataType, parent.id, item.name)],
      result: undefined,
    };
  });
}
