import { buildFeatures } from './app.js';
import { systemClock } from './clock.js';
import { ConfigError, loadConfig } from './config.js';
import { openDatabase } from './db/index.js';
import { CampaignRepo, PeopleRepo } from './db/repos.js';
import { Router } from './bot/router.js';
import { seedDemo } from './demo/seed.js';
import { CampaignDefinitionError } from './domain/campaign.js';
import { FeishuApi } from './feishu/api.js';
import { Outbox, enqueueOutbound } from './feishu/outbox.js';
import { createLogger } from './logger.js';
import { Scheduler } from './scheduler/index.js';

/**
 * `zoufang <command>` — admin tasks from a terminal. Errors are printed in
 * Chinese first and the exit code is non-zero, so scripts can rely on it.
 */

const USAGE = `用法 / usage: zoufang <command>
  migrate                          应用数据库迁移 / apply database migrations
  seed-demo                        写入演示名单和活动 / load the demo roster and campaign
  job list                         列出定时任务 / list scheduled jobs
  job run <name> [--at <ISO 时间>]  立即运行一个定时任务，如同在该时刻 / run one job as if it were that moment`;

class CliError extends Error {}

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i === -1) return undefined;
  const v = args[i + 1];
  if (!v || v.startsWith('--')) throw new CliError(`${name} 需要一个值 / ${name} needs a value`);
  return v;
}

export async function runCli(argv: string[], env: Record<string, string | undefined> = process.env): Promise<number> {
  const [command, sub, ...rest] = argv;
  const config = loadConfig(env);
  const log = createLogger(env.LOG_LEVEL ?? 'warn');
  switch (command) {
    case 'migrate': {
      openDatabase(config.databasePath).$client.close();
      console.log(`数据库已是最新 / database is up to date: ${config.databasePath}`);
      return 0;
    }
    case 'seed-demo': {
      const db = openDatabase(config.databasePath);
      const r = await seedDemo(db, systemClock.now());
      db.$client.close();
      console.log(`已写入演示数据 / demo data loaded: ${r.people} 人, ${r.zones} 个责任区`);
      return 0;
    }
    case 'job': {
      const db = openDatabase(config.databasePath);
      try {
        const people = new PeopleRepo(db);
        const send = (m: Parameters<typeof enqueueOutbound>[1]) => enqueueOutbound(db, m, Date.now());
        const router = new Router({ log, findPerson: (id) => people.byOpenId(id), send });
        const jobs = buildFeatures({ db, clock: systemClock, log, people, campaigns: new CampaignRepo(db), send, defaultBranchChatId: config.branchChatId }, router);
        const scheduler = new Scheduler(jobs, systemClock, log);
        if (sub === 'list') {
          for (const j of jobs) console.log(`${j.name}\t${j.description}`);
          return 0;
        }
        if (sub !== 'run' || !rest[0] || rest[0].startsWith('--')) throw new CliError(`缺少任务名 / missing job name\n${USAGE}`);
        const atText = option(rest, '--at');
        const at = atText ? new Date(atText) : undefined;
        if (at && Number.isNaN(at.getTime())) throw new CliError(`--at 不是有效的时间：${atText}（例如 2026-11-23T09:00:00+08:00）`);
        const result = await scheduler.run(rest[0], at).catch((e: Error) => {
          throw new CliError(e.message);
        });
        console.log(`${rest[0]}: 新排队 ${result.queued} 条消息 / queued ${result.queued} new message(s)`);
        if (config.lark && result.queued) {
          const outbox = new Outbox(db, new FeishuApi({ ...config.lark, logger: log }), log);
          await outbox.drain();
          console.log(`已发送 / delivered (see the outbox for any failure)`);
        } else if (result.queued) {
          console.log('沙盒模式：正在运行的机器人（npm start）会在一秒内发出这些消息。/ sandbox: the running bot delivers them.');
        }
        return 0;
      } finally {
        db.$client.close();
      }
    }
    default:
      throw new CliError(command ? `未知命令 / unknown command: ${command}\n${USAGE}` : USAGE);
  }
}

const isMain = process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!);
if (isMain) {
  runCli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      if (e instanceof ConfigError || e instanceof CliError || e instanceof CampaignDefinitionError) console.error(e.message);
      else console.error(e);
      process.exit(e instanceof CliError ? 64 : 1);
    },
  );
}
