import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import type { Client } from '@libsql/client';
import { createAccount, uniqueIdentity, type TestAccount } from './helpers/accounts.ts';
import type { FakeResend } from './helpers/fake-resend.ts';
import type { TestClient } from './helpers/http.ts';
import { startEmailTestServer, type EmailTestServer } from './helpers/server.ts';

let server: EmailTestServer;
let api: TestClient;
let resend: FakeResend;
let db: Client;

beforeAll(async () => {
  server = await startEmailTestServer();
  ({ api, resend, db } = server);
});
afterAll(() => server.stop());

const as = (account: TestAccount) => ({ token: account.accessToken });

/** One confirmed, logged-in account per name: `const [alice, bob] = await accounts('alice', 'bob')`. */
function accounts<const Names extends string[]>(...names: Names): Promise<{ [Index in keyof Names]: TestAccount }> {
  return Promise.all(names.map((name) => createAccount(api, resend, name))) as Promise<{ [Index in keyof Names]: TestAccount }>;
}

/** `from` asks `to`, `to` accepts; returns the direct chat's id. */
async function makeFriends(from: TestAccount, to: TestAccount): Promise<string> {
  const sent = await api.post('/friends/add', { userId: to.id }, as(from));
  expect(sent.status).toBe(201);
  const accepted = await api.post(`/friends/requests/${sent.body.request.id}/accept`, undefined, as(to));
  expect(accepted.status).toBe(200);
  return accepted.body.chatId;
}

interface StoredEvent {
  seq: number;
  type: string;
  data: any;
}

/** The durable events stored on a user's topic, in seq order. */
async function eventsOf(account: TestAccount): Promise<StoredEvent[]> {
  const result = await db.execute({ sql: 'SELECT seq, type, data FROM events WHERE topic = ? ORDER BY seq', args: [`user:${account.id}`] });
  return result.rows.map((row) => ({ seq: Number(row.seq), type: String(row.type), data: JSON.parse(String(row.data)) }));
}

async function notificationsOf(account: TestAccount): Promise<{ type: string; data: any }[]> {
  const result = await db.execute({ sql: 'SELECT type, data FROM notifications WHERE user_id = ? ORDER BY id', args: [account.id] });
  return result.rows.map((row) => ({ type: String(row.type), data: JSON.parse(String(row.data)) }));
}

async function friendIdsOf(account: TestAccount): Promise<string[]> {
  const list = await api.get('/friends', as(account));
  expect(list.status).toBe(200);
  return list.body.items.map((item: { user: { id: string } }) => item.user.id);
}

async function requestsOf(account: TestAccount) {
  const lists = await api.get('/friends/requests', as(account));
  expect(lists.status).toBe(200);
  return lists.body as { incoming: { id: string; user: { id: string } }[]; outgoing: { id: string; user: { id: string } }[] };
}

