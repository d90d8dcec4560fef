// Groups: a chat with more members. Every change is a durable event on `group:<id>`, checked and
// written inside one write job, so concurrent admins cannot break the rules between check and write.
import { and, asc, count, desc, eq, inArray } from 'drizzle-orm';
import type { AppDependencies } from '../../app.ts';
import type { Reader, Transaction } from '../../db/client.ts';
import { chatMembers, chats, users } from '../../db/schema/index.ts';
import { AppError, CommonErrors } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import { groupTopic, type EventLog } from '../../realtime/events.ts';
import type { ChatRow, MembershipRow } from '../chats/service.ts';
import { areFriends } from '../friends/service.ts';
import { MessageErrors } from '../messages/errors.ts';
import { notify } from '../notifications/service.ts';
import { requireOwnImage, shareUploadsInChat } from '../uploads/service.ts';
import { toPublicUser } from '../users/service.ts';
import { GroupErrors } from './errors.ts';
import type { GroupView, MemberView } from './model.ts';

export type GroupsDependencies = Pick<AppDependencies, 'db' | 'writer' | 'config'>;

const noSuchGroup = () => new AppError(404, CommonErrors.notFound, 'No such group');
const notAdmin = (action: string) => new AppError(403, GroupErrors.notAdmin, `Only admins can ${action}`);

/** The group and the user's membership; 404 for anyone who is not a member, so outsiders learn nothing. */
async function requireMembership(db: Reader, groupId: string, userId: string): Promise<{ group: ChatRow; membership: MembershipRow }> {
  const [row] = await db
    .select({ group: chats, membership: chatMembers })
    .from(chats)
    .innerJoin(chatMembers, and(eq(chatMembers.chatId, chats.id), eq(chatMembers.userId, userId)))
    .where(and(eq(chats.id, groupId), eq(chats.kind, 'group')));
  if (!row) throw noSuchGroup();
  return row;
}

async function requireAdmin(db: Reader, groupId: string, userId: string, action: string) {
  const found = await requireMembership(db, groupId, userId);
  if (found.membership.role !== 'admin') throw notAdmin(action);
  return found;
}

async function memberCountOf(db: Reader, groupId: string): Promise<number> {
  const [row] = await db.select({ members: count() }).from(chatMembers).where(eq(chatMembers.chatId, groupId));
  return row?.members ?? 0;
}

/** Every member with their public profile, longest-standing first. */
async function membersOf(db: Reader, groupId: string): Promise<MemberView[]> {
  const rows = await db
    .select({ user: users, role: chatMembers.role, joinedAt: chatMembers.joinedAt })
    .from(chatMembers)
    .innerJoin(users, eq(users.id, chatMembers.userId))
    .where(eq(chatMembers.chatId, groupId))
    .orderBy(asc(chatMembers.joinedAt), asc(chatMembers.visibleAfterSeq));
  return rows.map((row) => ({ user: toPublicUser(row.user), role: row.role, joinedAt: row.joinedAt.toISOString() }));
}

function toGroupView(group: ChatRow, memberCount: number): GroupView {
  return {
    id: group.id,
    name: group.name ?? '',
    description: group.description,
    pictureUrl: group.pictureUploadId ? `/uploads/${group.pictureUploadId}` : null,
    createdBy: group.createdBy,
    createdAt: group.createdAt.toISOString(),
    memberCount,
  };
}

/** The group as a member sees it in answers: their role and every member. */
async function fullViewOf(db: Reader, group: ChatRow, role: MembershipRow['role']): Promise<GroupView> {
  const members = await membersOf(db, group.id);
  return { ...toGroupView(group, members.length), role, members };
}

/**
 * Adds a member inside a write job. Their membership starts at their own MEMBER_ADDED event, so they
 * see the group from there on (history, resume) and nothing said before; they get a GROUP_ADDED
 * notification unless they added themself (the creator).
 */
