import path from 'node:path';
import { systemClock } from '../clock.js';
import type { Config } from '../config.js';
import { BackupError, backupDatabase, backupFileName, openForBackup } from './backup.js';
import { runDoctor } from './doctor.js';
import { envFilePath } from './env-file.js';
import { consoleIo, type Io } from './io.js';
import { createPrompter } from './prompt.js';
import { restoreDatabase } from './restore.js';
import { runSetup } from './setup.js';

/** The operator commands of `zoufang` (see cli.ts); each returns the exit code. */

export const OPS_USAGE = `  setup [--manual] [--transport ws|webhook]
                                   创建（扫码一键创建）或填写飞书应用，写入 .env / create or enter the Feishu app
  doctor                           逐项检查部署，并给出每个问题的修复方法 / check the deployment
  backup [文件.db]                  在线备份数据库和照片（默认到 BACKUP_DIR）/ back up the database and photos
  restore <文件.db>                 从备份恢复（先停止机器人）/ restore a backup (stop the bot first)`;

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i === -1 ? undefined : args[i + 1];
}

export async function setupCommand(args: string[], env: Record<string, string | undefined>, io: Io = consoleIo): Promise<number> {
  const transport = flag(args, '--transport');
  if (transport !== undefined && transport !== 'ws' && transport !== 'webhook') {
    io.err('--transport 只能是 ws 或 webhook / --transport must be ws or webhook');
    return 64;
  }
  return runSetup({ envFile: envFilePath(env), env, io, prompter: createPrompter(process.stdin, process.stdout), manual: args.includes('--manual'), transport });
}

export async function doctorCommand(env: Record<string, string | undefined>, io: Io = consoleIo): Promise<number> {
  return (await runDoctor({ env, envFile: envFilePath(env), clock: systemClock, io })).code;
}

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

export async function restoreCommand(config: Config, file: string | undefined, io: Io = consoleIo): Promise<number> {
  if (!file) {
    io.err('缺少备份文件 / missing file: zoufang restore <文件.db>');
    return 64;
  }
  return restoreDatabase({ from: file, databasePath: config.databasePath, photoDir: config.photoDir, now: systemClock.now(), io });
}
