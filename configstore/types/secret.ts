// Secrets of projects and project groups; a project sees its own and its ancestors' (tree).
import Type, { type Static } from 'typebox';
import { Cursor, defaultListLimit, maxListLimit } from './list.js';
import { Name } from './names.js';

/** Which kind of object a secret or variable belongs to. */
export const ConfigParentType = Type.Union([Type.Literal('project'), Type.Literal('projectgroup')]);
export type ConfigParentType = Static<typeof ConfigParentType>;

// JavaScript's whitespace (what String.prototype.trim removes), spelled out: engines differ on \s
const whitespace = '\\t\\n\\v\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff';
/** A secret's keys and values as stored and exported (the importer checks them with messages of its own). */
const SecretData = Type.Record(Type.String(), Type.String({ maxLength: 65536 }), { maxProperties: 200 });
/** In a request: at least one key, none blank. */
const RequestSecretData = Type.Record(Type.String(), Type.String({ maxLength: 65536 }), {
  minProperties: 1,
  maxProperties: 200,
  propertyNames: { minLength: 1, maxLength: 256, pattern: `[^${whitespace}]`, description: 'a key: 1 to 256 characters, not all whitespace' },
});

export const Secret = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    name: Name,
    parentType: ConfigParentType,
    parentId: Type.String(),
    /** Path of the project or group the secret belongs to. */
    parentPath: Type.String(),
    type: Type.Literal('internal'),
    data: SecretData,
    createdAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'Secret', additionalProperties: false },
);
export type Secret = Static<typeof Secret>;

export const CreateSecretRequest = Type.Object(
  {
    name: Name,
    /** Only "internal" is supported. */
    type: Type.Enum(['internal'], { description: 'internal (the only type supported)' }),
    data: RequestSecretData,
  },
  { additionalProperties: false },
);
export type CreateSecretRequest = Static<typeof CreateSecretRequest>;

/** PUT changes the fields given (`name` renames). */
export const UpdateSecretRequest = Type.Partial(CreateSecretRequest, { additionalProperties: false });
export type UpdateSecretRequest = Static<typeof UpdateSecretRequest>;

/** `tree=true` adds the secrets (or variables) inherited from every ancestor group, nearest first. */
export const ConfigListQuery = Type.Object(
  {
    tree: Type.Optional(Type.Boolean()),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: maxListLimit, default: defaultListLimit })),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);
export type ConfigListQuery = Static<typeof ConfigListQuery>;
