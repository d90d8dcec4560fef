// Accounts: who someone is and how they prove it.
import { sql } from 'drizzle-orm';
import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

export const users = sqliteTable(
  'users',
  {
    id: text('id').primaryKey(),
    /** Lowercase `[a-z0-9_.]`, 3-32 characters. */
    username: text('username').notNull(),
    /** Trimmed and lowercased, so uniqueness is case-insensitive. */
    email: text('email').notNull(),
    passwordHash: text('password_hash').notNull(),
    displayName: text('display_name'),
    bio: text('bio'),
    avatarUploadId: text('avatar_upload_id'),
    emailVerifiedAt: integer('email_verified_at', { mode: 'timestamp_ms' }),
    /** AES-GCM encrypted base32 TOTP secret; set at setup, trusted once totpEnabledAt is set. */
    totpSecret: text('totp_secret'),
    totpEnabledAt: integer('totp_enabled_at', { mode: 'timestamp_ms' }),
    /** The last 30-second step a TOTP code was accepted for: a code is never accepted twice. */
    totpLastStep: integer('totp_last_step'),
    /** When the user's last socket closed (presence); null while never connected. */
    lastSeenAt: integer('last_seen_at', { mode: 'timestamp_ms' }),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (table) => [
    uniqueIndex('users_username_unique').on(sql`lower(${table.username})`),
    uniqueIndex('users_email_unique').on(table.email),
    // Avatars may be downloaded by anyone signed in: the upload check looks them up by id.
    index('users_avatar').on(table.avatarUploadId),
  ],
);
