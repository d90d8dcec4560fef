// Messages: one service for REST and WebSocket alike (send, history, edit, unsend, hide, receipts).
import { and, desc, eq, gt, gte, isNull, lt, notExists, sql } from 'drizzle-orm';
import type { AppDependencies } from '../../app.ts';
import type { Database } from '../../db/client.ts';
import { chatMembers, messageHides, messages } from '../../db/schema/index.ts';
import { AppError, CommonErrors } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import { messageEventType, topicOfChat, userTopic } from '../../realtime/events.ts';
import { findChat, findDirectChatId, findMembership, type ChatRow, type MembershipRow } from '../chats/service.ts';
import { sendingRelation } from '../friends/service.ts';
import { requireOwnUploads, shareUploadsInChat, toUploadView } from '../uploads/service.ts';
import { notify } from '../notifications/service.ts';
import { MessageErrors } from './errors.ts';

export type MessageRow = typeof messages.$inferSelect;

export interface SendInput {
  toUserId?: string;
  groupId?: string;
  text?: string;
  attachmentIds?: string[];
  replyToId?: string;
  mentions?: string[];
  clientMessageId?: string;
}

export function toMessageView(message: MessageRow, kind: 'direct' | 'group') {
  return {
    id: message.id,
    chatId: message.chatId,
    kind,
    seq: message.seq,
    senderId: message.senderId,
    text: message.text,
    attachments: message.attachments,
    replyToId: message.replyToId,
    mentions: message.mentions,
    createdAt: message.createdAt.toISOString(),
    editedAt: message.editedAt?.toISOString() ?? null,
  };
}
export type MessageView = ReturnType<typeof toMessageView>;

const notFound = () => new AppError(404, CommonErrors.notFound, 'No such message');

async function findBySenderAndClientId(db: Database, senderId: string, clientMessageId: string) {
  const [row] = await db
    .select()
    .from(messages)
    .where(and(eq(messages.senderId, senderId), eq(messages.clientMessageId, clientMessageId)));
  return row ?? null;
}

interface SendTarget {
  chat: Pick<ChatRow, 'id' | 'kind'>;
  /** Messages at or below this seq are hidden from the sender (history from their join). */
  visibleAfterSeq: number;
  /** Members who may be mentioned; null means "look each one up" (groups). */
  members: string[] | null;
}

/** The chat a send goes to, after checking the sender may write there. */
async function targetOfSend(deps: AppDependencies, senderId: string, input: SendInput): Promise<SendTarget> {
  if (input.toUserId) {
    if (input.toUserId === senderId) throw new AppError(400, CommonErrors.validationFailed, 'You cannot message yourself');
    const relation = await sendingRelation(deps, senderId, input.toUserId);
    if (relation.blocked) throw new AppError(403, MessageErrors.blocked, 'You cannot message this user');
    if (!relation.friends || !relation.chatId) throw new AppError(403, MessageErrors.notFriends, 'You can only message friends');
    return { chat: { id: relation.chatId, kind: 'direct' }, visibleAfterSeq: 0, members: [senderId, input.toUserId] };
  }
  const chat = input.groupId ? await findChat(deps.db, input.groupId) : null;
  const membership = chat?.kind === 'group' ? await findMembership(deps.db, chat.id, senderId) : null;
  if (!chat || !membership) throw new AppError(404, CommonErrors.notFound, 'No such group');
  return { chat, visibleAfterSeq: membership.visibleAfterSeq, members: null };
}

/**
 * Sends a message. It is stored (group commit) before this resolves, and its CREATED event is
 * published right after the commit. A repeated `clientMessageId` from the same sender returns the
 * first message and writes nothing, so a client can retry a send it never saw acknowledged. The
 * unique index finds repeats: no lookup on the way in, only when a send fails.
 */
export async function sendMessage(deps: AppDependencies, senderId: string, input: SendInput): Promise<{ message: MessageView; duplicate: boolean }> {
  try {
    return { message: await storeMessage(deps, senderId, input), duplicate: false };
  } catch (error) {
    // A repeat of a stored send, even when a check fails now (the friendship ended since): the first
    // message. The writer rejects only after its batch committed, so the first one is readable here.
    if (input.clientMessageId) {
      const existing = await findBySenderAndClientId(deps.db, senderId, input.clientMessageId);
      if (existing) return { message: await viewOf(deps.db, existing), duplicate: true };
    }
    throw error;
  }
}