async function addMemberInJob(tx: Transaction, log: EventLog, group: ChatRow, userId: string, role: MembershipRow['role'], addedBy: string) {
  const joinedAt = new Date();
  const event = await log.append(groupTopic(group.id), 'MEMBER_ADDED', { groupId: group.id, userId, role, addedBy, joinedAt: joinedAt.toISOString() });
  await tx.insert(chatMembers).values({
    chatId: group.id,
    userId,
    role,
    joinedAt,
    visibleAfterSeq: event.seq - 1,
    deliveredSeq: event.seq - 1,
    readSeq: event.seq - 1,
    archived: false,
  });
  if (userId !== addedBy) await notify(tx, log, userId, 'GROUP_ADDED', { groupId: group.id, name: group.name, addedBy });
}

async function requireFriendOf(db: Reader, userId: string, candidateId: string, field: string): Promise<void> {
  if (!(await areFriends(db, userId, candidateId))) {
    throw new AppError(403, MessageErrors.notFriends, 'You can only add your friends to a group', { [field]: candidateId });
  }
}

function checkRoom(deps: GroupsDependencies, members: number): void {
  const limit = deps.config.groupMemberLimit;
  if (members > limit) throw new AppError(409, GroupErrors.groupFull, `A group has at most ${limit} members`);
}

/** Creates a group with the creator as its admin and their friends in `memberIds` as members. */
export async function createGroup(
  deps: GroupsDependencies,
  creatorId: string,
  input: { name: string; memberIds: string[]; description?: string; pictureUploadId?: string },
): Promise<GroupView> {
  const memberIds = [...new Set(input.memberIds)].filter((id) => id !== creatorId);
  checkRoom(deps, memberIds.length + 1);
  const name = input.name.trim();
  if (!name) throw new AppError(400, CommonErrors.validationFailed, 'A group needs a name', { name });
  if (input.pictureUploadId) await requireOwnImage(deps.db, creatorId, input.pictureUploadId, 'pictureUploadId');
  const { result } = await deps.writer.write(async (tx, log) => {
    for (const memberId of memberIds) await requireFriendOf(tx, creatorId, memberId, 'memberIds');
    const group: ChatRow = {
      id: newId(),
      kind: 'group',
      directKey: null,
      name,
      description: input.description?.trim() || null,
      pictureUploadId: input.pictureUploadId ?? null,
      createdBy: creatorId,
      createdAt: new Date(),
    };
    await tx.insert(chats).values(group);
    if (group.pictureUploadId) await shareUploadsInChat(tx, group.id, [group.pictureUploadId]);
    await addMemberInJob(tx, log, group, creatorId, 'admin', creatorId);
    for (const memberId of memberIds) await addMemberInJob(tx, log, group, memberId, 'member', creatorId);
    return fullViewOf(tx, group, 'admin');
  });
  return result;
}

/** Summaries of some groups with their member counts (no member lists), by id. */
export async function groupSummariesOf(db: Reader, groups: ChatRow[]): Promise<Map<string, GroupView>> {
  if (groups.length === 0) return new Map();
  const counts = await db
    .select({ chatId: chatMembers.chatId, members: count() })
    .from(chatMembers)
    .where(inArray(chatMembers.chatId, groups.map((group) => group.id)))
    .groupBy(chatMembers.chatId);
  const countOf = new Map(counts.map((row) => [row.chatId, row.members]));
  return new Map(groups.map((group) => [group.id, toGroupView(group, countOf.get(group.id) ?? 0)]));
}

/** The user's groups, newest first, without member lists. */
export async function listGroups(db: Reader, userId: string): Promise<GroupView[]> {
  const rows = await db
    .select({ group: chats, role: chatMembers.role })
    .from(chatMembers)
    .innerJoin(chats, and(eq(chats.id, chatMembers.chatId), eq(chats.kind, 'group')))
    .where(eq(chatMembers.userId, userId))
    .orderBy(desc(chats.id));
  const summaries = await groupSummariesOf(db, rows.map((row) => row.group));
  return rows.map((row) => ({ ...summaries.get(row.group.id)!, role: row.role }));
}