describe('sending a friend request', () => {
  it('sends a request by user id that both sides see', async () => {
    const [alice, bob] = await accounts('alice', 'bob');
    const sent = await api.post('/friends/add', { userId: bob.id }, as(alice));
    expect(sent.status).toBe(201);
    const request = sent.body.request;
    expect(request.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(request.fromUserId).toBe(alice.id);
    expect(request.toUserId).toBe(bob.id);
    expect(request.user.id).toBe(bob.id);
    expect(request.user.username).toBe(bob.username);
    expect(request.user.email).toBeUndefined();
    expect(Date.parse(request.createdAt)).toBeGreaterThan(Date.now() - 60_000);

    const mine = await requestsOf(alice);
    expect(mine.incoming).toEqual([]);
    expect(mine.outgoing).toEqual([request]);
    const theirs = await requestsOf(bob);
    expect(theirs.outgoing).toEqual([]);
    expect(theirs.incoming).toHaveLength(1);
    expect(theirs.incoming[0]!.id).toBe(request.id);
    expect(theirs.incoming[0]!.user.id).toBe(alice.id);
  });

  it('finds the recipient by username in any case', async () => {
    const [alice, bob] = await accounts('alice', 'bob');
    const sent = await api.post('/friends/add', { username: bob.username.toUpperCase() }, as(alice));
    expect(sent.status).toBe(201);
    expect(sent.body.request.toUserId).toBe(bob.id);
    expect((await requestsOf(bob)).incoming.map((request) => request.user.id)).toEqual([alice.id]);
  });

  it('stores FRIEND_REQUEST_RECEIVED and a notification for the recipient only', async () => {
    const [alice, bob] = await accounts('alice', 'bob');
    const sent = await api.post('/friends/add', { userId: bob.id }, as(alice));

    const events = await eventsOf(bob);
    expect(events.map((event) => [event.seq, event.type])).toEqual([
      [1, 'FRIEND_REQUEST_RECEIVED'],
      [2, 'NOTIFICATION_CREATED'],
    ]);
    expect(events[0]!.data.request.id).toBe(sent.body.request.id);
    expect(events[0]!.data.request.user.id).toBe(alice.id);
    expect(events[1]!.data.type).toBe('FRIEND_REQUEST_RECEIVED');
    expect(await eventsOf(alice)).toEqual([]);

    const notifications = await notificationsOf(bob);
    expect(notifications).toHaveLength(1);
    expect(notifications[0]!.type).toBe('FRIEND_REQUEST_RECEIVED');
    expect(notifications[0]!.data.requestId).toBe(sent.body.request.id);
    expect(notifications[0]!.data.user.id).toBe(alice.id);
    expect(await notificationsOf(alice)).toEqual([]);
  });

  it('refuses to befriend yourself', async () => {
    const [alice] = await accounts('alice');
    for (const body of [{ userId: alice.id }, { username: alice.username }]) {
      const response = await api.post('/friends/add', body, as(alice));
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe('cannot_befriend_self');
    }
  });

  it('answers 404 for unknown and unconfirmed users', async () => {
    const [alice] = await accounts('alice');
    const unconfirmed = await api.post('/signup', uniqueIdentity('pending'));
    expect(unconfirmed.status).toBe(201);
    for (const body of [
      { userId: '0190a8b0-0000-7000-8000-000000000000' },
      { username: 'nobody_by_that_name' },
      { userId: unconfirmed.body.user.id },
      { username: unconfirmed.body.user.username },
    ]) {
      const response = await api.post('/friends/add', body, as(alice));
      expect(response.status).toBe(404);
      expect(response.body.error.code).toBe('not_found');
    }
    expect(await requestsOf(alice)).toEqual({ incoming: [], outgoing: [] });
  });

  it('refuses a second request to the same person', async () => {
    const [alice, bob] = await accounts('alice', 'bob');
    expect((await api.post('/friends/add', { userId: bob.id }, as(alice))).status).toBe(201);
    const again = await api.post('/friends/add', { username: bob.username }, as(alice));
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('request_exists');
    expect((await requestsOf(bob)).incoming).toHaveLength(1);
  });

  it('refuses a request to a friend', async () => {
    const [alice, bob] = await accounts('alice', 'bob');
    await makeFriends(alice, bob);
    for (const [from, to] of [
      [alice, bob],
      [bob, alice],
    ] as const) {
      const response = await api.post('/friends/add', { userId: to.id }, as(from));
      expect(response.status).toBe(409);
      expect(response.body.error.code).toBe('already_friends');
    }
  });

  it('validates the body and needs a token', async () => {
    const [alice] = await accounts('alice');
    const empty = await api.post('/friends/add', {}, as(alice));
    expect(empty.status).toBe(400);
    expect(empty.body.error.code).toBe('validation_failed');
    const anonymous = await api.post('/friends/add', { userId: alice.id });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error.code).toBe('unauthenticated');
  });
});

