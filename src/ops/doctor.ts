import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import WebSocket from 'ws';
import { menuFor, menuItemName } from '../bot/menu.js';
import type { Clock } from '../clock.js';
import { ConfigError, loadConfig, type Config, type LarkConfig } from '../config.js';
import type { Db } from '../db/index.js';
import { CampaignRepo } from '../db/repos.js';
import { CampaignDefinitionError, isRunning, type CampaignDefinition } from '../domain/campaign.js';
import { loadCampaignFile } from '../domain/campaign-file.js';
import { uncoveredMonths } from '../domain/calendar.js';
import { formatLocal } from '../domain/time.js';
import { EVENT_KEY_DAYS, keptSince } from '../feishu/event-keys.js';
import { WEBHOOK_PATH } from '../feishu/inbound.js';
import { encryptPayload } from '../sandbox/crypto.js';
import { BACKUP_TIMEZONE, listBackups } from './backup.js';
import { consoleUrl, request, tenantToken, type ApiAnswer } from './feishu-probe.js';
import type { Io } from './io.js';
import { migrationStatus } from './migrations.js';

/**
 * `zoufang doctor`: one line per check, ✓ or ✗, Chinese first, and for each
 * failure the fix. It changes nothing: the database is opened without
 * migrating, the write test is rolled back, and the Feishu probes are made so
 * that nothing is sent (see probePermissions).
 */

/** A warning is something to fix that does not stop the bot (exit code 0). */
type Outcome =
  | { status: 'pass'; detail: string; notes?: string[] }
  | { status: 'fail' | 'warn'; detail: string; fix: string; notes?: string[] }
  | { status: 'skip'; detail: string };

export interface DoctorCheck {
  title: string;
  outcome: Outcome;
}

export interface DoctorOptions {
  env: Record<string, string | undefined>;
  /** The .env the settings came from, when there is one (its permissions are checked). */
  envFile?: string;
  clock: Clock;
  io: Io;
}

/** Scheduled backups run daily; two days without one means a night was missed and nobody noticed. */
export const BACKUP_MAX_AGE_MS = 48 * 3600_000;
/** Feishu rejects webhook signatures older than our 10 minutes, schedules fire by the minute: a minute of skew is already wrong. */
const MAX_CLOCK_SKEW_S = 60;

const pass = (detail: string, notes?: string[]): Outcome => ({ status: 'pass', detail, notes });
const fail = (detail: string, fix: string, notes?: string[]): Outcome => ({ status: 'fail', detail, fix, notes });
const warn = (detail: string, fix: string): Outcome => ({ status: 'warn', detail, fix });
const skip = (detail: string): Outcome => ({ status: 'skip', detail });

const ago = (ms: number) =>
  ms < 60_000
    ? '刚刚'
    : ms < 3600_000
      ? `${Math.max(1, Math.round(ms / 60_000))} 分钟前`
      : ms < 48 * 3600_000
        ? `${Math.round(ms / 3600_000)} 小时前`
        : `${Math.round(ms / 86400_000)} 天前`;

/** What a Feishu answer means for a check: the platform's own wording where it has one. */
function answerText(a: ApiAnswer): string {
  return a.networkError ? `无法连接 / unreachable: ${a.networkError}` : `code ${a.code}: ${a.msg.slice(0, 160)}`;
}

/** Failures every Feishu check shares: the network, the gateway's token and IP rules. */
function commonFailure(a: ApiAnswer, lark: LarkConfig): Outcome | null {
  if (a.networkError)
    return fail(
      `无法连接飞书 ${lark.baseUrl} / cannot reach Feishu: ${a.networkError}`,
      `确认服务器能访问 ${lark.baseUrl}（防火墙、代理、DNS）/ let this server reach ${lark.baseUrl}`,
    );
  if (a.code === 99991401)
    return fail(
      `服务器 IP 不在应用的 IP 白名单中 / this server's IP is not allowed: ${a.msg}`,
      `在开发者后台「安全设置」的 IP 白名单中加入本服务器的公网 IP，或清空白名单：${consoleUrl(lark.baseUrl, lark.appId, 'safe')}`,
    );
  if (a.code === 99991400) return fail('飞书限流，请稍后重试 / rate limited by Feishu', '一分钟后再运行 zoufang doctor / run doctor again in a minute');
  if (a.httpStatus >= 500) return fail(`飞书服务暂时不可用 / Feishu answered HTTP ${a.httpStatus}`, '稍后再试 / try again later');
  return null;
}

