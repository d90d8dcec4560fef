import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { createAccount, type TestAccount } from './helpers/accounts.ts';
import type { FakeResend } from './helpers/fake-resend.ts';
import { makeFriends } from './helpers/friends.ts';
import type { TestClient } from './helpers/http.ts';
import { startEmailTestServer, type EmailTestServer } from './helpers/server.ts';
import { connectSocket } from './helpers/ws.ts';

let server: EmailTestServer;
let api: TestClient;
let resend: FakeResend;

beforeAll(async () => {
  server = await startEmailTestServer();
  ({ api, resend } = server);
});
afterAll(() => server.stop());

async function friendsPair(prefix: string): Promise<[TestAccount, TestAccount]> {
  const emma = await createAccount(api, resend, `${prefix}e`);
  const john = await createAccount(api, resend, `${prefix}j`);
  await makeFriends(api, emma, john);
  return [emma, john];
}

describe('the Emma and John story', () => {
  it('goes from a friend request to messages, receipts, edit, unsend and hide, live on both sockets', async () => {
    const emma = await createAccount(api, resend, 'emma');
    const john = await createAccount(api, resend, 'john');
    const emmaSocket = await connectSocket(server.url, emma.accessToken);
    const johnSocket = await connectSocket(server.url, john.accessToken);

    // Emma asks, John sees it live and accepts.
    const request = await api.post('/friends/add', { username: john.username }, { token: emma.accessToken });
    expect(request.status).toBe(201);
    const received = await johnSocket.waitFor((frame) => frame.type === 'FRIEND_REQUEST_RECEIVED');
    expect(received.topic).toBe(`user:${john.id}`);
    expect(received.seq).toBeGreaterThan(0);
    await api.post(`/friends/requests/${request.body.request.id}/accept`, undefined, { token: john.accessToken });
    const accepted = await emmaSocket.waitFor((frame) => frame.type === 'FRIEND_REQUEST_ACCEPTED');
    const chatId = accepted.data.chatId;
    expect(chatId).toBeString();

    // Both are online to each other: reconnecting John's socket shows presence to Emma.
    const johnPhone = await connectSocket(server.url, john.accessToken);
    johnPhone.close();
    const friends = await api.get('/friends', { token: emma.accessToken });
    expect(friends.body.items[0]).toMatchObject({ user: { id: john.id }, online: true });

    // Emma writes over REST; John gets it live on chat:<id>.
    const sent = await api.post('/messages', { toUserId: john.id, text: 'Hi John!', clientMessageId: 'e-1' }, { token: emma.accessToken });
    expect(sent.status).toBe(201);
    expect(sent.body.message).toMatchObject({ chatId, kind: 'direct', senderId: emma.id, text: 'Hi John!' });
    const live = await johnSocket.waitFor((frame) => frame.type === 'CHAT_MESSAGE_CREATED');
    expect(live.topic).toBe(`chat:${chatId}`);
    expect(live.data.id).toBe(sent.body.message.id);
    expect(live.seq).toBe(sent.body.message.seq);

    // John answers over the socket and gets an ACK carrying the stored message.
    johnSocket.send({ type: 'send', clientMessageId: 'j-1', toUserId: emma.id, text: 'Hey Emma' });
    const ack = await johnSocket.waitFor((frame) => frame.type === 'ACK' && frame.clientMessageId === 'j-1');
    expect(ack.message.text).toBe('Hey Emma');
    const reply = await emmaSocket.waitFor((frame) => frame.type === 'CHAT_MESSAGE_CREATED' && frame.data.id === ack.message.id);
    expect(reply.seq).toBe(ack.message.seq);

    // Receipts: John has it delivered and read; Emma hears both.
    johnSocket.send({ type: 'delivered', messageId: sent.body.message.id });
    const delivered = await emmaSocket.waitFor((frame) => frame.type === 'CHAT_MESSAGE_DELIVERED');
    expect(delivered.data).toMatchObject({ userId: john.id, messageId: sent.body.message.id });
    expect((await api.post(`/messages/${sent.body.message.id}/read`, undefined, { token: john.accessToken })).status).toBe(204);
    const read = await emmaSocket.waitFor((frame) => frame.type === 'CHAT_MESSAGE_READ');
    expect(read.data.seq).toBe(sent.body.message.seq);

    // Edit and unsend by the sender, live to John.
    const edited = await api.patch(`/messages/${sent.body.message.id}`, { text: 'Hi John :)' }, { token: emma.accessToken });
    expect(edited.body.message.editedAt).not.toBeNull();
    expect((await johnSocket.waitFor((frame) => frame.type === 'CHAT_MESSAGE_UPDATED')).data.message.text).toBe('Hi John :)');
    expect((await api.patch(`/messages/${sent.body.message.id}`, { text: 'nope' }, { token: john.accessToken })).status).toBe(403);

    // John hides Emma's message for himself only.
    expect((await api.delete(`/messages/${sent.body.message.id}?scope=me`, { token: john.accessToken })).status).toBe(204);
    const johnsHistory = await api.get(`/messages/${emma.id}`, { token: john.accessToken });
    expect(johnsHistory.body.items.map((message: { text: string }) => message.text)).toEqual(['Hey Emma']);
    const emmasHistory = await api.get(`/messages/${john.id}`, { token: emma.accessToken });
    expect(emmasHistory.body.items.map((message: { text: string }) => message.text)).toEqual(['Hey Emma', 'Hi John :)']);

    // Emma unsends: gone for both.
    expect((await api.delete(`/messages/${sent.body.message.id}?scope=everyone`, { token: emma.accessToken })).status).toBe(204);
    expect((await johnSocket.waitFor((frame) => frame.type === 'CHAT_MESSAGE_UNSENT')).data.messageId).toBe(sent.body.message.id);
    const after = await api.get(`/messages/${john.id}`, { token: emma.accessToken });
    expect(after.body.items.map((message: { text: string }) => message.text)).toEqual(['Hey Emma']);

    // Seqs on the chat topic rose by one per durable event, on both sockets alike.
    for (const socket of [emmaSocket, johnSocket]) {
      const seqs = socket.eventsOf(`chat:${chatId}`).map((frame) => frame.seq);
      expect(seqs).toEqual(seqs.map((_, index) => seqs[0]! + index));
    }
    emmaSocket.close();
    johnSocket.close();
  });
});

