// Starts a real redis-server (installed by .ci/run from Debian's packages) on a free port, for backplane tests.
import { createServer } from 'node:net';

export interface RedisProcess {
  url: string;
  stop(): Promise<void>;
}

/** A port nobody listens on right now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A throwaway redis-server: no persistence, loopback only. */
export async function startRedis(): Promise<RedisProcess> {
  const port = await freePort();
  const child = Bun.spawn(['redis-server', '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const url = `redis://127.0.0.1:${port}`;
  const client = new Bun.RedisClient(url, { autoReconnect: false, connectionTimeout: 500 });
  for (let attempt = 0; ; attempt++) {
    try {
      await client.connect();
      break;
    } catch (error) {
      if (attempt === 50 || child.exitCode !== null) throw new Error(`redis-server did not start: ${String(error)}`);
      await Bun.sleep(100);
    }
  }
  client.close();
  return {
    url,
    async stop() {
      child.kill();
      await child.exited;
    },
  };
}