/** Feishu's gateway checks the app's scopes before it looks at a request's parameters: 99991672 names what is missing. */
function permissionOutcome(a: ApiAnswer, lark: LarkConfig, scope: string, okDetail: string): Outcome {
  const common = commonFailure(a, lark);
  if (common) return common;
  if (a.code === 99991672) {
    const named = /scopes is required: \[([^\]]+)\]/.exec(a.msg)?.[1] ?? scope;
    return fail(
      `应用没有这项权限 / permission missing (${named})`,
      `在开发者后台「权限管理」开通 ${scope}（或其中任一：${named}），然后在「版本管理与发布」发布新版本：${consoleUrl(lark.baseUrl, lark.appId, 'auth')}`,
    );
  }
  if (a.code === 230006)
    return fail(
      '应用还没有机器人能力 / the bot ability is off',
      `在开发者后台「添加应用能力」添加「机器人」并发布版本：${consoleUrl(lark.baseUrl, lark.appId, 'baseinfo')}`,
    );
  if (a.code === 99991663 || a.code === 99991661)
    return fail(`访问凭证被拒绝 / token rejected: ${answerText(a)}`, '再运行一次 zoufang doctor；若仍失败，核对 App Secret');
  return pass(okDetail);
}

interface Context {
  config?: Config;
  db?: Database.Database;
  /** Whether the database is at this version's schema: what reads the campaigns needs. */
  migrated?: boolean;
  campaign?: CampaignDefinition;
  token?: string;
  tokenAnswer?: ApiAnswer;
  groups?: Array<{ chatId: string; name: string }>;
  botName?: string;
  running?: { transport?: { kind?: string; state?: string } };
}

function groupNotes(ctx: Context): string[] {
  if (!ctx.groups) return [];
  if (!ctx.groups.length) return ['机器人目前不在任何群里 / the bot is in no group yet'];
  return ['机器人所在的群 / groups the bot is in:', ...ctx.groups.map((g) => `  ${g.name}  ${g.chatId}`)];
}

async function checkConfig(o: DoctorOptions, ctx: Context): Promise<Outcome> {
  try {
    ctx.config = loadConfig(o.env);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return fail(
      `配置有误 / invalid configuration:\n${e.problems.map((p) => `      ${p}`).join('\n')}`,
      `按 .env.example 的说明修改 ${o.envFile ?? '环境变量'} 中这些变量 / fix these variables`,
    );
  }
  const c = ctx.config;
  if (!c.lark)
    return fail(
      '没有飞书应用凭据（LARK_APP_ID、LARK_APP_SECRET 为空），机器人会以沙盒模式运行 / no Feishu credentials: sandbox mode',
      '运行 zoufang setup 创建或填写飞书应用 / run zoufang setup',
    );
  // WSClient.start() silently does nothing for other ids (SDK 1.74 checks the app id against /^cli_[0-9a-fA-F]{16}$/).
  if (c.lark.transport === 'ws' && !/^cli_[0-9a-fA-F]{16}$/.test(c.lark.appId)) {
    return fail(
      `长连接要求 App ID 为 cli_ 加 16 位十六进制，当前为 ${c.lark.appId} / the long connection needs a hex App ID`,
      '从开发者后台「凭证与基础信息」复制 App ID 到 LARK_APP_ID',
    );
  }
  const source = o.envFile && fs.existsSync(o.envFile) ? o.envFile : '环境变量 / environment';
  return pass(`飞书应用 ${c.lark.appId} · ${c.lark.transport === 'ws' ? '长连接 ws' : 'webhook'} · ${c.lark.baseUrl} · 来自 ${source}`);
}

function checkEnvFileMode(file: string): Outcome {
  const mode = fs.statSync(file).mode & 0o777;
  if (mode & 0o077) return fail(`${file} 可被其他用户读取（权限 ${mode.toString(8)}），其中有 App Secret / readable by other users`, `chmod 600 ${file}`);
  return pass(`${file} 仅所有者可读 / readable by its owner only`);
}

function checkDatabase(c: Config, ctx: Context): Outcome {
  const file = path.resolve(c.databasePath);
  if (!fs.existsSync(file))
    return fail(`数据库还不存在 / no database yet: ${file}`, '运行 zoufang migrate，或启动一次机器人 / run zoufang migrate or start the bot once');
  const user = os.userInfo().username;
  try {
    const db = new Database(file, { fileMustExist: true });
    ctx.db = db;
    db.pragma('busy_timeout = 2000');
    // A write that is rolled back: proves the file, its journal and its directory are writable.
    db.exec('BEGIN IMMEDIATE; CREATE TABLE zoufang_doctor_probe (x); ROLLBACK;');
  } catch (e) {
    if (ctx.db?.inTransaction) ctx.db.exec('ROLLBACK');
    return fail(
      `用户 ${user} 不能写入数据库 / cannot write the database ${file}: ${(e as Error).message}`,
      `让运行机器人的用户拥有数据目录：sudo chown -R ${user}: ${path.dirname(file)}（systemd 单元中 User= 的用户）；若提示 locked，先停掉占用它的程序`,
    );
  }
  return pass(`${file} 可写 / writable`);
}

