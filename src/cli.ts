import { buildFeatures } from './app.js';
import { systemClock } from './clock.js';
import { ConfigError, loadConfig } from './config.js';
import { openDatabase } from './db/index.js';
import { CampaignRepo, PeopleRepo } from './db/repos.js';
import { Router } from './bot/router.js';
import { seedDemo } from './demo/seed.js';
import { DISTRICT_SIZE, seedDistrict } from './demo/district.js';
import { people } from './db/schema.js';
import fs from 'node:fs/promises';
import { CampaignDefinitionError, type CampaignDefinition } from './domain/campaign.js';
import { loadCampaignFile } from './domain/campaign-file.js';
import { uncoveredYears } from './domain/calendar.js';
import { PRESETS, UnknownPresetError, findPreset, presetDefinition } from './domain/presets.js';
import { generateDemoRoster } from './demo/roster.js';
import { formatImportReport, importRoster } from './roster/import.js';
import { RosterFileError, kindForName, readRosterFile } from './roster/read.js';
import { SHEETS, SHEET_KINDS, type SheetKind } from './roster/sheets.js';
import { rosterStatus } from './roster/status.js';
import { templateFileName, writeRosterWorkbook, writeTemplate } from './roster/template.js';
import { FeishuApi } from './feishu/api.js';
import { Outbox, decideHeld, enqueueOutbound, heldMessages } from './feishu/outbox.js';
import { deliveryNotices, purposeInWords } from './features/delivery/index.js';
import { createLogger } from './logger.js';
import { OPS_USAGE, backupCommand, doctorCommand, restoreCommand, setupCommand } from './ops/commands.js';
import { EXPORT_USAGE, exportCommand } from './export/cli.js';
import { loadEnvFile } from './ops/env-file.js';
import { Scheduler } from './scheduler/index.js';
import { runningBot } from './ops/run-lock.js';

/**
 * `zoufang <command>` — admin tasks from a terminal. Errors are printed in
 * Chinese first and the exit code is non-zero, so scripts can rely on it.
 */

const USAGE = `用法 / usage: zoufang <command>
  migrate                          应用数据库迁移 / apply database migrations
  campaign presets                 列出内置预设 / list the built-in presets
  campaign init --preset <名称> [--year YYYY] [--id ID] [--branch-chat oc_…] [--term-meeting YYYY-MM-DD] [--out 文件.json]
                                   按预设建立活动 / create a campaign from a preset
  campaign load <文件.json>         载入或更新活动配置 / load or update a campaign definition
  campaign list                    列出活动 / list campaigns
  template <kind|all> [--out 文件]  生成带说明的空白名单模板 / write an empty, documented roster template
                                   kind: classes 班级 | members 成员 | dorms 宿舍 | zones 责任区 | targets 走访对象
  import <文件.xlsx|.csv> [--campaign ID] [--kind KIND] [--dry-run]
                                   导入名单；有任何错误时不做修改 / import a roster; any error changes nothing
  roster status [--campaign ID]    名单与分配情况：未分配的宿舍、责任区，未认满的老师 / what is still unassigned
  demo-roster [--preset 名称] [--year YYYY] [--out 文件.xlsx]
                                   生成虚构的演示名单 / write a synthetic demo roster
  seed-demo                        写入演示名单和活动 / load the demo roster and campaign
  seed-district [--teachers N] [--targets N] [--records N] [--at <ISO 时间>]
                                   向空数据库写入区级规模的虚构数据（基准测试用，默认 1000/10000/100000）
                                   / fill an empty database with synthetic district-scale data (for benchmarks)
${EXPORT_USAGE}
${OPS_USAGE}
  outbox held                      列出飞书故障后暂停重发的消息 / list messages held after a Feishu outage
  outbox release <编号…|all>        重新发送（收件人可能收到两份）/ send them again (a receiver may get two)
  outbox drop <编号…|all>           不再发送 / give them up
  job list                         列出定时任务 / list scheduled jobs
  job run <name> [--at <ISO 时间>]  立即运行一个定时任务，如同在该时刻；digest 会重发该期汇总 / run one job as if it were that moment (digest re-sends)
  help, --help                     显示本说明 / show this usage`;

class CliError extends Error {}