export async function getGroup(db: Reader, userId: string, groupId: string): Promise<GroupView> {
  const { group, membership } = await requireMembership(db, groupId, userId);
  return fullViewOf(db, group, membership.role);
}

/** Renames, re-describes or re-pictures a group (admins); members hear GROUP_UPDATED with what changed. */
export async function updateGroup(
  deps: GroupsDependencies,
  userId: string,
  groupId: string,
  changes: { name?: string; description?: string | null; pictureUploadId?: string | null },
): Promise<GroupView> {
  if (changes.pictureUploadId) await requireOwnImage(deps.db, userId, changes.pictureUploadId, 'pictureUploadId');
  const { result } = await deps.writer.write(async (tx, log) => {
    const { group, membership } = await requireAdmin(tx, groupId, userId, 'change the group');
    const updated: ChatRow = { ...group };
    const changed: string[] = [];
    if (changes.name !== undefined && changes.name.trim() && changes.name.trim() !== group.name) {
      updated.name = changes.name.trim();
      changed.push('name');
    }
    if (changes.description !== undefined && (changes.description?.trim() || null) !== group.description) {
      updated.description = changes.description?.trim() || null;
      changed.push('description');
    }
    if (changes.pictureUploadId !== undefined && changes.pictureUploadId !== group.pictureUploadId) {
      updated.pictureUploadId = changes.pictureUploadId;
      if (updated.pictureUploadId) await shareUploadsInChat(tx, group.id, [updated.pictureUploadId]);
      changed.push('picture');
    }
    if (changed.length > 0) {
      await tx
        .update(chats)
        .set({ name: updated.name, description: updated.description, pictureUploadId: updated.pictureUploadId })
        .where(eq(chats.id, group.id));
      const memberCount = await memberCountOf(tx, group.id);
      await log.append(groupTopic(group.id), 'GROUP_UPDATED', { group: toGroupView(updated, memberCount), changed, by: userId });
    }
    return fullViewOf(tx, updated, membership.role);
  });
  return result;
}

/** Adds a friend of the admin to the group; their sockets join the group's topic at their MEMBER_ADDED. */
export async function addGroupMember(deps: GroupsDependencies, adminId: string, groupId: string, userId: string): Promise<GroupView> {
  const { result } = await deps.writer.write(async (tx, log) => {
    const { group, membership } = await requireAdmin(tx, groupId, adminId, 'add members');
    const [existing] = await tx
      .select({ userId: chatMembers.userId })
      .from(chatMembers)
      .where(and(eq(chatMembers.chatId, groupId), eq(chatMembers.userId, userId)));
    if (existing) throw new AppError(409, GroupErrors.alreadyMember, 'Already a member of this group');
    await requireFriendOf(tx, adminId, userId, 'userId');
    checkRoom(deps, (await memberCountOf(tx, groupId)) + 1);
    await addMemberInJob(tx, log, group, userId, 'member', adminId);
    return fullViewOf(tx, group, membership.role);
  });
  return result;
}

/**
 * Removes a member (admins), or leaves when the user names themself. The removed member hears
 * MEMBER_REMOVED, then their sockets leave the topic; they can read nothing of the group after that.
 */
export async function removeGroupMember(deps: GroupsDependencies, adminId: string, groupId: string, userId: string): Promise<GroupView | null> {
  if (userId === adminId) {
    await leaveGroup(deps, adminId, groupId);
    return null;
  }
  const { result } = await deps.writer.write(async (tx, log) => {
    const { group, membership } = await requireAdmin(tx, groupId, adminId, 'remove members');
    const removed = await tx
      .delete(chatMembers)
      .where(and(eq(chatMembers.chatId, groupId), eq(chatMembers.userId, userId)))
      .returning({ userId: chatMembers.userId });
    if (removed.length === 0) throw new AppError(404, CommonErrors.notFound, 'Not a member of this group');
    await log.append(groupTopic(groupId), 'MEMBER_REMOVED', { groupId, userId, removedBy: adminId });
    return fullViewOf(tx, group, membership.role);
  });
  return result;
}

