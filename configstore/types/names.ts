// Names of users, orgs, remote sources, project groups, projects, secrets and variables.
import Type from 'typebox';

/** Starts with a letter; letters and digits with single '-' separators; 1 to 40 characters. */
export const namePattern = '^[a-zA-Z][a-zA-Z0-9]*(-[a-zA-Z0-9]+)*$';
export const nameMaxLength = 40;

export const uuidPattern = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';
const uuidLike = new RegExp(`^${uuidPattern}$`);
const nameDescription = 'starts with a letter; letters, digits and single "-" separators; at most 40 characters; not a UUID';

/** What the schemas' patterns check, in full: the refs' patterns are what the server accepts (nameProblem, paths.ts). */
const nameSchemaPattern = `^(?!${uuidPattern}$)${namePattern.slice(1)}`;
const namedRefPattern = `^(?:${uuidPattern}|${namePattern.slice(1, -1)})$`;
const uuidSchemaPattern = `^${uuidPattern}$`;

export const Name = Type.String({
  minLength: 1,
  maxLength: nameMaxLength,
  pattern: nameSchemaPattern,
  description: `a name: ${nameDescription}`,
});

/** An object's id. */
export const Uuid = Type.String({ minLength: 36, maxLength: 36, pattern: uuidSchemaPattern, description: 'an id (a UUID)' });

/** A user, org or remote source: its id or its name. */
export const NamedRef = Type.String({
  minLength: 1,
  maxLength: nameMaxLength,
  pattern: namedRefPattern,
  description: `an id (a UUID) or a name (${nameDescription})`,
});

/** One name of a path, up to the next "/" or the end: as a name (at most 40 characters, not a UUID). */
const pathSegmentPattern = `(?!${uuidPattern}(?:/|$))[a-zA-Z](?:[a-zA-Z0-9]|-(?=[a-zA-Z0-9])){0,${nameMaxLength - 1}}`;

/** The patterns of project group refs and project refs (three segments at least): pathRefProblem's rule. */
export const pathRefPatterns = {
  projectgroup: `^(?:${uuidPattern}|(?:org|user)(?:/${pathSegmentPattern})+)$`,
  project: `^(?:${uuidPattern}|(?:org|user)/${pathSegmentPattern}(?:/${pathSegmentPattern})+)$`,
};
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

/** What a project group or project path ref must look like, for messages. */
export const pathRefExamples = { projectgroup: 'org/<org>/<group>', project: 'org/<org>/<group>/<project>' } as const;

/** Why `ref` is neither an id nor a path of a project group (or a project: three segments at least), or undefined. */
export function pathRefProblem(kind: keyof typeof pathRefExamples, ref: string): string | undefined {
  if (!ref.includes('/')) return isUuid(ref) ? undefined : 'not an id and not a path';
  const [ownerType, ...segments] = ref.split('/');
  if (ownerType !== 'org' && ownerType !== 'user') return 'a path starts with "org/" or "user/"';
  for (const segment of segments) {
    if (segment === '') return 'empty path segment';
    if (segment === '.' || segment === '..') return `"${segment}" is not allowed in a path`;
    const problem = nameProblem(segment);
    if (problem) return `path segment ${JSON.stringify(segment)} ${problem}`;
  }
  if (kind === 'project' && segments.length < 2) return 'a project path has at least three segments';
  return undefined;
}

/**
 * The server's own words for a value its schema's pattern refuses (the API's 400 says
 * them), by pattern: the pattern and these checks are one rule.
 */
export function patternProblem(pattern: string, value: string): string | undefined {
  if (pattern === nameSchemaPattern) return nameProblem(value);
  if (pattern === namedRefPattern) return 'give an id (a UUID) or a name (it starts with a letter and has only letters, digits and single "-" separators)';
  if (pattern === uuidSchemaPattern) return 'give an id (a UUID)';
  for (const kind of ['projectgroup', 'project'] as const) {
    if (pattern === pathRefPatterns[kind]) return `${pathRefProblem(kind, value) ?? 'not valid'}; give an id or a path like ${pathRefExamples[kind]}`;
  }
  return undefined;
}
