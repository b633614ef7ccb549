import { FEATURES } from '../app.js';
import { openDatabase } from '../db/index.js';
import { CampaignRepo, PeopleRepo } from '../db/repos.js';
import { deliveryNotices } from '../features/delivery/index.js';
import { assemble } from '../features/feature.js';
import type { Job } from '../scheduler/job.js';
import { FeishuApi } from '../feishu/api.js';
import { Outbox, enqueueOutbound } from '../feishu/outbox.js';
import { runningBot } from '../ops/run-lock.js';
import { Scheduler } from '../scheduler/index.js';
import { CliError, command, group, type CliContext } from './command.js';

/** `zoufang job list|run`: the bot's scheduled jobs, run from a terminal. */

interface JobsAt {
  jobs: Job[];
  db: ReturnType<typeof openDatabase>;
  people: PeopleRepo;
  send: (m: Parameters<typeof enqueueOutbound>[1]) => ReturnType<typeof enqueueOutbound>;
}

/** The jobs of the bot's own feature list (no media here, so no photo job), with what they need to queue messages. */
async function withJobs(ctx: CliContext, use: (j: JobsAt) => Promise<number>): Promise<number> {
  const config = ctx.config();
  const log = ctx.log();
  const db = openDatabase(config.databasePath);
  try {
    const people = new PeopleRepo(db);
    const send = (m: Parameters<typeof enqueueOutbound>[1]) => enqueueOutbound(db, m, Date.now());
    const { jobs } = assemble(FEATURES, { db, clock: ctx.clock, log, people, campaigns: new CampaignRepo(db), send, defaultBranchChatId: config.branchChatId });
    return await use({ jobs, db, people, send });
  } finally {
    db.$client.close();
  }
}

export const jobCommand = group('job', '定时任务 / scheduled jobs', [
  command({
    name: 'list',
    summary: '列出定时任务 / list scheduled jobs',
    run: (_args, ctx) =>
      withJobs(ctx, async ({ jobs }) => {
        for (const j of jobs) ctx.io.out(`${j.name}\t${j.description}`);
        return 0;
      }),
  }),
  command({
    name: 'run',
    summary: '立即运行一个定时任务，如同在该时刻；digest 把该期汇总私信给管理员 / run one job as if it were that moment (digest: to the admins)',
    positionals: [{ name: 'name', label: 'name', help: '任务名，见 zoufang job list / a job, see zoufang job list' }],
    options: {
      at: { type: 'string', value: '<ISO 时间>', help: '如同在这一时刻运行，默认现在 / run as if it were this moment (default: now)' },
      post: { type: 'boolean', help: 'digest 发到党支部群，而不是私信管理员 / digest: post it to the branch group, not to the admins' },
    },
    run: (args, ctx) =>
      withJobs(ctx, async ({ jobs, db, people, send }) => {
        const at = args.at ? new Date(args.at) : undefined;
        if (at && Number.isNaN(at.getTime())) throw new CliError(`--at 不是有效的时间：${args.at}（例如 2026-11-23T09:00:00+08:00）`);
        const log = ctx.log();
        const scheduler = new Scheduler(jobs, ctx.clock, log);
        // An unknown name is the operator's mistake (exit 64); a job that fails is not, and keeps its stack for LOG_LEVEL=debug.
        const result = await scheduler.run(args.name, at, { onDemand: true, post: !!args.post }).catch((e: Error) => {
          throw scheduler.names().includes(args.name) ? e : new CliError(e.message);
        });
        ctx.io.out(`${args.name}: 新排队 ${result.queued} 条消息 / queued ${result.queued} new message(s)`);
        if (args.name === 'digest' && !args.post)
          ctx.io.out('汇总已私信管理员；加 --post 才发到党支部群。/ Sent to the admins privately; add --post to post it to the group.');
        const { lark, databasePath } = ctx.config();
        // One process sends per database, or together they could pass Feishu's 50 per second.
        const bot = lark && result.queued ? runningBot(databasePath) : null;
        if (bot) {
          ctx.io.out(`正在运行的机器人会发出这些消息（进程 ${bot.pid}，${bot.hostname}）。/ the running bot delivers them.`);
        } else if (lark && result.queued) {
          const onUndeliverable = deliveryNotices({ people, log, send });
          await new Outbox(db, new FeishuApi({ ...lark, logger: log }), log, { onUndeliverable }).drain();
          ctx.io.out(`已发送 / delivered (see the outbox for any failure)`);
        } else if (result.queued) {
          ctx.io.out('沙盒模式：正在运行的机器人（npm start）会在一秒内发出这些消息。/ sandbox: the running bot delivers them.');
        }
        return 0;
      }),
  }),
]);
