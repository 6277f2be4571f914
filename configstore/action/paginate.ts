// Lists page by name: `limit` objects (default `defaultListLimit`) after the cursor's
// name, and a `nextCursor` (the page's last stored name) when more follow. Every list of
// one parent's objects goes through `listPage`; the cursor is decoded before the read
// transaction (`pageStart`), so a bad cursor is a 400 whatever else is wrong.
import { defaultListLimit, type ListResult } from '../types/list.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import type { DataType } from './datatypes.js';
import type { StoredData, Tx } from './storeddata.js';

/** A list's query string (types/list.ts ListQuery). */
export interface PageQuery {
  limit?: number;
  cursor?: string;
}

export interface PageStart {
  limit: number;
  afterName: string;
}

/**
 * The most objects one cascading delete reads (a user's tokens, a group's secrets or
 * variables): far above what a real parent holds, a bound against corrupt data.
 */
export const cascadeLimit = 100_000;

export function pageStart(query: PageQuery): PageStart {
  return { limit: query.limit ?? defaultListLimit, afterName: query.cursor === undefined ? '' : decodeCursor(query.cursor) };
}

/**
 * One page of the objects of `type` under `parent` (null: top level), in name order, as
 * `view` shows them; `view` returning undefined leaves an object out (the cursor still
 * moves past it).
 */
export function listPage<K extends DataType, V>(
  tx: Tx,
  type: K,
  parent: string | null,
  start: PageStart,
  view: (data: StoredData[K]) => V | undefined,
): ListResult<V> {
  const rows = tx.list(type, { parent, afterName: start.afterName, limit: start.limit + 1 });
  const items: V[] = [];
  for (const r of rows.slice(0, start.limit)) {
    const item = view(r.data);
    if (item !== undefined) items.push(item);
  }
  return rows.length > start.limit ? { items, nextCursor: encodeCursor(rows[start.limit - 1]!.name ?? '') } : { items };
}
