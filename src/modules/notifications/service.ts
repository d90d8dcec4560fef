// Notifications: stored per user, announced live with NOTIFICATION_CREATED on the user's topic.
import { and, count, desc, eq, inArray, isNull, lt } from 'drizzle-orm';
import type { Database, Transaction } from '../../db/client.ts';
import { notifications } from '../../db/schema/index.ts';
import { newId } from '../../lib/ids.ts';
import { userTopic, type EventLog } from '../../realtime/events.ts';


export type NotificationType = 'FRIEND_REQUEST_RECEIVED' | 'FRIEND_REQUEST_ACCEPTED' | 'MESSAGE' | 'MENTION' | 'GROUP_ADDED';

export type NotificationRow = typeof notifications.$inferSelect;

export function toNotificationView(row: NotificationRow) {
  return {
    id: row.id,
    type: row.type,
    data: row.data,
    createdAt: row.createdAt.toISOString(),
    readAt: row.readAt?.toISOString() ?? null,
  };
}

/** Stores a notification inside a write job and appends its NOTIFICATION_CREATED event. */
export async function notify(tx: Transaction, log: EventLog, userId: string, type: NotificationType, data: Record<string, unknown>) {
  const row: NotificationRow = { id: newId(), userId, type, data, createdAt: new Date(), readAt: null };
  await tx.insert(notifications).values(row);
  await log.append(userTopic(userId), 'NOTIFICATION_CREATED', toNotificationView(row));
}

/** A page of a user's notifications, newest first, with the count of unread ones. */
export async function listNotifications(db: Database, userId: string, input: { unreadOnly: boolean; limit: number; before?: string }) {
  const rows = await db
    .select()
    .from(notifications)
    .where(
      and(
        eq(notifications.userId, userId),
        input.unreadOnly ? isNull(notifications.readAt) : undefined,
        input.before ? lt(notifications.id, input.before) : undefined,
      ),
    )
    .orderBy(desc(notifications.id))
    .limit(input.limit + 1);
  const [unread] = await db
    .select({ count: count() })
    .from(notifications)
    .where(and(eq(notifications.userId, userId), isNull(notifications.readAt)));
  const items = rows.slice(0, input.limit);
  return {
    items: items.map(toNotificationView),
    nextCursor: rows.length > input.limit ? items.at(-1)!.id : null,
    unreadCount: unread?.count ?? 0,
  };
}

/** Marks some (or all) of a user's notifications read; others' ids are ignored. */
export async function markNotificationsRead(db: Database, userId: string, ids: string[] | 'all'): Promise<void> {
  await db
    .update(notifications)
    .set({ readAt: new Date() })
    .where(
      and(eq(notifications.userId, userId), isNull(notifications.readAt), ids === 'all' ? undefined : inArray(notifications.id, ids)),
    );
}
