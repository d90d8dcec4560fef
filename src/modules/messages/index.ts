// Routes of messages: send, history, edit, unsend or hide, receipts.
import { Elysia, t } from 'elysia';
import type { AppDependencies } from '../../app.ts';
import { authGuard } from '../../plugins/auth-guard.ts';
import { HistoryQuery, MessageEnvelope, MessagePage, MessageParams, Receipts, SendMessageBody } from './model.ts';
import { editMessage, hideMessage, listDirectHistory, listGroupHistory, listReceipts, markReceipt, sendMessage, unsendMessage } from './service.ts';

export function messagesModule(deps: AppDependencies) {
  return new Elysia({ name: 'messages', prefix: '/messages', detail: { tags: ['Messages'] } })
    .use(authGuard(deps.tokens))
    .post(
      '',
      async ({ userId, body, set }) => {
        const { message, duplicate } = await sendMessage(deps, userId, body);
        set.status = duplicate ? 200 : 201;
        return { message };
      },
      {
        auth: true,
        body: SendMessageBody,
        response: { 200: MessageEnvelope, 201: MessageEnvelope },
        detail: {
          summary: 'Send a message',
          description:
            'Answered only after the message is durably stored. 201 for a new message; 200 with the first message when `clientMessageId` was already used by you. 403 `not_friends` or `blocked` for a direct message to someone you cannot write to.',
        },
      },
    )
    .get(
      '/group/:group_id',
      ({ userId, params, query }) =>
        listGroupHistory(deps, userId, params.group_id, { limit: query.limit ?? 50, before: query.before ? Number(query.before) : undefined }),
      {
        auth: true,
        params: t.Object({ group_id: t.String({ maxLength: 64 }) }),
        query: HistoryQuery,
        response: MessagePage,
        detail: { summary: 'History of a group', description: 'Newest first, from your join on. 404 unless you are a member.' },
      },
    )
    // Not /:id/receipts: GET /messages/:user_id holds that position, and the router needs one param name there.
    .get('/receipts/:id', ({ userId, params }) => listReceipts(deps, userId, params.id), {
      auth: true,
      params: MessageParams,
      response: Receipts,
      detail: {
        summary: 'Who received and read a message',
        description: "From each member's watermarks: `readBy` lists the members (not the sender) who read up to this message or later.",
      },
    })
    .get(
      '/:user_id',
      ({ userId, params, query }) =>
        listDirectHistory(deps, userId, params.user_id, { limit: query.limit ?? 50, before: query.before ? Number(query.before) : undefined }),
      {
        auth: true,
        params: t.Object({ user_id: t.String({ maxLength: 64 }) }),
        query: HistoryQuery,
        response: MessagePage,
        detail: { summary: 'History of your direct chat with a user', description: 'Newest first; readable after unfriending.' },
      },
    )
    .patch('/:id', async ({ userId, params, body }) => ({ message: await editMessage(deps, userId, params.id, body.text) }), {
      auth: true,
      params: MessageParams,
      body: t.Object({ text: t.String({ minLength: 1, maxLength: 4000 }) }),
      response: MessageEnvelope,
      detail: { summary: 'Edit your message' },
    })
    .delete(
      '/:id',
      async ({ userId, params, query, set }) => {
        if (query.scope === 'everyone') await unsendMessage(deps, userId, params.id);
        else await hideMessage(deps, userId, params.id);
        set.status = 204;
      },
      {
        auth: true,
        params: MessageParams,
        query: t.Object({ scope: t.Union([t.Literal('me'), t.Literal('everyone')], { default: 'me' }) }),
        detail: {
          summary: 'Hide a message for you, or unsend it for everyone',
          description: '`scope=me` (default) hides it from your history; `scope=everyone` (sender only) unsends it.',
        },
      },
    )
    .post(
      '/:id/delivered',
      async ({ userId, params, set }) => {
        await markReceipt(deps, userId, params.id, 'delivered');
        set.status = 204;
      },
      { auth: true, params: MessageParams, detail: { summary: 'Delivered up to and including this message' } },
    )
    .post(
      '/:id/read',
      async ({ userId, params, set }) => {
        await markReceipt(deps, userId, params.id, 'read');
        set.status = 204;
      },
      { auth: true, params: MessageParams, detail: { summary: 'Read up to and including this message' } },
    );
}
