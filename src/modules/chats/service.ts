// Chats as containers: the one direct chat of two users, memberships, and the topics a user belongs to.
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Database, Transaction, Reader } from '../../db/client.ts';
import { chatMembers, chats, topics } from '../../db/schema/index.ts';
import { newId } from '../../lib/ids.ts';
import { topicOfChat, userTopic } from '../../realtime/events.ts';
import type { LoadedTopic } from '../../realtime/hub.ts';


/** `a:b` with the smaller id first: the same key whichever of the two asks. */
export function directKeyOf(userA: string, userB: string): string {
  return userA < userB ? `${userA}:${userB}` : `${userB}:${userA}`;
}

export async function findDirectChatId(db: Reader, userA: string, userB: string): Promise<string | null> {
  const [chat] = await db.select({ id: chats.id }).from(chats).where(eq(chats.directKey, directKeyOf(userA, userB)));
  return chat?.id ?? null;
}

/**
 * The direct chat of two users, created with both as members on first friendship. A pair that
 * unfriends and befriends again gets the same chat back, history included.
 */
export async function ensureDirectChat(tx: Transaction, userA: string, userB: string): Promise<string> {
  const existing = await findDirectChatId(tx, userA, userB);
  if (existing) return existing;
  const id = newId();
  const now = new Date();
  await tx.insert(chats).values({ id, kind: 'direct', directKey: directKeyOf(userA, userB), createdAt: now });
  await tx.insert(chatMembers).values(
    [userA, userB].map((userId) => ({
      chatId: id,
      userId,
      role: 'member' as const,
      joinedAt: now,
      visibleAfterSeq: 0,
      deliveredSeq: 0,
      readSeq: 0,
      archived: false,
    })),
  );
  return id;
}

export type MembershipRow = typeof chatMembers.$inferSelect;

export async function findMembership(db: Reader, chatId: string, userId: string): Promise<MembershipRow | null> {
  const [row] = await db
    .select()
    .from(chatMembers)
    .where(and(eq(chatMembers.chatId, chatId), eq(chatMembers.userId, userId)));
  return row ?? null;
}

/**
 * The durable topics a user's sockets belong to: their own, and one per chat they are a member of,
 * each with its floor (a group member's history starts at their join) and its newest seq.
 */
export async function durableTopicsOf(db: Database, userId: string): Promise<LoadedTopic[]> {
  const ownTopic = userTopic(userId);
  const [own] = await db.select({ lastSeq: topics.lastSeq }).from(topics).where(eq(topics.topic, ownTopic));
  const rows = await db
    .select({ id: chats.id, kind: chats.kind, floor: chatMembers.visibleAfterSeq, lastSeq: topics.lastSeq })
    .from(chatMembers)
    .innerJoin(chats, eq(chats.id, chatMembers.chatId))
    .leftJoin(topics, eq(topics.topic, sql`(case ${chats.kind} when 'direct' then 'chat:' else 'group:' end) || ${chats.id}`))
    .where(eq(chatMembers.userId, userId));
  return [
    { topic: ownTopic, floor: 0, lastSeq: own?.lastSeq ?? 0 },
    ...rows.map((row) => ({ topic: topicOfChat(row), floor: row.floor, lastSeq: row.lastSeq ?? 0 })),
  ];
}

/** The members' user ids of some chats, for fan-out of membership changes. */
export async function memberIdsOf(db: Reader, chatIds: string[]): Promise<string[]> {
  if (chatIds.length === 0) return [];
  const rows = await db.select({ userId: chatMembers.userId }).from(chatMembers).where(inArray(chatMembers.chatId, chatIds));
  return [...new Set(rows.map((row) => row.userId))];
}

export type ChatRow = typeof chats.$inferSelect;

export async function findChat(db: Reader, chatId: string): Promise<ChatRow | null> {
  const [chat] = await db.select().from(chats).where(eq(chats.id, chatId));
  return chat ?? null;
}
