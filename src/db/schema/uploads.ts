// Uploaded files (their bytes live in the upload store) and the chats each one was shared in.
import { index, integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { chats } from './chats.ts';
import { users } from './users.ts';

export const uploads = sqliteTable(
  'uploads',
  {
    id: text('id').primaryKey(),
    ownerId: text('owner_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** Where the bytes are in the store (a file under UPLOAD_DIR or an S3 object key). */
    storageKey: text('storage_key').notNull(),
    /** Detected from the bytes, never taken from the client. */
    mime: text('mime').notNull(),
    size: integer('size').notNull(),
    /** The client's file name, for display and downloads. */
    name: text('name').notNull(),
    width: integer('width'),
    height: integer('height'),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (table) => [index('uploads_owner').on(table.ownerId)],
);

/** A file sent in a chat (as an attachment or the group's picture): its members may download it. */
export const chatUploads = sqliteTable(
  'chat_uploads',
  {
    chatId: text('chat_id')
      .notNull()
      .references(() => chats.id, { onDelete: 'cascade' }),
    uploadId: text('upload_id')
      .notNull()
      .references(() => uploads.id, { onDelete: 'cascade' }),
  },
  (table) => [primaryKey({ columns: [table.uploadId, table.chatId] })],
);
