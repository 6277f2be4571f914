// Variables: named values taken from secrets, optionally only for some branches, tags or refs.
import Type, { type Static, type TSchema } from 'typebox';
import { Name } from './names.js';
import { ConfigParentType } from './secret.js';

/** Format `regexp` of the schemas: a JavaScript regular expression that compiles (no flags). */
export function isRegExp(text: string): boolean {
  try {
    new RegExp(text);
    return true;
  } catch {
    return false;
  }
}

const conditionFields = {
  type: Type.Enum(['simple', 'regexp'], { description: 'simple or regexp' }),
  match: Type.String({ minLength: 1, maxLength: 1024 }),
};

/**
 * A variable's values, with conditions as given: as stored and exported (the importer checks
 * the regexps with messages of its own), or in a request, where a regexp must compile.
 */
function valuesSchema<C extends TSchema>(condition: C) {
  const conditions = Type.Object(
    { include: Type.Optional(Type.Array(condition, { maxItems: 100 })), exclude: Type.Optional(Type.Array(condition, { maxItems: 100 })) },
    { additionalProperties: false },
  );
  /** As in Agola: a value applies when its branch, tag and ref conditions all match. */
  const when = Type.Object(
    { branch: Type.Optional(conditions), tag: Type.Optional(conditions), ref: Type.Optional(conditions) },
    { additionalProperties: false },
  );
  const value = Type.Object(
    { secretName: Name, secretVar: Type.String({ minLength: 1, maxLength: 256 }), when: Type.Optional(when) },
    { additionalProperties: false },
  );
  return Type.Array(value, { minItems: 1, maxItems: 100 });
}

export const WhenCondition = Type.Object(conditionFields, { additionalProperties: false });
const Values = valuesSchema(WhenCondition);
const RequestValues = valuesSchema(
  Type.Object(conditionFields, {
    additionalProperties: false,
    if: { properties: { type: { const: 'regexp' } } },
    then: { properties: { match: { format: 'regexp', description: 'a regular expression that compiles (JavaScript syntax)' } } },
  }),
);
export type VariableValue = Static<typeof Values>[number];
export type When = NonNullable<VariableValue['when']>;

export const Variable = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    name: Name,
    parentType: ConfigParentType,
    parentId: Type.String(),
    parentPath: Type.String(),
    values: Values,
    createdAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'Variable', additionalProperties: false },
);
export type Variable = Static<typeof Variable>;

export const CreateVariableRequest = Type.Object({ name: Name, values: RequestValues }, { additionalProperties: false });
export type CreateVariableRequest = Static<typeof CreateVariableRequest>;

/** PUT changes the fields given (`name` renames). */
export const UpdateVariableRequest = Type.Partial(CreateVariableRequest, { additionalProperties: false });
export type UpdateVariableRequest = Static<typeof UpdateVariableRequest>;
