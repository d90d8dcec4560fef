import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { createAccount, type TestAccount } from './helpers/accounts.ts';
import type { FakeResend } from './helpers/fake-resend.ts';
import { makePdf, makePng, uploadFile } from './helpers/files.ts';
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

const upload = (account: TestAccount, bytes: Uint8Array<ArrayBuffer>, name: string) => uploadFile(api, account, bytes, name);
const pdfBytes = () => makePdf(64);

async function download(account: TestAccount, url: string) {
  const response = await fetch(`${server.url}${url}`, { headers: { authorization: `Bearer ${account.accessToken}` } });
  return { status: response.status, bytes: new Uint8Array(await response.arrayBuffer()) };
}

describe('the chat list', () => {
  it('lists direct chats and groups with their last message and unread count from the read watermark', async () => {
    const zoe = await createAccount(api, resend, 'zoe');
    const yan = await createAccount(api, resend, 'yan');
    const xia = await createAccount(api, resend, 'xia');
    await makeFriends(api, zoe, yan);
    await makeFriends(api, zoe, xia);
    for (const text of ['hi', 'are you there', 'hello?']) await api.post('/messages', { toUserId: zoe.id, text }, { token: yan.accessToken });
    const mine = await api.post('/messages', { toUserId: yan.id, text: 'yes!' }, { token: zoe.accessToken });
    const group = (await api.post('/groups', { name: 'Trio', memberIds: [yan.id, xia.id] }, { token: zoe.accessToken })).body.group;
    const groupMessage = (await api.post('/messages', { groupId: group.id, text: 'trio time' }, { token: xia.accessToken })).body.message;

    const list = (await api.get('/chats', { token: zoe.accessToken })).body.items;
    // xia and zoe's direct chat has no message yet: it sorts by its creation, before the others' activity.
    expect(list.map((chat: any) => chat.kind)).toEqual(['group', 'direct', 'direct']);
    const [groupChat, withYan, withXia] = list;
    expect(groupChat).toMatchObject({ id: group.id, group: { name: 'Trio', memberCount: 3 }, unreadCount: 1, archived: false });
    expect(groupChat.lastMessage).toMatchObject({ id: groupMessage.id, text: 'trio time' });
    expect(withYan).toMatchObject({ peer: { id: yan.id, username: yan.username }, unreadCount: 3, lastMessage: { id: mine.body.message.id } });
    expect(withXia).toMatchObject({ peer: { id: xia.id }, unreadCount: 0, lastMessage: null });

    // Reading the second of yan's messages leaves one unread; unsending the last one drops it too.
    const history = (await api.get(`/messages/${yan.id}`, { token: zoe.accessToken })).body.items;
    const secondFromYan = history.find((message: any) => message.text === 'are you there');
    await api.post(`/messages/${secondFromYan.id}/read`, undefined, { token: zoe.accessToken });
    const afterRead = (await api.get('/chats', { token: zoe.accessToken })).body.items;
    expect(afterRead.find((chat: any) => chat.id === withYan.id).unreadCount).toBe(1);
    const lastFromYan = history.find((message: any) => message.text === 'hello?');
    await api.delete(`/messages/${lastFromYan.id}?scope=everyone`, { token: yan.accessToken });
    const afterUnsend = (await api.get('/chats', { token: zoe.accessToken })).body.items;
    expect(afterUnsend.find((chat: any) => chat.id === withYan.id).unreadCount).toBe(0);

    // A stranger's list does not include any of these.
    const stranger = await createAccount(api, resend, 'strg');
    expect((await api.get('/chats', { token: stranger.accessToken })).body.items).toEqual([]);
  });

  it('keeps an archived chat archived on new messages unless asked to bring it back', async () => {
    const wes = await createAccount(api, resend, 'wes');
    const val = await createAccount(api, resend, 'val');
    await makeFriends(api, wes, val);
    const first = (await api.post('/messages', { toUserId: wes.id, text: 'one' }, { token: val.accessToken })).body.message;
    const archived = await api.post(`/chats/${first.chatId}/archive`, { archived: true }, { token: wes.accessToken });
    expect(archived.status).toBe(200);
    expect(archived.body.chat).toMatchObject({ id: first.chatId, archived: true, unarchiveOnMessage: false });
    await api.post('/messages', { toUserId: wes.id, text: 'two' }, { token: val.accessToken });
    const stillArchived = (await api.get('/chats', { token: wes.accessToken })).body.items[0];
    expect(stillArchived).toMatchObject({ archived: true, unreadCount: 2 });
    // Only for wes: val's copy is untouched.
    expect((await api.get('/chats', { token: val.accessToken })).body.items[0].archived).toBe(false);

    const comeBack = await api.post(`/chats/${first.chatId}/archive`, { archived: true, unarchiveOnMessage: true }, { token: wes.accessToken });
    expect(comeBack.body.chat).toMatchObject({ archived: true, unarchiveOnMessage: true });
    await api.post('/messages', { toUserId: wes.id, text: 'three' }, { token: val.accessToken });
    expect((await api.get('/chats', { token: wes.accessToken })).body.items[0]).toMatchObject({ archived: false, unarchiveOnMessage: false });

    const unarchived = await api.post(`/chats/${first.chatId}/archive`, { archived: false }, { token: wes.accessToken });
    expect(unarchived.body.chat.archived).toBe(false);
    const stranger = await createAccount(api, resend, 'arch');
    expect((await api.post(`/chats/${first.chatId}/archive`, { archived: true }, { token: stranger.accessToken })).status).toBe(404);
  });
});

