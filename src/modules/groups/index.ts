// Routes of groups: create, list, read, change, members and admins, leave, delete.
import { Elysia, t } from 'elysia';
import type { AppDependencies } from '../../app.ts';
import { authGuard } from '../../plugins/auth-guard.ts';
import { AdminBody, CreateGroupBody, Group, GroupEnvelope, GroupList, GroupParams, MemberBody, UpdateGroupBody } from './model.ts';
import { addGroupMember, createGroup, deleteGroup, getGroup, leaveGroup, listGroups, removeGroupMember, setGroupAdmin, updateGroup } from './service.ts';

export function groupsModule(deps: AppDependencies) {
  return new Elysia({ name: 'groups', prefix: '/groups', detail: { tags: ['Groups'] } })
    .use(authGuard(deps.tokens))
    .model({ Group })
    .post(
      '',
      async ({ userId, body, set }) => {
        set.status = 201;
        return { group: await createGroup(deps, userId, body) };
      },
      {
        auth: true,
        body: CreateGroupBody,
        response: { 201: GroupEnvelope },
        detail: {
          summary: 'Create a group',
          description:
            'You become its admin; `memberIds` must be your friends (403 `not_friends` names the first who is not). Every member hears `MEMBER_ADDED` on `group:<id>` and gets a `GROUP_ADDED` notification. 409 `group_full` past `GROUP_MEMBER_LIMIT`.',
        },
      },
    )
    .get('', async ({ userId }) => ({ items: await listGroups(deps.db, userId) }), {
      auth: true,
      response: GroupList,
      detail: { summary: 'Your groups' },
    })
    .get('/:group_id', async ({ userId, params }) => ({ group: await getGroup(deps.db, userId, params.group_id) }), {
      auth: true,
      params: GroupParams,
      response: GroupEnvelope,
      detail: { summary: 'A group with its members', description: '404 unless you are a member.' },
    })
    .put('/:group_id', async ({ userId, params, body }) => ({ group: await updateGroup(deps, userId, params.group_id, body) }), {
      auth: true,
      params: GroupParams,
      body: UpdateGroupBody,
      response: GroupEnvelope,
      detail: { summary: 'Change name, description or picture (admins)', description: 'Members hear `GROUP_UPDATED` with `changed` listing what changed. 403 `not_admin` for members.' },
    })
    .post('/:group_id/add', async ({ userId, params, body }) => ({ group: await addGroupMember(deps, userId, params.group_id, body.userId) }), {
      auth: true,
      params: GroupParams,
      body: MemberBody,
      response: GroupEnvelope,
      detail: {
        summary: 'Add a member (admins)',
        description: 'The new member must be your friend. They see messages from their join on, never earlier history. 409 `already_member` or `group_full`.',
      },
    })
    .post(
      '/:group_id/remove',
      async ({ userId, params, body }) => ({ group: await removeGroupMember(deps, userId, params.group_id, body.userId) }),
      {
        auth: true,
        params: GroupParams,
        body: MemberBody,
        response: t.Object({ group: t.Union([Group, t.Null()], { description: 'null when you removed yourself: you are no longer a member.' }) }),
        detail: {
          summary: 'Remove a member (admins), or yourself',
          description:
            'The removed member hears `MEMBER_REMOVED`, then their sockets leave the topic and they can read nothing more of the group. Naming yourself leaves the group, as `POST /groups/{group_id}/leave`.',
        },
      },
    )
    .post(
      '/:group_id/leave',
      async ({ userId, params, set }) => {
        await leaveGroup(deps, userId, params.group_id);
        set.status = 204;
      },
      {
        auth: true,
        params: GroupParams,
        detail: {
          summary: 'Leave a group',
          description: 'Members hear `MEMBER_LEFT`. When the last admin leaves, the longest-standing member becomes admin (`GROUP_UPDATED`); when the last member leaves, the group is deleted.',
        },
      },
    )
    .post('/:group_id/admins', async ({ userId, params, body }) => ({ group: await setGroupAdmin(deps, userId, params.group_id, body.userId, body.admin) }), {
      auth: true,
      params: GroupParams,
      body: AdminBody,
      response: GroupEnvelope,
      detail: { summary: 'Promote or demote an admin (admins)', description: 'Members hear `GROUP_UPDATED` with `changed: ["admins"]`. 409 `last_admin` when demoting the only admin.' },
    })
    .delete(
      '/:group_id',
      async ({ userId, params, set }) => {
        await deleteGroup(deps, userId, params.group_id);
        set.status = 204;
      },
      {
        auth: true,
        params: GroupParams,
        detail: { summary: 'Delete a group with its history (admins)', description: 'Every member hears `GROUP_DELETED` and leaves the topic.' },
      },
    );
}