function checkMigrations(ctx: Context): Outcome {
  if (!ctx.db) return skip('需要可用的数据库 / needs the database');
  const s = migrationStatus(ctx.db);
  if (s.newerThanCode)
    return fail(
      '数据库被更新版本的走访助手升级过 / migrated by a newer Zoufang',
      '升级程序（git pull && npm ci && npm run build），或 zoufang restore 恢复升级前的备份',
    );
  if (s.pending.length) {
    return fail(
      `有 ${s.pending.length} 个迁移尚未应用 / migrations pending: ${s.pending.join(', ')}`,
      '先备份再迁移：zoufang backup && zoufang migrate（或重启机器人，启动时会先自动备份再迁移）',
    );
  }
  ctx.migrated = true;
  return pass(`已是最新 / up to date (${s.known.length}/${s.known.length})`);
}

function checkBackup(c: Config, now: Date): Outcome {
  let newest: ReturnType<typeof listBackups>[number] | undefined;
  try {
    newest = listBackups(c.backup.dir)[0];
  } catch (e) {
    return fail(`无法读取备份目录 / cannot read ${c.backup.dir}: ${(e as Error).message}`, `sudo chown -R ${os.userInfo().username}: ${c.backup.dir}`);
  }
  const schedule = c.backup.at ? `每天 ${c.backup.at}（北京时间）自动备份` : '自动备份已关闭（BACKUP_AT=off）';
  if (!newest) return fail(`${c.backup.dir} 里还没有备份 / no backup yet（${schedule}）`, '立即备份：zoufang backup；之后机器人会按 BACKUP_AT 每天备份');
  const age = now.getTime() - newest.mtime.getTime();
  if (age > BACKUP_MAX_AGE_MS) {
    return fail(
      `最近的备份是 ${ago(age)}：${newest.file} / the newest backup is too old`,
      c.backup.at
        ? `确认机器人在运行且能写入 ${c.backup.dir}（看日志里的 backup written），现在可先运行 zoufang backup`
        : '设置 BACKUP_AT（如 02:30）让机器人每天备份，或用 cron 定时运行 zoufang backup',
    );
  }
  return pass(`${newest.file}（${ago(age)}；${schedule}，保留 ${c.backup.keep} 份）`);
}

async function checkCampaign(c: Config, ctx: Context, now: Date): Promise<Outcome> {
  let all: CampaignDefinition[];
  if (c.campaignFile) {
    try {
      all = [await loadCampaignFile(c.campaignFile)];
    } catch (e) {
      if (!(e instanceof CampaignDefinitionError)) throw e;
      return fail(
        `活动配置文件有误 / invalid campaign file:\n${e.message
          .split('\n')
          .map((l) => `      ${l}`)
          .join('\n')}`,
        `按提示逐项修改 ${c.campaignFile}，再运行 zoufang campaign load ${c.campaignFile} 检查`,
      );
    }
  } else if (ctx.db && !ctx.migrated) {
    return skip('需要先完成数据库迁移 / needs the migrations applied first');
  } else if (ctx.db) {
    try {
      all = (await new CampaignRepo(drizzle(ctx.db) as Db).all()).map((x) => x.def);
    } catch (e) {
      return fail(`无法读取活动 / cannot read the campaigns: ${(e as Error).message}`, '先解决上面的数据库问题 / fix the database first');
    }
  } else return skip('需要可用的数据库 / needs the database');
  if (!all.length) return fail('还没有活动 / no campaign yet', '建立活动：zoufang campaign init --preset 微行动 --branch-chat oc_…（或设置 CAMPAIGN_FILE）');
  const running = all.find((d) => isRunning(d, now));
  const today = formatLocal(now, all[0]!.timezone, 'YYYY-MM-DD');
  const upcoming = all.filter((d) => d.window.start > today).sort((a, b) => a.window.start.localeCompare(b.window.start))[0];
  ctx.campaign = running ?? upcoming ?? all.at(-1);
  const d = ctx.campaign!;
  const label = `${d.name}（${d.window.start} ~ ${d.window.end}）`;
  if (running) return pass(`${label} 进行中 / running`);
  if (upcoming) return pass(`${label} 尚未开始，将于 ${d.window.start} 开始 / starts on ${d.window.start}`);
  return fail(
    `${label} 已于 ${d.window.end} 结束，没有进行中的活动 / the campaign window is over`,
    c.campaignFile
      ? `修改 ${c.campaignFile} 的 window（及学期日期）后重启机器人`
      : '新学期：zoufang campaign init --preset <预设> --year <年份>，或导出、修改 window 后 zoufang campaign load',
  );
}

