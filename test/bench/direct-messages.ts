// Benchmark: acknowledged, durably stored direct messages per second and ack latency, with N concurrent senders.
// Usage: bun test/bench/direct-messages.ts [--senders 200] [--seconds 10]
// Each sender keeps one message in flight over its WebSocket (send → ACK → send), so throughput is
// what the server can durably commit, not what a client can queue.
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { spawnServer } from '../helpers/process.ts';
import { makeTempDir } from '../helpers/server.ts';
import { BENCH_JWT_SECRET, measureWindow, percentile, seedFriendPairs } from './seed.ts';

const { values } = parseArgs({ options: { senders: { type: 'string', default: '200' }, seconds: { type: 'string', default: '10' } } });
const senders = Number(values.senders);
const seconds = Number(values.seconds);
const dataDir = makeTempDir('chat-bench-');
const seeded = await seedFriendPairs(dataDir, senders);

// BENCH_PROFILE=1 writes a CPU profile of the server (a .cpuprofile in the working directory) on exit.
const server = await spawnServer([process.execPath, ...(process.env.BENCH_PROFILE ? ['--cpu-prof'] : []), 'src/index.ts'], {
  cwd: join(import.meta.dir, '../..'),
  env: { DATA_DIR: dataDir, JWT_SECRET: BENCH_JWT_SECRET, RATE_LIMIT: 'off', LOG_LEVEL: 'info' },
});
const wsUrl = server.url.replace(/^http/, 'ws');

const latencies: number[] = [];
let measuring = false;
let running = true;

async function runSender(user: (typeof seeded)[number], index: number): Promise<void> {
  const ws = new WebSocket(`${wsUrl}/ws?token=${user.token}`);
  await new Promise<void>((resolve) => ws.addEventListener('message', () => resolve(), { once: true }));
  let sentAt = 0;
  let counter = 0;
  const sendNext = () => {
    if (!running) return ws.close();
    sentAt = performance.now();
    ws.send(JSON.stringify({ type: 'send', clientMessageId: `${index}-${counter++}`, toUserId: user.friendId, text: `message ${counter} from ${index}` }));
  };
  ws.addEventListener('message', (event) => {
    const frame = JSON.parse(String(event.data));
    if (frame.type === 'ERROR') throw new Error(JSON.stringify(frame));
    if (frame.type !== 'ACK') return;
    if (measuring) latencies.push(performance.now() - sentAt);
    sendNext();
  });
  sendNext();
}

await Promise.all(seeded.map(runSender));
await Bun.sleep(1_000); // warm-up
const { elapsed, serverRssMb, serverCpuPercent } = await measureWindow(server.process.pid, seconds, (on) => (measuring = on));
running = false;
await Bun.sleep(200);
await server.stop();

latencies.sort((a, b) => a - b);
console.log(
  JSON.stringify({
    bench: 'direct-messages',
    cores: availableParallelism(),
    senders,
    seconds: Math.round(elapsed * 10) / 10,
    acked: latencies.length,
    ackedPerSecond: Math.round(latencies.length / elapsed),
    ackP50Ms: Math.round(percentile(latencies, 50) * 100) / 100,
    ackP99Ms: Math.round(percentile(latencies, 99) * 100) / 100,
    serverRssMb,
    serverCpuPercent,
  }),
);
process.exit(0);
