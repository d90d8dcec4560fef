// Two server processes on one database file, joined by a real redis-server: what one node commits, the
// other node's sockets hear; topic moves, presence and resume work across the two.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { createAccount } from './helpers/accounts.ts';
import { startFakeResend, type FakeResend } from './helpers/fake-resend.ts';
import { makeFriends } from './helpers/friends.ts';
import { createClient, type TestClient } from './helpers/http.ts';
import { spawnServer, type ServerProcess } from './helpers/process.ts';
import { startRedis, type RedisProcess } from './helpers/redis.ts';
import { makeTempDir } from './helpers/server.ts';
import { connectSocket, type Frame, type TestSocket } from './helpers/ws.ts';

const dataDir = makeTempDir('chat-nodes-');
let redis: RedisProcess;
let resend: FakeResend;
let nodeA: ServerProcess;
let nodeB: ServerProcess;
let apiA: TestClient;
let apiB: TestClient;

beforeAll(async () => {
  redis = await startRedis();
  resend = startFakeResend();
  const env = {
    DATA_DIR: dataDir,
    JWT_SECRET: 'multi-node-secret-multi-node-secret-0123456789',
    REDIS_URL: redis.url,
    RESEND_API_KEY: 're_test',
    RESEND_BASE_URL: resend.url,
    RATE_LIMIT: 'off',
    LOG_LEVEL: 'info',
    PRESENCE_GRACE: '1s',
  };
  const start = () => spawnServer([process.execPath, 'src/index.ts'], { cwd: join(import.meta.dir, '..'), env });
  // One after the other: the first applies the migrations.
  nodeA = await start();
  nodeB = await start();
  apiA = createClient(nodeA.url);
  apiB = createClient(nodeB.url);
});

