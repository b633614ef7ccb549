import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Db } from '../db/index.js';
import { formatLocal } from '../domain/time.js';
import type { Job } from '../scheduler/job.js';
import type { Logger } from '../logger.js';
import { migrationStatus } from './migrations.js';

/**
 * Backups: one self-contained SQLite file per backup, taken online with SQLite's
 * backup API (the bot keeps running), plus the photos. Photos are stored by
 * content hash and never change, so every backup in a directory shares one
 * `photos/` folder beside the files and each picture is copied once.
 */

/** BACKUP_AT is read in Beijing time, the time the school keeps. */
export const BACKUP_TIMEZONE = 'Asia/Shanghai';
/** A scheduled run skips when a backup this recent exists (a restart, or one taken by hand). */
const FRESH_ENOUGH_MS = 20 * 3600_000;
const NAME = /^zoufang-.*\.db$/;

export class BackupError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'BackupError';
  }
}

export interface BackupResult {
  file: string;
  bytes: number;
  photos: { copied: number; total: number; dir: string } | null;
}

export const backupFileName = (now: Date, suffix = '') => `zoufang-${formatLocal(now, BACKUP_TIMEZONE, 'YYYYMMDD-HHmmss')}${suffix}.db`;

/** Backups in a directory, newest first. */
export function listBackups(dir: string): Array<{ file: string; mtime: Date }> {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((n) => NAME.test(n))
    .map((n) => ({ file: path.join(dir, n), mtime: fs.statSync(path.join(dir, n)).mtime }))
    .sort((a, b) => b.mtime.getTime() - a.mtime.getTime());
}

/** Copies what `to` lacks from the content-addressed photo tree `from`; a file of another size is copied again. */
export async function mirrorPhotos(from: string, to: string): Promise<{ copied: number; total: number }> {
  let copied = 0;
  let total = 0;
  const walk = async (rel: string): Promise<void> => {
    for (const entry of await fsp.readdir(path.join(from, rel), { withFileTypes: true })) {
      const name = path.join(rel, entry.name);
      if (entry.isDirectory()) {
        await walk(name);
        continue;
      }
      if (!entry.isFile() || entry.name.endsWith('.tmp')) continue; // a download still being written
      total += 1;
      const src = path.join(from, name);
      const dest = path.join(to, name);
      const [a, b] = await Promise.all([fsp.stat(src), fsp.stat(dest).catch(() => null)]);
      if (b && b.size === a.size) continue;
      await fsp.mkdir(path.dirname(dest), { recursive: true });
      await fsp.copyFile(src, `${dest}.tmp`);
      await fsp.rename(`${dest}.tmp`, dest);
      copied += 1;
    }
  };
  if (fs.existsSync(from)) await walk('');
  return { copied, total };
}

/**
 * Writes a consistent copy of the open database to `to` while it stays in use,
 * as a single file (rollback journal, not WAL) that opens anywhere, and brings
 * the photos into `photos/` beside it.
 */
export async function backupDatabase(source: Database.Database, to: string, photoDir?: string): Promise<BackupResult> {
  fs.mkdirSync(path.dirname(path.resolve(to)), { recursive: true });
  const partial = `${to}.partial`;
  fs.rmSync(partial, { force: true });
  try {
    await source.backup(partial);
    const copy = new Database(partial);
    try {
      copy.pragma('journal_mode = DELETE');
      const check = copy.pragma('quick_check', { simple: true });
      if (check !== 'ok') throw new BackupError(`备份文件校验失败 / the backup failed its check: ${String(check)}`, 1);
    } finally {
      copy.close();
    }
    fs.renameSync(partial, to);
  } finally {
    fs.rmSync(partial, { force: true });
  }
  const photosDir = path.join(path.dirname(path.resolve(to)), 'photos');
  const photos = photoDir ? { ...(await mirrorPhotos(photoDir, photosDir)), dir: photosDir } : null;
  return { file: to, bytes: fs.statSync(to).size, photos };
}

/** Opens the database file for a backup without migrating it: a backup taken before an upgrade must show the old schema. */
export function openForBackup(databasePath: string): Database.Database {
  if (!fs.existsSync(databasePath)) throw new BackupError(`数据库文件不存在 / no database at ${databasePath}（检查 DATABASE_PATH）`, 66);
  const sqlite = new Database(databasePath, { fileMustExist: true });
  sqlite.pragma('busy_timeout = 5000');
  return sqlite;
}

/** Deletes the oldest backups beyond `keep`; the shared photos stay. */
export function pruneBackups(dir: string, keep: number): string[] {
  const old = listBackups(dir).slice(keep);
  for (const b of old) fs.rmSync(b.file, { force: true });
  return old.map((b) => b.file);
}

export interface BackupJobOptions {
  dir: string;
  /** HH:MM in Beijing time. */
  at: string;
  keep: number;
}

/** The scheduled backup. It also runs at start-up, so a night the server was off is caught up then. */
export function backupJob(o: BackupJobOptions & { db: Db; photoDir: string; log: Logger }): Job {
  const [hour, minute] = o.at.split(':').map(Number);
  return {
    name: 'backup',
    description: `每天 ${o.at}（北京时间）备份数据库和照片到 ${o.dir}，保留 ${o.keep} 份 / daily backup of the database and photos`,
    triggers: async () => [{ cron: `${minute} ${hour} * * *`, timezone: BACKUP_TIMEZONE }],
    async run(now) {
      const newest = listBackups(o.dir)[0];
      if (newest && now.getTime() - newest.mtime.getTime() < FRESH_ENOUGH_MS) return { queued: 0, detail: `recent backup ${path.basename(newest.file)}` };
      const r = await backupDatabase(o.db.$client, path.join(o.dir, backupFileName(now)), o.photoDir);
      const removed = pruneBackups(o.dir, o.keep);
      o.log.info({ file: r.file, bytes: r.bytes, photosCopied: r.photos?.copied, removed: removed.length }, 'backup written');
      return { queued: 0, detail: r.file };
    },
  };
}

/**
 * Before a start applies new migrations, the database as it was is saved to the
 * backup directory, so an upgrade can always be undone with `zoufang restore`.
 * Refuses a database migrated by a newer Zoufang: this code would misread it.
 */
export async function backupBeforeMigrating(databasePath: string, dir: string, photoDir: string, now: Date): Promise<BackupResult | null> {
  if (!fs.existsSync(databasePath)) return null;
  const sqlite = openForBackup(databasePath);
  try {
    const status = migrationStatus(sqlite);
    if (status.newerThanCode) {
      throw new BackupError(
        `数据库已被更新版本的走访助手升级过，当前程序较旧，不能使用它。请升级程序（git pull && npm ci && npm run build），或用 zoufang restore 恢复升级前的备份。\n` +
          `The database was migrated by a newer Zoufang; upgrade this installation or restore the backup taken before the upgrade.`,
        2,
      );
    }
    if (!status.pending.length) return null;
    return await backupDatabase(sqlite, path.join(dir, backupFileName(now, `-before-${status.pending[0]}`)), photoDir);
  } finally {
    sqlite.close();
  }
}
