// Accounts as data: finding, showing, searching, updating and deleting users.
import { and, count, eq, gt, ne, sql } from 'drizzle-orm';
import type { AppDependencies } from '../../app.ts';
import type { Database } from '../../db/client.ts';
import { passkeys, refreshTokens, users } from '../../db/schema/index.ts';
import { AppError, CommonErrors } from '../../lib/errors.ts';
import { hashPassword, verifyPassword } from '../../lib/password.ts';
import { userTopic } from '../../realtime/events.ts';
import { friendIdsOf } from '../friends/service.ts';
import { requireOwnImage } from '../uploads/service.ts';
import { UserErrors } from './errors.ts';
import type { UserView } from './model.ts';

export type UserRow = typeof users.$inferSelect;

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export async function findUserById(db: Database, userId: string): Promise<UserRow | null> {
  return (await db.query.users.findFirst({ where: eq(users.id, userId) })) ?? null;
}

export async function findUserByEmail(db: Database, email: string): Promise<UserRow | null> {
  return (await db.query.users.findFirst({ where: eq(users.email, normalizeEmail(email)) })) ?? null;
}

/** The user as anyone may see it. */
export function toPublicUser(user: UserRow): UserView {
  return {
    id: user.id,
    username: user.username,
    displayName: user.displayName,
    bio: user.bio,
    avatarUrl: user.avatarUploadId ? `/uploads/${user.avatarUploadId}` : null,
    createdAt: user.createdAt.toISOString(),
  };
}

/** The user as they see themself: with email, verification and second factors. */
export async function toOwnUser(db: Database, user: UserRow): Promise<UserView> {
  const [row] = await db.select({ passkeys: count() }).from(passkeys).where(eq(passkeys.userId, user.id));
  return {
    ...toPublicUser(user),
    email: user.email,
    emailVerified: user.emailVerifiedAt !== null,
    mfa: { totp: user.totpEnabledAt !== null, passkeys: row?.passkeys ?? 0 },
  };
}

/** The signed-in user's own row; a deleted account reads as signed out. */
export async function requireUser(db: Database, userId: string): Promise<UserRow> {
  const user = await findUserById(db, userId);
  if (!user) throw new AppError(401, CommonErrors.unauthenticated, 'This account no longer exists');
  return user;
}

/** Changes the fields given; a new avatar must be one of the user's own image uploads (400 otherwise). */
export async function updateProfile(
  db: Database,
  userId: string,
  changes: { displayName?: string | null; bio?: string | null; avatarUploadId?: string | null },
): Promise<UserRow> {
  if (typeof changes.avatarUploadId === 'string') await requireOwnImage(db, userId, changes.avatarUploadId, 'avatarUploadId');
  const [user] = await db
    .update(users)
    .set({ ...changes, updatedAt: new Date() })
    .where(eq(users.id, userId))
    .returning();
  if (!user) throw new AppError(401, CommonErrors.unauthenticated, 'This account no longer exists');
  return user;
}

/** Throws 401 invalid_password unless `password` is the user's current one. */
export async function checkPassword(user: UserRow, password: string): Promise<void> {
  if (!(await verifyPassword(password, user.passwordHash))) {
    throw new AppError(401, UserErrors.invalidPassword, 'The password is not right');
  }
}

/** Sets a new password and ends every other session; the current one stays signed in. */
export async function changePassword(
  db: Database,
  userId: string,
  currentSessionId: string,
  input: { currentPassword: string; newPassword: string },
): Promise<void> {
  const user = await requireUser(db, userId);
  await checkPassword(user, input.currentPassword);
  const passwordHash = await hashPassword(input.newPassword);
  await db.batch([
    db.update(users).set({ passwordHash, updatedAt: new Date() }).where(eq(users.id, userId)),
    db
      .update(refreshTokens)
      .set({ revokedAt: new Date() })
      .where(and(eq(refreshTokens.userId, userId), ne(refreshTokens.familyId, currentSessionId))),
  ]);
}

/**
 * Deletes the account and, through foreign keys, everything that is only theirs. Their friends hear
 * FRIEND_REMOVED, as for an unfriending: their lists and presence topics follow.
 */
export async function deleteAccount(deps: Pick<AppDependencies, 'db' | 'writer'>, userId: string, password: string): Promise<void> {
  const user = await requireUser(deps.db, userId);
  await checkPassword(user, password);
  await deps.writer.write(async (tx, log) => {
    for (const friendId of await friendIdsOf(tx, userId)) await log.append(userTopic(friendId), 'FRIEND_REMOVED', { userId });
    await tx.delete(users).where(eq(users.id, userId));
  });
}

/** Verified users whose username starts with `prefix`, in username order, a page at a time. */
export async function searchUsers(
  db: Database,
  input: { search: string; limit: number; before?: string },
): Promise<{ items: UserRow[]; nextCursor: string | null }> {
  const prefix = input.search.trim().toLowerCase().replace(/[%_\\]/g, (character) => `\\${character}`);
  const rows = await db
    .select()
    .from(users)
    .where(
      and(
        sql`${users.username} LIKE ${`${prefix}%`} ESCAPE '\\'`,
        sql`${users.emailVerifiedAt} IS NOT NULL`,
        input.before ? gt(users.username, input.before) : undefined,
      ),
    )
    .orderBy(users.username)
    .limit(input.limit + 1);
  const items = rows.slice(0, input.limit);
  return { items, nextCursor: rows.length > input.limit ? items.at(-1)!.username : null };
}
