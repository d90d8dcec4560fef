import { afterAll, describe, expect, it } from 'bun:test';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { createClient as createDbClient } from '@libsql/client';
import { createAccount } from './helpers/accounts.ts';
import { startFakeResend } from './helpers/fake-resend.ts';
import { makeFriends } from './helpers/friends.ts';
import { createClient } from './helpers/http.ts';
import { spawnServer } from './helpers/process.ts';
import { makeTempDir } from './helpers/server.ts';

const dataDir = makeTempDir('chat-crash-');
const resend = startFakeResend();
afterAll(() => {
  resend.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const start = () =>
  spawnServer([process.execPath, 'src/index.ts'], {
    cwd: join(import.meta.dir, '..'),
    env: { DATA_DIR: dataDir, RATE_LIMIT: 'off', LOG_LEVEL: 'info', RESEND_API_KEY: 're_test', RESEND_BASE_URL: resend.url },
  });

describe('a crash', () => {
  it('loses no acknowledged message and leaves no seq gap when the server is killed mid-traffic', async () => {
    const first = await start();
    const api = createClient(first.url);
    const emma = await createAccount(api, resend, 'crashe');
    const john = await createAccount(api, resend, 'crashj');
    await makeFriends(api, emma, john);

    const acknowledged: { id: string; seq: number }[] = [];
    let stop = false;
    const sender = async (worker: number) => {
      for (let index = 0; !stop; index++) {
        try {
          const response = await api.post('/messages', { toUserId: john.id, text: `w${worker}-${index}` }, { token: emma.accessToken });
          if (response.status === 201) acknowledged.push({ id: response.body.message.id, seq: response.body.message.seq });
        } catch {
          return; // the server is gone
        }
      }
    };
    const senders = Array.from({ length: 20 }, (_, worker) => sender(worker));
    while (acknowledged.length < 300) await Bun.sleep(5);
    first.process.kill('SIGKILL');
    await first.process.exited;
    stop = true;
    await Promise.all(senders);
    expect(acknowledged.length).toBeGreaterThanOrEqual(300);

    const second = await start();
    const again = createClient(second.url);
    const login = await again.post('/login', { email: john.email, password: john.password });
    const stored = new Set<string>();
    let cursor: string | null = null;
    do {
      const page: { body: { items: { id: string }[]; nextCursor: string | null } } = await again.get(
        `/messages/${emma.id}?limit=100${cursor ? `&before=${cursor}` : ''}`,
        { token: login.body.accessToken },
      );
      for (const message of page.body.items) stored.add(message.id);
      cursor = page.body.nextCursor;
    } while (cursor);
    const missing = acknowledged.filter((message) => !stored.has(message.id));
    expect(missing).toEqual([]);

    // The event log has every acknowledged message's event, and its seqs run 1..N with no gap.
    await second.stop();
    const db = createDbClient({ url: `file:${join(dataDir, 'chat.db')}` });
    const chatId = (await db.execute({ sql: 'SELECT chat_id FROM messages WHERE id = ?', args: [acknowledged[0]!.id] })).rows[0]!.chat_id;
    const events = await db.execute({ sql: 'SELECT seq, type, data FROM events WHERE topic = ? ORDER BY seq', args: [`chat:${chatId}`] });
    const seqs = events.rows.map((row) => Number(row.seq));
    expect(seqs).toEqual(seqs.map((_, index) => index + 1));
    const created = new Set(events.rows.filter((row) => row.type === 'CHAT_MESSAGE_CREATED').map((row) => JSON.parse(String(row.data)).id));
    expect(acknowledged.filter((message) => !created.has(message.id))).toEqual([]);
    const lastSeq = Number((await db.execute({ sql: 'SELECT last_seq FROM topics WHERE topic = ?', args: [`chat:${chatId}`] })).rows[0]!.last_seq);
    expect(lastSeq).toBe(seqs.at(-1)!);
    db.close();
  });
});
