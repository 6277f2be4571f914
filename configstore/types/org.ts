// Organizations and their members.
import Type, { type Static } from 'typebox';
import { Name, NamedRef } from './names.js';
import { User } from './user.js';

export const Visibility = Type.Enum(['public', 'private'], { description: 'public or private' });
export type Visibility = Static<typeof Visibility>;

export const MemberRole = Type.Enum(['owner', 'member'], { description: 'owner or member' });
export type MemberRole = Static<typeof MemberRole>;

export const Org = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    name: Name,
    visibility: Visibility,
    creatorUserId: Type.Optional(Type.String({ format: 'uuid' })),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'Org', additionalProperties: false },
);
export type Org = Static<typeof Org>;

export const CreateOrgRequest = Type.Object(
  {
    name: Name,
    visibility: Visibility,
    /** Made the org's first owner; must exist. */
    creatorUserRef: Type.Optional(NamedRef),
  },
  { additionalProperties: false },
);
export type CreateOrgRequest = Static<typeof CreateOrgRequest>;

export const UpdateOrgRequest = Type.Object({ name: Type.Optional(Name), visibility: Type.Optional(Visibility) }, { additionalProperties: false });
export type UpdateOrgRequest = Static<typeof UpdateOrgRequest>;

export const OrgMember = Type.Object({ user: User, role: MemberRole }, { $id: 'OrgMember', additionalProperties: false });
export type OrgMember = Static<typeof OrgMember>;

/** A membership as stored (and exported): parented by the org, named by the user's id (unique per org). */
export const OrgMemberData = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    name: Type.String({ format: 'uuid', description: 'the user id' }),
    parentId: Type.String({ format: 'uuid', description: 'the org id' }),
    orgId: Type.String({ format: 'uuid' }),
    userId: Type.String({ format: 'uuid' }),
    role: MemberRole,
    createdAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'OrgMemberData', additionalProperties: false },
);
export type OrgMemberData = Static<typeof OrgMemberData>;

export const SetOrgMemberRequest = Type.Object({ role: MemberRole }, { additionalProperties: false });
export type SetOrgMemberRequest = Static<typeof SetOrgMemberRequest>;

/** An org a user belongs to, with the user's role there. */
export const UserOrg = Type.Object({ org: Org, role: MemberRole }, { $id: 'UserOrg', additionalProperties: false });
export type UserOrg = Static<typeof UserOrg>;
