// A small JSON document the project writes into a bucket (an export's manifest, a folder's owner
// marker) read back: parsed and checked against its schema, else undefined (damaged, or not ours).
import type { Static, TSchema } from 'typebox';
import { Value } from 'typebox/value';

export function parseChecked<T extends TSchema>(schema: T, text: string): Static<T> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return Value.Check(schema, value) ? value : undefined;
  } catch {
    return undefined;
  }
}
