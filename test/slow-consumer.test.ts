// A client that stops reading is closed with 4001 once its backlog passes SLOW_CONSUMER_LIMIT, instead of
// silently missing events, and gets everything after what it read by resuming.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { join } from 'node:path';
import { createAccount } from './helpers/accounts.ts';
import { makeFriends } from './helpers/friends.ts';
import { linesOf } from './helpers/process.ts';
import { startEmailTestServer, type EmailTestServer } from './helpers/server.ts';
import { connectSocket } from './helpers/ws.ts';

let server: EmailTestServer;
beforeAll(async () => {
  server = await startEmailTestServer({ SLOW_CONSUMER_LIMIT: '256KB' });
});
afterAll(() => server.stop());

describe('a slow consumer', () => {
  it('is closed with 4001 rather than losing events, and resumes the rest', async () => {
    const { api, resend } = server;
    const ann = await createAccount(api, resend, 'slowann');
    const bob = await createAccount(api, resend, 'slowbob');
    await makeFriends(api, ann, bob);

    const releaseFile = join(server.dataDir, 'release');
    const wsUrl = `${server.url.replace(/^http/, 'ws')}/ws?token=${bob.accessToken}`;
    const child = Bun.spawn([process.execPath, join(import.meta.dir, 'helpers/slow-client.ts'), wsUrl, releaseFile], { stdout: 'pipe' });
    const lines = linesOf(child.stdout);
    expect((await lines.next()).value).toBe('READY');

    // About 17 MB of messages: past what the kernel's socket buffers hold, so the backlog lands in the server.
    const total = 4_000;
    const text = (index: number) => `${index}:`.padEnd(4_000, 'x');
    for (let start = 0; start < total; start += 100) {
      await Promise.all(
        Array.from({ length: 100 }, async (_, offset) => {
          const sent = await api.post('/messages', { toUserId: bob.id, text: text(start + offset) }, { token: ann.accessToken });
          expect(sent.status).toBe(201);
        }),
      );
    }
    await Bun.write(releaseFile, '');
    const report = JSON.parse((await lines.next()).value as string) as { code: number; events: { topic: string; seq: number; id: string }[] };
    await child.exited;

    expect(report.code).toBe(4001);
    const chatTopic = report.events.find((event) => event.topic.startsWith('chat:'))!.topic;
    const before = report.events.filter((event) => event.topic === chatTopic);
    expect(before.length).toBeLessThan(total);
    const seqs = before.map((event) => event.seq);
    expect(seqs).toEqual(seqs.map((_, index) => seqs[0]! + index));

    // Resuming from the last event it read gives exactly the rest.
    const socket = await connectSocket(server.url, bob.accessToken);
    socket.send({ type: 'resume', cursors: { [chatTopic]: seqs.at(-1)! } });
    await socket.waitFor((frame) => frame.type === 'RESUMED');
    const after = socket.eventsOf(chatTopic);
    const all = [...before, ...after.map((frame) => ({ seq: frame.seq!, id: frame.data.id }))];
    expect(all.map((event) => event.seq)).toEqual(all.map((_, index) => seqs[0]! + index));
    expect(new Set(all.map((event) => event.id)).size).toBe(total);
    socket.close();
  }, 60_000);
});
