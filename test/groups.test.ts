import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { createAccount, type TestAccount } from './helpers/accounts.ts';
import type { FakeResend } from './helpers/fake-resend.ts';
import { makeFriends } from './helpers/friends.ts';
import type { TestClient } from './helpers/http.ts';
import { startEmailTestServer, type EmailTestServer } from './helpers/server.ts';
import { connectSocket, type Frame, type TestSocket } from './helpers/ws.ts';

let server: EmailTestServer;
let api: TestClient;
let resend: FakeResend;

beforeAll(async () => {
  server = await startEmailTestServer({ GROUP_MEMBER_LIMIT: '5' });
  ({ api, resend } = server);
});
afterAll(() => server.stop());

/** An account that is friends with `host`. */
async function friendOf(host: TestAccount, prefix: string): Promise<TestAccount> {
  const account = await createAccount(api, resend, prefix);
  await makeFriends(api, host, account);
  return account;
}

const isGroupEvent = (topic: string, type: string) => (frame: Frame) => frame.topic === topic && frame.type === type;
const typesOf = (frames: Frame[]) => frames.map((frame) => frame.type);

describe('the study group story', () => {
  it('is seen live by every member and exactly by resume; a removed member gets nothing more', async () => {
    const ana = await createAccount(api, resend, 'ana');
    const ben = await friendOf(ana, 'ben');
    const cai = await friendOf(ana, 'cai');
    const dan = await friendOf(ana, 'dan');
    const sockets: Record<string, TestSocket> = {};
    for (const [name, account] of Object.entries({ ana, ben, cai, dan })) sockets[name] = await connectSocket(server.url, account.accessToken);

    // Create: the creator is admin, members hear MEMBER_ADDED live and get a GROUP_ADDED notification.
    const created = await api.post('/groups', { name: 'Study group', description: 'Exam prep', memberIds: [ben.id, cai.id] }, { token: ana.accessToken });
    expect(created.status).toBe(201);
    const group = created.body.group;
    expect(group).toMatchObject({ name: 'Study group', description: 'Exam prep', memberCount: 3, role: 'admin', createdBy: ana.id });
    expect(group.members.map((member: any) => [member.user.id, member.role])).toEqual([
      [ana.id, 'admin'],
      [ben.id, 'member'],
      [cai.id, 'member'],
    ]);
    const topic = `group:${group.id}`;
    await sockets.ben!.waitFor((frame) => isGroupEvent(topic, 'MEMBER_ADDED')(frame) && frame.data.userId === ben.id);
    await sockets.cai!.waitFor((frame) => isGroupEvent(topic, 'MEMBER_ADDED')(frame) && frame.data.userId === cai.id);
    await sockets.ben!.waitFor((frame) => frame.type === 'NOTIFICATION_CREATED' && frame.data.type === 'GROUP_ADDED' && frame.data.data.groupId === group.id);
    await sockets.dan!.expectNone((frame) => frame.topic === topic, 100);

    // Ben writes over the socket; cai replies with a mention of ben, who is notified.
    sockets.ben!.send({ type: 'send', groupId: group.id, text: 'Chapter 3 tonight?', clientMessageId: 'b1' });
    const ack = await sockets.ben!.waitFor((frame) => frame.type === 'ACK' && frame.clientMessageId === 'b1');
    const question = ack.message;
    expect(question).toMatchObject({ kind: 'group', chatId: group.id, senderId: ben.id, text: 'Chapter 3 tonight?' });
    for (const name of ['ana', 'cai']) {
      const event = await sockets[name]!.waitFor((frame) => isGroupEvent(topic, 'GROUP_MESSAGE_CREATED')(frame) && frame.data.id === question.id);
      expect(event.seq).toBe(question.seq);
    }
    const reply = await api.post('/messages', { groupId: group.id, text: 'Yes, 8pm', replyToId: question.id, mentions: [ben.id] }, { token: cai.accessToken });
    expect(reply.status).toBe(201);
    expect(reply.body.message).toMatchObject({ replyToId: question.id, mentions: [ben.id] });
    const mention = await sockets.ben!.waitFor((frame) => frame.type === 'NOTIFICATION_CREATED' && frame.data.type === 'MENTION');
    expect(mention.data.data).toMatchObject({ chatId: group.id, messageId: reply.body.message.id, senderId: cai.id });
    const outsiderMention = await api.post('/messages', { groupId: group.id, text: 'hi', mentions: [dan.id] }, { token: cai.accessToken });
    expect(outsiderMention.status).toBe(400);

    // Ben goes offline here; he resumes at the end and must get exactly what he missed.
    const benCursor = Math.max(...sockets.ben!.eventsOf(topic).map((frame) => frame.seq!));
    sockets.ben!.close();
    await sockets.ben!.closed;

    // A member cannot change the group.
    for (const [path, body] of [
      [`/groups/${group.id}/add`, { userId: dan.id }],
      [`/groups/${group.id}/remove`, { userId: ana.id }],
      [`/groups/${group.id}/admins`, { userId: cai.id, admin: true }],
    ] as const) {
      const refused = await api.post(path, body, { token: cai.accessToken });
      expect(refused.status).toBe(403);
      expect(refused.body.error.code).toBe('not_admin');
    }
    const renameRefused = await api.put(`/groups/${group.id}`, { name: 'Mine now' }, { token: cai.accessToken });
    expect(renameRefused.body.error.code).toBe('not_admin');
    expect((await api.delete(`/groups/${group.id}`, { token: cai.accessToken })).status).toBe(403);
    expect((await api.get(`/groups/${group.id}`, { token: ana.accessToken })).body.group.name).toBe('Study group');

    // Rename: everyone hears GROUP_UPDATED with what changed.
    const renamed = await api.put(`/groups/${group.id}`, { name: 'Finals crew' }, { token: ana.accessToken });
    expect(renamed.status).toBe(200);
    expect(renamed.body.group.name).toBe('Finals crew');
    const update = await sockets.cai!.waitFor(isGroupEvent(topic, 'GROUP_UPDATED'));
    expect(update.data).toMatchObject({ changed: ['name'], group: { name: 'Finals crew' } });

    // Add dan: his socket joins at his MEMBER_ADDED; history starts at his join.
    const added = await api.post(`/groups/${group.id}/add`, { userId: dan.id }, { token: ana.accessToken });
    expect(added.status).toBe(200);
    expect(added.body.group.memberCount).toBe(4);
    const danAdded = await sockets.dan!.waitFor(isGroupEvent(topic, 'MEMBER_ADDED'));
    expect(danAdded.data.userId).toBe(dan.id);
    expect((await api.get(`/messages/group/${group.id}`, { token: dan.accessToken })).body.items).toEqual([]);
    const again = await api.post(`/groups/${group.id}/add`, { userId: dan.id }, { token: ana.accessToken });
    expect(again.body.error.code).toBe('already_member');

    // Remove cai: she hears MEMBER_REMOVED, then nothing more, and can read or write nothing.
    const removed = await api.post(`/groups/${group.id}/remove`, { userId: cai.id }, { token: ana.accessToken });
    expect(removed.status).toBe(200);
    expect(removed.body.group.members.map((member: any) => member.user.id)).not.toContain(cai.id);
    const caiRemoved = await sockets.cai!.waitFor(isGroupEvent(topic, 'MEMBER_REMOVED'));
    expect(caiRemoved.data).toMatchObject({ userId: cai.id, removedBy: ana.id });
    const afterRemoval = await api.post('/messages', { groupId: group.id, text: 'Cai cannot see this' }, { token: ana.accessToken });
    await sockets.dan!.waitFor((frame) => frame.topic === topic && frame.data?.id === afterRemoval.body.message.id);
    await sockets.cai!.expectNone((frame) => frame.topic === topic && frame.seq! > caiRemoved.seq!, 200);
    expect((await api.get(`/messages/group/${group.id}`, { token: cai.accessToken })).status).toBe(404);
    expect((await api.get(`/groups/${group.id}`, { token: cai.accessToken })).status).toBe(404);
    expect((await api.post('/messages', { groupId: group.id, text: 'let me back' }, { token: cai.accessToken })).status).toBe(404);
    const caiResume = await connectSocket(server.url, cai.accessToken);
    caiResume.send({ type: 'resume', cursors: { [topic]: 0 } });
    const resumed = await caiResume.waitFor((frame) => frame.type === 'RESUMED');
    expect(resumed.topics).not.toContain(topic);
    expect(caiResume.eventsOf(topic)).toEqual([]);
    caiResume.close();

    // Admin changes: ben becomes admin; then ana leaves and ben stays the admin.
    const promoted = await api.post(`/groups/${group.id}/admins`, { userId: ben.id, admin: true }, { token: ana.accessToken });
    expect(promoted.body.group.members.find((member: any) => member.user.id === ben.id).role).toBe('admin');
    const promotion = await sockets.dan!.waitFor((frame) => isGroupEvent(topic, 'GROUP_UPDATED')(frame) && frame.data.changed[0] === 'admins');
    expect(promotion.data.member).toEqual({ userId: ben.id, role: 'admin' });
    expect((await api.post(`/groups/${group.id}/leave`, undefined, { token: ana.accessToken })).status).toBe(204);
    const left = await sockets.dan!.waitFor(isGroupEvent(topic, 'MEMBER_LEFT'));
    expect(left.data.userId).toBe(ana.id);
    await sockets.ana!.waitFor(isGroupEvent(topic, 'MEMBER_LEFT'));
    const lastAdmin = await api.post(`/groups/${group.id}/admins`, { userId: ben.id, admin: false }, { token: ben.accessToken });
    expect(lastAdmin.status).toBe(409);
    expect(lastAdmin.body.error.code).toBe('last_admin');

    // Ben resumes from before all this and gets exactly the events he missed, in order.
    const benBack = await connectSocket(server.url, ben.accessToken);
    benBack.send({ type: 'resume', cursors: { [topic]: benCursor } });
    await benBack.waitFor((frame) => frame.type === 'RESUMED');
    const replayed = benBack.eventsOf(topic);
    expect(replayed.map((frame) => frame.seq)).toEqual(Array.from({ length: replayed.length }, (_, index) => benCursor + 1 + index));
    expect(typesOf(replayed)).toEqual([
      'GROUP_UPDATED',
      'MEMBER_ADDED',
      'MEMBER_REMOVED',
      'GROUP_MESSAGE_CREATED',
      'GROUP_UPDATED',
      'MEMBER_LEFT',
    ]);
    // The same events, by seq, that dan's live socket saw from his join on.
    const danLive = sockets.dan!.eventsOf(topic);
    expect(danLive.map((frame) => frame.seq)).toEqual(replayed.slice(1).map((frame) => frame.seq));

    // Dan, resuming from 0, replays from his own MEMBER_ADDED, never what came before his join.
    const danBack = await connectSocket(server.url, dan.accessToken);
    danBack.send({ type: 'resume', cursors: { [topic]: 0 } });
    await danBack.waitFor((frame) => frame.type === 'RESUMED');
    expect(danBack.eventsOf(topic)[0]).toMatchObject({ type: 'MEMBER_ADDED', seq: danAdded.seq });

    // Delete: every member hears GROUP_DELETED, and the group is gone.
    expect((await api.delete(`/groups/${group.id}`, { token: ben.accessToken })).status).toBe(204);
    for (const socket of [benBack, danBack]) await socket.waitFor(isGroupEvent(topic, 'GROUP_DELETED'));
    expect((await api.get(`/groups/${group.id}`, { token: dan.accessToken })).status).toBe(404);
    expect((await api.get('/groups', { token: dan.accessToken })).body.items).toEqual([]);
    const late = await api.post('/messages', { groupId: group.id, text: 'anyone?' }, { token: dan.accessToken });
    expect(late.status).toBe(404);

    for (const socket of [sockets.ana!, sockets.cai!, sockets.dan!, benBack, danBack]) socket.close();
  });
});

