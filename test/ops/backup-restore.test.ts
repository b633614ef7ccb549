import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { openDatabase } from '../../src/db/index.js';
import { createLogger } from '../../src/logger.js';
import { backupBeforeMigrating, backupJob, BackupError, listBackups, openForBackup } from '../../src/ops/backup.js';
import { backupCommand, restoreCommand } from '../../src/ops/commands.js';
import { runLockFile } from '../../src/ops/run-lock.js';
import { cst, startHarness, type Harness } from '../helpers/harness.js';
import { tmpDir, transcript } from './helpers.js';
import { zoneReportRows } from '../helpers/zone-reports.js';

/** `zoufang backup` and `zoufang restore`: online backup, photos included, and a restore that gives back exactly what was saved. */

const FORM = { overall_state: '楼道整洁', student_talks: '与 3 名学生谈心', problems: '二楼灯管损坏', remarks: '' };
/** Enough of a PNG for Feishu and the photo store to take it as one. */
const photo = () => Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytes(256)]);

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** Every row of every table, to compare databases. */
function dump(file: string): Record<string, unknown[]> {
  const db = new Database(file, { readonly: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as Array<{
      name: string;
    }>;
    return Object.fromEntries(tables.map(({ name }) => [name, db.prepare(`SELECT * FROM "${name}" ORDER BY rowid`).all()]));
  } finally {
    db.close();
  }
}

function filesUnder(dir: string): string[] {
  return fs.existsSync(dir) ? (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(dir, f)).isFile()).sort() : [];
}

/** A migrated, empty database file in `dir`. */
function freshDatabase(dir: string): string {
  const file = path.join(dir, 'fresh.db');
  openDatabase(file).$client.close();
  return file;
}

async function submitZoneReport(name: string) {
  const cards = h!.cardsTo(name);
  await h!.click(name, cards[cards.length - 1]!.messageId, '提交', FORM);
}

describe('backup and restore', () => {
  it('backs up while the bot runs, refuses to restore under a running bot, then restores exactly what was saved, photos included', async () => {
    h = await startHarness({ transport: 'ws', at: cst('2026-11-11T10:00:00') });
    h.clock.set(cst('2026-11-13T16:00:00'));
    await h.runJob('zone-report-push');
    await submitZoneReport('王建国');
    await h.standIn.sendImage(h.openId('王建国'), photo());
    await h.settle();
    const photos = filesUnder(h.photoDir);
    expect(photos).toHaveLength(1);

    const backups = tmpDir();
    const config = loadConfig({ DATABASE_PATH: h.dbFile, PHOTO_DIR: h.photoDir, BACKUP_DIR: backups });
    const taken = transcript();
    expect(await backupCommand(config, undefined, taken.io)).toBe(0);
    const [backup] = listBackups(backups);
    expect(taken.text()).toContain(`已备份 / backed up: ${backup!.file}`);
    expect(taken.text()).toContain('新增 1 张，共 1 张');
    const saved = dump(h.dbFile);
    const photoBytes = fs.readFileSync(path.join(h.photoDir, photos[0]!));

    // Life goes on after the backup; then the photo directory is lost.
    await submitZoneReport('李秀英');
    expect(zoneReportRows(h.db)).toHaveLength(2);
    fs.rmSync(h.photoDir, { recursive: true });

    // A bot still using the database (another process on this machine) blocks the restore.
    const bot = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
    fs.writeFileSync(runLockFile(h.dbFile), JSON.stringify({ pid: bot.pid, hostname: os.hostname(), startedAt: '2026-11-13T08:00:00.000Z' }));
    const refused = transcript();
    expect(await restoreCommand(config, backup!.file, refused.io)).toBe(75);
    expect(refused.text()).toContain(`走访助手正在运行（进程 ${bot.pid}`);
    expect(refused.text()).toContain('sudo systemctl stop zoufang');
    bot.kill();
    await new Promise((r) => bot.once('exit', r));
    await h.stopBot();

    // Its lock names a process that is gone: the restore goes ahead.
    const restored = transcript();
    expect(await restoreCommand(config, backup!.file, restored.io)).toBe(0);
    expect(restored.text()).toContain('责任区报表 1');
    expect(restored.text()).toContain('补回 1 张');
    expect(dump(h.dbFile)).toEqual(saved);
    expect(fs.readFileSync(path.join(h.photoDir, photos[0]!))).toEqual(photoBytes);

    // The database it replaced is kept, with what was written after the backup.
    const kept = fs.readdirSync(path.dirname(h.dbFile)).find((f) => f.startsWith('zoufang.db.before-restore-') && !f.endsWith('-wal') && !f.endsWith('-shm'));
    expect(restored.text()).toContain(`原数据库保留为 / the previous database is kept as ${path.join(path.dirname(h.dbFile), kept!)}`);
    expect(dump(path.join(path.dirname(h.dbFile), kept!)).records!.filter((r) => (r as { form: string }).form === 'zone-report')).toHaveLength(2);
  });

  it('validates the file first: not SQLite, not Zoufang, from a newer version, missing', async () => {
    const dir = tmpDir();
    const dbPath = path.join(dir, 'zoufang.db');
    const config = loadConfig({ DATABASE_PATH: dbPath, PHOTO_DIR: path.join(dir, 'photos') });
    const restore = async (file: string) => {
      const out = transcript();
      return { code: await restoreCommand(config, file, out.io), text: out.text() };
    };

    const text = path.join(dir, 'notes.db');
    fs.writeFileSync(text, '这不是数据库');
    expect(await restore(text)).toEqual({ code: 65, text: expect.stringContaining('不是 SQLite 数据库文件') });

    const other = path.join(dir, 'other.db');
    new Database(other).exec('CREATE TABLE customers (id INTEGER)');
    expect(await restore(other)).toEqual({ code: 65, text: expect.stringContaining('这不是走访助手的数据库（缺少 __drizzle_migrations、campaigns') });

    const source = openForBackup(freshDatabase(dir));
    source.exec("INSERT INTO __drizzle_migrations (hash, created_at) VALUES ('future', 99999999999999)");
    source.close();
    expect(await restore(path.join(dir, 'fresh.db'))).toEqual({ code: 65, text: expect.stringContaining('这个备份来自更新版本的走访助手') });

    expect((await restore(path.join(dir, 'missing.db'))).code).toBe(66);
    expect(fs.existsSync(dbPath)).toBe(false); // nothing was touched
  });
});

