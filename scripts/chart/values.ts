// values.yaml, values.schema.json and README.md's values table of the chart, walked side by side
// (pure: no tools). What scripts/chart/values.unit.test.ts checks: every value typed, described
// and documented, so a value added to values.yaml without the rest fails a test.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { chartDir } from '../localenv/operator.js';

export type Schema = {
  type?: string | string[];
  enum?: unknown[];
  description?: string;
  $ref?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  items?: Schema;
  definitions?: Record<string, Schema>;
};

export const chartValues = (): unknown => parse(readFileSync(join(chartDir, 'values.yaml'), 'utf8'));
export const chartSchema = (): Schema => JSON.parse(readFileSync(join(chartDir, 'values.schema.json'), 'utf8')) as Schema;

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The dotted paths of values.yaml's leaves: scalars, lists (their items are data, not values) and empty maps. */
export function leaves(values: unknown, prefix = ''): string[] {
  if (!isMap(values) || Object.keys(values).length === 0) return [prefix];
  return Object.entries(values).flatMap(([k, v]) => leaves(v, prefix ? `${prefix}.${k}` : k));
}

/** `#/definitions/x` → that schema. */
export function deref(root: Schema, s: Schema): Schema {
  if (!s.$ref) return s;
  const name = /^#\/definitions\/(.+)$/.exec(s.$ref)?.[1];
  const target = name === undefined ? undefined : root.definitions?.[name];
  if (!target) throw new Error(`unresolved $ref ${s.$ref}`);
  return deref(root, target);
}

/** The schema of a dotted path as written (its description beside a $ref), or undefined when nothing declares it. */
export function schemaAt(root: Schema, path: string): Schema | undefined {
  let node: Schema | undefined = root;
  for (const key of path.split('.')) {
    const s: Schema = deref(root, node);
    node = s.properties?.[key] ?? (typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined);
    if (!node) return undefined;
  }
  return node;
}

/** Dotted paths of the properties the schema declares inline (not through a $ref: those are shapes, e.g. a resource list). */
export function declared(s: Schema, prefix = ''): string[] {
  return Object.entries(s.properties ?? {}).flatMap(([k, p]) => {
    const path = prefix ? `${prefix}.${k}` : k;
    return [path, ...(p.$ref ? [] : declared(p, path))];
  });
}

/** Every object schema, everywhere (definitions, items, properties), with where it is. */
export function objectSchemas(s: Schema, where = '#'): Array<[string, Schema]> {
  const here: Array<[string, Schema]> = s.type === 'object' || s.properties ? [[where, s]] : [];
  const children: Array<[string, Schema]> = [
    ...Object.entries(s.properties ?? {}).map(([k, p]): [string, Schema] => [`${where}/properties/${k}`, p]),
    ...Object.entries(s.definitions ?? {}).map(([k, p]): [string, Schema] => [`${where}/definitions/${k}`, p]),
    ...(s.items ? [[`${where}/items`, s.items] as [string, Schema]] : []),
    ...(typeof s.additionalProperties === 'object' ? [[`${where}/additionalProperties`, s.additionalProperties] as [string, Schema]] : []),
  ];
  return [...here, ...children.flatMap(([w, c]) => objectSchemas(c, w))];
}

/** README.md's values table (helm-docs): key → description. */
export function readmeRows(readme = readFileSync(join(chartDir, 'README.md'), 'utf8')): Map<string, string> {
  const table = readme.slice(readme.indexOf('## Values'));
  const rows = [...table.matchAll(/^\| (\S+) \| [^|]+ \| .* \| (.*) \|$/gm)].filter((m) => m[1] !== 'Key');
  return new Map(rows.map((m) => [m[1]!, m[2]!.trim()]));
}
