// Friend requests, friendships and blocks: the checks other modules rely on, and every write with its events.
import { and, desc, eq, inArray, or, sql } from 'drizzle-orm';
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core';
import type { AppDependencies } from '../../app.ts';
import type { Database, Transaction, Reader } from '../../db/client.ts';
import { blocks, chats, friendRequests, friendships, users } from '../../db/schema/index.ts';
import { AppError, CommonErrors } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import { userTopic, type EventLog } from '../../realtime/events.ts';
import { ensureDirectChat } from '../chats/service.ts';
import { notify } from '../notifications/service.ts';
import { toPublicUser, type UserRow } from '../users/service.ts';
import { FriendErrors } from './errors.ts';
import type { FriendRequestView, FriendView } from './model.ts';


/** What the friends services use of the app's dependencies. */
export type FriendsDependencies = Pick<AppDependencies, 'db' | 'writer' | 'presence'>;

export type FriendRequestRow = typeof friendRequests.$inferSelect;

/** The friendship key of two users: the smaller id is always `userLowId`, so a pair has one row. */
function pairOf(userA: string, userB: string) {
  return userA < userB ? { userLowId: userA, userHighId: userB } : { userLowId: userB, userHighId: userA };
}

function friendshipOf(userA: string, userB: string) {
  const { userLowId, userHighId } = pairOf(userA, userB);
  return and(eq(friendships.userLowId, userLowId), eq(friendships.userHighId, userHighId));
}

/** Requests between two users, whichever of them sent it. */
function requestsBetween(userA: string, userB: string) {
  return or(
    and(eq(friendRequests.fromUserId, userA), eq(friendRequests.toUserId, userB)),
    and(eq(friendRequests.fromUserId, userB), eq(friendRequests.toUserId, userA)),
  );
}

/** True when the two users are friends (the messages module refuses direct messages otherwise). */
export async function areFriends(db: Reader, userA: string, userB: string): Promise<boolean> {
  const [row] = await db.select({ since: friendships.createdAt }).from(friendships).where(friendshipOf(userA, userB));
  return row !== undefined;
}

/** True when either user blocked the other; callers answer the same whichever side it was. */
export async function isBlockedEitherWay(db: Reader, userA: string, userB: string): Promise<boolean> {
  const [row] = await db
    .select({ blockerId: blocks.blockerId })
    .from(blocks)
    .where(
      or(
        and(eq(blocks.blockerId, userA), eq(blocks.blockedId, userB)),
        and(eq(blocks.blockerId, userB), eq(blocks.blockedId, userA)),
      ),
    )
    .limit(1);
  return row !== undefined;
}

/** The ids of a user's friends (e.g. the presence topics their sockets join). */
/**
 * Friendship, blocks and the direct chat of two users in one query: the hot path of every direct
 * message, where three separate lookups would triple the statements per send.
 */
export async function directRelation(db: Reader, userA: string, userB: string): Promise<{ friends: boolean; blocked: boolean; chatId: string | null }> {
  const [low, high] = userA < userB ? [userA, userB] : [userB, userA];
  const [row] = await db.all<{ friends: number; blocked: number; chatId: string | null }>(sql`
    SELECT
      EXISTS (SELECT 1 FROM ${friendships} WHERE ${friendships.userLowId} = ${low} AND ${friendships.userHighId} = ${high}) AS friends,
      EXISTS (SELECT 1 FROM ${blocks} WHERE (${blocks.blockerId} = ${low} AND ${blocks.blockedId} = ${high})
                                      OR (${blocks.blockerId} = ${high} AND ${blocks.blockedId} = ${low})) AS blocked,
      (SELECT ${chats.id} FROM ${chats} WHERE ${chats.directKey} = ${`${low}:${high}`}) AS chatId`);
  return { friends: Boolean(row?.friends), blocked: Boolean(row?.blocked), chatId: row?.chatId ?? null };
}

/**
 * directRelation for a send, answered from the cache when the pair is known to be allowed; an allowed
 * answer from the database is remembered (see RelationCache).
 */