/** Months of the campaign without holiday data would nudge on holidays and count them as working days. */
function checkCalendar(ctx: Context): Outcome {
  const d = ctx.campaign;
  if (!d) return skip('需要活动 / needs a campaign');
  // Before migration 0011 there is no table of loaded years: none are loaded.
  const loaded = ctx.db && ctx.migrated ? new CampaignRepo(drizzle(ctx.db) as Db).loadedYears().map((y) => y.year) : [];
  const months = uncoveredMonths(d, loaded);
  if (!months.length) return pass(`${d.window.start} ~ ${d.window.end} 每个月都有节假日数据 / every month has holiday data`);
  const years = [...new Set(months.map((m) => m.slice(0, 4)))];
  return warn(
    `这些月份没有节假日与调休数据，只按周末计算 / no holiday data for these months (weekends only): ${months.join(', ')}`,
    `国务院公布安排后，写成文件并运行 zoufang calendar load <文件.json>（${years.join('、')} 年；格式见 zoufang calendar load --help）/ load the year's holidays from a file`,
  );
}

function checkClock(ctx: Context, now: Date): Outcome {
  const date = ctx.tokenAnswer?.date;
  if (!date) return skip('需要飞书的应答 / needs an answer from Feishu');
  const skew = Math.round((now.getTime() - date.getTime()) / 1000);
  if (Math.abs(skew) > MAX_CLOCK_SKEW_S) {
    return fail(
      `本机时钟比飞书服务器${skew > 0 ? '快' : '慢'} ${Math.abs(skew)} 秒 / the clock is off by ${skew} s`,
      '开启网络校时：sudo timedatectl set-ntp true（或安装 chrony），再运行 zoufang doctor',
    );
  }
  return pass(`与飞书服务器相差 ${Math.abs(skew)} 秒以内 / within ${Math.max(1, Math.abs(skew))} s of Feishu`);
}

function validZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

function checkTimezone(env: DoctorOptions['env'], ctx: Context): Outcome {
  const tz = env.TZ?.trim();
  if (tz && !validZone(tz.replace(/^:/, ''))) {
    return fail(`TZ=${tz} 不是有效的时区，程序会按 UTC 运行 / not a valid time zone`, '设置 TZ=Asia/Shanghai，或删除 TZ（定时任务本身按活动时区计算）');
  }
  const zones = [...new Set([BACKUP_TIMEZONE, ctx.campaign?.timezone].filter((z): z is string => !!z))];
  const unknown = zones.filter((z) => !validZone(z));
  if (unknown.length)
    return fail(
      `Node.js 不认识时区 ${unknown.join('、')}（缺少 ICU 时区数据）/ unknown time zone`,
      '使用官方 Node.js 20 安装包（自带完整 ICU），不要用 small-icu 版本',
    );
  return pass(`服务器时区 ${tz || Intl.DateTimeFormat().resolvedOptions().timeZone}；定时任务按 ${zones.join('、')} 计算 / jobs run in ${zones.join(', ')}`);
}

async function checkCredentials(lark: LarkConfig, ctx: Context): Promise<Outcome> {
  const a = await tenantToken(lark.baseUrl, lark.appId, lark.appSecret);
  ctx.tokenAnswer = a;
  const common = commonFailure(a, lark);
  if (common) return common;
  if (!a.token) {
    return fail(
      `飞书拒绝了 App ID 与 App Secret / credentials rejected (${answerText(a)})`,
      `在开发者后台「凭证与基础信息」核对后填入 LARK_APP_ID、LARK_APP_SECRET（或重新运行 zoufang setup）：${consoleUrl(lark.baseUrl, lark.appId, 'baseinfo')}`,
    );
  }
  ctx.token = a.token;
  return pass('已获取 tenant_access_token / token issued');
}

