import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
/**
 * Without the schema: nothing here uses drizzle's relational queries, and with
 * the schema every transaction built a query builder for each of the ~40 tables
 * (12 µs and their garbage, on every submit's two or three transactions).
 */
export type Db = BetterSQLite3Database & { $client: Database.Database };
/** The handle a `db.transaction` callback gets. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

export const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../migrations');

/**
 * Opens the single SQLite file with the pragmas a long-running bot needs:
 * WAL so readers never block the writer, foreign keys on, and a busy timeout so
 * the CLI and the running bot can share the file.
 */
export function openDatabase(file: string, opts: { migrate?: boolean } = {}): Db {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const sqlite = new Database(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('synchronous = NORMAL');
  // better-sqlite3 builds SQLite with a 16 MB page cache per connection; SQLite's own default is 2 MB. On a
  // district's 110 MB database the bigger cache filled up and stayed, 15 MB of the bot's memory, while the pages
  // it would keep are in the kernel's file cache anyway: a /汇总 and a card submit cost the same CPU with 2 MB.
  sqlite.pragma('cache_size = -2000');
  // A visit's save changes some twenty pages in one statement, past the 64 KiB SQLite keeps of a statement journal
  // in memory: with temp files allowed, each save wrote those pages — a family's visit among them — to a new file in
  // /var/tmp and unlinked it (five file-system calls, 0.6 times per card submit at district scale). Sorts and
  // statement journals stay in memory instead; they are as big as one statement's work, not the database.
  sqlite.pragma('temp_store = MEMORY');
  reuseStatements(sqlite);
  const db = drizzle(sqlite) as Db;
  if (opts.migrate !== false) {
    // SQLite alters a column by rebuilding the table; with foreign keys on, dropping the old
    // table would cascade-delete the rows that reference it. The migrator runs in one
    // transaction, where the pragma cannot change, so keys go off around it and are checked after.
    sqlite.pragma('foreign_keys = OFF');
    const before = appliedMigrations(sqlite);
    migrate(db, { migrationsFolder: MIGRATIONS_DIR });
    // Checked only when a migration ran: on a district's database the check reads every table (most of a second at start).
    const broken = appliedMigrations(sqlite) === before ? [] : (sqlite.pragma('foreign_key_check') as unknown[]);
    if (broken.length) throw new Error(`迁移后外键检查失败 / foreign key check failed after migrating: ${JSON.stringify(broken.slice(0, 5))}`);
  }
  sqlite.pragma('foreign_keys = ON');
  return db;
}

/** How many statements, by their SQL, are kept compiled for reuse (a query with an `IN (?, ?, …)` list is one per length). */
const STATEMENTS_KEPT = 500;
/**
 * Longer SQL is a batch (a job's hundreds of outbox rows in one insert): it runs once per job, while SQLite's
 * program for it takes tens of bytes per character of SQL (1.6 MB for a 34,000-character insert) while it is kept.
 */
const LONGEST_KEPT_SQL = 4_000;

/**
 * drizzle compiles every query it runs anew (better-sqlite3's `prepare`), about
 * a twentieth of a millisecond each; a /进度 runs twenty of them. The same SQL
 * gets the statement compiled before, the most recently used few hundred kept (batches excepted).
 * drizzle switches a statement to arrays (`raw()`) when it maps the columns
 * itself and assumes objects otherwise, so a reused one starts as a fresh one does.
 */
function reuseStatements(sqlite: Database.Database): void {
  const compile = sqlite.prepare.bind(sqlite);
  const kept = new Map<string, Database.Statement>();
  sqlite.prepare = ((source: string) => {
    if (source.length > LONGEST_KEPT_SQL) return compile(source);
    let statement = kept.get(source);
    if (statement) {
      kept.delete(source);
      if (statement.reader) statement.raw(false);
    } else {
      statement = compile(source);
      if (kept.size >= STATEMENTS_KEPT) kept.delete(kept.keys().next().value!);
    }
    kept.set(source, statement);
    return statement;
  }) as typeof sqlite.prepare;
}

/** How many migrations the database has had (none before the first). */
function appliedMigrations(sqlite: Database.Database): number {
  const table = sqlite.prepare(`select 1 from sqlite_master where type = 'table' and name = '__drizzle_migrations'`).get();
  return table ? (sqlite.prepare('select count(*) as n from __drizzle_migrations').get() as { n: number }).n : 0;
}