export async function sendingRelation(deps: Pick<AppDependencies, 'db' | 'relations'>, senderId: string, recipientId: string) {
  const cached = deps.relations.chatOf(senderId, recipientId);
  if (cached) return { friends: true, blocked: false, chatId: cached };
  const generation = deps.relations.generation;
  const relation = await directRelation(deps.db, senderId, recipientId);
  if (relation.friends && !relation.blocked && relation.chatId) deps.relations.remember(senderId, recipientId, relation.chatId, generation);
  return relation;
}

export async function friendIdsOf(db: Reader, userId: string): Promise<string[]> {
  const rows = await db
    .select({ low: friendships.userLowId, high: friendships.userHighId })
    .from(friendships)
    .where(or(eq(friendships.userLowId, userId), eq(friendships.userHighId, userId)));
  return rows.map((row) => (row.low === userId ? row.high : row.low));
}

async function findUsers(db: Reader, userIds: string[]): Promise<Map<string, UserRow>> {
  const rows = await db.select().from(users).where(inArray(users.id, userIds));
  return new Map(rows.map((row) => [row.id, row]));
}

/** A confirmed account by id or username; an unconfirmed one is as good as unknown (like GET /users/{id}). */
async function findVerifiedUser(db: Reader, target: { userId: string } | { username: string }): Promise<UserRow | null> {
  const [user] = await db
    .select()
    .from(users)
    .where('userId' in target ? eq(users.id, target.userId) : eq(users.username, target.username.toLowerCase()));
  return user?.emailVerifiedAt ? user : null;
}

/** Both users of a write, or 404 for a missing other one; a missing self reads as signed out. */
async function requirePair(db: Reader, selfId: string, otherId: string): Promise<{ self: UserRow; other: UserRow }> {
  const found = await findUsers(db, [selfId, otherId]);
  const self = found.get(selfId);
  const other = found.get(otherId);
  if (!self) throw new AppError(401, CommonErrors.unauthenticated, 'This account no longer exists');
  if (!other) throw new AppError(404, CommonErrors.notFound, 'No such user');
  return { self, other };
}

function toRequestView(request: FriendRequestRow, otherUser: UserRow): FriendRequestView {
  return {
    id: request.id,
    fromUserId: request.fromUserId,
    toUserId: request.toUserId,
    user: toPublicUser(otherUser),
    createdAt: request.createdAt.toISOString(),
  };
}

function toFriendView(user: UserRow, since: Date, online: boolean): FriendView {
  return {
    user: toPublicUser(user),
    online,
    // Presence events say null while online; the list says the same.
    lastSeenAt: online ? null : (user.lastSeenAt?.toISOString() ?? null),
    since: since.toISOString(),
  };
}

async function friendViewOf(deps: Pick<FriendsDependencies, 'presence'>, user: UserRow, since: Date): Promise<FriendView> {
  const online = await deps.presence.onlineAmong([user.id]);
  return toFriendView(user, since, online.has(user.id));
}

const notFound = (what: string) => new AppError(404, CommonErrors.notFound, what);

/**
 * Makes `sender` and `accepter` friends inside a write job: the request(s) between them go, the
 * friendship and their direct chat (new or the earlier one) are stored, and both hear
 * FRIEND_REQUEST_ACCEPTED on their user topic (each seeing the other), the sender also a notification.
 */
async function befriend(tx: Transaction, log: EventLog, requestId: string, sender: UserRow, accepter: UserRow) {
  // Both directions: two crossing requests would otherwise leave one behind.
  await tx.delete(friendRequests).where(requestsBetween(sender.id, accepter.id));
  const since = new Date();
  await tx.insert(friendships).values({ ...pairOf(sender.id, accepter.id), createdAt: since });
  const chatId = await ensureDirectChat(tx, sender.id, accepter.id);
  await log.append(userTopic(sender.id), 'FRIEND_REQUEST_ACCEPTED', {
    requestId,
    friend: { user: toPublicUser(accepter), since: since.toISOString() },
    chatId,
  });
  await log.append(userTopic(accepter.id), 'FRIEND_REQUEST_ACCEPTED', {
    requestId,
    friend: { user: toPublicUser(sender), since: since.toISOString() },
    chatId,
  });
  await notify(tx, log, sender.id, 'FRIEND_REQUEST_ACCEPTED', { requestId, user: toPublicUser(accepter), chatId });
  return { since, chatId };
}

export type AddFriendResult =
  | { outcome: 'requested'; request: FriendRequestView }
  | { outcome: 'accepted'; friend: FriendView; chatId: string };