async function checkBot(lark: LarkConfig, ctx: Context): Promise<Outcome> {
  const a = await request(`${lark.baseUrl}/open-apis/bot/v3/info`, { token: ctx.token });
  const bot = a.body.bot as { app_name?: string; open_id?: string } | undefined;
  if (a.code === 0 && bot?.open_id) {
    ctx.botName = bot.app_name;
    return pass(`${bot.app_name ?? ''}（${bot.open_id}）`);
  }
  return (
    commonFailure(a, lark) ??
    fail(
      `读取机器人信息失败 / bot info failed (${answerText(a)})`,
      `在开发者后台「添加应用能力」添加「机器人」，并发布版本：${consoleUrl(lark.baseUrl, lark.appId, 'baseinfo')}`,
    )
  );
}

/**
 * One harmless call per API the bot uses. Sending goes to a chat id that
 * cannot exist, the upload lacks its file, the resource download names a
 * message and the calendar event a calendar that cannot exist: with the scope, Feishu answers with a parameter
 * error (nothing is sent, stored or read); without it, the gateway answers
 * 99991672 first. Receiving messages
 * (im:message.p2p_msg:readonly, im:message.group_at_msg:readonly) has no API to
 * probe; the events check below covers it by what actually arrived.
 */
function permissionProbes(lark: LarkConfig, ctx: Context) {
  const base = lark.baseUrl;
  const token = ctx.token;
  return [
    {
      title: '权限 发消息 / send messages (im:message:send_as_bot)',
      scope: 'im:message:send_as_bot',
      call: () =>
        request(`${base}/open-apis/im/v1/messages?receive_id_type=chat_id`, {
          method: 'POST',
          token,
          json: { receive_id: `oc_${'0'.repeat(32)}`, msg_type: 'text', content: JSON.stringify({ text: 'zoufang doctor' }) },
        }),
      ok: () => '已开通 / granted',
    },
    {
      title: '权限 读取群信息 / read chats (im:chat:readonly)',
      scope: 'im:chat:readonly',
      call: async () => {
        const a = await request(`${base}/open-apis/im/v1/chats?page_size=100`, { token });
        if (a.code === 0)
          ctx.groups = ((a.body.data?.items ?? []) as Array<{ chat_id: string; name: string }>).map((g) => ({ chatId: g.chat_id, name: g.name }));
        return a;
      },
      ok: () => `已开通；机器人在 ${ctx.groups?.length ?? 0} 个群里 / granted`,
    },
    {
      title: '权限 按手机号/邮箱匹配成员 / match people (contact:user.id:readonly)',
      scope: 'contact:user.id:readonly',
      call: () =>
        request(`${base}/open-apis/contact/v3/users/batch_get_id?user_id_type=open_id`, {
          method: 'POST',
          token,
          json: { emails: ['doctor-probe@zoufang.invalid'] },
        }),
      ok: () => '已开通 / granted',
    },
    {
      title: '权限 上传导出的文件 / upload exports (im:resource)',
      scope: 'im:resource',
      // A form without the file itself: Feishu turns it down as incomplete, and nothing is stored.
      call: () => {
        const form = new FormData();
        form.set('file_type', 'stream');
        form.set('file_name', 'zoufang-doctor-probe.txt');
        return request(`${base}/open-apis/im/v1/files`, { method: 'POST', token, form });
      },
      ok: () => '已开通 / granted',
    },
    {
      title: '权限 下载老师发来的照片 / download photos (im:message:readonly)',
      scope: 'im:message:readonly',
      call: () => request(`${base}/open-apis/im/v1/messages/om_${'0'.repeat(32)}/resources/img_v3_doctor_probe?type=image`, { token }),
      ok: () => '已开通 / granted',
    },
    {
      title: '权限 飞书日历约访 / calendar events (calendar:calendar)',
      scope: 'calendar:calendar',
      // An event on a calendar that cannot exist: with the scope, Feishu answers 191000/191001 and creates nothing (创建日程).
      call: () =>
        request(`${base}/open-apis/calendar/v4/calendars/${encodeURIComponent('zoufang-doctor-probe@group.calendar.feishu.cn')}/events`, {
          method: 'POST',
          token,
          json: {},
        }),
      ok: () => '已开通 / granted',
    },
  ];
}