describe('group rules', () => {
  it('promotes the longest-standing member when the last admin leaves, and deletes an emptied group', async () => {
    const host = await createAccount(api, resend, 'host');
    const first = await friendOf(host, 'first');
    const second = await friendOf(host, 'second');
    const created = await api.post('/groups', { name: 'Succession', memberIds: [first.id, second.id] }, { token: host.accessToken });
    const groupId = created.body.group.id;
    await api.post(`/groups/${groupId}/leave`, undefined, { token: host.accessToken });
    const view = await api.get(`/groups/${groupId}`, { token: second.accessToken });
    expect(view.body.group.members.map((member: any) => [member.user.id, member.role])).toEqual([
      [first.id, 'admin'],
      [second.id, 'member'],
    ]);
    // Removing yourself is leaving.
    const selfRemoved = await api.post(`/groups/${groupId}/remove`, { userId: second.id }, { token: second.accessToken });
    expect(selfRemoved.status).toBe(200);
    expect(selfRemoved.body.group).toBeNull();
    await api.post(`/groups/${groupId}/leave`, undefined, { token: first.accessToken });
    expect((await api.get('/groups', { token: first.accessToken })).body.items).toEqual([]);
  });

  it('accepts only friends of the creator or admin, and at most GROUP_MEMBER_LIMIT members', async () => {
    const host = await createAccount(api, resend, 'limit');
    const stranger = await createAccount(api, resend, 'strange');
    const refused = await api.post('/groups', { name: 'Nope', memberIds: [stranger.id] }, { token: host.accessToken });
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({ code: 'not_friends', details: { memberIds: stranger.id } });

    const friends = [];
    for (let index = 0; index < 5; index++) friends.push(await friendOf(host, `lim${index}`));
    const tooMany = await api.post('/groups', { name: 'Crowd', memberIds: friends.map((friend) => friend.id) }, { token: host.accessToken });
    expect(tooMany.status).toBe(409);
    expect(tooMany.body.error.code).toBe('group_full');
    const full = await api.post('/groups', { name: 'Crowd', memberIds: friends.slice(0, 4).map((friend) => friend.id) }, { token: host.accessToken });
    expect(full.body.group.memberCount).toBe(5);
    const sixth = await api.post(`/groups/${full.body.group.id}/add`, { userId: friends[4]!.id }, { token: host.accessToken });
    expect(sixth.body.error.code).toBe('group_full');
    const notFriend = await api.post(`/groups/${full.body.group.id}/add`, { userId: stranger.id }, { token: host.accessToken });
    expect(notFriend.body.error.code).toBe('not_friends');
  });

  it('keeps a group private: outsiders get 404 for the group, its history and its messages', async () => {
    const host = await createAccount(api, resend, 'priv');
    const member = await friendOf(host, 'privm');
    const outsider = await createAccount(api, resend, 'privo');
    const group = (await api.post('/groups', { name: 'Private', memberIds: [member.id] }, { token: host.accessToken })).body.group;
    const message = (await api.post('/messages', { groupId: group.id, text: 'secret' }, { token: member.accessToken })).body.message;
    for (const path of [`/groups/${group.id}`, `/messages/group/${group.id}`, `/messages/receipts/${message.id}`]) {
      const answer = await api.get(path, { token: outsider.accessToken });
      expect(answer.status).toBe(404);
      expect(JSON.stringify(answer.body)).not.toContain('secret');
    }
    for (const [path, body] of [
      [`/messages/${message.id}/read`, undefined],
      [`/groups/${group.id}/leave`, undefined],
      ['/messages', { groupId: group.id, text: 'in' }],
    ] as const) {
      expect((await api.post(path, body, { token: outsider.accessToken })).status).toBe(404);
    }
    expect((await api.patch(`/messages/${message.id}`, { text: 'x' }, { token: outsider.accessToken })).status).toBe(404);
    const socket = await connectSocket(server.url, outsider.accessToken);
    socket.send({ type: 'typing', chatId: group.id });
    socket.send({ type: 'read', messageId: message.id });
    socket.send({ type: 'send', groupId: group.id, text: 'in', clientMessageId: 'x1' });
    const error = await socket.waitFor((frame) => frame.type === 'ERROR' && frame.clientMessageId === 'x1');
    expect(error.error.code).toBe('not_found');
    await socket.waitFor(() => socket.inbox.filter((frame) => frame.type === 'ERROR' && frame.error.code === 'not_found').length === 3);
    socket.close();
  });
});