afterAll(async () => {
  await nodeA?.stop();
  await nodeB?.stop();
  await redis?.stop();
  resend?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const created = (id: string) => (frame: Frame) => frame.type.endsWith('_MESSAGE_CREATED') && frame.data.id === id;
const acked = (clientMessageId: string) => (frame: Frame) => frame.type === 'ACK' && frame.clientMessageId === clientMessageId;

/** The seqs of a socket's events on a topic, checked to rise by exactly one. */
function expectContiguous(socket: TestSocket, topic: string): number[] {
  const seqs = socket.eventsOf(topic).map((frame) => frame.seq!);
  expect(seqs).toEqual(seqs.map((_, index) => seqs[0]! + index));
  return seqs;
}

describe('direct messages across nodes', () => {
  it('reach a socket on the other node both ways, the first one even right after befriending', async () => {
    const ana = await createAccount(apiA, resend, 'nodeana');
    const ben = await createAccount(apiB, resend, 'nodeben');
    const anaOnA = await connectSocket(nodeA.url, ana.accessToken);
    const benOnB = await connectSocket(nodeB.url, ben.accessToken);

    // Ben asks on node B; ana hears it on node A, and accepts there.
    const request = await apiB.post('/friends/add', { userId: ana.id }, { token: ben.accessToken });
    expect(request.status).toBe(201);
    await anaOnA.waitFor((frame) => frame.type === 'FRIEND_REQUEST_RECEIVED' && frame.data.request.id === request.body.request.id);
    const accepted = await apiA.post(`/friends/requests/${request.body.request.id}/accept`, undefined, { token: ana.accessToken });
    expect(accepted.status).toBe(200);
    const chatTopic = `chat:${accepted.body.chatId}`;

    // At once, before node B can have subscribed to the new chat on Redis: ben's socket must still get it.
    anaOnA.send({ type: 'send', toUserId: ben.id, text: 'hi from node A', clientMessageId: 'a1' });
    const ack = await anaOnA.waitFor(acked('a1'));
    const heard = await benOnB.waitFor(created(ack.message.id));
    expect(heard).toMatchObject({ topic: chatTopic, type: 'CHAT_MESSAGE_CREATED', data: { text: 'hi from node A', senderId: ana.id } });
    await benOnB.waitFor((frame) => frame.type === 'FRIEND_REQUEST_ACCEPTED' && frame.topic === `user:${ben.id}`);

    // Ben answers over REST on node B; ana's socket on node A hears it.
    const reply = await apiB.post('/messages', { toUserId: ana.id, text: 'hello from node B' }, { token: ben.accessToken });
    expect(reply.status).toBe(201);
    const back = await anaOnA.waitFor(created(reply.body.message.id));
    expect(back).toMatchObject({ topic: chatTopic, data: { text: 'hello from node B', senderId: ben.id } });
    // Ben's own socket hears it too (its node may still be filling the chat's stream from the log).
    await benOnB.waitFor(created(reply.body.message.id));
    expect(expectContiguous(benOnB, chatTopic)).toEqual(expectContiguous(anaOnA, chatTopic));
    anaOnA.close();
    benOnB.close();
  });
});

describe('groups across nodes', () => {
  it('moves members in and out live and keeps every topic in seq order with senders on both nodes', async () => {
    const ana = await createAccount(apiA, resend, 'nodegana');
    const ben = await createAccount(apiA, resend, 'nodegben');
    const cai = await createAccount(apiA, resend, 'nodegcai');
    await makeFriends(apiA, ana, ben);
    await makeFriends(apiA, ana, cai);
    const anaOnA = await connectSocket(nodeA.url, ana.accessToken);
    const benOnB = await connectSocket(nodeB.url, ben.accessToken);
    const caiOnB = await connectSocket(nodeB.url, cai.accessToken);

    // Node B holds no socket of the group yet: ben's join reaches it on his own topic.
    const group = (await apiA.post('/groups', { name: 'Two nodes', memberIds: [ben.id] }, { token: ana.accessToken })).body.group;
    const topic = `group:${group.id}`;
    await benOnB.waitFor((frame) => frame.topic === topic && frame.type === 'MEMBER_ADDED' && frame.data.userId === ben.id);

    // Thirty messages from each node at once: both members get all sixty, in one contiguous seq order.
    for (let index = 0; index < 30; index++) {
      anaOnA.send({ type: 'send', groupId: group.id, text: `a${index}`, clientMessageId: `ga${index}` });
      benOnB.send({ type: 'send', groupId: group.id, text: `b${index}`, clientMessageId: `gb${index}` });
    }
    const messagesOf = (socket: TestSocket) => socket.eventsOf(topic).filter((frame) => frame.type === 'GROUP_MESSAGE_CREATED');
    for (const socket of [anaOnA, benOnB]) await socket.waitFor(() => messagesOf(socket).length === 60, { timeoutMs: 10_000 });
    expectContiguous(anaOnA, topic);
    expectContiguous(benOnB, topic);
    const view = (socket: TestSocket) => socket.eventsOf(topic).map((frame) => [frame.seq, frame.type, frame.data.id ?? frame.data.userId]);
    expect(view(benOnB)).toEqual(view(anaOnA).slice(-view(benOnB).length));
    expect(messagesOf(benOnB).map((frame) => frame.data.text).sort()).toEqual([...Array(30).keys()].flatMap((index) => [`a${index}`, `b${index}`]).sort());

    // Cai joins on node B, where the group is now heard: from his MEMBER_ADDED on, nothing before.
    expect((await apiA.post(`/groups/${group.id}/add`, { userId: cai.id }, { token: ana.accessToken })).status).toBe(200);
    const joined = await caiOnB.waitFor((frame) => frame.topic === topic && frame.type === 'MEMBER_ADDED' && frame.data.userId === cai.id);
    expect(caiOnB.eventsOf(topic)[0]).toEqual(joined);
    const welcome = (await apiA.post('/messages', { groupId: group.id, text: 'welcome cai' }, { token: ana.accessToken })).body.message;
    await caiOnB.waitFor(created(welcome.id));

    // Ben is removed: he hears why, then nothing more, while cai on the same node still hears the group.
    expect((await apiA.post(`/groups/${group.id}/remove`, { userId: ben.id }, { token: ana.accessToken })).status).toBe(200);
    await benOnB.waitFor((frame) => frame.topic === topic && frame.type === 'MEMBER_REMOVED' && frame.data.userId === ben.id);
    const after = (await apiA.post('/messages', { groupId: group.id, text: 'after ben left' }, { token: ana.accessToken })).body.message;
    await caiOnB.waitFor(created(after.id));
    await benOnB.expectNone((frame) => frame.topic === topic, 300);
    expectContiguous(caiOnB, topic);
    for (const socket of [anaOnA, benOnB, caiOnB]) socket.close();
  });
});

describe('presence across nodes', () => {
  it('is online while a socket is open on any node, and offline with lastSeenAt after the last one closes', async () => {
    const dan = await createAccount(apiA, resend, 'nodedan');
    const eve = await createAccount(apiA, resend, 'nodeeve');
    await makeFriends(apiA, dan, eve);
    const danOnA = await connectSocket(nodeA.url, dan.accessToken);
    const eveOnline = async (api: TestClient) =>
      (await api.get('/friends', { token: dan.accessToken })).body.items.find((friend: any) => friend.user.id === eve.id);
    expect(await eveOnline(apiA)).toMatchObject({ online: false, lastSeenAt: null });

    const eveOnB = await connectSocket(nodeB.url, eve.accessToken);
    await danOnA.waitFor((frame) => frame.type === 'PRESENCE' && frame.data.userId === eve.id && frame.data.online === true);
    expect(await eveOnline(apiA)).toMatchObject({ online: true, lastSeenAt: null });
    // Dan is online for eve too, though his only socket is on the other node.
    const danForEve = (await apiB.get('/friends', { token: eve.accessToken })).body.items[0];
    expect(danForEve).toMatchObject({ user: { id: dan.id }, online: true });

    // A second socket on node A, then the one on node B closes: still online.
    const eveOnA = await connectSocket(nodeA.url, eve.accessToken);
    eveOnB.close();
    await danOnA.expectNone((frame) => frame.type === 'PRESENCE' && frame.data.userId === eve.id, 1_300);
    expect(await eveOnline(apiB)).toMatchObject({ online: true });

    eveOnA.close();
    const offline = await danOnA.waitFor((frame) => frame.type === 'PRESENCE' && frame.data.userId === eve.id && frame.data.online === false);
    expect(Date.parse(offline.data.lastSeenAt)).toBeGreaterThan(Date.now() - 10_000);
    expect(await eveOnline(apiB)).toMatchObject({ online: false, lastSeenAt: offline.data.lastSeenAt });
    danOnA.close();
  });
});

describe('resume across nodes', () => {
  it('gives a socket on the other node exactly what it missed, then the live stream', async () => {
    const fay = await createAccount(apiA, resend, 'nodefay');
    const gus = await createAccount(apiA, resend, 'nodegus');
    await makeFriends(apiA, fay, gus);
    const say = async (text: string) => (await apiA.post('/messages', { toUserId: gus.id, text }, { token: fay.accessToken })).body.message;

    const gusOnB = await connectSocket(nodeB.url, gus.accessToken);
    const first = await say('one');
    const seen = await gusOnB.waitFor(created(first.id));
    const cursors = { [seen.topic!]: seen.seq!, [`user:${gus.id}`]: gusOnB.eventsOf(`user:${gus.id}`).at(-1)?.seq ?? 0 };
    gusOnB.close();
    await gusOnB.closed;

    const missed = [await say('two'), await say('three'), await say('four')];
    const gusOnA = await connectSocket(nodeA.url, gus.accessToken);
    gusOnA.send({ type: 'resume', cursors });
    await gusOnA.waitFor((frame) => frame.type === 'RESUMED');
    expect(gusOnA.eventsOf(seen.topic!).map((frame) => [frame.seq, frame.data.text])).toEqual(missed.map((message, index) => [seen.seq! + 1 + index, message.text]));

    const live = await say('five');
    await gusOnA.waitFor(created(live.id));
    expectContiguous(gusOnA, seen.topic!);
    gusOnA.close();
  });
});

describe('a Redis hiccup', () => {
  it('makes the nodes subscribe again and their sockets resume, losing nothing', async () => {
    const hal = await createAccount(apiA, resend, 'nodehal');
    const ivy = await createAccount(apiA, resend, 'nodeivy');
    await makeFriends(apiA, hal, ivy);
    const say = async (text: string) => (await apiA.post('/messages', { toUserId: ivy.id, text }, { token: hal.accessToken })).body.message;
    const ivyOnB = await connectSocket(nodeB.url, ivy.accessToken);
    const seen = await ivyOnB.waitFor(created((await say('before')).id));

    // Redis drops every subscriber connection; Bun reconnects them without their subscriptions.
    const admin = new Bun.RedisClient(redis.url);
    await admin.send('CLIENT', ['KILL', 'TYPE', 'pubsub']);
    admin.close();
    expect((await ivyOnB.closed).code).toBe(4000);

    const during = await say('during');
    const again = await connectSocket(nodeB.url, ivy.accessToken);
    again.send({ type: 'resume', cursors: { [seen.topic!]: seen.seq! } });
    await again.waitFor(created(during.id));
    const after = await say('after');
    await again.waitFor(created(after.id));
    expect(again.eventsOf(seen.topic!).map((frame) => frame.data.text)).toEqual(['during', 'after']);
    again.close();
  });
});