async function checkBranchGroup(c: Config, lark: LarkConfig, ctx: Context): Promise<Outcome> {
  const chatId = ctx.campaign?.branchChatId ?? c.branchChatId;
  const notes = groupNotes(ctx);
  if (!chatId)
    return fail(
      '没有设置党支部群 / no branch group set',
      '把机器人加入党支部工作群，然后把下面列出的 chat_id 填入 .env 的 BRANCH_CHAT_ID（或活动配置的 branchChatId）',
      notes,
    );
  const a = await request(`${lark.baseUrl}/open-apis/im/v1/chats/${encodeURIComponent(chatId)}/members?member_id_type=open_id&page_size=1`, {
    token: ctx.token,
  });
  const name = ctx.groups?.find((g) => g.chatId === chatId)?.name;
  if (a.code === 0) return pass(`${name ?? chatId}（${chatId}，${a.body.data?.member_total ?? '?'} 人）`);
  const common = commonFailure(a, lark);
  if (common) return common;
  if (a.code === 232011 || a.code === 230002) {
    return fail(
      `机器人不在群 ${chatId} 里 / the bot is not in the branch group`,
      `在飞书打开党支部工作群 → 设置 → 群机器人 → 添加机器人 → 选择「${ctx.botName ?? '走访助手'}」`,
      notes,
    );
  }
  // Where the chat_id was set, so the fix names the one place to change (获取群成员列表 lists these codes).
  const setting = ctx.campaign?.branchChatId
    ? `活动配置的 branchChatId（${c.campaignFile ? `修改 ${c.campaignFile}` : '在活动配置文件里改好后 zoufang campaign load <文件>'}）`
    : '.env 的 BRANCH_CHAT_ID';
  if (a.code === 232006 || a.code === 230001 || a.code === 99992402) {
    return fail(
      `chat_id 无效：${chatId} 不是一个群的 chat_id / invalid chat_id`,
      `检查 ${setting}：改用下面列出的党支部群的 chat_id（形如 oc_ 开头），然后重启机器人`,
      notes,
    );
  }
  if (a.code === 232009) return fail(`群 ${chatId} 已解散 / the group was dissolved`, `把机器人加入新的党支部工作群，再把它的 chat_id 填入 ${setting}`, notes);
  if (a.code === 232010) {
    return fail(
      `群 ${chatId} 与本应用不在同一个飞书组织 / the group and the app are in different tenants`,
      `应用和群必须在同一个飞书组织（企业）里：在创建本应用的组织中建立党支部工作群并添加机器人，或在群所在的组织里创建应用（zoufang setup）；再把正确的 chat_id 填入 ${setting}`,
      notes,
    );
  }
  if (a.code === 99991672)
    return fail('没有读取群成员的权限，无法确认 / cannot check without im:chat:readonly', '先开通上面缺少的权限 / grant the permission above first', notes);
  return fail(`无法确认机器人是否在群里 / cannot check (${answerText(a)})`, '稍后再试；若持续失败，请查看飞书开放平台状态', notes);
}

/** The bot's own /healthz on this machine (PORT), if it is running. */
async function probeRunningBot(c: Config, ctx: Context): Promise<Outcome> {
  const a = await request(`http://127.0.0.1:${c.port}/healthz`);
  if (a.networkError || typeof a.body.status !== 'string') {
    return fail(
      `本机 ${c.port} 端口上没有运行中的走访助手 / the bot is not running here`,
      '启动：sudo systemctl start zoufang（或 npm run start:prod），再看日志：journalctl -u zoufang -f',
    );
  }
  ctx.running = a.body as Context['running'];
  return pass(`运行中 / running（http://127.0.0.1:${c.port}/healthz：${a.body.status}）`);
}

/** Opens a long connection the way WSClient does (endpoint, then WebSocket) and closes it at once. */
async function openLongConnection(lark: LarkConfig): Promise<string | null> {
  const a = await request(`${lark.baseUrl}/callback/ws/endpoint`, { method: 'POST', json: { AppID: lark.appId, AppSecret: lark.appSecret } });
  const url = a.body.data?.URL as string | undefined;
  if (a.networkError || a.code !== 0 || !url) return `长连接地址获取失败 / endpoint failed (${answerText(a)})`;
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    const done = (problem: string | null) => {
      clearTimeout(timer);
      ws.removeAllListeners();
      ws.on('error', () => undefined);
      ws.terminate();
      resolve(problem);
    };
    const timer = setTimeout(() => done('10 秒内未建立 WebSocket / no WebSocket within 10 s'), 10_000);
    ws.once('open', () => done(null));
    ws.once('error', (e) => done(`WebSocket 连接失败 / failed: ${e.message}`));
  });
}