describe('group read receipts', () => {
  it('moves per-member watermarks, announces GROUP_MESSAGE_READ and lists who read a message', async () => {
    const host = await createAccount(api, resend, 'rr');
    const reader = await friendOf(host, 'rrr');
    const idle = await friendOf(host, 'rri');
    const group = (await api.post('/groups', { name: 'Receipts', memberIds: [reader.id, idle.id] }, { token: host.accessToken })).body.group;
    const hostSocket = await connectSocket(server.url, host.accessToken);
    const first = (await api.post('/messages', { groupId: group.id, text: 'one' }, { token: host.accessToken })).body.message;
    const second = (await api.post('/messages', { groupId: group.id, text: 'two' }, { token: host.accessToken })).body.message;
    expect((await api.post(`/messages/${second.id}/read`, undefined, { token: reader.accessToken })).status).toBe(204);
    const read = await hostSocket.waitFor((frame) => frame.type === 'GROUP_MESSAGE_READ');
    expect(read.data).toMatchObject({ chatId: group.id, userId: reader.id, messageId: second.id, seq: second.seq });
    // Read up to the second message means the first too.
    const receipts = await api.get(`/messages/receipts/${first.id}`, { token: host.accessToken });
    expect(receipts.body).toEqual({ deliveredTo: [reader.id], readBy: [reader.id] });
    // A late member is never listed as having read what was sent before they joined.
    const late = await friendOf(host, 'rrl');
    await api.post(`/groups/${group.id}/add`, { userId: late.id }, { token: host.accessToken });
    expect((await api.get(`/messages/receipts/${first.id}`, { token: host.accessToken })).body.readBy).toEqual([reader.id]);
    expect((await api.get(`/messages/receipts/${first.id}`, { token: late.accessToken })).status).toBe(404);
    hostSocket.close();
  });
});
