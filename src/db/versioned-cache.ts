import type Database from 'better-sqlite3';
import type { Db } from './index.js';

/** A group of tables counted in data_versions (migration 0016 names them and raises the counters). */
export type VersionedTables = 'campaigns' | 'people';

type VersionReader = Database.Statement<[string], { version: number }>;

/** One prepared reader per connection; null on a database not yet migrated, which then caches nothing. */
const readers = new WeakMap<Database.Database, VersionReader | null>();

function versionOf(client: Database.Database, tables: VersionedTables): number | undefined {
  let reader = readers.get(client);
  if (reader === undefined) {
    try {
      reader = client.prepare<[string], { version: number }>('SELECT version FROM data_versions WHERE name = ?');
    } catch {
      reader = null;
    }
    readers.set(client, reader);
  }
  return reader?.get(tables)?.version;
}

/**
 * What is read from tables that change rarely (campaign definitions, the
 * roster), kept while their data_versions counter holds still. The triggers
 * raise it on every write from any process (the bot, `zoufang roster import`,
 * `zoufang campaign load`), so what is kept is never older than the next read
 * of the counter. Nothing read inside an open transaction is kept: a rollback
 * would take the counter back to where it was, and the kept value would lie.
 */
export class VersionedCache<K, V> {
  private version: number | undefined;
  private readonly entries = new Map<K, V>();

  constructor(
    private readonly db: Db,
    private readonly tables: VersionedTables,
    /** Past this many entries the cache starts over, so it never grows with the district. */
    private readonly max = 5000,
  ) {}

  get(key: K, load: () => V): V {
    const client = this.db.$client;
    if (client.inTransaction) return load();
    const version = versionOf(client, this.tables);
    if (version === undefined) return load();
    if (version !== this.version) {
      this.entries.clear();
      this.version = version;
    }
    if (this.entries.has(key)) return this.entries.get(key) as V;
    const value = load();
    if (this.entries.size >= this.max) this.entries.clear();
    this.entries.set(key, value);
    return value;
  }
}
