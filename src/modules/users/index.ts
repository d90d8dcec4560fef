// Routes of your own profile and of other people's public profiles.
import { Elysia, t } from 'elysia';
import type { AppDependencies } from '../../app.ts';
import { AppError, CommonErrors } from '../../lib/errors.ts';
import { authGuard } from '../../plugins/auth-guard.ts';
import { ChangePasswordBody, DeleteAccountBody, SearchQuery, UpdateProfileBody, UserEnvelope, UserList } from './model.ts';
import {
  changePassword,
  deleteAccount,
  findUserById,
  requireUser,
  searchUsers,
  toOwnUser,
  toPublicUser,
  updateProfile,
} from './service.ts';

export function usersModule(deps: AppDependencies) {
  const { db } = deps;
  return new Elysia({ name: 'users', detail: { tags: ['Users'] } })
    .use(authGuard(deps.tokens))
    .get('/profile', async ({ userId }) => ({ user: await toOwnUser(db, await requireUser(db, userId)) }), {
      auth: true,
      response: UserEnvelope,
      detail: { summary: 'Your profile' },
    })
    .put('/profile', async ({ userId, body }) => ({ user: await toOwnUser(db, await updateProfile(db, userId, body)) }), {
      auth: true,
      body: UpdateProfileBody,
      response: UserEnvelope,
      detail: {
        summary: 'Change your display name, bio or avatar',
        description:
          'Fields left out stay as they are; null clears one. `avatarUploadId` must be one of your image uploads ' +
          '(400 `validation_failed` otherwise); once it is your avatar, anyone signed in may download it.',
      },
    })
    .put(
      '/profile/password',
      async ({ userId, sessionId, body, set }) => {
        await changePassword(db, userId, sessionId, body);
        set.status = 204;
      },
      {
        auth: true,
        body: ChangePasswordBody,
        detail: {
          summary: 'Change your password',
          description: 'Every other session is signed out; this one stays. 401 `invalid_password` when currentPassword is wrong.',
        },
      },
    )
    .delete(
      '/profile',
      async ({ userId, body, set }) => {
        await deleteAccount(deps, userId, body.password);
        set.status = 204;
      },
      {
        auth: true,
        body: DeleteAccountBody,
        detail: { summary: 'Delete your account', description: 'Needs the password. Sessions, passkeys and codes go with it.' },
      },
    )
    .get(
      '/users',
      async ({ query }) => {
        const page = await searchUsers(db, { search: query.search, limit: query.limit ?? 50, before: query.before });
        return { items: page.items.map(toPublicUser), nextCursor: page.nextCursor };
      },
      {
        auth: true,
        query: SearchQuery,
        response: UserList,
        detail: { summary: 'Find people by the start of their username' },
      },
    )
    .get(
      '/users/:id',
      async ({ params }) => {
        const user = await findUserById(db, params.id);
        if (!user || !user.emailVerifiedAt) throw new AppError(404, CommonErrors.notFound, 'No such user');
        return { user: toPublicUser(user) };
      },
      {
        auth: true,
        params: t.Object({ id: t.String({ maxLength: 64 }) }),
        response: UserEnvelope,
        detail: { summary: "Someone's public profile" },
      },
    );
}