async function storeMessage(deps: AppDependencies, senderId: string, input: SendInput): Promise<MessageView> {
  const text = input.text?.trim() || null;
  const attachmentIds = [...new Set(input.attachmentIds ?? [])];
  if (!text && attachmentIds.length === 0) throw new AppError(400, CommonErrors.validationFailed, 'A message needs text or attachments');
  const { chat, visibleAfterSeq, members } = await targetOfSend(deps, senderId, input);
  const attachments = (await requireOwnUploads(deps.db, senderId, attachmentIds)).map(toUploadView);
  if (input.replyToId) await findVisibleMessage(deps.db, chat.id, visibleAfterSeq, input.replyToId);
  const mentions = [...new Set(input.mentions ?? [])];
  for (const userId of mentions) {
    const member = members ? members.includes(userId) : (await findMembership(deps.db, chat.id, userId)) !== null;
    if (!member) throw new AppError(400, CommonErrors.validationFailed, 'Only members of the chat can be mentioned', { mentions: userId });
  }

  const { result } = await deps.writer.write(async (tx, log) => {
    const row: MessageRow = {
      id: newId(),
      chatId: chat.id,
      seq: 0,
      senderId,
      text,
      attachments,
      replyToId: input.replyToId ?? null,
      mentions,
      clientMessageId: input.clientMessageId ?? null,
      createdAt: new Date(),
      editedAt: null,
      unsentAt: null,
    };
    await log.append(topicOfChat(chat), messageEventType(chat.kind, 'CREATED'), (seq: number) => {
      row.seq = seq;
      return toMessageView(row, chat.kind);
    });
    log.insertLater(messages, row);
    // Sent here, the files become readable to the chat's members.
    if (attachmentIds.length > 0) await shareUploadsInChat(tx, chat.id, attachmentIds);
    for (const userId of mentions) {
      if (userId !== senderId) await notify(tx, log, userId, 'MENTION', { chatId: chat.id, messageId: row.id, senderId });
    }
    return row;
  });
  return toMessageView(result, chat.kind);
}

async function viewOf(db: Database, message: MessageRow): Promise<MessageView> {
  const chat = await findChat(db, message.chatId);
  return toMessageView(message, chat?.kind ?? 'direct');
}

/** A message the member may see (in their chat, after their join, not unsent); 404 otherwise. */
async function findVisibleMessage(db: Database, chatId: string, visibleAfterSeq: number, messageId: string): Promise<MessageRow> {
  const [message] = await db.select().from(messages).where(and(eq(messages.id, messageId), eq(messages.chatId, chatId)));
  if (!message || message.seq <= visibleAfterSeq || message.unsentAt) throw notFound();
  return message;
}

/** A message with its chat and the caller's membership; 404 for anyone who is not a member. */
async function messageForMember(db: Database, userId: string, messageId: string) {
  const [message] = await db.select().from(messages).where(eq(messages.id, messageId));
  if (!message) throw notFound();
  const membership = await findMembership(db, message.chatId, userId);
  const chat = await findChat(db, message.chatId);
  if (!membership || !chat || message.seq <= membership.visibleAfterSeq || message.unsentAt) throw notFound();
  return { message, chat, membership };
}

/** History of the direct chat with `otherUserId`, newest first; `before` is the previous page's cursor. */
export async function listDirectHistory(deps: AppDependencies, userId: string, otherUserId: string, page: { limit: number; before?: number }) {
  const chatId = await findDirectChatId(deps.db, userId, otherUserId);
  const membership = chatId ? await findMembership(deps.db, chatId, userId) : null;
  if (!chatId || !membership) throw new AppError(404, CommonErrors.notFound, 'No chat with this user');
  return listHistory(deps.db, chatId, 'direct', membership, page);
}

/** History of a group, from the member's join on, newest first. */
export async function listGroupHistory(deps: AppDependencies, userId: string, groupId: string, page: { limit: number; before?: number }) {
  const chat = await findChat(deps.db, groupId);
  const membership = chat?.kind === 'group' ? await findMembership(deps.db, groupId, userId) : null;
  if (!membership) throw new AppError(404, CommonErrors.notFound, 'No such group');
  return listHistory(deps.db, groupId, 'group', membership, page);
}

/**
 * Who has received and read a message, from the members' watermarks (the sender is left out). Any
 * member who can see the message may ask.
 */
export async function listReceipts(deps: AppDependencies, userId: string, messageId: string): Promise<{ deliveredTo: string[]; readBy: string[] }> {
  const { message } = await messageForMember(deps.db, userId, messageId);
  const members = await deps.db
    .select({ userId: chatMembers.userId, deliveredSeq: chatMembers.deliveredSeq, readSeq: chatMembers.readSeq })
    .from(chatMembers)
    // Members who joined after the message never saw it, whatever their watermarks say.
    .where(and(eq(chatMembers.chatId, message.chatId), gte(chatMembers.deliveredSeq, message.seq), lt(chatMembers.visibleAfterSeq, message.seq)));
  const others = members.filter((member) => member.userId !== message.senderId);
  return {
    deliveredTo: others.map((member) => member.userId),
    readBy: others.filter((member) => member.readSeq >= message.seq).map((member) => member.userId),
  };
}

/**
 * A page of a chat's history as the member sees it. Ordered by seq, so messages that arrive while a
 * client pages back land above the first page and never shift the pages below.
 */
