import path from 'node:path';
import { systemClock } from '../clock.js';
import { CliError, command, type Command } from '../cli/command.js';
import type { Config } from '../config.js';
import { openDatabase } from '../db/index.js';
import { BackupError, backupDatabase, backupFileName, openForBackup } from './backup.js';
import { runDoctor } from './doctor.js';
import { envFilePath } from './env-file.js';
import { consoleIo, type Io } from './io.js';
import { createPrompter } from './prompt.js';
import { restoreDatabase } from './restore.js';
import { runSetup } from './setup.js';
import { loadCampaignFile } from '../domain/campaign-file.js';

/** The operator commands of `zoufang` (see cli.ts). */

export const migrateCommand = command({
  name: 'migrate',
  summary: '应用数据库迁移 / apply database migrations',
  run: (_args, { io, config }) => {
    const { databasePath } = config();
    openDatabase(databasePath).$client.close();
    io.out(`数据库已是最新 / database is up to date: ${databasePath}`);
    return 0;
  },
});

// Setup and doctor work on a missing or broken configuration: that is what they are for.
const setup = command({
  name: 'setup',
  summary: '创建（扫码一键创建）或填写飞书应用，写入 .env / create or enter the Feishu app',
  options: {
    manual: { type: 'boolean', help: "不扫码，填写已有应用的凭据 / enter an existing app's credentials instead of scanning" },
    transport: { type: 'string', value: 'ws|webhook', help: '接收事件的方式，默认 ws（长连接）/ how events arrive (default: ws, the long connection)' },
  },
  run: async (args, { env, io }) => {
    const transport = args.transport;
    if (transport !== undefined && transport !== 'ws' && transport !== 'webhook')
      throw new CliError('--transport 只能是 ws 或 webhook / --transport must be ws or webhook');
    // With the campaign file already written, the menu printed is that campaign's; a broken file is doctor's to report.
    const campaign = env.CAMPAIGN_FILE ? await loadCampaignFile(env.CAMPAIGN_FILE).catch(() => undefined) : undefined;
    return runSetup({ envFile: envFilePath(env), env, io, prompter: createPrompter(process.stdin, process.stdout), manual: args.manual, transport, campaign });
  },
});

const doctor = command({
  name: 'doctor',
  summary: '逐项检查部署，并给出每个问题的修复方法 / check the deployment',
  run: async (_args, { env, io, clock }) => (await runDoctor({ env, envFile: envFilePath(env), clock, io })).code,
});

export async function backupCommand(config: Config, file: string | undefined, io: Io = consoleIo): Promise<number> {
  const to = file ?? path.join(config.backup.dir, backupFileName(systemClock.now()));
  try {
    const sqlite = openForBackup(config.databasePath);
    try {
      const r = await backupDatabase(sqlite, to, config.photoDir);
      io.out(`已备份 / backed up: ${r.file}（${(r.bytes / 1024 / 1024).toFixed(1)} MB）`);
      if (r.photos) io.out(`照片 / photos: 新增 ${r.photos.copied} 张，共 ${r.photos.total} 张 → ${r.photos.dir}`);
      io.out('把整个备份目录（含 photos/）复制到另一台机器或网盘保存 / copy the whole folder, photos/ included, off this server');
      return 0;
    } finally {
      sqlite.close();
    }
  } catch (e) {
    if (e instanceof BackupError) {
      io.err(e.message);
      return e.exitCode;
    }
    throw e;
  }
}

export async function restoreCommand(config: Config, file: string, io: Io = consoleIo): Promise<number> {
  return restoreDatabase({ from: file, databasePath: config.databasePath, photoDir: config.photoDir, now: systemClock.now(), io });
}

const backup = command({
  name: 'backup',
  summary: '在线备份数据库和照片（默认到 BACKUP_DIR）/ back up the database and photos',
  positionals: [
    { name: 'file', label: '文件.db', optional: true, help: '备份到这个文件，照片到它旁边的 photos/ / the backup file; photos go to photos/ beside it' },
  ],
  run: (args, { io, config }) => backupCommand(config(), args.file, io),
});

const restore = command({
  name: 'restore',
  summary: '从备份恢复（先停止机器人）/ restore a backup (stop the bot first)',
  positionals: [{ name: 'file', label: '文件.db' }],
  run: (args, { io, config }) => restoreCommand(config(), args.file, io),
});

export const OPS_COMMANDS: readonly Command[] = [setup, doctor, backup, restore];
