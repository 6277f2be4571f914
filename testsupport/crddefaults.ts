// An object as the API server serves it: the defaults of its CRD's schema applied, as
// apiextensions-apiserver does on every read (pkg/apiserver/schema/defaulting: a property with a
// default is set where absent, then every property present is walked into). So a freshly created
// custom resource, which has no status yet, is served with the status default of its CRD.
import { shippedCrds } from './shippedcrds.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
interface Schema {
  properties?: Record<string, Schema>;
  items?: Schema;
  additionalProperties?: Schema | boolean;
  default?: Json;
}

function applyDefaults(value: Json | undefined, schema: Schema | undefined): void {
  if (!schema || value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    for (const item of value) applyDefaults(item, schema.items);
    return;
  }
  for (const [k, prop] of Object.entries(schema.properties ?? {})) {
    if (prop.default !== undefined && value[k] === undefined) value[k] = structuredClone(prop.default);
  }
  for (const [k, v] of Object.entries(value)) {
    const prop = schema.properties?.[k] ?? (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined);
    applyDefaults(v, prop);
  }
}

/** A copy of `obj` with the defaults of its kind's CRD (its YAML in crds/) applied. */
export function served<T extends { kind: string }>(obj: T): T {
  const crd = shippedCrds().find((c) => c.spec.names.kind === obj.kind);
  if (!crd) throw new Error(`no CRD in crds/ serves kind ${obj.kind}`);
  const copy = structuredClone(obj) as unknown as Json;
  applyDefaults(copy, crd.spec.versions[0]!.schema.openAPIV3Schema as Schema);
  return copy as unknown as T;
}