/**
 * Leaves a group. When the last admin leaves, the longest-standing member becomes admin; when the
 * last member leaves, the group is deleted.
 */
export async function leaveGroup(deps: GroupsDependencies, userId: string, groupId: string): Promise<void> {
  await deps.writer.write(async (tx, log) => {
    const { group } = await requireMembership(tx, groupId, userId);
    await tx.delete(chatMembers).where(and(eq(chatMembers.chatId, groupId), eq(chatMembers.userId, userId)));
    await log.append(groupTopic(groupId), 'MEMBER_LEFT', { groupId, userId });
    const remaining = await tx
      .select({ userId: chatMembers.userId, role: chatMembers.role })
      .from(chatMembers)
      .where(eq(chatMembers.chatId, groupId))
      .orderBy(asc(chatMembers.joinedAt), asc(chatMembers.visibleAfterSeq));
    if (remaining.length === 0) {
      await deleteGroupInJob(tx, log, groupId, userId);
      return;
    }
    if (remaining.some((member) => member.role === 'admin')) return;
    const successor = remaining[0]!.userId;
    await tx.update(chatMembers).set({ role: 'admin' }).where(and(eq(chatMembers.chatId, groupId), eq(chatMembers.userId, successor)));
    await log.append(groupTopic(groupId), 'GROUP_UPDATED', {
      group: toGroupView(group, remaining.length),
      changed: ['admins'],
      member: { userId: successor, role: 'admin' },
      by: null,
    });
  });
}

/** Makes a member admin or takes it back (admins); the only admin cannot be demoted. */
export async function setGroupAdmin(deps: GroupsDependencies, adminId: string, groupId: string, userId: string, admin: boolean): Promise<GroupView> {
  const { result } = await deps.writer.write(async (tx, log) => {
    const { group, membership } = await requireAdmin(tx, groupId, adminId, 'change admins');
    const role = admin ? 'admin' : 'member';
    const [target] = await tx
      .select({ role: chatMembers.role })
      .from(chatMembers)
      .where(and(eq(chatMembers.chatId, groupId), eq(chatMembers.userId, userId)));
    if (!target) throw new AppError(404, CommonErrors.notFound, 'Not a member of this group');
    if (target.role !== role) {
      if (!admin) {
        const [admins] = await tx
          .select({ admins: count() })
          .from(chatMembers)
          .where(and(eq(chatMembers.chatId, groupId), eq(chatMembers.role, 'admin')));
        if ((admins?.admins ?? 0) <= 1) throw new AppError(409, GroupErrors.lastAdmin, 'A group needs an admin: promote someone first');
      }
      await tx.update(chatMembers).set({ role }).where(and(eq(chatMembers.chatId, groupId), eq(chatMembers.userId, userId)));
      await log.append(groupTopic(groupId), 'GROUP_UPDATED', {
        group: toGroupView(group, await memberCountOf(tx, groupId)),
        changed: ['admins'],
        member: { userId, role },
        by: adminId,
      });
    }
    return fullViewOf(tx, group, userId === adminId ? role : membership.role);
  });
  return result;
}

/** Deletes a group with its history (admins); every member hears GROUP_DELETED and leaves the topic. */
export async function deleteGroup(deps: GroupsDependencies, adminId: string, groupId: string): Promise<void> {
  await deps.writer.write(async (tx, log) => {
    await requireAdmin(tx, groupId, adminId, 'delete the group');
    await deleteGroupInJob(tx, log, groupId, adminId);
  });
}

async function deleteGroupInJob(tx: Transaction, log: EventLog, groupId: string, deletedBy: string): Promise<void> {
  await log.append(groupTopic(groupId), 'GROUP_DELETED', { groupId, deletedBy });
  // Members, messages and shared-file links go with the chat (foreign keys cascade).
  await tx.delete(chats).where(eq(chats.id, groupId));
}
