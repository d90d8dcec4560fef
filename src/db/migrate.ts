// Applies drizzle-kit's migrations at boot from the copies embedded in the code (the binary has no drizzle/ folder).
import type { Client } from '@libsql/client';
import { journal, migrationSql } from '../../drizzle/migrations.ts';

/** The same bookkeeping table drizzle-kit's own migrator uses, so both agree on what has run. */
const MIGRATIONS_TABLE = '__drizzle_migrations';

/** Runs every migration newer than the last one recorded, in one batch: all of them or none. */
export async function migrateDatabase(client: Client): Promise<number> {
  await client.execute(
    `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (id INTEGER PRIMARY KEY, hash text NOT NULL, created_at numeric)`,
  );
  const last = await client.execute(`SELECT created_at FROM ${MIGRATIONS_TABLE} ORDER BY created_at DESC LIMIT 1`);
  const lastAppliedAt = last.rows.length > 0 ? Number(last.rows[0]!.created_at) : -1;
  const pending = journal.entries.filter((entry) => entry.when > lastAppliedAt);
  if (pending.length === 0) return 0;
  const statements = pending.flatMap((entry) => {
    const sql = migrationSql[entry.tag];
    if (sql === undefined) throw new Error(`Migration ${entry.tag} is in the journal but not embedded`);
    const hash = new Bun.CryptoHasher('sha256').update(sql).digest('hex');
    return [
      ...sql
        .split('--> statement-breakpoint')
        .map((statement) => statement.trim())
        .filter(Boolean),
      { sql: `INSERT INTO ${MIGRATIONS_TABLE} (hash, created_at) VALUES (?, ?)`, args: [hash, entry.when] },
    ];
  });
  await client.batch(statements, 'write');
  return pending.length;
}
