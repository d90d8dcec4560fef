// A faster @libsql/client for local files: the same native libSQL engine, with prepared statements
// kept and reused, and reads on their own connection so they never wait behind a write batch.
//
// Why: @libsql/client's local mode prepares every statement anew and builds each row with two
// defineProperty calls per column; profiling the message path put about half of all server CPU there.
// Turso (libsql://) URLs still use @libsql/client itself.
import { LibsqlError, type Client, type InArgs, type InStatement, type InValue, type ResultSet, type Row, type Transaction, type TransactionMode } from '@libsql/client';
import Database from 'libsql';

type NativeDatabase = InstanceType<typeof Database>;
type NativeStatement = ReturnType<NativeDatabase['prepare']>;
type SqlValue = string | number | bigint | Buffer | null;

interface CachedStatement {
  statement: NativeStatement;
  /** Column names when it returns rows (SELECT, … RETURNING), else null. */
  columns: string[] | null;
}

/** Statements kept per connection; drizzle's SQL text is stable, so a few hundred cover the app. */
const STATEMENT_CACHE_SIZE = 500;

function toSqlValue(value: InValue): SqlValue {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof Date) return value.getTime();
  if (value instanceof ArrayBuffer) return Buffer.from(value);
  if (value instanceof Uint8Array && !(value instanceof Buffer)) return Buffer.from(value);
  if (value === undefined) throw new TypeError('undefined cannot be passed as argument to the database');
  return value as SqlValue;
}

function toSqlArgs(args: InArgs | undefined): SqlValue[] | Record<string, SqlValue> {
  if (args === undefined) return [];
  if (Array.isArray(args)) return args.map(toSqlValue);
  const named: Record<string, SqlValue> = {};
  for (const [name, value] of Object.entries(args)) named[/^[@$:]/.test(name) ? name.slice(1) : name] = toSqlValue(value);
  return named;
}

/** Driver errors as @libsql/client reports them, so callers (and isUniqueViolation) see one shape. */
function toLibsqlError(error: unknown): unknown {
  if (error instanceof Error && 'rawCode' in error && typeof error.rawCode === 'number') {
    const code = (error as Error & { code?: string }).code ?? 'SQLITE_UNKNOWN';
    return new LibsqlError(error.message, code, code, error.rawCode, error);
  }
  return error;
}

/** One native connection and its prepared statements. */
class Connection {
  readonly #cache = new Map<string, CachedStatement>();

  constructor(readonly native: NativeDatabase) {}

  #prepare(sql: string): CachedStatement {
    const cached = this.#cache.get(sql);
    if (cached) {
      // Least recently used goes first: re-insert on every hit.
      this.#cache.delete(sql);
      this.#cache.set(sql, cached);
      return cached;
    }
    const statement = this.native.prepare(sql);
    const columns = statement.reader ? statement.raw(true).columns().map((column: { name: string }) => column.name) : null;
    const entry = { statement, columns };
    this.#cache.set(sql, entry);
    if (this.#cache.size > STATEMENT_CACHE_SIZE) this.#cache.delete(this.#cache.keys().next().value!);
    return entry;
  }

  execute(input: InStatement | string, args?: InArgs): ResultSet {
    const sql = typeof input === 'string' ? input : input.sql;
    const values = toSqlArgs(typeof input === 'string' ? args : input.args);
    try {
      const { statement, columns } = this.#prepare(sql);
      if (!columns) {
        const info = statement.run(values);
        return resultSet([], [], Number(info.changes), BigInt(info.lastInsertRowid));
      }
      const rows = (statement.all(values) as unknown[][]).map((values) => toRow(values, columns));
      return resultSet(columns, rows, 0, undefined);
    } catch (error) {
      throw toLibsqlError(error);
    }
  }

  close(): void {
    this.#cache.clear();
    this.native.close();
  }
}

/** A row as @libsql/client gives it: indexed values (drizzle's typed queries) plus named ones (raw SQL). */
function toRow(values: unknown[], columns: string[]): Row {
  const row = values as unknown[] & Record<string, unknown>;
  for (let index = 0; index < columns.length; index++) {
    const name = columns[index]!;
    // The first column of a name wins, as in @libsql/client; names that would clash with an index are skipped.
    if (name !== 'length' && !(name in row)) row[name] = values[index];
  }
  return row as unknown as Row;
}

