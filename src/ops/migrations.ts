import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { MIGRATIONS_DIR } from '../db/index.js';

export interface MigrationStatus {
  /** Migrations this code ships, oldest first. */
  known: string[];
  /** Those not yet applied to the database. */
  pending: string[];
  /** The database was migrated by a newer version of Zoufang than this one. */
  newerThanCode: boolean;
}

/**
 * What `openDatabase` would apply, without applying it. drizzle's migrator
 * records each migration's journal timestamp (`created_at`) and applies every
 * journal entry newer than the latest recorded one; this reads the same two facts.
 */
export function migrationStatus(sqlite: Database.Database): MigrationStatus {
  const journal = JSON.parse(fs.readFileSync(path.join(MIGRATIONS_DIR, 'meta/_journal.json'), 'utf8')) as { entries: Array<{ tag: string; when: number }> };
  const known = journal.entries.map((e) => e.tag);
  const hasTable = sqlite.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '__drizzle_migrations'").get();
  const last = hasTable ? (sqlite.prepare('SELECT max(created_at) AS at FROM __drizzle_migrations').get() as { at: number | null }).at : null;
  const lastAt = last === null ? -Infinity : Number(last);
  const pending = journal.entries.filter((e) => e.when > lastAt).map((e) => e.tag);
  const newest = journal.entries.at(-1)?.when ?? -Infinity;
  return { known, pending, newerThanCode: lastAt > newest };
}
