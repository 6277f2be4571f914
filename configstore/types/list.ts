import Type, { type Static, type TSchema } from 'typebox';

/** What a list cursor holds: the last name of the page and, for lists over a project's ancestors, its level. */
export interface CursorContent {
  after: string;
  level: number;
}

/** A cursor's content (base64url-encoded JSON), or undefined when it is not one. */
export function parseCursor(cursor: string): CursorContent | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as { after?: unknown; level?: unknown };
    const level = parsed.level ?? 0;
    if (typeof parsed.after === 'string' && Number.isSafeInteger(level) && (level as number) >= 0) return { after: parsed.after, level: level as number };
  } catch {
    // not a cursor
  }
  return undefined;
}

/** The `cursor` format of the schemas. */
export const isCursor = (cursor: string): boolean => parseCursor(cursor) !== undefined;

/** Format `cursor`: what a list answered as `nextCursor`. */
export const Cursor = Type.String({ maxLength: 200, format: 'cursor', description: 'the nextCursor of the previous page, unchanged' });

/** A list's page size when the query gives none, and the most it may ask for. */
export const defaultListLimit = 50;
export const maxListLimit = 500;

export const ListQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: maxListLimit, default: defaultListLimit })),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);
export type ListQuery = Static<typeof ListQuery>;

export const ListResponse = <T extends TSchema>(item: T) => Type.Object({ items: Type.Array(item), nextCursor: Type.Optional(Type.String()) });
export interface ListResult<T> {
  items: T[];
  nextCursor?: string;
}