/** The campaign a command is about: the one named, else the only one stored. */
async function pickCampaign(repo: CampaignRepo, id: string | undefined) {
  const all = await repo.all();
  if (id) {
    const c = all.find((x) => x.def.id === id);
    if (!c) throw new CliError(`没有 id 为 ${id} 的活动。已有 / existing: ${all.map((x) => x.def.id).join(', ') || '（无）'}`);
    return c.def;
  }
  if (all.length === 1) return all[0]!.def;
  if (!all.length) throw new CliError('还没有活动，请先运行 zoufang campaign init --preset <名称> / no campaign yet: run campaign init first');
  throw new CliError(`有多个活动，请用 --campaign 指定：${all.map((x) => x.def.id).join(', ')} / several campaigns: choose one with --campaign`);
}

function sheetKind(text: string | undefined): SheetKind | undefined {
  if (text === undefined) return undefined;
  const k = kindForName(text);
  if (!k) throw new CliError(`未知的名单类型 ${text}（可用：${SHEET_KINDS.map((x) => `${x} ${SHEETS[x].title}`).join('，')}）/ unknown kind`);
  return k;
}

function yearOption(args: string[], now: Date): number {
  const text = option(args, '--year');
  if (text === undefined) return now.getFullYear();
  if (!/^\d{4}$/.test(text)) throw new CliError(`--year 应为四位年份，例如 2027 / --year must be a year: ${text}`);
  return Number(text);
}

function presetOf(args: string[], fallback?: string) {
  const name = option(args, '--preset') ?? fallback;
  if (!name) throw new CliError(`缺少 --preset。可选：${PRESETS.map((p) => `${p.name}（${p.aliases[0]}）`).join('，')}`);
  const p = findPreset(name);
  if (!p) throw new CliError(new UnknownPresetError(name).message);
  return p;
}

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i === -1) return undefined;
  const v = args[i + 1];
  if (!v || v.startsWith('--')) throw new CliError(`${name} 需要一个值 / ${name} needs a value`);
  return v;
}

