// Chats (direct and group), their members with receipt watermarks, messages, and per-user hides.
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import type { UploadView } from '../../modules/uploads/model.ts';
import { users } from './users.ts';

export const chats = sqliteTable(
  'chats',
  {
    id: text('id').primaryKey(),
    kind: text('kind', { enum: ['direct', 'group'] }).notNull(),
    /** For direct chats: `<lowUserId>:<highUserId>`, so a pair has one chat. */
    directKey: text('direct_key'),
    name: text('name'),
    description: text('description'),
    pictureUploadId: text('picture_upload_id'),
    createdBy: text('created_by'),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (table) => [uniqueIndex('chats_direct_key').on(table.directKey)],
);

export const chatMembers = sqliteTable(
  'chat_members',
  {
    chatId: text('chat_id')
      .notNull()
      .references(() => chats.id, { onDelete: 'cascade' }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: text('role', { enum: ['member', 'admin'] }).notNull(),
    joinedAt: integer('joined_at', { mode: 'timestamp_ms' }).notNull(),
    /** Messages with a seq above this are visible to the member (history from their join). */
    visibleAfterSeq: integer('visible_after_seq').notNull(),
    /** Receipt watermarks: delivered / read up to and including this message seq. */
    deliveredSeq: integer('delivered_seq').notNull(),
    readSeq: integer('read_seq').notNull(),
    archived: integer('archived', { mode: 'boolean' }).notNull(),
    /** Archived with "a new message brings it back": the chat's last seq then; null keeps it archived. */
    unarchiveAfterSeq: integer('unarchive_after_seq'),
  },
  (table) => [primaryKey({ columns: [table.chatId, table.userId] }), index('chat_members_user').on(table.userId)],
);

export const messages = sqliteTable(
  'messages',
  {
    id: text('id').primaryKey(),
    chatId: text('chat_id')
      .notNull()
      .references(() => chats.id, { onDelete: 'cascade' }),
    /** The seq of the event that created it on the chat's topic: increasing within the chat. */
    seq: integer('seq').notNull(),
    senderId: text('sender_id').references(() => users.id, { onDelete: 'set null' }),
    text: text('text'),
    /** The attached uploads as shown to clients: stored with the message, since an upload never changes. */
    attachments: text('attachments', { mode: 'json' }).$type<UploadView[]>().notNull(),
    replyToId: text('reply_to_id'),
    mentions: text('mentions', { mode: 'json' }).$type<string[]>().notNull(),
    clientMessageId: text('client_message_id'),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    editedAt: integer('edited_at', { mode: 'timestamp_ms' }),
    unsentAt: integer('unsent_at', { mode: 'timestamp_ms' }),
  },
  (table) => [
    uniqueIndex('messages_chat_seq').on(table.chatId, table.seq),
    // A retried send finds the first message instead of writing a copy.
    uniqueIndex('messages_client_id').on(table.senderId, table.clientMessageId),
  ],
);

/** Delete-for-me: the message stays for everyone else. */
export const messageHides = sqliteTable(
  'message_hides',
  {
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    messageId: text('message_id')
      .notNull()
      .references(() => messages.id, { onDelete: 'cascade' }),
  },
  (table) => [primaryKey({ columns: [table.userId, table.messageId] })],
);
