// Schemas of the chat list: a chat as one row of it, and archiving.
import { t } from 'elysia';
import { Group } from '../groups/model.ts';
import { Message } from '../messages/model.ts';
import { User } from '../users/model.ts';

export const ChatItem = t.Object(
  {
    id: t.String(),
    kind: t.Union([t.Literal('direct'), t.Literal('group')]),
    peer: t.Optional(t.Union([User, t.Null()], { description: 'Direct chats: the other person (null if their account is gone).' })),
    group: t.Optional(Group),
    lastMessage: t.Union([Message, t.Null()], { description: 'The newest message you can see, or null.' }),
    unreadCount: t.Integer({ description: "Messages from others after your read watermark (`POST /messages/{id}/read`)." }),
    archived: t.Boolean(),
    unarchiveOnMessage: t.Boolean({ description: 'Whether a new message brings this chat back from the archive.' }),
  },
  { description: 'A chat in your list.' },
);
export type ChatItemView = typeof ChatItem.static;

export const ChatList = t.Object({
  items: t.Array(ChatItem, { description: 'Most recent activity first.' }),
});

export const ArchiveBody = t.Object({
  archived: t.Boolean(),
  unarchiveOnMessage: t.Optional(
    t.Boolean({ description: 'When archiving: let a new message unarchive the chat. Default false: an archived chat stays archived.' }),
  ),
});

export const ChatParams = t.Object({ id: t.String({ maxLength: 64 }) });
