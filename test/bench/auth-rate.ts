// Benchmark: signups and logins per second (each hashes or verifies an argon2id password), with C
// concurrent clients each; and, to show hashing never blocks the event loop, the latency of GET /health
// probed every 10 ms while idle and during both storms.
// Usage: bun test/bench/auth-rate.ts [--clients 32] [--seconds 6]   (seconds: of each storm)
// Signup emails go to the outbox (no RESEND_API_KEY). Logins are of seeded verified users without a
// second factor: each answers tokens and starts a session.
import { rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { makeTempDir } from '../helpers/server.ts';
import { roundMs, runClosedLoop, spawnBenchServer } from './harness.ts';
import { BENCH_PASSWORD, benchEmail, percentile, seedUsers } from './seed.ts';

const { values } = parseArgs({ options: { clients: { type: 'string', default: '32' }, seconds: { type: 'string', default: '6' } } });
const clients = Number(values.clients);
const seconds = Number(values.seconds);
const PROBE_EVERY_MS = 10;
const IDLE_PROBE_MS = 2_000;
/** Logins cycle through these accounts; many logins of one account are as costly as of many. */
const LOGIN_ACCOUNTS = 1_000;

const dataDir = makeTempDir('chat-bench-');
await seedUsers(dataDir, LOGIN_ACCOUNTS);
const server = await spawnBenchServer(dataDir);

async function post(path: string, body: unknown, expected: number): Promise<void> {
  const response = await fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await response.text();
  if (response.status !== expected) throw new Error(`${path} answered ${response.status}: ${text}`);
}

/** Probes GET /health every 10 ms until stopped; returns the sorted latencies. */
function probeHealth() {
  const latencies: number[] = [];
  let running = true;
  const done = (async () => {
    while (running) {
      const started = performance.now();
      const response = await fetch(`${server.url}/health`);
      await response.text();
      if (!response.ok) throw new Error(`health answered ${response.status}`);
      const took = performance.now() - started;
      latencies.push(took);
      await Bun.sleep(Math.max(0, PROBE_EVERY_MS - took));
    }
  })();
  return async () => {
    running = false;
    await done;
    latencies.sort((a, b) => a - b);
    return { p50Ms: roundMs(percentile(latencies, 50)), p99Ms: roundMs(percentile(latencies, 99)), probes: latencies.length };
  };
}

/** Runs a storm of `request`s while probing health. */
async function storm(request: () => Promise<void>) {
  const stopProbe = probeHealth();
  const load = await runClosedLoop(server.process.pid, { concurrency: clients, seconds }, request);
  return { load, health: await stopProbe() };
}

try {
  const stopIdleProbe = probeHealth();
  await Bun.sleep(IDLE_PROBE_MS);
  const idle = await stopIdleProbe();

  let signups = 0;
  const signup = await storm(() => {
    const index = signups++;
    return post('/signup', { username: `signup_${index}`, email: `signup${index}@example.com`, password: BENCH_PASSWORD }, 201);
  });
  let logins = 0;
  const login = await storm(() => post('/login', { email: benchEmail(logins++ % LOGIN_ACCOUNTS), password: BENCH_PASSWORD }, 200));

  console.log(
    JSON.stringify({
      bench: 'auth-rate',
      cores: availableParallelism(),
      clients,
      seconds,
      signupsPerSecond: signup.load.perSecond,
      signupP50Ms: signup.load.p50Ms,
      signupP99Ms: signup.load.p99Ms,
      loginsPerSecond: login.load.perSecond,
      loginP50Ms: login.load.p50Ms,
      loginP99Ms: login.load.p99Ms,
      healthIdleP50Ms: idle.p50Ms,
      healthIdleP99Ms: idle.p99Ms,
      healthDuringSignupsP50Ms: signup.health.p50Ms,
      healthDuringSignupsP99Ms: signup.health.p99Ms,
      healthDuringLoginsP50Ms: login.health.p50Ms,
      healthDuringLoginsP99Ms: login.health.p99Ms,
      serverRssMb: Math.max(signup.load.serverRssMb, login.load.serverRssMb),
      serverCpuPercentSignups: signup.load.serverCpuPercent,
      serverCpuPercentLogins: login.load.serverCpuPercent,
    }),
  );
} finally {
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
process.exit(0);
