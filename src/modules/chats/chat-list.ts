// The chat list: every chat of a user with its newest message and unread count, and archiving.
import { and, eq, inArray, ne, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import { chatMembers, chats, messages, users } from '../../db/schema/index.ts';
import { AppError, CommonErrors } from '../../lib/errors.ts';
import { groupSummariesOf } from '../groups/service.ts';
import { toMessageView } from '../messages/service.ts';
import { toPublicUser } from '../users/service.ts';
import type { ChatItemView } from './model.ts';

/**
 * Every chat of the user, most recent activity first. Unread counts come from the read watermark
 * (messages from others above it), not from a row per message, so reading is one statement.
 */
export async function listChats(db: Database, userId: string): Promise<ChatItemView[]> {
  const rows = await db
    .select({
      chat: chats,
      archived: chatMembers.archived,
      unarchiveAfterSeq: chatMembers.unarchiveAfterSeq,
      // The newest message this member may see: after their join, not unsent, not hidden by them.
      lastMessageId: sql<string | null>`(
        select m.id from ${messages} m
        where m.chat_id = ${chatMembers.chatId} and m.seq > ${chatMembers.visibleAfterSeq} and m.unsent_at is null
          and not exists (select 1 from message_hides h where h.message_id = m.id and h.user_id = ${userId})
        order by m.seq desc limit 1)`,
      unreadCount: sql<number>`(
        select count(*) from ${messages} m
        where m.chat_id = ${chatMembers.chatId} and m.seq > max(${chatMembers.readSeq}, ${chatMembers.visibleAfterSeq})
          and m.unsent_at is null and m.sender_id is not ${userId})`,
    })
    .from(chatMembers)
    .innerJoin(chats, eq(chats.id, chatMembers.chatId))
    .where(eq(chatMembers.userId, userId));
  if (rows.length === 0) return [];

  const lastIds = rows.map((row) => row.lastMessageId).filter((id): id is string => id !== null);
  const lastMessages = lastIds.length > 0 ? await db.select().from(messages).where(inArray(messages.id, lastIds)) : [];
  const messageById = new Map(lastMessages.map((message) => [message.id, message]));
  const directIds = rows.filter((row) => row.chat.kind === 'direct').map((row) => row.chat.id);
  const peers =
    directIds.length > 0
      ? await db
          .select({ chatId: chatMembers.chatId, user: users })
          .from(chatMembers)
          .innerJoin(users, eq(users.id, chatMembers.userId))
          .where(and(inArray(chatMembers.chatId, directIds), ne(chatMembers.userId, userId)))
      : [];
  const peerOf = new Map(peers.map((row) => [row.chatId, toPublicUser(row.user)]));
  const groups = await groupSummariesOf(db, rows.filter((row) => row.chat.kind === 'group').map((row) => row.chat));

  const items = rows.map((row) => {
    const last = row.lastMessageId ? messageById.get(row.lastMessageId) : undefined;
    // Unarchiving on a new message is read here rather than written by every send: no cost on the hot path.
    const broughtBack = row.unarchiveAfterSeq !== null && last !== undefined && last.seq > row.unarchiveAfterSeq;
    const item: ChatItemView = {
      id: row.chat.id,
      kind: row.chat.kind,
      lastMessage: last ? toMessageView(last, row.chat.kind) : null,
      unreadCount: row.unreadCount,
      archived: row.archived && !broughtBack,
      unarchiveOnMessage: row.archived && !broughtBack && row.unarchiveAfterSeq !== null,
    };
    if (row.chat.kind === 'direct') item.peer = peerOf.get(row.chat.id) ?? null;
    else item.group = groups.get(row.chat.id);
    return { item, activity: last?.createdAt.getTime() ?? row.chat.createdAt.getTime() };
  });
  return items.sort((a, b) => b.activity - a.activity).map(({ item }) => item);
}

/**
 * Archives or unarchives a chat for the user alone. An archived chat stays archived when messages
 * arrive (it is muted out of the main list), unless `unarchiveOnMessage` asks otherwise.
 */
export async function archiveChat(db: Database, userId: string, chatId: string, input: { archived: boolean; unarchiveOnMessage?: boolean }): Promise<ChatItemView> {
  const [latest] = await db.select({ seq: sql<number | null>`max(${messages.seq})` }).from(messages).where(eq(messages.chatId, chatId));
  const unarchiveAfterSeq = input.archived && input.unarchiveOnMessage ? (latest?.seq ?? 0) : null;
  const updated = await db
    .update(chatMembers)
    .set({ archived: input.archived, unarchiveAfterSeq })
    .where(and(eq(chatMembers.chatId, chatId), eq(chatMembers.userId, userId)))
    .returning({ chatId: chatMembers.chatId });
  if (updated.length === 0) throw new AppError(404, CommonErrors.notFound, 'No such chat');
  const item = (await listChats(db, userId)).find((chat) => chat.id === chatId);
  if (!item) throw new AppError(404, CommonErrors.notFound, 'No such chat');
  return item;
}