/**
 * Asks `target` to be friends. When they already asked first (crossing requests) this accepts theirs
 * instead. Every check runs inside the write job, so two concurrent calls cannot both pass them.
 */
export async function addFriend(
  deps: FriendsDependencies,
  selfId: string,
  target: { userId: string } | { username: string },
): Promise<AddFriendResult> {
  const { result } = await deps.writer.write(async (tx, log) => {
    const found = await findVerifiedUser(tx, target);
    if (!found) throw notFound('No such user');
    if (found.id === selfId) throw new AppError(400, FriendErrors.cannotBefriendSelf, 'You cannot befriend yourself');
    const { self, other } = await requirePair(tx, selfId, found.id);
    // Checked before anything else about the pair, and worded the same for both sides.
    if (await isBlockedEitherWay(tx, self.id, other.id)) throw new AppError(403, FriendErrors.blocked, 'You cannot befriend this user');
    if (await areFriends(tx, self.id, other.id)) throw new AppError(409, FriendErrors.alreadyFriends, 'You are already friends');

    const pending = await tx.select().from(friendRequests).where(requestsBetween(self.id, other.id));
    if (pending.some((request) => request.fromUserId === self.id)) {
      throw new AppError(409, FriendErrors.requestExists, 'You already asked this user');
    }
    const theirs = pending.find((request) => request.fromUserId === other.id);
    if (theirs) {
      const { since, chatId } = await befriend(tx, log, theirs.id, other, self);
      return { outcome: 'accepted' as const, other, since, chatId };
    }

    const request: FriendRequestRow = { id: newId(), fromUserId: self.id, toUserId: other.id, createdAt: new Date() };
    await tx.insert(friendRequests).values(request);
    await log.append(userTopic(other.id), 'FRIEND_REQUEST_RECEIVED', { request: toRequestView(request, self) });
    await notify(tx, log, other.id, 'FRIEND_REQUEST_RECEIVED', { requestId: request.id, user: toPublicUser(self) });
    return { outcome: 'requested' as const, request: toRequestView(request, other) };
  });

  if (result.outcome === 'requested') return result;
  return { outcome: 'accepted', friend: await friendViewOf(deps, result.other, result.since), chatId: result.chatId };
}

/** Accepts a request sent to `selfId`; someone else's request is not found. */
export async function acceptFriendRequest(
  deps: FriendsDependencies,
  selfId: string,
  requestId: string,
): Promise<{ friend: FriendView; chatId: string }> {
  const { result } = await deps.writer.write(async (tx, log) => {
    const [request] = await tx
      .select()
      .from(friendRequests)
      .where(and(eq(friendRequests.id, requestId), eq(friendRequests.toUserId, selfId)));
    if (!request) throw notFound('No such friend request');
    const { self, other } = await requirePair(tx, selfId, request.fromUserId);
    const { since, chatId } = await befriend(tx, log, request.id, other, self);
    return { other, since, chatId };
  });
  return { friend: await friendViewOf(deps, result.other, result.since), chatId: result.chatId };
}

/** Declines a request sent to `selfId`. The sender is not told; their request just goes away. */
export async function declineFriendRequest(deps: FriendsDependencies, selfId: string, requestId: string): Promise<void> {
  await deleteRequest(deps, and(eq(friendRequests.id, requestId), eq(friendRequests.toUserId, selfId)));
}

/** Withdraws a request `selfId` sent. */
export async function cancelFriendRequest(deps: FriendsDependencies, selfId: string, requestId: string): Promise<void> {
  await deleteRequest(deps, and(eq(friendRequests.id, requestId), eq(friendRequests.fromUserId, selfId)));
}

// Through the writer although no event is stored: it orders the delete with a concurrent accept of the same request.
async function deleteRequest(deps: FriendsDependencies, which: ReturnType<typeof and>): Promise<void> {
  await deps.writer.write(async (tx) => {
    const deleted = await tx.delete(friendRequests).where(which).returning({ id: friendRequests.id });
    if (deleted.length === 0) throw notFound('No such friend request');
  });
}

