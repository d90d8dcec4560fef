// Schemas of the users module: the user as clients see it, and profile inputs.
import { t } from 'elysia';

export const Username = t.String({
  minLength: 3,
  maxLength: 32,
  pattern: '^[A-Za-z0-9_.]+$',
  description: 'Letters, digits, `_` and `.`, 3-32 characters; stored lowercase and unique regardless of case.',
  examples: ['emma'],
});

export const Password = t.String({ minLength: 8, maxLength: 256, description: '8-256 characters.' });

export const EmailAddress = t.String({ format: 'email', maxLength: 254, examples: ['emma@example.com'] });

export const User = t.Object(
  {
    id: t.String(),
    username: t.String(),
    email: t.Optional(t.String({ description: 'Only in your own profile.' })),
    displayName: t.Union([t.String(), t.Null()]),
    bio: t.Union([t.String(), t.Null()]),
    avatarUrl: t.Union([t.String(), t.Null()]),
    emailVerified: t.Optional(t.Boolean({ description: 'Only in your own profile.' })),
    mfa: t.Optional(
      t.Object(
        { totp: t.Boolean(), passkeys: t.Integer({ description: 'How many passkeys are registered.' }) },
        { description: 'Only in your own profile.' },
      ),
    ),
    createdAt: t.String({ format: 'date-time' }),
  },
  { description: 'A user; email, emailVerified and mfa appear only in your own profile.' },
);
export type UserView = typeof User.static;

export const UserEnvelope = t.Object({ user: User });

export const UserList = t.Object({
  items: t.Array(User),
  nextCursor: t.Union([t.String(), t.Null()]),
});

export const UpdateProfileBody = t.Object({
  displayName: t.Optional(t.Union([t.String({ maxLength: 64 }), t.Null()])),
  bio: t.Optional(t.Union([t.String({ maxLength: 500 }), t.Null()])),
  avatarUploadId: t.Optional(
    t.Union([t.String({ maxLength: 64 }), t.Null()], { description: 'One of your image uploads (POST /uploads); null removes the avatar.' }),
  ),
});

export const ChangePasswordBody = t.Object({ currentPassword: t.String({ maxLength: 256 }), newPassword: Password });

export const DeleteAccountBody = t.Object({ password: t.String({ maxLength: 256 }) });

export const SearchQuery = t.Object({
  search: t.String({ minLength: 1, maxLength: 32, description: 'Start of a username.' }),
  limit: t.Optional(t.Integer({ minimum: 1, maximum: 100, default: 50 })),
  before: t.Optional(t.String({ description: 'nextCursor of the previous page.' })),
});
