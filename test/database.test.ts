import { afterAll, describe, expect, it } from 'bun:test';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { journal, migrationSql } from '../drizzle/migrations.ts';
import { openDatabase } from '../src/db/client.ts';
import { migrateDatabase } from '../src/db/migrate.ts';
import { makeTempDir } from './helpers/server.ts';

const dir = makeTempDir();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('migrations', () => {
  it('embeds every migration drizzle-kit wrote', async () => {
    const onDisk = [...new Bun.Glob('*.sql').scanSync(join(import.meta.dir, '../drizzle'))].map((name) => name.slice(0, -4));
    expect(journal.entries.map((entry) => entry.tag).sort()).toEqual(onDisk.sort());
    expect(Object.keys(migrationSql).sort()).toEqual(onDisk.sort());
  });

  it('creates the schema on a fresh database, once', async () => {
    const db = await openDatabase({ databaseUrl: `file:${join(dir, 'nested/folder/chat.db')}`, databaseAuthToken: '' });
    expect(await migrateDatabase(db.$client)).toBe(journal.entries.length);
    expect(await migrateDatabase(db.$client)).toBe(0);

    const tables = await db.$client.execute("SELECT name FROM sqlite_master WHERE type = 'table'");
    const names = tables.rows.map((row) => row.name);
    expect(names).toContain('users');
    const recorded = await db.$client.execute('SELECT count(*) AS count FROM __drizzle_migrations');
    expect(Number(recorded.rows[0]!.count)).toBe(journal.entries.length);
    db.$client.close();
  });

  it('opens local files in WAL mode with foreign keys on', async () => {
    const db = await openDatabase({ databaseUrl: `file:${join(dir, 'pragmas.db')}`, databaseAuthToken: '' });
    const journalMode = await db.$client.execute('PRAGMA journal_mode');
    const foreignKeys = await db.$client.execute('PRAGMA foreign_keys');
    const synchronous = await db.$client.execute('PRAGMA synchronous');
    expect(journalMode.rows[0]!.journal_mode).toBe('wal');
    expect(Number(foreignKeys.rows[0]!.foreign_keys)).toBe(1);
    expect(Number(synchronous.rows[0]!.synchronous)).toBe(2);
    db.$client.close();
  });
});