describe('accepting a friend request', () => {
  it('makes both friends, opens their direct chat and tells both', async () => {
    const [alice, bob] = await accounts('alice', 'bob');
    const sent = await api.post('/friends/add', { userId: bob.id }, as(alice));
    const accepted = await api.post(`/friends/requests/${sent.body.request.id}/accept`, undefined, as(bob));
    expect(accepted.status).toBe(200);
    const { friend, chatId } = accepted.body;
    expect(friend.user.id).toBe(alice.id);
    expect(friend.online).toBe(false);
    expect(friend.lastSeenAt).toBeNull();
    expect(Date.parse(friend.since)).toBeGreaterThan(Date.now() - 60_000);

    expect(await friendIdsOf(alice)).toEqual([bob.id]);
    expect(await friendIdsOf(bob)).toEqual([alice.id]);
    expect(await requestsOf(alice)).toEqual({ incoming: [], outgoing: [] });
    expect(await requestsOf(bob)).toEqual({ incoming: [], outgoing: [] });

    const chat = await db.execute({ sql: 'SELECT kind FROM chats WHERE id = ?', args: [chatId] });
    expect(chat.rows[0]?.kind).toBe('direct');
    const members = await db.execute({ sql: 'SELECT user_id FROM chat_members WHERE chat_id = ? ORDER BY user_id', args: [chatId] });
    expect(members.rows.map((row) => row.user_id)).toEqual([alice.id, bob.id].sort());

    const aliceEvents = await eventsOf(alice);
    expect(aliceEvents.map((event) => [event.seq, event.type])).toEqual([
      [1, 'FRIEND_REQUEST_ACCEPTED'],
      [2, 'NOTIFICATION_CREATED'],
    ]);
    expect(aliceEvents[0]!.data.friend.user.id).toBe(bob.id);
    expect(aliceEvents[0]!.data.friend.since).toBe(friend.since);
    expect(aliceEvents[0]!.data.chatId).toBe(chatId);

    const bobEvents = await eventsOf(bob);
    expect(bobEvents.map((event) => [event.seq, event.type])).toEqual([
      [1, 'FRIEND_REQUEST_RECEIVED'],
      [2, 'NOTIFICATION_CREATED'],
      [3, 'FRIEND_REQUEST_ACCEPTED'],
    ]);
    expect(bobEvents[2]!.data.friend.user.id).toBe(alice.id);
    expect(bobEvents[2]!.data.chatId).toBe(chatId);

    const notifications = await notificationsOf(alice);
    expect(notifications.map((notification) => notification.type)).toEqual(['FRIEND_REQUEST_ACCEPTED']);
    expect(notifications[0]!.data.user.id).toBe(bob.id);
    expect(notifications[0]!.data.chatId).toBe(chatId);
  });

  it('accepts instead when the other had already asked (crossing requests)', async () => {
    const [alice, bob] = await accounts('alice', 'bob');
    const first = await api.post('/friends/add', { userId: bob.id }, as(alice));
    expect(first.status).toBe(201);
    const crossing = await api.post('/friends/add', { username: alice.username }, as(bob));
    expect(crossing.status).toBe(200);
    expect(crossing.body.friend.user.id).toBe(alice.id);
    expect(crossing.body.chatId).toBeString();

    expect(await friendIdsOf(alice)).toEqual([bob.id]);
    expect(await friendIdsOf(bob)).toEqual([alice.id]);
    expect(await requestsOf(alice)).toEqual({ incoming: [], outgoing: [] });
    expect(await requestsOf(bob)).toEqual({ incoming: [], outgoing: [] });
    expect((await notificationsOf(alice)).map((notification) => notification.type)).toEqual(['FRIEND_REQUEST_ACCEPTED']);
    expect((await eventsOf(alice)).map((event) => event.type)).toEqual(['FRIEND_REQUEST_ACCEPTED', 'NOTIFICATION_CREATED']);
    expect((await eventsOf(bob)).map((event) => event.type)).toEqual([
      'FRIEND_REQUEST_RECEIVED',
      'NOTIFICATION_CREATED',
      'FRIEND_REQUEST_ACCEPTED',
    ]);
  });

  it("lets nobody but the recipient accept or decline, and nobody but the sender cancel", async () => {
    const [alice, bob, mallory] = await accounts('alice', 'bob', 'mallory');
    const sent = await api.post('/friends/add', { userId: bob.id }, as(alice));
    const id = sent.body.request.id;
    const attempts = [
      api.post(`/friends/requests/${id}/accept`, undefined, as(mallory)),
      api.post(`/friends/requests/${id}/decline`, undefined, as(mallory)),
      api.delete(`/friends/requests/${id}`, as(mallory)),
      api.post(`/friends/requests/${id}/accept`, undefined, as(alice)),
      api.post(`/friends/requests/${id}/decline`, undefined, as(alice)),
      api.delete(`/friends/requests/${id}`, as(bob)),
      api.post('/friends/requests/0190a8b0-0000-7000-8000-000000000000/accept', undefined, as(bob)),
    ];
    for (const response of await Promise.all(attempts)) {
      expect(response.status).toBe(404);
      expect(response.body.error.code).toBe('not_found');
    }
    expect((await requestsOf(bob)).incoming.map((request) => request.id)).toEqual([id]);
    expect(await friendIdsOf(mallory)).toEqual([]);
    expect(await friendIdsOf(alice)).toEqual([]);
  });

  it('declines: the request goes and the sender may ask again', async () => {
    const [alice, bob] = await accounts('alice', 'bob');
    const sent = await api.post('/friends/add', { userId: bob.id }, as(alice));
    const declined = await api.post(`/friends/requests/${sent.body.request.id}/decline`, undefined, as(bob));
    expect(declined.status).toBe(204);
    expect(await requestsOf(alice)).toEqual({ incoming: [], outgoing: [] });
    expect(await requestsOf(bob)).toEqual({ incoming: [], outgoing: [] });
    expect(await friendIdsOf(bob)).toEqual([]);
    const accept = await api.post(`/friends/requests/${sent.body.request.id}/accept`, undefined, as(bob));
    expect(accept.status).toBe(404);
    expect((await api.post('/friends/add', { userId: bob.id }, as(alice))).status).toBe(201);
  });

  it('cancels: the sender withdraws and the recipient can no longer accept', async () => {
    const [alice, bob] = await accounts('alice', 'bob');
    const sent = await api.post('/friends/add', { userId: bob.id }, as(alice));
    const cancelled = await api.delete(`/friends/requests/${sent.body.request.id}`, as(alice));
    expect(cancelled.status).toBe(204);
    expect((await requestsOf(bob)).incoming).toEqual([]);
    const accept = await api.post(`/friends/requests/${sent.body.request.id}/accept`, undefined, as(bob));
    expect(accept.status).toBe(404);
    expect(await friendIdsOf(bob)).toEqual([]);
  });

  it('lists incoming and outgoing requests newest first', async () => {
    const [alice, bob, carol, dave] = await accounts('alice', 'bob', 'carol', 'dave');
    await api.post('/friends/add', { userId: alice.id }, as(bob));
    await api.post('/friends/add', { userId: alice.id }, as(carol));
    await api.post('/friends/add', { userId: dave.id }, as(alice));
    const lists = await requestsOf(alice);
    expect(lists.incoming.map((request) => request.user.id)).toEqual([carol.id, bob.id]);
    expect(lists.outgoing.map((request) => request.user.id)).toEqual([dave.id]);
    const item = lists.incoming[0]! as { id: string; user: { id: string; username: string }; createdAt: string };
    expect(item.user.username).toBe(carol.username);
    expect(Date.parse(item.createdAt)).not.toBeNaN();
  });
});

