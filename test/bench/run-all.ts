// Runs every benchmark, one after another, each as its own process, and writes test/bench/RESULTS.md:
// the machine, a table of the numbers beside the targets, and each benchmark's raw JSON line. The
// table is printed too; progress goes to stderr.
// Usage: bun run bench   (or: bun test/bench/run-all.ts)
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './harness.ts';

const BENCHMARKS: { script: string; args: string[] }[] = [
  { script: 'fan-out.ts', args: ['--groups', '10', '--members', '100'] },
  { script: 'direct-messages.ts', args: ['--senders', '200'] },
  { script: 'history.ts', args: [] },
  { script: 'connections.ts', args: [] },
  { script: 'auth-rate.ts', args: [] },
];

/** The fields of each benchmark's JSON line that the table shows. */
type Latency = { p50Ms: number; p99Ms: number };
type FanOutTarget = Latency & { target: 'ours' | 'bare'; deliveriesPerSecond: number };
type Result =
  | { bench: 'fan-out'; groups: number; members: number; sendersPerGroup: number; results: FanOutTarget[]; oursToBareDeliveries: number }
  | { bench: 'direct-messages'; senders: number; ackedPerSecond: number; ackP50Ms: number; ackP99Ms: number; bareRowsPerSecond: number; oursToBare: number }
  | (Latency & {
      bench: 'history';
      messages: number;
      biggestChat: number;
      pageSize: number;
      clients: number;
      requestsPerSecond: number;
      oneClientP50Ms: number;
      oneClientP99Ms: number;
      seedSeconds: number;
      databaseMb: number;
    })
  | {
      bench: 'connections';
      sockets: number;
      clientProcesses: number;
      connected: number;
      connectsPerSecond: number;
      serverRssBeforeMb: number;
      serverRssAfterMb: number;
      kbPerSocket: number;
      mbPer1000Sockets: number;
      serverRssAt20000Mb: number;
    }
  | {
      bench: 'auth-rate';
      clients: number;
      signupsPerSecond: number;
      signupP50Ms: number;
      signupP99Ms: number;
      loginsPerSecond: number;
      loginP50Ms: number;
      loginP99Ms: number;
      healthIdleP50Ms: number;
      healthIdleP99Ms: number;
      healthDuringSignupsP50Ms: number;
      healthDuringSignupsP99Ms: number;
      healthDuringLoginsP50Ms: number;
      healthDuringLoginsP99Ms: number;
    }
  | { bench: `failed: ${string}`; error: string };
type Row = [measure: string, result: string, target?: string, met?: boolean];

/** Runs one benchmark and returns its JSON line, or an `error` when it failed. */
async function run(script: string, args: string[]): Promise<Result> {
  console.error(`running ${script} ${args.join(' ')}`);
  const child = Bun.spawn([process.execPath, join(import.meta.dir, script), ...args], { cwd: repoRoot, stdout: 'pipe', stderr: 'inherit' });
  const output = await new Response(child.stdout).text();
  const code = await child.exited;
  const line = output.trim().split('\n').at(-1) ?? '';
  if (code !== 0 || !line.startsWith('{')) return { bench: `failed: ${script}`, error: `exited with ${code}` };
  return JSON.parse(line) as Result;
}

const count = (value: number) => Math.round(value).toLocaleString('en-US');
const ms = (p50: number, p99: number) => `${p50} / ${p99} ms`;