async function checkTransport(c: Config, lark: LarkConfig, ctx: Context): Promise<Outcome> {
  if (lark.transport === 'ws') {
    if (ctx.running) {
      const state = ctx.running.transport?.state ?? 'unknown';
      if (state === 'connected') return pass('运行中的机器人已建立长连接 / the running bot is connected');
      return fail(
        `运行中的机器人长连接状态为 ${state} / the running bot is not connected`,
        '确认服务器能访问飞书（wss 出站 443 端口），并在开发者后台「事件与回调」选择「使用长连接接收事件/回调」；查看日志 journalctl -u zoufang -f',
      );
    }
    // With no bot running, a brief connection of our own steals nobody's events.
    const problem = await openLongConnection(lark);
    if (problem) return fail(problem, '确认服务器能访问飞书的 wss 地址（出站 443），App Secret 正确');
    return pass('可以建立长连接（机器人启动后会自动连接）/ a long connection can be established');
  }
  if (!ctx.running) return fail('webhook 模式需要机器人在运行 / webhook mode needs the bot running', '先启动机器人，再运行 zoufang doctor');
  // The request Feishu sends when a request URL is saved: encrypted with this .env's key, and
  // unsigned ("不包括请求网址校验", 步骤三：接收事件), so a bot that demands a signature fails here too.
  const challenge = randomBytes(8).toString('hex');
  const body = JSON.stringify({
    encrypt: encryptPayload(lark.encryptKey!, JSON.stringify({ challenge, token: lark.verificationToken, type: 'url_verification' })),
  });
  let answer: { status: number; challenge?: unknown; error?: unknown };
  try {
    const r = await fetch(`http://127.0.0.1:${c.port}${WEBHOOK_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      signal: AbortSignal.timeout(5000),
    });
    answer = { status: r.status, ...((await r.json().catch(() => ({}))) as object) };
  } catch (e) {
    return fail(`本机 /webhook/event 无应答 / no answer: ${(e as Error).message}`, '查看日志 journalctl -u zoufang -f');
  }
  if (answer.status !== 200 || answer.challenge !== challenge) {
    return fail(
      `本机 /webhook/event 没有通过校验（HTTP ${answer.status}${typeof answer.error === 'string' ? `：${answer.error}` : ''}）/ the webhook refused the check`,
      '确认运行中的机器人使用的 LARK_ENCRYPT_KEY、LARK_VERIFICATION_TOKEN 与 .env 一致，重启机器人',
    );
  }
  return pass('本机 /webhook/event 正确应答 / answers the URL check', [
    '飞书需要能从公网访问 https://<你的域名>/webhook/event：在开发者后台「事件与回调」保存请求地址时飞书会校验它',
  ]);
}

function checkEvents(ctx: Context, now: Date): Outcome {
  if (!ctx.db) return skip('需要可用的数据库 / needs the database');
  // The keys of a week are kept, and the latest of each type (forgetEventKeys): counts are of the week.
  const rows = ctx.db
    .prepare('SELECT event_type AS type, sum(received_at >= ?) AS n, max(received_at) AS last FROM inbound_events GROUP BY event_type')
    .all(keptSince(now)) as Array<{
    type: string;
    n: number;
    last: number;
  }>;
  const messages = rows.find((r) => r.type === 'im.message.receive_v1');
  const cards = rows.find((r) => r.type === 'card.action.trigger');
  if (!messages) {
    return fail(
      '机器人还没有收到过任何消息 / no message has reached the bot yet',
      '在飞书里给机器人发一条 /帮助。若没有回复：①「事件与回调」订阅 im.message.receive_v1（长连接模式）并添加回调 card.action.trigger；②开通 im:message.p2p_msg:readonly 和 im:message.group_at_msg:readonly；③发布新版本，并确认你在应用的可用范围内',
    );
  }
  const last = Math.max(messages.last, cards?.last ?? 0);
  return pass(`近 ${EVENT_KEY_DAYS} 天收到 ${messages.n} 条消息、${cards?.n ?? 0} 次卡片操作，最近一次 ${ago(now.getTime() - last)} / events arrive`);
}

/** Feishu sends menu clicks only for items configured in the console and published (机器人自定义菜单事件). */
function checkMenu(ctx: Context, now: Date): Outcome {
  if (!ctx.db) return skip('需要可用的数据库 / needs the database');
  const row = ctx.db
    .prepare("SELECT count(*) AS kept, sum(received_at >= ?) AS n, max(received_at) AS last FROM inbound_events WHERE event_type = 'application.bot.menu_v6'")
    .get(keptSince(now)) as { kept: number; n: number | null; last: number | null };
  if (row.kept) return pass(`近 ${EVENT_KEY_DAYS} 天收到 ${row.n ?? 0} 次菜单点击，最近一次 ${ago(now.getTime() - row.last!)} / menu clicks arrive`);
  const items = menuFor(ctx.campaign)
    .flatMap((s) => s.items)
    .map((i) => `${menuItemName(i)}=${i.eventKey}`)
    .join('、');
  return warn(
    '机器人还没有收到过菜单点击：菜单可能还没有配置或没有发布 / no bot-menu click has ever arrived',
    `在开发者后台「应用能力 → 机器人 → 机器人自定义菜单」添加菜单项，动作都选「推送事件」，event_key 为：${items}（分组见 zoufang setup）；订阅事件 application.bot.menu_v6，发布新版本，再在飞书里点一次菜单`,
  );
}

export async function runDoctor(o: DoctorOptions): Promise<{ code: number; checks: DoctorCheck[] }> {
  const { io } = o;
  const now = o.clock.now();
  const ctx: Context = {};
  const checks: DoctorCheck[] = [];
  const print = (c: DoctorCheck) => {
    const r = c.outcome;
    const mark = { pass: '✓', fail: '✗', warn: '!', skip: '–' }[r.status];
    io.out(`${mark} ${c.title}：${r.detail}`);
    if (r.status === 'fail' || r.status === 'warn') io.out(`    修复 / fix: ${r.fix}`);
    if (r.status !== 'skip') for (const n of r.notes ?? []) io.out(`    ${n}`);
  };
  const run = async (title: string, fn: () => Outcome | Promise<Outcome>) => {
    const c = { title, outcome: await fn() };
    checks.push(c);
    print(c);
  };

  io.out('走访助手 自检 / Zoufang doctor');
  try {
    await run('配置 / configuration', () => checkConfig(o, ctx));
    if (o.envFile && fs.existsSync(o.envFile)) await run('配置文件权限 / .env permissions', () => checkEnvFileMode(o.envFile!));
    const c = ctx.config;
    if (!c) {
      io.out('– 其余检查需要有效的配置，请先修好上面的问题 / fix the configuration first; other checks skipped');
    } else {
      await run('数据库可写 / database writable', () => checkDatabase(c, ctx));
      await run('数据库迁移 / migrations current', () => checkMigrations(ctx));
      await run('最近的备份 / recent backup', () => checkBackup(c, now));
      await run('活动与时间窗口 / campaign and window', () => checkCampaign(c, ctx, now));
      await run('节假日数据 / holiday data', () => checkCalendar(ctx));
      const lark = c.lark;
      if (lark) await run('应用凭据 / credentials (tenant_access_token)', () => checkCredentials(lark, ctx));
      await run('时钟 / clock', () => checkClock(ctx, now));
      await run('时区 / time zone', () => checkTimezone(o.env, ctx));
      const online = lark && ctx.token ? lark : null;
      if (online) {
        await run('机器人能力 / bot ability', () => checkBot(online, ctx));
        for (const p of permissionProbes(online, ctx)) await run(p.title, async () => permissionOutcome(await p.call(), online, p.scope, p.ok()));
        await run('党支部群 / branch group', () => checkBranchGroup(c, online, ctx));
      } else {
        await run('飞书权限、党支部群与连接 / permissions, branch group, transport', () =>
          skip(lark ? '需要有效的凭据 / needs valid credentials' : '需要飞书凭据 / needs Feishu credentials'),
        );
      }
      await run('机器人进程 / bot process', () => probeRunningBot(c, ctx));
      if (online) await run(online.transport === 'ws' ? '长连接 / long connection' : 'webhook', () => checkTransport(c, online, ctx));
      await run('收到的事件 / events received', () => checkEvents(ctx, now));
      await run('机器人菜单 / bot menu', () => checkMenu(ctx, now));
    }
  } finally {
    ctx.db?.close();
  }
  const failed = checks.filter((c) => c.outcome.status === 'fail').length;
  const passed = checks.filter((c) => c.outcome.status === 'pass').length;
  const warned = checks.filter((c) => c.outcome.status === 'warn').length;
  if (!failed && !warned) io.out(`\n全部 ${passed} 项通过 / all ${passed} checks passed`);
  else {
    const zh = [`${passed} 项通过`, failed && `${failed} 项未通过`, warned && `${warned} 项需要留意`].filter(Boolean).join('，');
    const en = [`${passed} passed`, failed && `${failed} failed`, warned && `${warned} to look at`].filter(Boolean).join(', ');
    io.out(`\n${zh} / ${en}`);
  }
  return { code: failed ? 1 : 0, checks };
}