describe('the friends list', () => {
  it('shows each friend with since, presence and lastSeenAt', async () => {
    const [alice, bob, carol] = await accounts('alice', 'bob', 'carol');
    await makeFriends(alice, bob);
    await makeFriends(carol, alice);
    const lastSeen = new Date('2024-05-01T10:00:00.000Z');
    await db.execute({ sql: 'UPDATE users SET last_seen_at = ? WHERE id = ?', args: [lastSeen.getTime(), carol.id] });

    const list = await api.get('/friends', as(alice));
    expect(list.status).toBe(200);
    const byId = new Map(list.body.items.map((item: { user: { id: string } }) => [item.user.id, item]));
    expect([...byId.keys()].sort()).toEqual([bob.id, carol.id].sort());
    expect(list.body.items.map((item: { user: { username: string } }) => item.user.username)).toEqual(
      [bob.username, carol.username].sort(),
    );
    const bobItem = byId.get(bob.id) as { online: boolean; lastSeenAt: string | null; since: string; user: { email?: string } };
    expect(bobItem.online).toBe(false);
    expect(bobItem.lastSeenAt).toBeNull();
    expect(bobItem.user.email).toBeUndefined();
    expect(Date.parse(bobItem.since)).toBeGreaterThan(Date.now() - 60_000);
    const carolItem = byId.get(carol.id) as { online: boolean; lastSeenAt: string | null };
    expect(carolItem.online).toBe(false);
    expect(carolItem.lastSeenAt).toBe(lastSeen.toISOString());

    const row = await db.execute({
      sql: 'SELECT created_at FROM friendships WHERE user_low_id = ? AND user_high_id = ?',
      args: [[alice.id, bob.id].sort()[0]!, [alice.id, bob.id].sort()[1]!],
    });
    expect(new Date(Number(row.rows[0]?.created_at)).toISOString()).toBe(bobItem.since);
  });
});

