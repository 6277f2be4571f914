// List cursors are opaque to clients: the last name of the page (and, for lists that span
// a project's ancestors, the level it came from), base64url-encoded JSON. The schemas'
// `cursor` format (types/list.ts) refuses anything else before an action runs.
import { BadRequestError, errorCodes } from '../errors.js';
import { parseCursor, type CursorContent } from '../types/list.js';

export function encodeCursor(lastName: string, level?: number): string {
  return Buffer.from(JSON.stringify(level === undefined ? { after: lastName } : { after: lastName, level })).toString('base64url');
}

export function decodeCursor(cursor: string): string {
  return decodeLeveledCursor(cursor).after;
}

export function decodeLeveledCursor(cursor: string): CursorContent {
  const parsed = parseCursor(cursor);
  if (parsed) return parsed;
  throw new BadRequestError('invalid list cursor: pass back the nextCursor of the previous page unchanged', { code: errorCodes.invalidCursor });
}
