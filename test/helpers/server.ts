// Starts the real server in this process on a free port, with a fresh temp data dir.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '../../src/config.ts';
import { startServer } from '../../src/server.ts';
import { createClient as createDbClient, type Client } from '@libsql/client';
import { startFakeResend, type FakeResend } from './fake-resend.ts';
import { createClient, type TestClient } from './http.ts';

export interface TestServer {
  url: string;
  api: TestClient;
  config: Config;
  dataDir: string;
  stop(): Promise<void>;
}

/** A fresh temp folder that is removed with the server. */
export function makeTempDir(prefix = 'chat-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * Boots a server like the binary does; `env` overrides settings by their env names. Rate limits are off
 * unless a test turns them on, since every test client shares one IP.
 */
export async function startTestServer(env: Record<string, string> = {}): Promise<TestServer> {
  const dataDir = makeTempDir();
  const config = loadConfig([], { DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', RATE_LIMIT: 'off', ...env });
  const server = await startServer(config);
  return {
    url: server.url,
    api: createClient(server.url),
    config,
    dataDir,
    async stop() {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface EmailTestServer extends TestServer {
  /** The stand-in for Resend that receives every email this server sends. */
  resend: FakeResend;
  /** A second connection to the server's database file, for arranging what the API cannot (expiry). */
  db: Client;
}

/** A test server whose emails go through the Resend SDK to a local fake Resend. */
export async function startEmailTestServer(env: Record<string, string> = {}): Promise<EmailTestServer> {
  const resend = startFakeResend();
  const server = await startTestServer({ RESEND_API_KEY: 're_test', RESEND_BASE_URL: resend.url, ...env });
  const db = createDbClient({ url: server.config.databaseUrl });
  return {
    ...server,
    resend,
    db,
    async stop() {
      db.close();
      await server.stop();
      resend.stop();
    },
  };
}