export async function listHistory(db: Database, chatId: string, kind: 'direct' | 'group', membership: MembershipRow, page: { limit: number; before?: number }) {
  const rows = await db
    .select()
    .from(messages)
    .where(
      and(
        eq(messages.chatId, chatId),
        gt(messages.seq, membership.visibleAfterSeq),
        page.before !== undefined ? lt(messages.seq, page.before) : undefined,
        isNull(messages.unsentAt),
        notExists(
          db
            .select({ one: sql`1` })
            .from(messageHides)
            .where(and(eq(messageHides.messageId, messages.id), eq(messageHides.userId, membership.userId))),
        ),
      ),
    )
    .orderBy(desc(messages.seq))
    .limit(page.limit + 1);
  const items = rows.slice(0, page.limit);
  return {
    items: items.map((row) => toMessageView(row, kind)),
    nextCursor: rows.length > page.limit ? String(items.at(-1)!.seq) : null,
  };
}

export async function editMessage(deps: AppDependencies, userId: string, messageId: string, text: string): Promise<MessageView> {
  const { message, chat } = await messageForMember(deps.db, userId, messageId);
  if (message.senderId !== userId) throw new AppError(403, CommonErrors.forbidden, 'Only the sender can edit a message');
  const trimmed = text.trim();
  if (!trimmed) throw new AppError(400, CommonErrors.validationFailed, 'A message needs text');
  const { result } = await deps.writer.write(async (tx, log) => {
    const [updated] = await tx
      .update(messages)
      .set({ text: trimmed, editedAt: new Date() })
      .where(and(eq(messages.id, messageId), isNull(messages.unsentAt)))
      .returning();
    if (!updated) throw notFound();
    const view = toMessageView(updated, chat.kind);
    await log.append(topicOfChat(chat), messageEventType(chat.kind, 'UPDATED'), { message: view });
    return view;
  });
  return result;
}

/** Unsend for everyone: the text is erased and every member's clients drop the message. */
export async function unsendMessage(deps: AppDependencies, userId: string, messageId: string): Promise<void> {
  const { message, chat } = await messageForMember(deps.db, userId, messageId);
  if (message.senderId !== userId) throw new AppError(403, CommonErrors.forbidden, 'Only the sender can unsend a message');
  await deps.writer.write(async (tx, log) => {
    const [unsent] = await tx
      .update(messages)
      .set({ text: null, mentions: [], attachments: [], unsentAt: new Date() })
      .where(and(eq(messages.id, messageId), isNull(messages.unsentAt)))
      .returning({ id: messages.id });
    if (!unsent) throw notFound();
    await log.append(topicOfChat(chat), messageEventType(chat.kind, 'UNSENT'), { messageId, chatId: chat.id, seq: message.seq });
  });
}

/** Delete for me: hidden from my history; my other devices hear MESSAGE_HIDDEN. */
export async function hideMessage(deps: AppDependencies, userId: string, messageId: string): Promise<void> {
  const { chat } = await messageForMember(deps.db, userId, messageId);
  await deps.writer.write(async (tx, log) => {
    const inserted = await tx.insert(messageHides).values({ userId, messageId }).onConflictDoNothing().returning();
    if (inserted.length > 0) await log.append(userTopic(userId), 'MESSAGE_HIDDEN', { messageId, chatId: chat.id });
  });
}

/**
 * Moves the member's delivered or read watermark up to this message (read implies delivered).
 * Watermarks only rise, so a late or repeated receipt changes nothing and emits nothing.
 */
export async function markReceipt(deps: AppDependencies, userId: string, messageId: string, receipt: 'delivered' | 'read'): Promise<void> {
  const { message, chat } = await messageForMember(deps.db, userId, messageId);
  await deps.writer.write(async (tx, log) => {
    const changes =
      receipt === 'read'
        ? { readSeq: sql`max(${chatMembers.readSeq}, ${message.seq})`, deliveredSeq: sql`max(${chatMembers.deliveredSeq}, ${message.seq})` }
        : { deliveredSeq: sql`max(${chatMembers.deliveredSeq}, ${message.seq})` };
    const watermark = receipt === 'read' ? chatMembers.readSeq : chatMembers.deliveredSeq;
    const moved = await tx
      .update(chatMembers)
      .set(changes)
      .where(and(eq(chatMembers.chatId, chat.id), eq(chatMembers.userId, userId), lt(watermark, message.seq)))
      .returning({ userId: chatMembers.userId });
    if (moved.length === 0) return;
    const type = receipt === 'read' ? messageEventType(chat.kind, 'READ') : 'CHAT_MESSAGE_DELIVERED';
    // Groups announce reads only; a delivery receipt in a big group would be noise.
    if (receipt === 'delivered' && chat.kind === 'group') return;
    await log.append(topicOfChat(chat), type, { chatId: chat.id, userId, messageId, seq: message.seq, at: new Date().toISOString() });
  });
}

/** Checks the user may announce typing in a chat (a member; for a direct chat, still friends). */
export async function checkCanType(deps: AppDependencies, userId: string, chatId: string): Promise<ChatRow> {
  const chat = await findChat(deps.db, chatId);
  const membership = chat ? await findMembership(deps.db, chatId, userId) : null;
  if (!chat || !membership) throw new AppError(404, CommonErrors.notFound, 'No such chat');
  return chat;
}