describe('sending', () => {
  it('returns the first message for a retried clientMessageId, never a copy', async () => {
    const [emma, john] = await friendsPair('retry');
    const body = { toUserId: john.id, text: 'once', clientMessageId: 'same-id' };
    const [first, second, third] = await Promise.all([
      api.post('/messages', body, { token: emma.accessToken }),
      api.post('/messages', body, { token: emma.accessToken }),
      api.post('/messages', body, { token: emma.accessToken }),
    ]);
    const ids = new Set([first, second, third].map((response) => response.body.message.id));
    expect(ids.size).toBe(1);
    expect([first, second, third].map((response) => response.status).sort()).toEqual([200, 200, 201]);
    const history = await api.get(`/messages/${emma.id}`, { token: john.accessToken });
    expect(history.body.items).toHaveLength(1);
  });

  it('refuses strangers, over REST and over the socket', async () => {
    const [emma, john] = await friendsPair('priv');
    const stranger = await createAccount(api, resend, 'stranger');
    await api.post('/messages', { toUserId: john.id, text: 'private' }, { token: emma.accessToken });
    const message = (await api.get(`/messages/${john.id}`, { token: emma.accessToken })).body.items[0];

    const write = await api.post('/messages', { toUserId: john.id, text: 'let me in' }, { token: stranger.accessToken });
    expect(write.status).toBe(403);
    expect(write.body.error.code).toBe('not_friends');
    expect((await api.get(`/messages/${john.id}`, { token: stranger.accessToken })).status).toBe(404);
    expect((await api.patch(`/messages/${message.id}`, { text: 'x' }, { token: stranger.accessToken })).status).toBe(404);
    expect((await api.delete(`/messages/${message.id}?scope=everyone`, { token: stranger.accessToken })).status).toBe(404);
    expect((await api.delete(`/messages/${message.id}?scope=me`, { token: stranger.accessToken })).status).toBe(404);
    expect((await api.post(`/messages/${message.id}/read`, undefined, { token: stranger.accessToken })).status).toBe(404);

    const socket = await connectSocket(server.url, stranger.accessToken);
    socket.send({ type: 'resume', cursors: { [`chat:${message.chatId}`]: 0 } });
    const refused = await socket.waitFor((frame) => frame.type === 'ERROR');
    expect(refused.error.code).toBe('forbidden');
    socket.send({ type: 'send', clientMessageId: 's-1', toUserId: john.id, text: 'hi' });
    expect((await socket.waitFor((frame) => frame.type === 'ERROR' && frame.clientMessageId === 's-1')).error.code).toBe('not_friends');
    socket.send({ type: 'typing', chatId: message.chatId });
    socket.send({ type: 'read', messageId: message.id });
    await socket.expectNone((frame) => frame.topic === `chat:${message.chatId}`);
    expect(socket.inbox.filter((frame) => frame.type === 'ERROR').length).toBeGreaterThanOrEqual(4);
    socket.close();
  });

  it('answers malformed frames with an ERROR and keeps the socket open', async () => {
    const [emma] = await friendsPair('frames');
    const socket = await connectSocket(server.url, emma.accessToken);
    socket.send({ type: 'launch-rockets' });
    expect((await socket.waitFor((frame) => frame.type === 'ERROR')).error.code).toBe('validation_failed');
    socket.send({ type: 'ping' });
    await socket.waitFor((frame) => frame.type === 'pong');
    socket.close();
  });

  it('refuses a socket without a valid token with HTTP 401', async () => {
    const response = await fetch(`${server.url}/ws?token=nope`, { headers: { upgrade: 'websocket', connection: 'upgrade', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-version': '13' } });
    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('unauthenticated');
  });
});

describe('history', () => {
  it('pages through 500 messages newest first with no duplicates or holes, even while new ones arrive', async () => {
    const [emma, john] = await friendsPair('pages');
    const sent: string[] = [];
    for (let batch = 0; batch < 10; batch++) {
      const responses = await Promise.all(
        Array.from({ length: 50 }, (_, index) => api.post('/messages', { toUserId: john.id, text: `m${batch * 50 + index}` }, { token: emma.accessToken })),
      );
      sent.push(...responses.map((response) => response.body.message.id));
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { body: { items: { id: string; seq: number }[]; nextCursor: string | null } } = await api.get(
        `/messages/${emma.id}?limit=37${cursor ? `&before=${cursor}` : ''}`,
        { token: john.accessToken },
      );
      const seqs = page.body.items.map((message) => message.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
      seen.push(...page.body.items.map((message) => message.id));
      cursor = page.body.nextCursor;
      // New messages during paging land above the first page and must not disturb the rest.
      if (pages++ === 2) await api.post('/messages', { toUserId: john.id, text: 'late arrival' }, { token: emma.accessToken });
    } while (cursor);
    expect(seen).toHaveLength(500);
    expect(new Set(seen).size).toBe(500);
    expect(new Set(seen)).toEqual(new Set(sent));
  });
});
