// The database: drizzle on libSQL, a local file by default or Turso by URL.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient, type Client } from '@libsql/client';
import { drizzle, type LibSQLDatabase } from 'drizzle-orm/libsql';
import { createLocalClient } from './local-client.ts';
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
 * Opens the database: a local file through our statement-caching client (see local-client.ts), or
 * Turso through @libsql/client.
 */
export async function openDatabase(settings: DatabaseSettings): Promise<Database> {
  if (settings.databaseUrl.startsWith('file:')) {
    const path = fileURLToPath(settings.databaseUrl);
    mkdirSync(dirname(path), { recursive: true });
    return drizzle(createLocalClient(path, { timeoutMs: BUSY_TIMEOUT_MS }), { schema });
  }
  return drizzle(createClient({ url: settings.databaseUrl, authToken: settings.databaseAuthToken || undefined }), { schema });
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