function resultSet(columns: string[], rows: Row[], rowsAffected: number, lastInsertRowid: bigint | undefined): ResultSet {
  return {
    columns,
    columnTypes: columns.map(() => ''),
    rows,
    rowsAffected,
    lastInsertRowid,
    toJSON: () => ({ columns, rows, rowsAffected, lastInsertRowid: lastInsertRowid?.toString() ?? null }),
  };
}

const BEGIN: Record<TransactionMode, string> = { write: 'BEGIN IMMEDIATE', read: 'BEGIN TRANSACTION READONLY', deferred: 'BEGIN DEFERRED' };

/** Reads use their own connection; SELECTs outside a transaction are the reads. */
const isRead = (sql: string) => /^\s*select\b/i.test(sql);

/**
 * A Client for a local libSQL file. Writes and transactions take turns on the writer connection (a
 * promise chain, since a transaction spans awaits); plain SELECTs run at once on the reader
 * connection, which under WAL sees every committed write and never a pending one.
 */
export function createLocalClient(path: string, options: { timeoutMs: number }): Client {
  const writer = new Connection(new Database(path, { timeout: options.timeoutMs }));
  // WAL: readers never wait for the writer. synchronous=FULL: a commit survives a power cut, which is
  // what "acknowledged after it is durably stored" promises. Foreign keys are per connection.
  writer.execute('PRAGMA journal_mode = WAL');
  writer.execute('PRAGMA synchronous = FULL');
  writer.execute('PRAGMA foreign_keys = ON');
  const reader = new Connection(new Database(path, { timeout: options.timeoutMs }));
  reader.execute('PRAGMA foreign_keys = ON');
  let turn: Promise<void> = Promise.resolve();
  let closed = false;

  /** Waits for the writer connection; the returned function hands it on. */
  async function takeWriter(): Promise<() => void> {
    let release!: () => void;
    const previous = turn;
    turn = new Promise<void>((resolve) => (release = resolve));
    await previous;
    return release;
  }

  async function inWriterTurn<Result>(work: () => Result): Promise<Result> {
    const release = await takeWriter();
    try {
      return work();
    } finally {
      release();
    }
  }

  function runBatch(statements: (InStatement | [string, InArgs?])[], begin: string): ResultSet[] {
    writer.execute(begin);
    try {
      const results = statements.map((statement) => (Array.isArray(statement) ? writer.execute(statement[0], statement[1]) : writer.execute(statement)));
      writer.execute('COMMIT');
      return results;
    } catch (error) {
      if (writer.native.inTransaction) writer.execute('ROLLBACK');
      throw error;
    }
  }

  const client: Client = {
    async execute(input: InStatement | string, args?: InArgs) {
      const sql = typeof input === 'string' ? input : input.sql;
      if (isRead(sql)) return reader.execute(input, args);
      return inWriterTurn(() => writer.execute(input, args));
    },
    batch: (statements, mode = 'deferred') => inWriterTurn(() => runBatch(statements, BEGIN[mode])),
    migrate: (statements) =>
      inWriterTurn(() => {
        writer.execute('PRAGMA foreign_keys = OFF');
        try {
          return runBatch(statements, BEGIN.deferred);
        } finally {
          writer.execute('PRAGMA foreign_keys = ON');
        }
      }),
    async transaction(mode: TransactionMode = 'write') {
      const release = await takeWriter();
      try {
        writer.execute(BEGIN[mode]);
      } catch (error) {
        release();
        throw error;
      }
      let settled = false;
      const settle = (sql: string | null) => {
        if (settled) return;
        settled = true;
        try {
          if (sql && writer.native.inTransaction) writer.execute(sql);
        } finally {
          release();
        }
      };
      const transaction: Transaction = {
        execute: async (statement: InStatement) => writer.execute(statement),
        batch: async (statements: InStatement[]) => statements.map((statement) => writer.execute(statement)),
        executeMultiple: async (sql: string) => void writer.native.exec(sql),
        commit: async () => settle('COMMIT'),
        rollback: async () => settle('ROLLBACK'),
        close: () => settle('ROLLBACK'),
        get closed() {
          return settled;
        },
      };
      return transaction;
    },
    executeMultiple: (sql) => inWriterTurn(() => void writer.native.exec(sql)),
    sync: async () => undefined,
    close() {
      if (closed) return;
      closed = true;
      writer.close();
      reader.close();
    },
    reconnect() {
      throw new Error('A local database does not reconnect');
    },
    get closed() {
      return closed;
    },
    protocol: 'file',
  };
  return client;
}
