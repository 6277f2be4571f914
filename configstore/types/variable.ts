// Variables: named values taken from secrets, optionally only for some branches, tags or refs.
import Type, { type Static } from 'typebox';
import { Name } from './names.js';
import { ConfigParentType } from './secret.js';

export const WhenCondition = Type.Object(
  {
    type: Type.Enum(['simple', 'regexp'], { description: 'simple or regexp' }),
    match: Type.String({ minLength: 1, maxLength: 1024 }),
  },
  { additionalProperties: false },
);
export const WhenConditions = Type.Object(
  { include: Type.Optional(Type.Array(WhenCondition, { maxItems: 100 })), exclude: Type.Optional(Type.Array(WhenCondition, { maxItems: 100 })) },
  { additionalProperties: false },
);
/** As in Agola: a value applies when its branch, tag and ref conditions all match. */
export const When = Type.Object(
  { branch: Type.Optional(WhenConditions), tag: Type.Optional(WhenConditions), ref: Type.Optional(WhenConditions) },
  { additionalProperties: false },
);
export type When = Static<typeof When>;

export const VariableValue = Type.Object(
  {
    secretName: Name,
    secretVar: Type.String({ minLength: 1, maxLength: 256 }),
    when: Type.Optional(When),
  },
  { additionalProperties: false },
);
export type VariableValue = Static<typeof VariableValue>;

const Values = Type.Array(VariableValue, { minItems: 1, maxItems: 100 });

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

export const CreateVariableRequest = Type.Object({ name: Name, values: Values }, { additionalProperties: false });
export type CreateVariableRequest = Static<typeof CreateVariableRequest>;

/** PUT changes the fields given (`name` renames). */
export const UpdateVariableRequest = Type.Partial(CreateVariableRequest, { additionalProperties: false });
export type UpdateVariableRequest = Static<typeof UpdateVariableRequest>;
