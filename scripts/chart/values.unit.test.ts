// Every value of the chart is typed (values.schema.json) and documented (README.md, from its
// `# --` comment): a value added to values.yaml alone fails here, naming it. The schema is
// exercised for real by `helm template` in helm.test.ts; ajv here catches a schema mistake fast.
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { chartSchema, chartValues, declared, deref, leaves, objectSchemas, readmeRows, schemaAt } from './values.js';

const values = chartValues();
const schema = chartSchema();
// Helm hands a subchart its parent's `global`; this chart has none of its own
const schemaOnly = new Set(['global']);

describe('values.schema.json', () => {
  it('types and describes every leaf of values.yaml', () => {
    const leafs = leaves(values);
    expect(leafs.length).toBeGreaterThan(10);
    const untyped = leafs.filter((path) => {
      const s = schemaAt(schema, path);
      if (!s?.description) return true;
      const t = deref(schema, s);
      return t.type === undefined && t.enum === undefined;
    });
    expect(untyped, 'values without a schema entry (type or enum, and a description)').toEqual([]);
  });

  it('declares nothing values.yaml lacks (so README.md documents every value)', () => {
    const present = (path: string) => path.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], values) !== undefined;
    expect(declared(schema).filter((p) => !schemaOnly.has(p) && !present(p))).toEqual([]);
  });

  it('says what each object takes beyond its properties (false: a typo is refused)', () => {
    const open = objectSchemas(schema).filter(([where, s]) => s.additionalProperties === undefined && !schemaOnly.has(where.split('/').pop()!));
    expect(
      open.map(([where]) => where),
      'object schemas without additionalProperties (false, or the schema of what else they take)',
    ).toEqual([]);
    expect(schema.additionalProperties).toBe(false);
  });

  it('is a valid draft-07 schema (strict: no unknown keyword) that values.yaml meets', () => {
    const ajv = new Ajv({ strict: true, allErrors: true, allowUnionTypes: true });
    const validate = ajv.compile(schema);
    expect(validate(values), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ ...(values as object), replica: 3 })).toBe(false);
    expect(validate.errors?.[0]).toMatchObject({ keyword: 'additionalProperties', params: { additionalProperty: 'replica' } });
  });
});

describe('README.md values table (helm-docs)', () => {
  const rows = readmeRows();

  it('has a row with a description for every leaf of values.yaml (or for the object holding it)', () => {
    const covered = (path: string) => path.split('.').some((_, i, keys) => rows.has(keys.slice(0, i + 1).join('.')));
    const hint = 'values without a described README row: give each a `# --` comment in values.yaml, then npm run gen:chart-readme';
    expect(
      leaves(values).filter((path) => !covered(path)),
      hint,
    ).toEqual([]);
    expect(
      [...rows].filter(([, description]) => !description).map(([key]) => key),
      hint,
    ).toEqual([]);
  });

  it('lists only values that exist', () => {
    expect(rows.size).toBeGreaterThan(10);
    expect([...rows.keys()].filter((key) => schemaAt(schema, key) === undefined)).toEqual([]);
  });
});
