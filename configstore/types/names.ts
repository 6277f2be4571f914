// Names of users, orgs, remote sources, project groups, projects, secrets and variables.
import Type from 'typebox';

/** Starts with a letter; letters and digits with single '-' separators; 1 to 40 characters. */
export const namePattern = '^[a-zA-Z][a-zA-Z0-9]*(-[a-zA-Z0-9]+)*$';
export const nameMaxLength = 40;

export const Name = Type.String({
  minLength: 1,
  maxLength: nameMaxLength,
  pattern: namePattern,
  description: 'starts with a letter; letters, digits and single "-" separators; at most 40 characters',
});

const uuidLike = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Why `name` is not a valid name, or undefined. Refs are ids or names, so a name never looks like an id. */
export function nameProblem(name: string): string | undefined {
  if (name.length === 0 || name.length > nameMaxLength) return `must have 1 to ${nameMaxLength} characters`;
  if (!new RegExp(namePattern).test(name)) return 'must start with a letter and have only letters, digits and single "-" separators';
  if (uuidLike.test(name)) return 'must not look like an id (a UUID)';
  return undefined;
}

export function isUuid(ref: string): boolean {
  return uuidLike.test(ref);
}
