import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { openDatabase } from '../src/db/client.ts';
import { pruneEvents } from '../src/realtime/events.ts';
import { createAccount, type TestAccount } from './helpers/accounts.ts';
import type { FakeResend } from './helpers/fake-resend.ts';
import { makeFriends } from './helpers/friends.ts';
import type { TestClient } from './helpers/http.ts';
import { startEmailTestServer, type EmailTestServer } from './helpers/server.ts';
import { connectSocket, type Frame } from './helpers/ws.ts';

let server: EmailTestServer;
let api: TestClient;
let resend: FakeResend;

beforeAll(async () => {
  server = await startEmailTestServer({ PRESENCE_GRACE: '1s' });
  ({ api, resend } = server);
});
afterAll(() => server.stop());

async function friendsWithChat(prefix: string): Promise<{ emma: TestAccount; john: TestAccount; chatTopic: string }> {
  const emma = await createAccount(api, resend, `${prefix}e`);
  const john = await createAccount(api, resend, `${prefix}j`);
  await makeFriends(api, emma, john);
  const first = await api.post('/messages', { toUserId: john.id, text: 'first' }, { token: emma.accessToken });
  return { emma, john, chatTopic: `chat:${first.body.message.chatId}` };
}

function send(from: TestAccount, to: TestAccount, text: string) {
  return api.post('/messages', { toUserId: to.id, text }, { token: from.accessToken });
}

const seqsOf = (frames: Frame[]) => frames.map((frame) => frame.seq!);
const range = (from: number, count: number) => Array.from({ length: count }, (_, index) => from + index);

describe('resume', () => {
  it('replays exactly the 100 events missed while disconnected, in order, then goes live', async () => {
    const { emma, john, chatTopic } = await friendsWithChat('gap');
    const before = await connectSocket(server.url, john.accessToken);
    before.send({ type: 'ping' });
    await before.waitFor((frame) => frame.type === 'pong');
    const lastSeq = (await api.get(`/messages/${emma.id}`, { token: john.accessToken })).body.items[0].seq as number;
    before.close();
    await before.closed;

    for (let index = 0; index < 100; index++) await send(emma, john, `missed ${index}`);

    const after = await connectSocket(server.url, john.accessToken);
    after.send({ type: 'resume', cursors: { [chatTopic]: lastSeq } });
    await after.waitFor((frame) => frame.type === 'RESUMED');
    const replayed = after.eventsOf(chatTopic);
    expect(seqsOf(replayed)).toEqual(range(lastSeq + 1, 100));
    expect(replayed.map((frame) => frame.data.text)).toEqual(range(0, 100).map((index) => `missed ${index}`));

    const live = await send(emma, john, 'live again');
    const next = await after.waitFor((frame) => frame.topic === chatTopic && frame.data?.id === live.body.message.id);
    expect(next.seq).toBe(lastSeq + 101);
    await after.expectNone((frame) => frame.topic === chatTopic && frame.seq! <= lastSeq + 100, 200);
    expect(seqsOf(after.eventsOf(chatTopic))).toEqual(range(lastSeq + 1, 101));
    after.close();
  });

  it('loses and repeats nothing when the resume races with live traffic', async () => {
    const { emma, john, chatTopic } = await friendsWithChat('race');
    const cursor = (await api.get(`/messages/${emma.id}`, { token: john.accessToken })).body.items[0].seq as number;
    // 200 messages in flight, in waves, while John reconnects and resumes in the middle of them.
    const sending = (async () => {
      for (let wave = 0; wave < 10; wave++) await Promise.all(range(0, 20).map((index) => send(emma, john, `w${wave}-${index}`)));
    })();
    await Bun.sleep(30);
    const socket = await connectSocket(server.url, john.accessToken);
    socket.send({ type: 'resume', cursors: { [chatTopic]: cursor } });
    await sending;
    await socket.waitFor((frame) => frame.topic === chatTopic && frame.seq === cursor + 200);
    await Bun.sleep(100);
    expect(seqsOf(socket.eventsOf(chatTopic))).toEqual(range(cursor + 1, 200));
    socket.close();
  });

  it('gives a socket that never resumes everything since it opened', async () => {
    const { emma, john, chatTopic } = await friendsWithChat('noresume');
    const socket = await connectSocket(server.url, john.accessToken);
    const sent = await send(emma, john, 'right after connect');
    const frame = await socket.waitFor((candidate) => candidate.topic === chatTopic && candidate.data.id === sent.body.message.id);
    expect(frame.type).toBe('CHAT_MESSAGE_CREATED');
    socket.close();
  });

  it('answers RESYNC_REQUIRED for a cursor older than retention, and stays live', async () => {
    const { emma, john, chatTopic } = await friendsWithChat('pruned');
    const db = await openDatabase(server.config);
    await Bun.sleep(5);
    expect(await pruneEvents(db, 0)).toBeGreaterThan(0);
    db.$client.close();
    const socket = await connectSocket(server.url, john.accessToken);
    socket.send({ type: 'resume', cursors: { [chatTopic]: 0 } });
    expect((await socket.waitFor((frame) => frame.type === 'RESYNC_REQUIRED')).topic).toBe(chatTopic);
    const live = await send(emma, john, 'after the resync');
    await socket.waitFor((frame) => frame.topic === chatTopic && frame.data?.id === live.body.message.id);
    socket.close();
  });

  it('replays events of several topics at once', async () => {
    const { emma, john, chatTopic } = await friendsWithChat('multi');
    const userTopic = `user:${john.id}`;
    const socket = await connectSocket(server.url, john.accessToken);
    socket.send({ type: 'resume', cursors: { [chatTopic]: 0, [userTopic]: 0 } });
    await socket.waitFor((frame) => frame.type === 'RESUMED');
    expect(socket.eventsOf(userTopic).map((frame) => frame.type)).toContain('FRIEND_REQUEST_RECEIVED');
    expect(seqsOf(socket.eventsOf(userTopic))).toEqual(range(1, socket.eventsOf(userTopic).length));
    expect(socket.eventsOf(chatTopic)[0]!.data.text).toBe('first');
    void emma;
    socket.close();
  });
});

