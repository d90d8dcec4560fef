// Schemas of messages: what a client sends, and the message it gets back.
import { t } from 'elysia';
import { Upload } from '../uploads/model.ts';

const Id = t.String({ minLength: 1, maxLength: 64 });

export const SendFields = {
  text: t.Optional(t.String({ maxLength: 4000, description: 'Up to 4,000 characters; a message has text, attachments or both.' })),
  attachmentIds: t.Optional(t.Array(Id, { maxItems: 10, description: 'Ids of up to 10 of your uploads (`POST /uploads`).' })),
  replyToId: t.Optional(Id),
  mentions: t.Optional(t.Array(Id, { maxItems: 50, description: 'User ids of members to notify.' })),
  clientMessageId: t.Optional(
    t.String({ minLength: 1, maxLength: 64, description: 'Your id for this send: a retry with the same one returns the first message.' }),
  ),
};

export const SendMessageBody = t.Union(
  [t.Object({ toUserId: Id, ...SendFields }), t.Object({ groupId: Id, ...SendFields })],
  { description: '`toUserId` for a direct message (to a friend), or `groupId`.' },
);

export const Message = t.Object(
  {
    id: t.String(),
    chatId: t.String(),
    kind: t.Union([t.Literal('direct'), t.Literal('group')]),
    seq: t.Integer({ description: "Position in the chat: the seq of its CREATED event on the chat's topic." }),
    senderId: t.Union([t.String(), t.Null()]),
    text: t.Union([t.String(), t.Null()]),
    attachments: t.Array(Upload),
    replyToId: t.Union([t.String(), t.Null()]),
    mentions: t.Array(t.String()),
    createdAt: t.String({ format: 'date-time' }),
    editedAt: t.Union([t.String({ format: 'date-time' }), t.Null()]),
  },
  { description: 'A message.' },
);

export const MessageEnvelope = t.Object({ message: Message });

export const MessagePage = t.Object({
  items: t.Array(Message, { description: 'Newest first.' }),
  nextCursor: t.Union([t.String(), t.Null()], { description: 'Pass as `before` for the next (older) page.' }),
});

export const HistoryQuery = t.Object({
  limit: t.Optional(t.Integer({ minimum: 1, maximum: 100, default: 50 })),
  before: t.Optional(t.String({ pattern: '^\\d{1,15}$', description: 'nextCursor of the previous page.' })),
});

export const MessageParams = t.Object({ id: Id });

export const Receipts = t.Object({
  deliveredTo: t.Array(t.String(), { description: 'User ids of members whose devices received it (reading implies receiving).' }),
  readBy: t.Array(t.String(), { description: 'User ids of members who read it.' }),
});