describe('removing a friend', () => {
  it('ends the friendship on both sides, tells both, and keeps the chat for a later friendship', async () => {
    const [alice, bob] = await accounts('alice', 'bob');
    const chatId = await makeFriends(alice, bob);
    const aliceBefore = (await eventsOf(alice)).length;
    const bobBefore = (await eventsOf(bob)).length;

    const removed = await api.post('/friends/remove', { userId: alice.id }, as(bob));
    expect(removed.status).toBe(204);
    expect(await friendIdsOf(alice)).toEqual([]);
    expect(await friendIdsOf(bob)).toEqual([]);

    const aliceEvents = await eventsOf(alice);
    expect(aliceEvents.slice(aliceBefore)).toEqual([{ seq: aliceBefore + 1, type: 'FRIEND_REMOVED', data: { userId: bob.id } }]);
    const bobEvents = await eventsOf(bob);
    expect(bobEvents.slice(bobBefore)).toEqual([{ seq: bobBefore + 1, type: 'FRIEND_REMOVED', data: { userId: alice.id } }]);
    expect(bobEvents.map((event) => event.seq)).toEqual(bobEvents.map((_, index) => index + 1));

    const chat = await db.execute({ sql: 'SELECT id FROM chats WHERE id = ?', args: [chatId] });
    expect(chat.rows).toHaveLength(1);

    const again = await api.post('/friends/remove', { userId: alice.id }, as(bob));
    expect(again.status).toBe(404);
    expect(again.body.error.code).toBe('not_found');

    expect(await makeFriends(bob, alice)).toBe(chatId);
  });

  it('answers 404 for someone who is not a friend', async () => {
    const [alice, bob] = await accounts('alice', 'bob');
    const response = await api.post('/friends/remove', { userId: bob.id }, as(alice));
    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe('not_found');
  });
});

