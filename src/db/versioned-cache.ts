import type Database from 'better-sqlite3';
import type { Db } from './index.js';

/**
 * A group of tables counted in data_versions (migrations 0016, 0018, 0019,
 * 0023 and 0024 name them and raise the counters); `visits` counts records, their
 * visitors, photos and targets, and keeps the latest filing time among them;
 * `visits:<kind>` counts the visits to targets of one kind and their visitors
 * alone, with the latest filing time among them (a row per kind a target has
 * had: a kind no target has yet has none, and what watches it is not kept);
 * `targets` counts the targets alone, `ledger` the ledger's items; `firsts`
 * moves only when a target's first visit of a term does (visit_firsts), not
 * with every visit (each row written carries the counter: visit_firsts.seq),
 * and `firsts:dropped` when one of them is deleted.
 */
export type VersionedTables = 'campaigns' | 'people' | 'visits' | `visits:${string}` | 'targets' | 'ledger' | 'firsts' | 'firsts:dropped';

interface Version {
  version: number;
  latest: number | null;
}

type VersionReader = Database.Statement<[string], Version>;

/** One prepared reader per connection; null on a database not yet migrated, which then caches nothing. */
const readers = new WeakMap<Database.Database, VersionReader | null>();

/** The counter of a group of tables and its latest filing time; undefined where data_versions has no such row (or no table). */
export function versionOf(client: Database.Database, tables: VersionedTables): Version | undefined {
  let reader = readers.get(client);
  if (reader === undefined) {
    try {
      reader = client.prepare<[string], Version>('SELECT version, latest FROM data_versions WHERE name = ?');
    } catch {
      reader = null;
    }
    readers.set(client, reader);
  }
  return reader?.get(tables);
}

/**
 * What is read from tables that change rarely (campaign definitions, the
 * roster), kept while their data_versions counter holds still. The triggers
 * raise it on every write from any process (the bot, `zoufang roster import`,
 * `zoufang campaign load`), so what is kept is never older than the next read
 * of the counter. Nothing read inside an open transaction is kept: a rollback
 * would take the counter back to where it was, and the kept value would lie.
 */
export class VersionedCache<K extends string, V> {
  private version: string | undefined;
  private readonly entries = new Map<string, V>();
  private readonly tables: readonly VersionedTables[];

  constructor(
    private readonly db: Db,
    /** One group, or several whose counters must all hold still (a digest reads the roster and the visits). */
    tables: VersionedTables | readonly VersionedTables[],
    /**
     * At most this many entries, so it never grows with the district: past it the one kept longest goes, and
     * what was read a moment ago (a card opened, about to be submitted) stays.
     */
    private readonly max = 5000,
  ) {
    this.tables = typeof tables === 'string' ? [tables] : tables;
  }

  /**
   * The value of `key`, loaded when the counters have moved. With `filedBy`
   * (a cut-off, 统计截至), what was filed by then: any cut-off past the latest
   * filing time sees every row, so a /汇总 asked again a minute later, with
   * nothing filed since, is the same value. A value that is a promise (a
   * reading that takes turns) is kept at once, so two asking together read
   * once; if it fails, it is not kept.
   */
  get(key: K, load: () => V, filedBy?: Date): V {
    const client = this.db.$client;
    if (client.inTransaction) return load();
    const versions: Version[] = [];
    for (const t of this.tables) {
      const v = versionOf(client, t);
      if (v === undefined) return load();
      versions.push(v);
    }
    const version = versions.map((v) => v.version).join(':');
    if (version !== this.version) {
      this.entries.clear();
      this.version = version;
    }
    const latest = Math.max(0, ...versions.map((v) => v.latest ?? 0));
    const entry = filedBy === undefined ? key : `${key}@${filedBy.getTime() >= latest ? 'all' : filedBy.getTime()}`;
    if (this.entries.has(entry)) return this.entries.get(entry) as V;
    const value = load();
    if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(entry, value);
    if (value instanceof Promise)
      value.catch(() => {
        if (this.entries.get(entry) === value) this.entries.delete(entry);
      });
    return value;
  }
}
