// Routes of the chat list: list my chats, archive or unarchive one.
import { Elysia, t } from 'elysia';
import type { AppDependencies } from '../../app.ts';
import { authGuard } from '../../plugins/auth-guard.ts';
import { archiveChat, listChats } from './chat-list.ts';
import { ArchiveBody, ChatItem, ChatList, ChatParams } from './model.ts';

export function chatsModule(deps: AppDependencies) {
  return new Elysia({ name: 'chats', prefix: '/chats', detail: { tags: ['Chats'] } })
    .use(authGuard(deps.tokens))
    .get('', async ({ userId }) => ({ items: await listChats(deps.db, userId) }), {
      auth: true,
      response: ChatList,
      detail: {
        summary: 'Your chats',
        description: 'Direct chats (with `peer`) and groups (with `group`), each with its newest message and unread count, most recent first. Archived chats are included with `archived: true`.',
      },
    })
    .post('/:id/archive', async ({ userId, params, body }) => ({ chat: await archiveChat(deps.db, userId, params.id, body) }), {
      auth: true,
      params: ChatParams,
      body: ArchiveBody,
      response: t.Object({ chat: ChatItem }),
      detail: {
        summary: 'Archive or unarchive a chat (for you only)',
        description:
          'An archived chat stays archived when new messages arrive, the way archiving is meant to quiet a chat; archive with `unarchiveOnMessage: true` to have the next message bring it back.',
      },
    });
}
