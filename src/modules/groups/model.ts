// Schemas of the groups module: a group with its members, and what admins may change.
import { t } from 'elysia';
import { User } from '../users/model.ts';

const Id = t.String({ minLength: 1, maxLength: 64 });
const Time = t.String({ format: 'date-time' });
const Role = t.Union([t.Literal('member'), t.Literal('admin')]);

export const GroupName = t.String({ minLength: 1, maxLength: 100, description: '1-100 characters.' });
export const GroupDescription = t.String({ maxLength: 1000, description: 'Up to 1,000 characters.' });

export const Member = t.Object(
  { user: User, role: Role, joinedAt: Time },
  { description: 'A member of a group.' },
);
export type MemberView = typeof Member.static;

export const Group = t.Object(
  {
    id: t.String({ description: 'Also the id of its chat: `groupId` of messages, `group:<id>` topic.' }),
    name: t.String(),
    description: t.Union([t.String(), t.Null()]),
    pictureUrl: t.Union([t.String(), t.Null()]),
    createdBy: t.Union([t.String(), t.Null()]),
    createdAt: Time,
    memberCount: t.Integer(),
    role: t.Optional(Role),
    members: t.Optional(t.Array(Member, { description: 'In `GET /groups/{group_id}` and after changes: every member, longest-standing first.' })),
  },
  { description: 'A group chat. `role` is yours (absent in events, which every member receives).' },
);
export type GroupView = typeof Group.static;

export const GroupEnvelope = t.Object({ group: Group });
export const GroupList = t.Object({ items: t.Array(Group, { description: 'Your groups, newest first.' }) });

export const CreateGroupBody = t.Object({
  name: GroupName,
  memberIds: t.Array(Id, { maxItems: 999, description: 'Friends of yours to add; you are added as admin.' }),
  description: t.Optional(GroupDescription),
  pictureUploadId: t.Optional(t.String({ minLength: 1, maxLength: 64, description: 'An image you uploaded.' })),
});

export const UpdateGroupBody = t.Object(
  {
    name: t.Optional(GroupName),
    description: t.Optional(t.Union([GroupDescription, t.Null()])),
    pictureUploadId: t.Optional(t.Union([t.String({ minLength: 1, maxLength: 64 }), t.Null()], { description: 'An image you uploaded, or null to remove the picture.' })),
  },
  { description: 'Only the fields given change.' },
);

export const MemberBody = t.Object({ userId: Id });
export const AdminBody = t.Object({ userId: Id, admin: t.Boolean({ description: 'true to promote, false to demote.' }) });
export const GroupParams = t.Object({ group_id: t.String({ maxLength: 64 }) });
