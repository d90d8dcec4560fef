// Benchmark: acknowledged, durably stored direct messages per second and ack latency, with N concurrent
// senders; then, on the same database file once the server stopped, the bare insert baseline
// (bare-insert.ts) with one batch per N messages, the most the server can batch with N senders.
// Usage: bun test/bench/direct-messages.ts [--senders 200] [--seconds 10]
// Each sender keeps one message in flight over its WebSocket (send → ACK → send), so throughput is
// what the server can durably commit, not what a client can queue.
import { rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { makeTempDir } from '../helpers/server.ts';
import { measureBareInsert } from './bare-insert.ts';
import { roundMs, spawnBenchServer } from './harness.ts';
import { measureWindow, percentile, seedFriendPairs } from './seed.ts';

const { values } = parseArgs({ options: { senders: { type: 'string', default: '200' }, seconds: { type: 'string', default: '10' } } });
const senders = Number(values.senders);
const seconds = Number(values.seconds);
const dataDir = makeTempDir('chat-bench-');
const seeded = await seedFriendPairs(dataDir, senders);

const server = await spawnBenchServer(dataDir);
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
// Messages (a message row and an event row each) per second, in transactions of one per sender.
const bareRowsPerSecond = measureBareInsert(dataDir, { seconds, rowsPerBatch: senders });
rmSync(dataDir, { recursive: true, force: true });

latencies.sort((a, b) => a - b);
const ackedPerSecond = Math.round(latencies.length / elapsed);
console.log(
  JSON.stringify({
    bench: 'direct-messages',
    cores: availableParallelism(),
    senders,
    seconds: Math.round(elapsed * 10) / 10,
    acked: latencies.length,
    ackedPerSecond,
    ackP50Ms: roundMs(percentile(latencies, 50)),
    ackP99Ms: roundMs(percentile(latencies, 99)),
    serverRssMb,
    serverCpuPercent,
    bareRowsPerSecond,
    oursToBare: Math.round((ackedPerSecond / bareRowsPerSecond) * 100) / 100,
  }),
);
process.exit(0);