describe('friends on the wire', () => {
  it('shows presence to friends, offline with lastSeenAt after the grace period', async () => {
    const { emma, john } = await friendsWithChat('presence');
    const emmaSocket = await connectSocket(server.url, emma.accessToken);
    const johnSocket = await connectSocket(server.url, john.accessToken);
    const online = await emmaSocket.waitFor((frame) => frame.type === 'PRESENCE' && frame.data.userId === john.id);
    expect(online.data.online).toBe(true);
    expect(online.seq).toBeUndefined();
    johnSocket.close();
    const offline = await emmaSocket.waitFor((frame) => frame.type === 'PRESENCE' && frame.data.online === false, { timeoutMs: 4_000 });
    expect(offline.data.lastSeenAt).toBeString();
    const friends = await api.get('/friends', { token: emma.accessToken });
    expect(friends.body.items[0]).toMatchObject({ online: false, lastSeenAt: offline.data.lastSeenAt });
    emmaSocket.close();
  });

  it('sends typing to the other member, at most once per two seconds', async () => {
    const { emma, john, chatTopic } = await friendsWithChat('typing');
    const johnSocket = await connectSocket(server.url, john.accessToken);
    const emmaSocket = await connectSocket(server.url, emma.accessToken);
    const chatId = chatTopic.slice('chat:'.length);
    johnSocket.send({ type: 'ping' });
    await Bun.sleep(50);
    for (let index = 0; index < 3; index++) emmaSocket.send({ type: 'typing', chatId });
    const typing = await johnSocket.waitFor((frame) => frame.type === 'TYPING');
    expect(typing.data).toEqual({ chatId, userId: emma.id });
    await Bun.sleep(200);
    expect(johnSocket.inbox.filter((frame) => frame.type === 'TYPING')).toHaveLength(1);
    emmaSocket.close();
    johnSocket.close();
  });

  it('keeps history readable after unfriending but takes no new messages; blocking refuses too', async () => {
    const { emma, john } = await friendsWithChat('removed');
    expect((await api.post('/friends/remove', { userId: john.id }, { token: emma.accessToken })).status).toBe(204);
    const history = await api.get(`/messages/${emma.id}`, { token: john.accessToken });
    expect(history.body.items.map((message: { text: string }) => message.text)).toEqual(['first']);
    const refused = await send(john, emma, 'still there?');
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('not_friends');

    const { emma: ann, john: bob } = await friendsWithChat('blocked');
    expect((await api.post(`/users/${bob.id}/block`, undefined, { token: ann.accessToken })).status).toBe(204);
    const blocked = await send(bob, ann, 'hello?');
    expect(blocked.status).toBe(403);
    expect(blocked.body.error.code).toBe('blocked');
    expect((await api.post('/friends/add', { userId: ann.id }, { token: bob.accessToken })).body.error.code).toBe('blocked');
  });

  it('tells friends of a deleted account with FRIEND_REMOVED, and takes no messages to it', async () => {
    const { emma, john } = await friendsWithChat('gone');
    const johnSocket = await connectSocket(server.url, john.accessToken);
    expect((await api.request('DELETE', '/profile', { body: { password: emma.password }, token: emma.accessToken })).status).toBe(204);
    const removed = await johnSocket.waitFor((frame) => frame.type === 'FRIEND_REMOVED');
    expect(removed).toMatchObject({ topic: `user:${john.id}`, data: { userId: emma.id } });
    expect((await api.get('/friends', { token: john.accessToken })).body.items).toEqual([]);
    const refused = await send(john, emma, 'are you there?');
    expect(refused.status).toBe(403);
    johnSocket.close();
  });
});

describe('notifications', () => {
  it('stores friend requests and mentions, counts unread, and marks read', async () => {
    const emma = await createAccount(api, resend, 'notee');
    const john = await createAccount(api, resend, 'notej');
    const johnSocket = await connectSocket(server.url, john.accessToken);
    await makeFriends(api, emma, john);
    const live = await johnSocket.waitFor((frame) => frame.type === 'NOTIFICATION_CREATED');
    expect(live.data.type).toBe('FRIEND_REQUEST_RECEIVED');

    await api.post('/messages', { toUserId: john.id, text: '@john look', mentions: [john.id] }, { token: emma.accessToken });
    const list = await api.get('/notifications', { token: john.accessToken });
    expect(list.body.items.map((item: { type: string }) => item.type)).toEqual(['MENTION', 'FRIEND_REQUEST_RECEIVED']);
    expect(list.body.unreadCount).toBe(2);
    expect((await api.get('/notifications', { token: emma.accessToken })).body.items.map((item: { type: string }) => item.type)).toEqual([
      'FRIEND_REQUEST_ACCEPTED',
    ]);

    await api.post('/notifications/read', { ids: [list.body.items[0].id] }, { token: john.accessToken });
    const unread = await api.get('/notifications?unread=true', { token: john.accessToken });
    expect(unread.body.items.map((item: { type: string }) => item.type)).toEqual(['FRIEND_REQUEST_RECEIVED']);
    expect(unread.body.unreadCount).toBe(1);
    await api.post('/notifications/read', { all: true }, { token: john.accessToken });
    expect((await api.get('/notifications', { token: john.accessToken })).body.unreadCount).toBe(0);
    johnSocket.close();
  });
});
