// Project groups: a tree under each user's and org's root group. Refs are ids or paths
// (`org/<org>/<group>/…`, `user/<user>/…`; `org/<org>` alone is the root group).
import Type, { type Static } from 'typebox';
import { Name, pathRefPatterns } from './names.js';

export const ProjectVisibility = Type.Enum(['public', 'private'], { description: 'public or private' });
export type ProjectVisibility = Static<typeof ProjectVisibility>;

/** An id, or a path `org/<org>/…` / `user/<user>/…` (URL-encoded in paths). */
export const ProjectGroupRef = Type.String({
  minLength: 1,
  maxLength: 1024,
  pattern: pathRefPatterns.projectgroup,
  description: 'an id (a UUID) or a path like org/<org>/<group> or user/<user>/<group> (org/<org> alone: its root group), each segment a name',
});

export const ProjectGroup = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    /** Empty for root groups. */
    name: Type.String({ maxLength: 40 }),
    parentType: Type.Union([Type.Literal('org'), Type.Literal('user'), Type.Literal('projectgroup')]),
    parentId: Type.String(),
    visibility: ProjectVisibility,
    createdAt: Type.String({ format: 'date-time' }),
    path: Type.String(),
    /** Absent for root groups. */
    parentPath: Type.Optional(Type.String()),
    ownerType: Type.Union([Type.Literal('org'), Type.Literal('user')]),
    ownerId: Type.String(),
    /** private when this group or any ancestor is private. */
    globalVisibility: ProjectVisibility,
  },
  { $id: 'ProjectGroup', additionalProperties: false },
);
export type ProjectGroup = Static<typeof ProjectGroup>;

export const CreateProjectGroupRequest = Type.Object(
  { name: Name, parentRef: ProjectGroupRef, visibility: ProjectVisibility },
  { additionalProperties: false },
);
export type CreateProjectGroupRequest = Static<typeof CreateProjectGroupRequest>;

/** PUT changes the fields given; a new `parentRef` moves the group (same owner only). */
export const UpdateProjectGroupRequest = Type.Object(
  { name: Type.Optional(Name), parentRef: Type.Optional(ProjectGroupRef), visibility: Type.Optional(ProjectVisibility) },
  { additionalProperties: false },
);
export type UpdateProjectGroupRequest = Static<typeof UpdateProjectGroupRequest>;