/** Deletes the friendship of two users inside a write job and tells both; false when there was none. */
async function unfriend(tx: Transaction, log: EventLog, userA: string, userB: string): Promise<boolean> {
  const deleted = await tx.delete(friendships).where(friendshipOf(userA, userB)).returning({ since: friendships.createdAt });
  if (deleted.length === 0) return false;
  await log.append(userTopic(userA), 'FRIEND_REMOVED', { userId: userB });
  await log.append(userTopic(userB), 'FRIEND_REMOVED', { userId: userA });
  return true;
}

/**
 * Ends a friendship. The direct chat stays, history readable, but takes no new messages (the
 * messages module checks `areFriends`).
 */
export async function removeFriend(deps: FriendsDependencies, selfId: string, friendId: string): Promise<void> {
  await deps.writer.write(async (tx, log) => {
    if (!(await unfriend(tx, log, selfId, friendId))) throw notFound('You are not friends with this user');
  });
}

/**
 * Blocks a user: any friendship and pending requests between the two go, and neither can ask the
 * other again until the block is lifted. Blocking twice is not an error.
 */
export async function blockUser(deps: FriendsDependencies, selfId: string, targetId: string): Promise<void> {
  if (targetId === selfId) throw new AppError(400, FriendErrors.cannotBlockSelf, 'You cannot block yourself');
  await deps.writer.write(async (tx, log) => {
    if (!(await findVerifiedUser(tx, { userId: targetId }))) throw notFound('No such user');
    await tx.insert(blocks).values({ blockerId: selfId, blockedId: targetId, createdAt: new Date() }).onConflictDoNothing();
    await tx.delete(friendRequests).where(requestsBetween(selfId, targetId));
    await unfriend(tx, log, selfId, targetId);
  });
}

/** Lifts `selfId`'s block of `targetId` (theirs of you, if any, stays). Idempotent; friendship is not restored. */
export async function unblockUser(deps: FriendsDependencies, selfId: string, targetId: string): Promise<void> {
  await deps.writer.write(async (tx) => {
    await tx.delete(blocks).where(and(eq(blocks.blockerId, selfId), eq(blocks.blockedId, targetId)));
  });
}

/** Pending requests sent to and by a user, newest first, each with the other person's public profile. */
export async function listFriendRequests(
  db: Database,
  userId: string,
): Promise<{ incoming: FriendRequestView[]; outgoing: FriendRequestView[] }> {
  // Incoming: matched on the recipient, shown with the sender; outgoing the other way round.
  const requests = async (mine: SQLiteColumn, theirs: SQLiteColumn) => {
    const rows = await db
      .select({ request: friendRequests, user: users })
      .from(friendRequests)
      .innerJoin(users, eq(users.id, theirs))
      .where(eq(mine, userId))
      .orderBy(desc(friendRequests.createdAt), desc(friendRequests.id));
    return rows.map((row) => toRequestView(row.request, row.user));
  };
  return {
    incoming: await requests(friendRequests.toUserId, friendRequests.fromUserId),
    outgoing: await requests(friendRequests.fromUserId, friendRequests.toUserId),
  };
}

/** A user's friends by username, each with whether they are online and when they were last seen. */
export async function listFriends(deps: Pick<FriendsDependencies, 'db' | 'presence'>, userId: string): Promise<FriendView[]> {
  const rows = await deps.db
    .select({ user: users, since: friendships.createdAt })
    .from(friendships)
    .innerJoin(
      users,
      // The friend is whichever side of the row is not `userId`.
      sql`${users.id} = CASE WHEN ${friendships.userLowId} = ${userId} THEN ${friendships.userHighId} ELSE ${friendships.userLowId} END`,
    )
    .where(or(eq(friendships.userLowId, userId), eq(friendships.userHighId, userId)))
    .orderBy(users.username);
  const online = await deps.presence.onlineAmong(rows.map((row) => row.user.id));
  return rows.map((row) => toFriendView(row.user, row.since, online.has(row.user.id)));
}

/** The users `userId` has blocked, most recent first. */
export async function listBlockedUsers(db: Database, userId: string): Promise<UserRow[]> {
  const rows = await db
    .select({ user: users })
    .from(blocks)
    .innerJoin(users, eq(users.id, blocks.blockedId))
    .where(eq(blocks.blockerId, userId))
    .orderBy(desc(blocks.createdAt));
  return rows.map((row) => row.user);
}