describe('scheduled backups', () => {
  it('back up once a day (a restart the same day adds none), catch up after a missed night, and keep BACKUP_KEEP files', async () => {
    h = await startHarness({ transport: 'ws', at: new Date() });
    const dir = tmpDir();
    const job = backupJob({ dir, at: '02:30', keep: 2, db: h.db, photoDir: h.photoDir, log: createLogger('silent') });
    expect(await job.triggers()).toEqual([{ cron: '30 2 * * *', timezone: 'Asia/Shanghai' }]);
    const now = Date.now();
    const runAt = async (hoursFromNow: number) => (await job.run(new Date(now + hoursFromNow * 3600_000))).detail;

    expect(await runAt(0)).toMatch(/zoufang-\d{8}-\d{6}\.db$/);
    expect(await runAt(3)).toMatch(/^recent backup/); // a restart later that day
    // Each earlier backup is a day older than it was: every night's run writes one.
    const age = (days: number) => {
      for (const b of listBackups(dir)) fs.utimesSync(b.file, new Date(b.mtime.getTime() - days * 86400_000), new Date(b.mtime.getTime() - days * 86400_000));
    };
    age(1);
    expect(await runAt(1)).toMatch(/\.db$/);
    age(1);
    expect(await runAt(2)).toMatch(/\.db$/);
    const kept = listBackups(dir);
    expect(kept).toHaveLength(2);
    expect(new Database(kept[0]!.file, { readonly: true }).pragma('journal_mode', { simple: true })).toBe('delete'); // one self-contained file
  });

  it('an upgrade backs the database up before new migrations apply, and refuses one a newer version migrated', async () => {
    const dir = tmpDir();
    const file = freshDatabase(dir);
    const now = new Date();
    expect(await backupBeforeMigrating(file, path.join(dir, 'backups'), path.join(dir, 'photos'), now)).toBeNull(); // nothing pending

    const db = new Database(file);
    const last = db.prepare('SELECT max(created_at) AS at FROM __drizzle_migrations').get() as { at: number };
    db.prepare('DELETE FROM __drizzle_migrations WHERE created_at = ?').run(last.at);
    db.close();
    const journal = JSON.parse(fs.readFileSync('migrations/meta/_journal.json', 'utf8')) as { entries: Array<{ tag: string }> };
    const saved = await backupBeforeMigrating(file, path.join(dir, 'backups'), path.join(dir, 'photos'), now);
    expect(path.basename(saved!.file)).toMatch(new RegExp(`-before-${journal.entries.at(-1)!.tag}\\.db$`));

    const newer = new Database(file);
    newer.prepare('INSERT INTO __drizzle_migrations (hash, created_at) VALUES (?, ?)').run('future', 99999999999999);
    newer.close();
    await expect(backupBeforeMigrating(file, path.join(dir, 'backups'), path.join(dir, 'photos'), now)).rejects.toThrow(BackupError);
    await expect(backupBeforeMigrating(file, path.join(dir, 'backups'), path.join(dir, 'photos'), now)).rejects.toThrow('数据库已被更新版本的走访助手升级过');
  });
});
