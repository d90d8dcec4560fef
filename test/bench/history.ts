// Benchmark: paging direct-chat history (GET /messages/{user_id}?limit=50&before=) in a database of
// 1,000,000 messages, with C concurrent keep-alive clients; prints requests per second and latency, and
// the latency of one client alone (what a user sees when the server is not saturated).
// Usage: bun test/bench/history.ts [--messages 1000000] [--clients 32] [--seconds 10]
// The messages are spread over 8 direct chats: nine in ten go to the first (most pages are deep in one
// long conversation), the tenth to the other seven in turn (their rows lie scattered among the first's,
// as in a busy database). Each request reads a random message's chat, as one of its two users, and
// asks a quarter of the time for the newest page, else for the page before a random seq.
import { rmSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { makeTempDir } from '../helpers/server.ts';
import { runClosedLoop, spawnBenchServer } from './harness.ts';
import { seedDirectMessages, seedFriendPairs, type SeededUser } from './seed.ts';

const { values } = parseArgs({
  options: { messages: { type: 'string', default: '1000000' }, clients: { type: 'string', default: '32' }, seconds: { type: 'string', default: '10' } },
});
const messageCount = Number(values.messages);
const clients = Number(values.clients);
const seconds = Number(values.seconds);
const PAGE = 50;
const ONE_CLIENT_SECONDS = 3;
const CHATS = 8;
const chatOf = (index: number) => (index % 10 < 9 ? 0 : 1 + (Math.floor(index / 10) % (CHATS - 1)));

const dataDir = makeTempDir('chat-bench-');
const seedStarted = performance.now();
const users = await seedFriendPairs(dataDir, CHATS * 2);
// seedFriendPairs pairs users 0-1, 2-3, …: one side of each pair names its chat.
const pairs = users.filter((_, index) => index % 2 === 0);
const perChat = seedDirectMessages(dataDir, pairs, messageCount, chatOf);
const seedSeconds = (performance.now() - seedStarted) / 1_000;
const databaseMb = Math.round(statSync(join(dataDir, 'chat.db')).size / 2 ** 20);

const server = await spawnBenchServer(dataDir);

function pageUrl(reader: SeededUser, before: number | null): string {
  return `${server.url}/messages/${reader.friendId}?limit=${PAGE}${before === null ? '' : `&before=${before}`}`;
}

async function readPage(reader: SeededUser, before: number | null): Promise<Response> {
  const response = await fetch(pageUrl(reader, before), { headers: { authorization: `Bearer ${reader.token}` } });
  if (!response.ok) throw new Error(`history answered ${response.status}: ${await response.text()}`);
  return response;
}

try {
  // The seeded rows read back as the app's own: a full newest page, the newest message first.
  const newest = (await (await readPage(pairs[0]!, null)).json()) as { items: { seq: number }[]; nextCursor: string | null };
  if (newest.items.length !== PAGE || newest.items[0]!.seq !== perChat[0] || !newest.nextCursor) throw new Error(`unexpected first page: ${JSON.stringify(newest).slice(0, 300)}`);

  const readRandomPage = async () => {
    const chat = chatOf(Math.floor(Math.random() * messageCount));
    const reader = users[chat * 2 + (Math.random() < 0.5 ? 0 : 1)]!;
    const before = Math.random() < 0.25 ? null : 1 + Math.ceil(Math.random() * perChat[chat]!);
    await (await readPage(reader, before)).arrayBuffer();
  };
  const load = await runClosedLoop(server.process.pid, { concurrency: clients, seconds }, readRandomPage);
  const alone = await runClosedLoop(server.process.pid, { concurrency: 1, seconds: ONE_CLIENT_SECONDS }, readRandomPage);
  console.log(
    JSON.stringify({
      bench: 'history',
      cores: availableParallelism(),
      messages: messageCount,
      chats: CHATS,
      biggestChat: perChat[0],
      databaseMb,
      seedSeconds: Math.round(seedSeconds * 10) / 10,
      clients,
      pageSize: PAGE,
      requestsPerSecond: load.perSecond,
      p50Ms: load.p50Ms,
      p99Ms: load.p99Ms,
      serverRssMb: load.serverRssMb,
      serverCpuPercent: load.serverCpuPercent,
      oneClientRequestsPerSecond: alone.perSecond,
      oneClientP50Ms: alone.p50Ms,
      oneClientP99Ms: alone.p99Ms,
    }),
  );
} finally {
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
process.exit(0);
