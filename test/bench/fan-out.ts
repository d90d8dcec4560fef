// Benchmark: group fan-out. R groups of M connected members, S senders per group in a closed loop
// (send → ACK → send); prints deliveries per second and end-to-end latency (send to each member's
// receipt) for our server and for a bare Bun.serve pub/sub server driven by the same clients.
// Usage: bun test/bench/fan-out.ts [--groups 10] [--members 50] [--senders 1] [--seconds 10] [--target both|ours|bare]
import { rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { spawnServer, type ServerProcess } from '../helpers/process.ts';
import { makeTempDir } from '../helpers/server.ts';
import { repoRoot, roundMs, spawnBenchServer } from './harness.ts';
import { measureWindow, percentile, seedGroups, type SeededGroup } from './seed.ts';

const { values } = parseArgs({
  options: {
    groups: { type: 'string', default: '10' },
    members: { type: 'string', default: '50' },
    senders: { type: 'string', default: '1' },
    seconds: { type: 'string', default: '10' },
    target: { type: 'string', default: 'both' },
  },
});
const groupCount = Number(values.groups);
const memberCount = Number(values.members);
const senderCount = Number(values.senders);
const seconds = Number(values.seconds);

interface Result {
  target: string;
  messagesPerSecond: number;
  deliveriesPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  serverRssMb: number;
  /** Of one core: 200 means both cores of a 2-core machine. */
  serverCpuPercent: number;
}

/** Drives one server: connects every member, runs the senders, measures, disconnects. */
async function drive(target: string, server: ServerProcess, groups: SeededGroup[], urlOf: (group: SeededGroup, member: SeededGroup['members'][number]) => string): Promise<Result> {
  const latencies: number[] = [];
  let acked = 0;
  let measuring = false;
  let running = true;
  const sockets: WebSocket[] = [];

  const connect = (url: string) =>
    new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.addEventListener('message', () => resolve(ws), { once: true });
      ws.addEventListener('error', () => reject(new Error(`could not connect ${url}`)), { once: true });
    });

  for (const group of groups) {
    for (const member of group.members) {
      const ws = await connect(urlOf(group, member));
      sockets.push(ws);
      ws.addEventListener('message', (event) => {
        const frame = String(event.data);
        // Cheap parse: the client must not be the bottleneck. The text is "t=<send time>".
        const at = frame.indexOf('"text":"t=');
        if (at !== -1 && frame.includes('_MESSAGE_CREATED')) {
          if (measuring) latencies.push(performance.now() - Number.parseFloat(frame.slice(at + 10)));
          return;
        }
        if (!frame.startsWith('{"type":"ACK"')) return;
        if (measuring) acked++;
        if (running) sendFrom(ws, group);
      });
    }
  }
  let counter = 0;
  function sendFrom(ws: WebSocket, group: SeededGroup) {
    ws.send(JSON.stringify({ type: 'send', groupId: group.id, clientMessageId: `m${counter++}`, text: `t=${performance.now()}` }));
  }
  // Start the senders (the first S members of each group).
  groups.forEach((group, groupIndex) => {
    for (let index = 0; index < senderCount; index++) sendFrom(sockets[groupIndex * memberCount + index]!, group);
  });

  await Bun.sleep(2_000); // warm-up, past the resume window of sockets that never send
  const { elapsed, serverRssMb, serverCpuPercent } = await measureWindow(server.process.pid, seconds, (on) => (measuring = on));
  running = false;
  await Bun.sleep(300);
  for (const ws of sockets) ws.close();
  latencies.sort((a, b) => a - b);
  return {
    target,
    messagesPerSecond: Math.round(acked / elapsed),
    deliveriesPerSecond: Math.round(latencies.length / elapsed),
    p50Ms: roundMs(percentile(latencies, 50)),
    p99Ms: roundMs(percentile(latencies, 99)),
    serverRssMb,
    serverCpuPercent,
  };
}

const results: Result[] = [];
if (values.target !== 'bare') {
  const dataDir = makeTempDir('chat-bench-');
  const groups = await seedGroups(dataDir, groupCount, memberCount);
  const server = await spawnBenchServer(dataDir);
  const wsUrl = server.url.replace(/^http/, 'ws');
  results.push(await drive('ours', server, groups, (_group, member) => `${wsUrl}/ws?token=${member.token}`));
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
if (values.target !== 'ours') {
  const groups: SeededGroup[] = Array.from({ length: groupCount }, (_, index) => ({
    id: `g${index}`,
    members: Array.from({ length: memberCount }, (_, member) => ({ id: `u${index}-${member}`, token: '' })),
  }));
  const server = await spawnServer([process.execPath, 'test/bench/bare-pubsub.ts'], { cwd: repoRoot });
  const wsUrl = server.url.replace(/^http/, 'ws');
  results.push(await drive('bare', server, groups, (group) => `${wsUrl}/?group=${group.id}`));
  await server.stop();
}

const ours = results.find((result) => result.target === 'ours');
const bare = results.find((result) => result.target === 'bare');
console.log(
  JSON.stringify({
    bench: 'fan-out',
    cores: availableParallelism(),
    groups: groupCount,
    members: memberCount,
    sendersPerGroup: senderCount,
    results,
    ...(ours && bare ? { oursToBareDeliveries: Math.round((ours.deliveriesPerSecond / bare.deliveriesPerSecond) * 100) / 100 } : {}),
  }),
);
process.exit(0);
