import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { openDatabase } from '../db/index.js';
import { formatLocal } from '../domain/time.js';
import { BACKUP_TIMEZONE, BackupError, mirrorPhotos } from './backup.js';
import type { Io } from './io.js';
import { migrationStatus } from './migrations.js';
import { runningBot } from './run-lock.js';

/** Tables every Zoufang database has had since its first migration. */
const CORE_TABLES = ['__drizzle_migrations', 'campaigns', 'people', 'outbox', 'inbound_events'];
/** What a restore names, counted in the backup: a table, and the rows of it that make the thing. */
const COUNTED: Array<{ label: string; table: string; where?: string }> = [
  { label: '活动', table: 'campaigns' },
  { label: '人员', table: 'people' },
  // Zone reports became records in migration 0010; a backup taken before still has their own table.
  { label: '责任区报表', table: 'zone_reports' },
  { label: '责任区报表', table: 'records', where: "form = 'zone-report'" },
  { label: '记录', table: 'records', where: "form <> 'zone-report'" },
  { label: '照片', table: 'photos' },
];

export interface BackupSummary {
  counts: Array<{ label: string; n: number }>;
  pendingMigrations: string[];
}

/** Checks that `file` is a sound Zoufang database this version can read; throws a BackupError saying what is wrong. */
export function inspectBackup(file: string): BackupSummary {
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw new BackupError(`找不到备份文件 / no such file: ${file}`, 66);
  const head = Buffer.alloc(16);
  const fd = fs.openSync(file, 'r');
  try {
    fs.readSync(fd, head, 0, 16, 0);
  } finally {
    fs.closeSync(fd);
  }
  if (head.toString('latin1') !== 'SQLite format 3\0') throw new BackupError(`不是 SQLite 数据库文件 / not an SQLite database: ${file}`, 65);
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch (e) {
    throw new BackupError(`无法打开备份文件 / cannot open ${file}: ${(e as Error).message}`, 65);
  }
  try {
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new BackupError(`备份文件已损坏 / the backup is damaged: ${String(check)}`, 65);
    const tables = new Set((db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>).map((t) => t.name));
    const missing = CORE_TABLES.filter((t) => !tables.has(t));
    if (missing.length) throw new BackupError(`这不是走访助手的数据库（缺少 ${missing.join('、')}）/ not a Zoufang database: ${file}`, 65);
    const status = migrationStatus(db);
    if (status.newerThanCode)
      throw new BackupError(`这个备份来自更新版本的走访助手，请先升级程序再恢复 / the backup comes from a newer Zoufang; upgrade first`, 65);
    // An old backup counts its zone reports in their own table, a new one among the records: one line either way.
    const counts: BackupSummary['counts'] = [];
    for (const c of COUNTED.filter((x) => tables.has(x.table))) {
      const n = (db.prepare(`SELECT count(*) AS n FROM "${c.table}"${c.where ? ` WHERE ${c.where}` : ''}`).get() as { n: number }).n;
      const same = counts.find((x) => x.label === c.label);
      if (same) same.n += n;
      else counts.push({ label: c.label, n });
    }
    return { counts, pendingMigrations: status.pending };
  } finally {
    db.close();
  }
}

export interface RestoreOptions {
  from: string;
  databasePath: string;
  photoDir: string;
  now: Date;
  io: Io;
}

/**
 * Replaces the database with a backup. The current file (with its -wal and
 * -shm, which belong to it) is kept beside it as `.before-restore-<time>`;
 * the backup is copied in and migrated to this version; photos missing from
 * PHOTO_DIR come back from the `photos/` folder beside the backup.
 * Returns the exit code.
 */
export async function restoreDatabase(o: RestoreOptions): Promise<number> {
  const { io } = o;
  let summary: BackupSummary;
  try {
    summary = inspectBackup(o.from);
  } catch (e) {
    if (e instanceof BackupError) {
      io.err(e.message);
      return e.exitCode;
    }
    throw e;
  }
  const running = runningBot(o.databasePath);
  if (running) {
    io.err(
      running.sure
        ? `走访助手正在运行（进程 ${running.pid}，${running.startedAt} 启动）并使用 ${o.databasePath}，不能在它运行时恢复。\n` +
            `请先停止它：sudo systemctl stop zoufang（Docker：docker stop <容器>），再运行本命令，完成后再启动。\n` +
            `The bot (pid ${running.pid}) is using this database. Stop it first, run restore, then start it again.`
        : `数据库可能正被主机 ${running.hostname} 上的走访助手（进程 ${running.pid}）使用。请先停止它；如果确认它已停止，删除 ${running.file} 后重试。\n` +
            `A bot on host ${running.hostname} may be using this database. Stop it; if it is surely stopped, delete ${running.file} and try again.`,
    );
    return 75; // EX_TEMPFAIL: fine once the bot is stopped
  }

  const target = path.resolve(o.databasePath);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  let keptAs: string | null = null;
  if (fs.existsSync(target)) {
    keptAs = `${target}.before-restore-${formatLocal(o.now, BACKUP_TIMEZONE, 'YYYYMMDD-HHmmss')}`;
    for (const suffix of ['', '-wal', '-shm']) if (fs.existsSync(target + suffix)) fs.renameSync(target + suffix, keptAs + suffix);
  }
  fs.copyFileSync(o.from, `${target}.restoring`);
  fs.renameSync(`${target}.restoring`, target);
  const db = openDatabase(target); // applies the migrations a backup from an older version lacks
  let missingPhotos: string[];
  const photosBeside = path.join(path.dirname(path.resolve(o.from)), 'photos');
  const photos = await mirrorPhotos(photosBeside, o.photoDir);
  try {
    const paths = db.$client.prepare("SELECT path FROM photos WHERE status = 'stored' AND path IS NOT NULL").all() as Array<{ path: string }>;
    missingPhotos = paths.map((p) => p.path).filter((p) => !fs.existsSync(path.join(o.photoDir, ...p.split('/'))));
  } finally {
    db.$client.close();
  }

  io.out(`已从 ${o.from} 恢复数据库 / database restored to ${target}`);
  io.out(`  ${summary.counts.map((c) => `${c.label} ${c.n}`).join('，')}`);
  if (summary.pendingMigrations.length) io.out(`  已升级到当前版本 / migrated: ${summary.pendingMigrations.join(', ')}`);
  if (keptAs) io.out(`  原数据库保留为 / the previous database is kept as ${keptAs}`);
  io.out(
    fs.existsSync(photosBeside)
      ? `  照片：从 ${photosBeside} 补回 ${photos.copied} 张 / photos restored: ${photos.copied}`
      : `  备份旁没有 photos/ 目录，照片未恢复 / no photos/ folder beside the backup`,
  );
  if (missingPhotos.length) {
    io.out(
      `  注意：仍有 ${missingPhotos.length} 张照片不在 ${o.photoDir}（例如 ${missingPhotos[0]}），请从其他备份复制到该目录 / ${missingPhotos.length} photos are still missing`,
    );
  }
  io.out('现在可以启动机器人 / now start the bot: sudo systemctl start zoufang');
  return 0;
}
