// The database: drizzle on libSQL, a local file by default or Turso by URL.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient, type Client } from '@libsql/client';
import { drizzle, type LibSQLDatabase } from 'drizzle-orm/libsql';
import * as schema from './schema/index.ts';

export type Database = LibSQLDatabase<typeof schema> & { $client: Client };
/** A transaction (or savepoint) of the database, as write jobs receive it. */
export type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];
/** Where a read can run: the database, or inside a write job's transaction. */
export type Reader = Database | Transaction;

interface DatabaseSettings {
  databaseUrl: string;
  databaseAuthToken: string;
}

/** How long a writer waits for another process's lock (two nodes may share one file). */
const BUSY_TIMEOUT_MS = 5_000;

/**
 * Opens the database. A local file gets its folder created, WAL (readers never wait for the writer),
 * synchronous=FULL (a committed write survives a power cut, which is what "acknowledged after it is
 * durably stored" promises) and foreign keys. It gets one connection, because the local client runs
 * statements synchronously anyway and per-connection pragmas then hold for every statement.
 */
export async function openDatabase(settings: DatabaseSettings): Promise<Database> {
  const isFile = settings.databaseUrl.startsWith('file:');
  if (isFile) mkdirSync(dirname(fileURLToPath(settings.databaseUrl)), { recursive: true });
  const client = createClient({
    url: settings.databaseUrl,
    authToken: settings.databaseAuthToken || undefined,
    ...(isFile ? { concurrency: 1, timeout: BUSY_TIMEOUT_MS } : {}),
  });
  if (isFile) {
    await client.execute('PRAGMA journal_mode = WAL');
    await client.execute('PRAGMA synchronous = FULL');
    await client.execute('PRAGMA foreign_keys = ON');
  }
  return drizzle(client, { schema });
}

/** True when a trivial query answers: what GET /ready reports. */
export async function isDatabaseReachable(db: Database): Promise<boolean> {
  try {
    await db.$client.execute('SELECT 1');
    return true;
  } catch {
    return false;
  }
}
