// Benchmark: how many idle authenticated WebSockets one server holds, how fast they connect, and what
// each costs in server memory.
// Usage: bun test/bench/connections.ts [--sockets 19900] [--clients 4]
// Every process (the server too) may hold at most 20,000 file descriptors, so the default leaves the
// server room for its own; the sockets are opened by several client processes (connections-client.ts),
// each holding its share. A socket counts once it got its READY frame (its user's topics are loaded).
import { rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { makeTempDir } from '../helpers/server.ts';
import { spawnBenchServer } from './harness.ts';
import { rssMb, seedUsers } from './seed.ts';

const { values } = parseArgs({ options: { sockets: { type: 'string', default: '19900' }, clients: { type: 'string', default: '4' } } });
const socketCount = Number(values.sockets);
const clientCount = Number(values.clients);
/** The socket count the memory target is set for. */
const TARGET_SOCKETS = 20_000;
/** After the last READY: past the server's one-second resume window, so every socket is live. */
const SETTLE_MS = 2_000;

const dataDir = makeTempDir('chat-bench-');
const users = await seedUsers(dataDir, socketCount);
const server = await spawnBenchServer(dataDir);

type Report = { connected: number; failed: number };
const reports: ((report: Report) => void)[] = [];
const clients = Array.from({ length: clientCount }, (_, index) =>
  Bun.spawn([process.execPath, join(import.meta.dir, 'connections-client.ts')], {
    stdin: 'ignore',
    stdout: 'ignore',
    stderr: 'inherit',
    ipc: (report: Report) => reports[index]!(report),
  }),
);

try {
  await Bun.sleep(500); // the server settles after boot
  const rssBeforeMb = await rssMb(server.process.pid);
  const wsUrl = server.url.replace(/^http/, 'ws');
  const share = Math.ceil(socketCount / clientCount);
  const started = performance.now();
  const outcomes = await Promise.all(
    clients.map((client, index) => {
      const done = new Promise<Report>((resolve) => (reports[index] = resolve));
      client.send({ type: 'connect', url: wsUrl, tokens: users.slice(index * share, (index + 1) * share).map((user) => user.token) });
      const crashed = client.exited.then((code) => Promise.reject(new Error(`client process ${index} exited with ${code}`)));
      return Promise.race([done, crashed]);
    }),
  );
  const connectSeconds = (performance.now() - started) / 1_000;
  const connected = outcomes.reduce((sum, outcome) => sum + outcome.connected, 0);
  await Bun.sleep(SETTLE_MS);
  const rssAfterMb = await rssMb(server.process.pid);
  const kbPerSocket = ((rssAfterMb - rssBeforeMb) * 1024) / connected;

  console.log(
    JSON.stringify({
      bench: 'connections',
      cores: availableParallelism(),
      sockets: socketCount,
      clientProcesses: clientCount,
      connected,
      failed: socketCount - connected,
      connectSeconds: Math.round(connectSeconds * 10) / 10,
      connectsPerSecond: Math.round(connected / connectSeconds),
      serverRssBeforeMb: rssBeforeMb,
      serverRssAfterMb: rssAfterMb,
      mbPer1000Sockets: Math.round(((kbPerSocket * 1000) / 1024) * 10) / 10,
      kbPerSocket: Math.round(kbPerSocket * 10) / 10,
      serverRssAt20000Mb: Math.round(rssBeforeMb + (kbPerSocket * TARGET_SOCKETS) / 1024),
    }),
  );
} finally {
  for (const client of clients) client.send({ type: 'close' });
  await Promise.all(clients.map((client) => client.exited));
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
process.exit(0);