export async function runCli(argv: string[], env: Record<string, string | undefined> = process.env): Promise<number> {
  const [command, sub, ...rest] = argv;
  // Asking for the usage is no mistake: it goes to stdout and succeeds, whatever the configuration.
  if (command === 'help' || command === '--help' || command === '-h') {
    console.log(USAGE);
    return 0;
  }
  // These two work on a missing or broken configuration: that is what they are for.
  if (command === 'setup') return setupCommand(argv.slice(1), env);
  if (command === 'doctor') return doctorCommand(env);
  const config = loadConfig(env);
  const log = createLogger(env.LOG_LEVEL ?? 'warn');
  switch (command) {
    case 'migrate': {
      openDatabase(config.databasePath).$client.close();
      console.log(`数据库已是最新 / database is up to date: ${config.databasePath}`);
      return 0;
    }
    case 'campaign': {
      if (sub === 'presets') {
        for (const p of PRESETS) console.log(`${p.name}\t${p.aliases.join(' / ')}\t${p.title}（${p.source}）`);
        return 0;
      }
      const db = openDatabase(config.databasePath);
      try {
        const repo = new CampaignRepo(db);
        if (sub === 'list') {
          const all = await repo.all();
          if (!all.length) console.log('还没有活动 / no campaigns yet');
          for (const c of all) console.log(`${c.def.id}\t${c.def.name}\t${c.def.window.start} ~ ${c.def.window.end}${c.def.preset ? `\t预设 ${c.def.preset}` : ''}`);
          return 0;
        }
        let def: CampaignDefinition;
        if (sub === 'init') {
          const p = presetOf(rest);
          const termMeeting = option(rest, '--term-meeting');
          def = presetDefinition(p.name, {
            year: yearOption(rest, systemClock.now()),
            id: option(rest, '--id'),
            branchChatId: option(rest, '--branch-chat') ?? config.branchChatId,
            termMeeting,
          });
          const out = option(rest, '--out');
          if (out) {
            await fs.writeFile(out, `${JSON.stringify(def, null, 2)}\n`);
            console.log(`已写出活动配置，可编辑后用 campaign load 载入 / definition written: ${out}`);
          }
        } else if (sub === 'load') {
          if (!rest[0] || rest[0].startsWith('--')) throw new CliError(`缺少文件名 / missing file\n${USAGE}`);
          def = await loadCampaignFile(rest[0]);
        } else throw new CliError(`未知的 campaign 子命令 / unknown subcommand: ${sub ?? ''}\n${USAGE}`);
        await repo.save(def);
        console.log(`活动已保存 / campaign saved: ${def.id} ${def.name}（${def.window.start} ~ ${def.window.end}）`);
        for (const y of uncoveredYears(def)) {
          console.log(`注意：节假日数据尚未包含 ${y} 年（国务院通常在上一年 11 月公布），请更新依赖或在 calendar.extraHolidays 中补充 / holiday data for ${y} is not published yet`);
        }
        if (!def.branchChatId) console.log('提示：未设置党支部群（--branch-chat 或 BRANCH_CHAT_ID），群消息将不会发出 / no branch group set');
        return 0;
      } finally {
        db.$client.close();
      }
    }
    case 'template': {
      const kind = sub === 'all' ? 'all' : sheetKind(sub ?? '');
      if (!sub || !kind) throw new CliError(`缺少名单类型 / missing kind\n${USAGE}`);
      const out = option(rest, '--out') ?? templateFileName(kind);
      if (!out.toLowerCase().endsWith('.xlsx')) throw new CliError('模板只能写成 .xlsx 文件 / templates are .xlsx files');
      await writeTemplate(out, kind);
      console.log(`已生成模板 / template written: ${out}（填写后运行 zoufang import ${out}）`);
      return 0;
    }
    case 'import': {
      const file = sub;
      if (!file || file.startsWith('--')) throw new CliError(`缺少文件名 / missing file\n${USAGE}`);
      const sheets = await readRosterFile(file, sheetKind(option(rest, '--kind'))).catch((e: Error) => {
        throw e instanceof RosterFileError ? new CliError(e.message) : e;
      });
      const db = openDatabase(config.databasePath);
      try {
        const campaign = await pickCampaign(new CampaignRepo(db), option(rest, '--campaign'));
        const api = config.lark ? new FeishuApi({ ...config.lark, logger: log }) : undefined;
        const dryRun = rest.includes('--dry-run');
        const report = await importRoster(sheets, { db, campaign, now: systemClock.now(), dryRun, lookup: api && ((q) => api.openIdsByContact(q)) });
        const text = formatImportReport(report, file, dryRun);
        if (report.problems.length) {
          console.error(text);
          return 65; // EX_DATAERR: the file, not the command, needs fixing
        }
        console.log(text);
        return 0;
      } finally {
        db.$client.close();
      }
    }
    case 'roster': {
      if (sub !== 'status') throw new CliError(`未知的 roster 子命令 / unknown subcommand: ${sub ?? ''}\n${USAGE}`);
      const db = openDatabase(config.databasePath);
      try {
        const campaign = await pickCampaign(new CampaignRepo(db), option(rest, '--campaign'));
        console.log((await rosterStatus(db, campaign)).join('\n'));
        return 0;
      } finally {
        db.$client.close();
      }
    }
    case 'demo-roster': {
      const args = [sub, ...rest].filter((x): x is string => x !== undefined);
      const p = presetOf(args, 'wei-xingdong');
      const def = presetDefinition(p.name, { year: yearOption(args, systemClock.now()) });
      const out = option(args, '--out') ?? `演示名单-${p.name}.xlsx`;
      const roster = generateDemoRoster(def);
      await writeRosterWorkbook(out, roster);
      const counts = SHEET_KINDS.map((k) => `${SHEETS[k].title} ${roster[k].length}`).join('，');
      console.log(`已生成虚构的演示名单 / synthetic demo roster written: ${out}（${counts}）`);
      return 0;
    }
    case 'seed-demo': {
      const db = openDatabase(config.databasePath);
      const r = await seedDemo(db, systemClock.now());
      db.$client.close();
      console.log(`已写入演示数据 / demo data loaded: ${r.people} 人, ${r.zones} 个责任区`);
      return 0;
    }
    case 'seed-district': {
      const args = [sub, ...rest].filter((x): x is string => x !== undefined);
      const count = (flag: string, fallback: number) => {
        const text = option(args, flag);
        if (text === undefined) return fallback;
        if (!/^[1-9]\d*$/.test(text)) throw new CliError(`${flag} 应为正整数 / ${flag} must be a positive whole number: ${text}`);
        return Number(text);
      };
      const atText = option(args, '--at');
      const at = atText ? new Date(atText) : systemClock.now();
      if (Number.isNaN(at.getTime())) throw new CliError(`--at 不是有效的时间：${atText}（例如 2026-11-17T10:00:00+08:00）`);
      const size = { teachers: count('--teachers', DISTRICT_SIZE.teachers), targets: count('--targets', DISTRICT_SIZE.targets), records: count('--records', DISTRICT_SIZE.records) };
      // An admin, a leader for each department of seed 002's table, and at least one class teacher.
      if (size.teachers < 7) throw new CliError(`--teachers 至少为 7（1 位管理员、5 个部门各 1 位领导、至少 1 位班主任）/ --teachers must be at least 7: ${size.teachers}`);
      const db = openDatabase(config.databasePath);
      try {
        // Synthetic people must never mix with a school's real roster.
        if (db.select({ id: people.id }).from(people).limit(1).get()) {
          throw new CliError(`数据库 ${config.databasePath} 里已有人员；seed-district 只写入空数据库，请用 DATABASE_PATH 指定一个新文件。/ the database is not empty`);
        }
        const r = await seedDistrict(db, at, size);
        console.log(`已写入区级虚构数据 / district data loaded: ${r.people} 人, ${r.targets} 个走访对象, ${r.records} 条记录, ${r.ledgerItems} 条台账`);
        return 0;
      } finally {
        db.$client.close();
      }
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
        const result = await scheduler.run(rest[0], at, { onDemand: true }).catch((e: Error) => {
          throw new CliError(e.message);
        });
        console.log(`${rest[0]}: 新排队 ${result.queued} 条消息 / queued ${result.queued} new message(s)`);
        // One process sends per database, or together they could pass Feishu's 50 per second.
        const bot = result.queued ? runningBot(config.databasePath) : null;
        if (config.lark && bot) {
          console.log(`正在运行的机器人会发出这些消息（进程 ${bot.pid}，${bot.hostname}）。/ the running bot delivers them.`);
        } else if (config.lark && result.queued) {
          const onUndeliverable = deliveryNotices({ people, log, send });
          const outbox = new Outbox(db, new FeishuApi({ ...config.lark, logger: log }), log, { onUndeliverable });
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
    case 'outbox': {
      const db = openDatabase(config.databasePath);
      try {
        if (sub === 'held') {
          const rows = heldMessages(db);
          if (!rows.length) console.log('没有暂停重发的消息 / nothing held');
          const people = new PeopleRepo(db);
          for (const r of rows) {
            const to = r.receiveIdType === 'open_id' && r.receiveId ? ((await people.byOpenId(r.receiveId))?.name ?? r.receiveId) : (r.receiveId ?? '');
            console.log(`${r.id}\t${purposeInWords(r.purpose)}\t${to}\t首次尝试 / first tried ${r.uncertainSince?.toISOString() ?? ''}`);
          }
          return 0;
        }
        if (sub !== 'release' && sub !== 'drop') throw new CliError(`用法 / usage: zoufang outbox held | release <编号…|all> | drop <编号…|all>`);
        const ids = rest.length === 1 && rest[0] === 'all' ? 'all' : rest.map(Number);
        if (ids !== 'all' && (!ids.length || ids.some((n) => !Number.isInteger(n) || n <= 0))) {
          throw new CliError(`请写出消息编号（见 zoufang outbox held）或 all / give the message ids (see zoufang outbox held) or all`);
        }
        const changed = decideHeld(db, sub, ids, Date.now());
        const missing = ids === 'all' ? [] : ids.filter((id) => !changed.some((r) => r.id === id));
        console.log(
          sub === 'release'
            ? `已重新排队 ${changed.length} 条，运行中的机器人会在一秒内发出 / ${changed.length} queued again; the running bot sends them`
            : `已放弃 ${changed.length} 条 / ${changed.length} dropped`,
        );
        if (!missing.length) return 0;
        console.log(`这些编号没有暂停重发的消息 / not held: ${missing.join(', ')}`);
        return 1;
      } finally {
        db.$client.close();
      }
    }
    case 'export':
      return exportCommand(config, argv.slice(1));
    case 'backup':
      return backupCommand(config, sub);
    case 'restore':
      return restoreCommand(config, sub);
    default:
      throw new CliError(command ? `未知命令 / unknown command: ${command}\n${USAGE}` : USAGE);
  }
}

const isMain = process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!);
if (isMain) {
  loadEnvFile(process.env);
  runCli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      if (e instanceof ConfigError || e instanceof CliError || e instanceof CampaignDefinitionError) console.error(e.message);
      else console.error(e);
      process.exit(e instanceof CliError ? 64 : 1);
    },
  );
}
