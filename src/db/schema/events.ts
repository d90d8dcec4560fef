// The durable event log behind real time: every durable event has the next seq of its topic.
import { index, integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { users } from './users.ts';

/** Per topic: the last seq handed out, and up to which seq events were pruned by retention. */
export const topics = sqliteTable('topics', {
  topic: text('topic').primaryKey(),
  lastSeq: integer('last_seq').notNull(),
  prunedThroughSeq: integer('pruned_through_seq').notNull(),
});

export const events = sqliteTable(
  'events',
  {
    topic: text('topic').notNull(),
    seq: integer('seq').notNull(),
    type: text('type').notNull(),
    data: text('data').notNull(),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (table) => [primaryKey({ columns: [table.topic, table.seq] }), index('events_created').on(table.createdAt)],
);

export const notifications = sqliteTable(
  'notifications',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    type: text('type').notNull(),
    data: text('data', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    readAt: integer('read_at', { mode: 'timestamp_ms' }),
  },
  (table) => [index('notifications_user').on(table.userId, table.id)],
);
