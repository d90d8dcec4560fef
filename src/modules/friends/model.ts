// Schemas of the friends module: friend requests, friends with presence, and blocked users.
import { t } from 'elysia';
import { User } from '../users/model.ts';

const UserId = t.String({ minLength: 1, maxLength: 64 });
const Time = t.String({ format: 'date-time' });

export const AddFriendBody = t.Union(
  [
    t.Object({ userId: UserId }, { description: 'By user id.' }),
    t.Object({ username: t.String({ minLength: 1, maxLength: 32 }) }, { description: 'By username, in any case.' }),
  ],
  { description: 'Who to befriend: `{userId}` or `{username}`.' },
);

export const UserIdBody = t.Object({ userId: UserId });

export const IdParams = t.Object({ id: t.String({ maxLength: 64 }) });

export const FriendRequest = t.Object(
  {
    id: t.String(),
    fromUserId: t.String(),
    toUserId: t.String(),
    user: User,
    createdAt: Time,
  },
  { description: 'A friend request waiting for its recipient. `user` is the other person: the recipient of one you sent, the sender of one you received.' },
);
export type FriendRequestView = typeof FriendRequest.static;

export const FriendRequestEnvelope = t.Object({ request: FriendRequest });

export const FriendRequestLists = t.Object({
  incoming: t.Array(FriendRequest, { description: 'Requests sent to you, newest first.' }),
  outgoing: t.Array(FriendRequest, { description: 'Requests you sent, newest first.' }),
});

export const Friend = t.Object(
  {
    user: User,
    online: t.Boolean({ description: 'Whether they have a socket open now.' }),
    lastSeenAt: t.Union([Time, t.Null()], { description: 'When their last socket closed; null while online or never connected.' }),
    since: t.String({ format: 'date-time', description: 'When the friendship began.' }),
  },
  { description: 'A friend, with presence.' },
);
export type FriendView = typeof Friend.static;

export const FriendEnvelope = t.Object({
  friend: Friend,
  chatId: t.String({ description: 'The direct chat of the two of you: new, or the one from an earlier friendship.' }),
});

export const FriendList = t.Object({ items: t.Array(Friend, { description: 'By username.' }) });

export const BlockedList = t.Object({ items: t.Array(User, { description: 'Most recently blocked first.' }) });
