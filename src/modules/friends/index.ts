// Routes of friend requests, friends and blocks.
import { Elysia } from 'elysia';
import type { AppDependencies } from '../../app.ts';
import { authGuard } from '../../plugins/auth-guard.ts';
import { toPublicUser } from '../users/service.ts';
import {
  AddFriendBody,
  BlockedList,
  Friend,
  FriendEnvelope,
  FriendList,
  FriendRequest,
  FriendRequestEnvelope,
  FriendRequestLists,
  IdParams,
  UserIdBody,
} from './model.ts';
import {
  acceptFriendRequest,
  addFriend,
  blockUser,
  cancelFriendRequest,
  declineFriendRequest,
  listBlockedUsers,
  listFriendRequests,
  listFriends,
  removeFriend,
  unblockUser,
} from './service.ts';

export function friendsModule(deps: AppDependencies) {
  const { db } = deps;
  return new Elysia({ name: 'friends', detail: { tags: ['Friends'] } })
    .use(authGuard(deps.tokens))
    .model({ Friend, FriendRequest })
    .post(
      '/friends/add',
      async ({ userId, body, set }) => {
        const result = await addFriend(deps, userId, body);
        if (result.outcome === 'accepted') return { friend: result.friend, chatId: result.chatId };
        set.status = 201;
        return { request: result.request };
      },
      {
        auth: true,
        body: AddFriendBody,
        response: { 200: FriendEnvelope, 201: FriendRequestEnvelope },
        detail: {
          summary: 'Ask someone to be friends',
          description:
            '201 `{request}`; the recipient gets FRIEND_REQUEST_RECEIVED and a notification. When they had already asked you, ' +
            'this accepts their request instead: 200 `{friend, chatId}`. ' +
            '400 `cannot_befriend_self`; 404 `not_found` for an unknown or unconfirmed user; 403 `blocked` when either of you ' +
            'blocked the other (the same answer for both sides); 409 `already_friends` or `request_exists`.',
        },
      },
    )
    .get('/friends/requests', ({ userId }) => listFriendRequests(db, userId), {
      auth: true,
      response: FriendRequestLists,
      detail: { summary: 'Pending friend requests, to you and from you' },
    })
    .post('/friends/requests/:id/accept', ({ userId, params }) => acceptFriendRequest(deps, userId, params.id), {
      auth: true,
      params: IdParams,
      response: FriendEnvelope,
      detail: {
        summary: 'Accept a friend request sent to you',
        description:
          'Opens (or reopens) your direct chat; both of you get FRIEND_REQUEST_ACCEPTED, the sender a notification. ' +
          "404 `not_found` for a request that is not yours to accept.",
      },
    })
    .post(
      '/friends/requests/:id/decline',
      async ({ userId, params, set }) => {
        await declineFriendRequest(deps, userId, params.id);
        set.status = 204;
      },
      {
        auth: true,
        params: IdParams,
        detail: {
          summary: 'Decline a friend request sent to you',
          description: 'The sender is not told. 404 `not_found` for a request that is not yours to decline.',
        },
      },
    )
    .delete(
      '/friends/requests/:id',
      async ({ userId, params, set }) => {
        await cancelFriendRequest(deps, userId, params.id);
        set.status = 204;
      },
      {
        auth: true,
        params: IdParams,
        detail: { summary: 'Withdraw a friend request you sent', description: '404 `not_found` for a request you did not send.' },
      },
    )
    .post(
      '/friends/remove',
      async ({ userId, body, set }) => {
        await removeFriend(deps, userId, body.userId);
        set.status = 204;
      },
      {
        auth: true,
        body: UserIdBody,
        detail: {
          summary: 'End a friendship',
          description:
            'Both of you get FRIEND_REMOVED. The direct chat stays readable but takes no new messages. 404 `not_found` when you are not friends.',
        },
      },
    )
    .get('/friends', async ({ userId }) => ({ items: await listFriends(deps, userId) }), {
      auth: true,
      response: FriendList,
      detail: { summary: 'Your friends, with presence' },
    })
    .get('/users/blocked', async ({ userId }) => ({ items: (await listBlockedUsers(db, userId)).map(toPublicUser) }), {
      auth: true,
      response: BlockedList,
      detail: { summary: 'The users you blocked' },
    })
    .post(
      '/users/:id/block',
      async ({ userId, params, set }) => {
        await blockUser(deps, userId, params.id);
        set.status = 204;
      },
      {
        auth: true,
        params: IdParams,
        detail: {
          summary: 'Block a user',
          description:
            'Ends any friendship (both get FRIEND_REMOVED) and drops pending requests both ways; neither of you can ask the other ' +
            'until you unblock. Blocking again is not an error. 400 `cannot_block_self`; 404 `not_found` for an unknown user.',
        },
      },
    )
    .delete(
      '/users/:id/block',
      async ({ userId, params, set }) => {
        await unblockUser(deps, userId, params.id);
        set.status = 204;
      },
      {
        auth: true,
        params: IdParams,
        detail: {
          summary: 'Unblock a user',
          description: 'Idempotent. The friendship is not restored: send a new request.',
        },
      },
    );
}