describe('blocking', () => {
  it('ends the friendship, tells both, and refuses requests both ways with the same answer', async () => {
    const [alice, bob] = await accounts('alice', 'bob');
    await makeFriends(alice, bob);
    const blocked = await api.post(`/users/${bob.id}/block`, undefined, as(alice));
    expect(blocked.status).toBe(204);
    expect(await friendIdsOf(alice)).toEqual([]);
    expect(await friendIdsOf(bob)).toEqual([]);
    expect((await eventsOf(alice)).at(-1)).toMatchObject({ type: 'FRIEND_REMOVED', data: { userId: bob.id } });
    expect((await eventsOf(bob)).at(-1)).toMatchObject({ type: 'FRIEND_REMOVED', data: { userId: alice.id } });

    const fromBlocker = await api.post('/friends/add', { userId: bob.id }, as(alice));
    const fromBlocked = await api.post('/friends/add', { username: alice.username }, as(bob));
    for (const response of [fromBlocker, fromBlocked]) {
      expect(response.status).toBe(403);
      expect(response.body.error.code).toBe('blocked');
    }
    expect(fromBlocked.body).toEqual(fromBlocker.body);
    expect(await requestsOf(bob)).toEqual({ incoming: [], outgoing: [] });
  });

  it('drops pending requests both ways', async () => {
    const [alice, bob, carol] = await accounts('alice', 'bob', 'carol');
    await api.post('/friends/add', { userId: alice.id }, as(bob));
    await api.post('/friends/add', { userId: carol.id }, as(alice));
    expect((await api.post(`/users/${bob.id}/block`, undefined, as(alice))).status).toBe(204);
    expect((await api.post(`/users/${alice.id}/block`, undefined, as(carol))).status).toBe(204);
    expect(await requestsOf(alice)).toEqual({ incoming: [], outgoing: [] });
    expect(await requestsOf(bob)).toEqual({ incoming: [], outgoing: [] });
    expect(await requestsOf(carol)).toEqual({ incoming: [], outgoing: [] });
  });

  it('lists blocked users and unblocks idempotently', async () => {
    const [alice, bob, carol] = await accounts('alice', 'bob', 'carol');
    expect((await api.post(`/users/${bob.id}/block`, undefined, as(alice))).status).toBe(204);
    expect((await api.post(`/users/${bob.id}/block`, undefined, as(alice))).status).toBe(204);
    expect((await api.post(`/users/${carol.id}/block`, undefined, as(alice))).status).toBe(204);
    const list = await api.get('/users/blocked', as(alice));
    expect(list.status).toBe(200);
    expect(list.body.items.map((user: { id: string }) => user.id)).toEqual([carol.id, bob.id]);
    expect(list.body.items[0].email).toBeUndefined();
    expect((await api.get('/users/blocked', as(bob))).body.items).toEqual([]);

    expect((await api.delete(`/users/${bob.id}/block`, as(alice))).status).toBe(204);
    expect((await api.delete(`/users/${bob.id}/block`, as(alice))).status).toBe(204);
    expect((await api.get('/users/blocked', as(alice))).body.items.map((user: { id: string }) => user.id)).toEqual([carol.id]);

    const asked = await api.post('/friends/add', { userId: alice.id }, as(bob));
    expect(asked.status).toBe(201);
    expect(await friendIdsOf(alice)).toEqual([]);
  });

  it("keeps the other side's block when one side unblocks", async () => {
    const [alice, bob] = await accounts('alice', 'bob');
    await api.post(`/users/${bob.id}/block`, undefined, as(alice));
    await api.post(`/users/${alice.id}/block`, undefined, as(bob));
    await api.delete(`/users/${bob.id}/block`, as(alice));
    const response = await api.post('/friends/add', { userId: bob.id }, as(alice));
    expect(response.status).toBe(403);
    expect(response.body.error.code).toBe('blocked');
  });

  it('refuses to block yourself or an unknown user', async () => {
    const [alice] = await accounts('alice');
    const self = await api.post(`/users/${alice.id}/block`, undefined, as(alice));
    expect(self.status).toBe(400);
    expect(self.body.error.code).toBe('cannot_block_self');
    const unknown = await api.post('/users/0190a8b0-0000-7000-8000-000000000000/block', undefined, as(alice));
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('not_found');
  });
});
