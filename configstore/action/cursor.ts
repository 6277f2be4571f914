// List cursors are opaque to clients: the last name of the page, base64url-encoded.
import { BadRequestError } from '../errors.js';

export function encodeCursor(lastName: string): string {
  return Buffer.from(JSON.stringify({ after: lastName })).toString('base64url');
}

export function decodeCursor(cursor: string): string {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as { after?: unknown };
    if (typeof parsed.after === 'string') return parsed.after;
  } catch {
    // fall through
  }
  throw new BadRequestError('invalid list cursor: pass back the nextCursor of the previous page unchanged', { code: 'invalidCursor' });
}
