// What the benchmark scripts share besides seeding: starting the server, closed-loop HTTP load, rounding.
// Usage: const server = await spawnBenchServer(dataDir);
//        const load = await runClosedLoop(server.process.pid, { concurrency: 32, seconds: 10 }, (worker) => fetch(…));
import { join } from 'node:path';
import { spawnServer, type ServerProcess } from '../helpers/process.ts';
import { BENCH_JWT_SECRET, measureWindow, percentile } from './seed.ts';

export const repoRoot = join(import.meta.dir, '../..');

/**
 * Runs `bun src/index.ts` on a free port with rate limits off, logging at info as in production (and
 * spawnServer finds the URL in the info line "listening"). BENCH_PROFILE=1 writes a CPU profile of the
 * server (a .cpuprofile in the repository folder) on exit.
 */
export function spawnBenchServer(dataDir: string): Promise<ServerProcess> {
  return spawnServer([process.execPath, ...(process.env.BENCH_PROFILE ? ['--cpu-prof'] : []), 'src/index.ts'], {
    cwd: repoRoot,
    env: { DATA_DIR: dataDir, JWT_SECRET: BENCH_JWT_SECRET, RATE_LIMIT: 'off', LOG_LEVEL: 'info' },
  });
}

/** Milliseconds to two decimals, for printing. */
export const roundMs = (ms: number) => Math.round(ms * 100) / 100;

/**
 * `concurrency` workers each send a request, await its answer and send the next, for a second of
 * warm-up and then `seconds` measured. `request` must throw on a wrong answer and read the body.
 */
export async function runClosedLoop(serverPid: number, options: { concurrency: number; seconds: number }, request: (worker: number) => Promise<void>) {
  const latencies: number[] = [];
  let measuring = false;
  let running = true;
  let failure: unknown = null;
  const work = async (worker: number) => {
    while (running) {
      const started = performance.now();
      try {
        await request(worker);
      } catch (error) {
        failure ??= error;
        running = false;
      }
      if (measuring) latencies.push(performance.now() - started);
    }
  };
  const workers = Array.from({ length: options.concurrency }, (_, worker) => work(worker));
  await Bun.sleep(1_000); // warm-up
  const window = await measureWindow(serverPid, options.seconds, (on) => (measuring = on));
  running = false;
  await Promise.all(workers);
  if (failure) throw failure;
  latencies.sort((a, b) => a - b);
  return {
    perSecond: Math.round(latencies.length / window.elapsed),
    p50Ms: roundMs(percentile(latencies, 50)),
    p99Ms: roundMs(percentile(latencies, 99)),
    serverRssMb: window.serverRssMb,
    serverCpuPercent: window.serverCpuPercent,
  };
}
