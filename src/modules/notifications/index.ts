// Routes of notifications: list (with the unread count) and mark read.
import { Elysia, t } from 'elysia';
import type { AppDependencies } from '../../app.ts';
import { authGuard } from '../../plugins/auth-guard.ts';
import { listNotifications, markNotificationsRead } from './service.ts';

const Notification = t.Object({
  id: t.String(),
  type: t.String({ description: 'FRIEND_REQUEST_RECEIVED, FRIEND_REQUEST_ACCEPTED, MENTION, GROUP_ADDED, …' }),
  data: t.Record(t.String(), t.Unknown()),
  createdAt: t.String({ format: 'date-time' }),
  readAt: t.Union([t.String({ format: 'date-time' }), t.Null()]),
});

export function notificationsModule(deps: AppDependencies) {
  return new Elysia({ name: 'notifications', prefix: '/notifications', detail: { tags: ['Notifications'] } })
    .use(authGuard(deps.tokens))
    .get(
      '',
      ({ userId, query }) =>
        listNotifications(deps.db, userId, { unreadOnly: query.unread === 'true', limit: query.limit ?? 50, before: query.before }),
      {
        auth: true,
        query: t.Object({
          unread: t.Optional(t.Union([t.Literal('true'), t.Literal('false')])),
          limit: t.Optional(t.Integer({ minimum: 1, maximum: 100, default: 50 })),
          before: t.Optional(t.String({ maxLength: 64 })),
        }),
        response: t.Object({ items: t.Array(Notification), nextCursor: t.Union([t.String(), t.Null()]), unreadCount: t.Integer() }),
        detail: {
          summary: 'Your notifications, newest first',
          description: 'New messages are not one notification each: count them per chat with the unread counts of GET /chats.',
        },
      },
    )
    .post(
      '/read',
      async ({ userId, body, set }) => {
        await markNotificationsRead(deps.db, userId, 'all' in body ? 'all' : body.ids);
        set.status = 204;
      },
      {
        auth: true,
        body: t.Union([t.Object({ ids: t.Array(t.String({ maxLength: 64 }), { minItems: 1, maxItems: 500 }) }), t.Object({ all: t.Literal(true) })]),
        detail: { summary: 'Mark notifications read', description: '`{ids}` or `{all: true}`.' },
      },
    );
}
