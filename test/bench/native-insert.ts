// Multi-row INSERTs of the app's rows straight through the native libSQL driver the server uses: the
// column names and value mapping come from the app's drizzle schema (so rows read back exactly as the
// app's own), without drizzle building the SQL anew for every statement. For seeding big tables fast,
// and for the bare insert baseline.
// Usage: const db = openNativeDatabase(dataDir);
//        const insert = prepareInsert(db, messages, 1_000); insert(rows); // exactly 1,000 rows each call
import { join } from 'node:path';
import { getTableColumns, getTableName } from 'drizzle-orm';
import type { SQLiteTable } from 'drizzle-orm/sqlite-core';
import Database from 'libsql';

export type NativeDatabase = InstanceType<typeof Database>;

/** The server's database in `dataDir`, opened as its writer connection is: WAL, synchronous=FULL, foreign keys on. */
export function openNativeDatabase(dataDir: string): NativeDatabase {
  const db = new Database(join(dataDir, 'chat.db'));
  db.exec('PRAGMA journal_mode = WAL');
  db.exec('PRAGMA synchronous = FULL');
  db.exec('PRAGMA foreign_keys = ON');
  return db;
}

/** Prepares one INSERT of `rowCount` rows of `table`; the returned function runs it with that many rows. */
export function prepareInsert<Table extends SQLiteTable>(db: NativeDatabase, table: Table, rowCount: number): (rows: Table['$inferInsert'][]) => void {
  const columns = Object.entries(getTableColumns(table));
  const placeholders = `(${columns.map(() => '?').join(', ')})`;
  const statement = db.prepare(
    `INSERT INTO "${getTableName(table)}" (${columns.map(([, column]) => `"${column.name}"`).join(', ')}) VALUES ${Array.from({ length: rowCount }, () => placeholders).join(', ')}`,
  );
  return (rows) => {
    if (rows.length !== rowCount) throw new Error(`prepared for ${rowCount} rows, given ${rows.length}`);
    const values: unknown[] = [];
    for (const row of rows) {
      for (const [key, column] of columns) {
        const value = (row as Record<string, unknown>)[key];
        values.push(value === undefined || value === null ? null : column.mapToDriverValue(value));
      }
    }
    statement.run(values);
  };
}