/** The table rows of one benchmark: its main numbers, ratios and targets. */
function rowsOf(result: Result): { title: string; rows: Row[] } {
  switch (result.bench) {
    case 'fan-out': {
      const ours = result.results.find((entry) => entry.target === 'ours')!;
      const bare = result.results.find((entry) => entry.target === 'bare')!;
      return {
        title: `fan-out: ${result.groups} groups × ${result.members} members, ${result.sendersPerGroup} sender each`,
        rows: [
          ['deliveries/s: ours · bare pub/sub', `${count(ours.deliveriesPerSecond)} · ${count(bare.deliveriesPerSecond)}`],
          ['ours ÷ bare', String(result.oursToBareDeliveries), '≥ 0.5', result.oursToBareDeliveries >= 0.5],
          ['latency p50 / p99: ours', ms(ours.p50Ms, ours.p99Ms)],
          ['latency p50 / p99: bare', ms(bare.p50Ms, bare.p99Ms)],
        ],
      };
    }
    case 'direct-messages':
      return {
        title: `direct messages: ${result.senders} senders, one message in flight each`,
        rows: [
          ['acked messages/s', count(result.ackedPerSecond), '≥ 20,000', result.ackedPerSecond >= 20_000],
          ['ack latency p50 / p99', ms(result.ackP50Ms, result.ackP99Ms), 'p99 < 50 ms', result.ackP99Ms < 50],
          [`bare libSQL insert, ${result.senders} messages a transaction: messages/s`, count(result.bareRowsPerSecond)],
          ['ours ÷ bare insert', String(result.oursToBare)],
        ],
      };
    case 'history':
      return {
        title: `history: ${count(result.messages)} messages (${count(result.biggestChat)} in one chat), pages of ${result.pageSize}`,
        rows: [
          [`${result.clients} clients: requests/s`, count(result.requestsPerSecond)],
          [`${result.clients} clients: latency p50 / p99`, ms(result.p50Ms, result.p99Ms), 'p99 < 10 ms', result.p99Ms < 10],
          ['1 client: latency p50 / p99', ms(result.oneClientP50Ms, result.oneClientP99Ms), 'p99 < 10 ms', result.oneClientP99Ms < 10],
          ['seeding time · database size', `${result.seedSeconds} s · ${result.databaseMb} MB`],
        ],
      };
    case 'connections':
      return {
        title: `connections: ${count(result.sockets)} idle WebSockets from ${result.clientProcesses} client processes`,
        rows: [
          ['connected', count(result.connected)],
          ['connects/s', count(result.connectsPerSecond)],
          ['server RSS before → after', `${result.serverRssBeforeMb} → ${result.serverRssAfterMb} MB`],
          ['per socket · per 1,000 sockets', `${result.kbPerSocket} KB · ${result.mbPer1000Sockets} MB`],
          ['server RSS at 20,000 sockets (extrapolated)', `${result.serverRssAt20000Mb} MB`, '< 400 MB', result.serverRssAt20000Mb < 400],
        ],
      };
    case 'auth-rate':
      return {
        title: `auth: ${result.clients} concurrent clients, argon2id`,
        rows: [
          ['signups/s · latency p50 / p99', `${result.signupsPerSecond} · ${ms(result.signupP50Ms, result.signupP99Ms)}`],
          ['logins/s · latency p50 / p99', `${result.loginsPerSecond} · ${ms(result.loginP50Ms, result.loginP99Ms)}`],
          ['GET /health p50 / p99: idle', ms(result.healthIdleP50Ms, result.healthIdleP99Ms)],
          ['GET /health p50 / p99: during signups · logins', `${ms(result.healthDuringSignupsP50Ms, result.healthDuringSignupsP99Ms)} · ${ms(result.healthDuringLoginsP50Ms, result.healthDuringLoginsP99Ms)}`],
        ],
      };
    default:
      return { title: result.bench, rows: [['error', result.error]] };
  }
}

function table(results: Result[]): string {
  const lines = ['| benchmark | measure | result | target | met |', '|---|---|---|---|---|'];
  for (const result of results) {
    const { title, rows } = rowsOf(result);
    rows.forEach(([measure, value, target, met], index) => {
      const verdict = met === undefined ? '' : met ? 'yes' : 'no';
      lines.push(`| ${index === 0 ? title : ''} | ${measure} | ${value} | ${target ?? ''} | ${verdict} |`);
    });
  }
  return lines.join('\n');
}

const cpuModel = /model name\s*:\s*(.*)/.exec(await Bun.file('/proc/cpuinfo').text())?.[1] ?? 'unknown';
const loadAverage = (await Bun.file('/proc/loadavg').text()).split(' ').slice(0, 3).join(' ');
const startedAt = new Date();
const results: Result[] = [];
for (const { script, args } of BENCHMARKS) results.push(await run(script, args));

const summary = table(results);
const report = `# Benchmark results

Written by \`bun run bench\` (test/bench/run-all.ts), started ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC.
Machine: ${availableParallelism()} cores (${cpuModel}), Bun ${Bun.version}; load average ${loadAverage} before the run.
Each benchmark starts its own server (\`bun src/index.ts\`, LOG_LEVEL=info, RATE_LIMIT=off) on a fresh
database in a temporary folder, with its load generator on the same machine.

${summary}

## Raw results

\`\`\`
${results.map((result) => JSON.stringify(result)).join('\n')}
\`\`\`
`;
await Bun.write(join(import.meta.dir, 'RESULTS.md'), report);
console.log(summary);