describe('attachments', () => {
  it('sends files in direct and group messages, readable by members only', async () => {
    const uma = await createAccount(api, resend, 'uma');
    const tom = await createAccount(api, resend, 'tom');
    const sam = await createAccount(api, resend, 'sam');
    await makeFriends(api, uma, tom);
    await makeFriends(api, uma, sam);
    const bytes = pdfBytes();
    const file = (await upload(uma, bytes, 'notes.pdf')).body.upload;
    expect(file).toMatchObject({ mime: 'application/pdf', size: bytes.length, name: 'notes.pdf' });
    // Before it is sent, only the uploader may read it.
    expect((await download(tom, file.url)).status).toBe(404);

    const tomSocket = await connectSocket(server.url, tom.accessToken);
    const sent = await api.post('/messages', { toUserId: tom.id, attachmentIds: [file.id] }, { token: uma.accessToken });
    expect(sent.status).toBe(201);
    expect(sent.body.message).toMatchObject({ text: null, attachments: [file] });
    const live = await tomSocket.waitFor((frame) => frame.type === 'CHAT_MESSAGE_CREATED' && frame.data.id === sent.body.message.id);
    expect(live.data.attachments).toEqual([file]);
    const received = await download(tom, live.data.attachments[0].url);
    expect(received.status).toBe(200);
    expect(received.bytes).toEqual(bytes);
    expect((await download(sam, file.url)).status).toBe(404);

    // Someone else's upload cannot be attached; nor can a message be empty.
    const tomsFile = (await upload(tom, pdfBytes(), 'mine.pdf')).body.upload;
    const stolen = await api.post('/messages', { toUserId: tom.id, attachmentIds: [tomsFile.id] }, { token: uma.accessToken });
    expect(stolen.status).toBe(400);
    expect(stolen.body.error.details).toEqual({ attachmentIds: tomsFile.id });
    expect((await api.post('/messages', { toUserId: tom.id, text: '  ' }, { token: uma.accessToken })).status).toBe(400);

    // In a group, every member may read it, a removed member no longer.
    const group = (await api.post('/groups', { name: 'Files', memberIds: [tom.id, sam.id] }, { token: uma.accessToken })).body.group;
    const shared = (await upload(uma, pdfBytes(), 'shared.pdf')).body.upload;
    await api.post('/messages', { groupId: group.id, text: 'see attached', attachmentIds: [shared.id] }, { token: uma.accessToken });
    expect((await download(sam, shared.url)).status).toBe(200);
    await api.post(`/groups/${group.id}/remove`, { userId: sam.id }, { token: uma.accessToken });
    expect((await download(sam, shared.url)).status).toBe(404);
    tomSocket.close();
  });

  it('uses an uploaded image as the group picture, visible to members', async () => {
    const ria = await createAccount(api, resend, 'ria');
    const pia = await createAccount(api, resend, 'pia');
    await makeFriends(api, ria, pia);
    const png = makePng(3, 2);
    const picture = (await upload(ria, png, 'pic.png')).body.upload;
    const group = (await api.post('/groups', { name: 'Pics', memberIds: [pia.id], pictureUploadId: picture.id }, { token: ria.accessToken })).body.group;
    expect(group.pictureUrl).toBe(picture.url);
    const seen = await download(pia, group.pictureUrl);
    expect(seen.bytes).toEqual(png);
    const pdf = (await upload(ria, pdfBytes(), 'doc.pdf')).body.upload;
    const refused = await api.put(`/groups/${group.id}`, { pictureUploadId: pdf.id }, { token: ria.accessToken });
    expect(refused.status).toBe(400);
    const cleared = await api.put(`/groups/${group.id}`, { pictureUploadId: null }, { token: ria.accessToken });
    expect(cleared.body.group.pictureUrl).toBeNull();
  });
});
