import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { menuFor, menuItemName } from '../../src/bot/menu.js';
import { AdjustableClock, systemClock, type Clock } from '../../src/clock.js';
import { parseCampaignDefinition } from '../../src/domain/campaign.js';
import { formatLocal } from '../../src/domain/time.js';
import { DEMO_BRANCH_CHAT_ID } from '../../src/demo/seed.js';
import { backupDatabase, backupFileName, openForBackup } from '../../src/ops/backup.js';
import { runDoctor } from '../../src/ops/doctor.js';
import { runCli } from '../../src/cli.js';
import { uncoveredYears } from '../../src/domain/calendar.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { checkLines, tmpDir, transcript } from './helpers.js';

/**
 * `zoufang doctor` against a real bot and the stand-in: everything in order,
 * then each check failing in turn, with the fix it prints.
 */

const run = promisify(execFile);
const today = (offsetDays: number) => formatLocal(Date.now() + offsetDays * 86400_000, 'Asia/Shanghai', 'YYYY-MM-DD');
/** A term around today, whatever day the tests run. */
const campaign = parseCampaignDefinition({
  id: 'doctor-term',
  name: '测试学校“微”行动',
  window: { start: today(-10), end: today(60) },
  branchChatId: DEMO_BRANCH_CHAT_ID,
});

let h: Harness;
let env: Record<string, string>;
const portOf = (url: string) => new URL(url).port;

/** A port nothing listens on. */
async function closedPort(): Promise<string> {
  const net = await import('node:net');
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return String(port);
}

async function doctor(over: Record<string, string | undefined> = {}, clock: Clock = systemClock, envFile?: string) {
  const out = transcript();
  const r = await runDoctor({ env: { ...env, ...over }, envFile, clock, io: out.io });
  return { code: r.code, text: out.text(), check: (title: string) => checkLines(out.text(), title) };
}

/** A copy of the bot's database, for checks that need it broken. */
async function dbCopy(change: (db: Database.Database) => void): Promise<string> {
  const file = path.join(tmpDir(), 'copy.db');
  const source = openForBackup(h.dbFile);
  await backupDatabase(source, file);
  source.close();
  const db = new Database(file);
  change(db);
  db.close();
  return file;
}

beforeAll(async () => {
  h = await startHarness({ transport: 'ws', at: new Date(), campaign });
  await h.say('王建国', '/帮助'); // a message has reached the bot
  await h.standIn.menuClick(h.openId('王建国'), 'progress'); // and so has a menu click
  await h.settle();
  const backupDir = tmpDir();
  const source = openForBackup(h.dbFile);
  await backupDatabase(source, path.join(backupDir, backupFileName(new Date())), h.photoDir);
  source.close();
  env = {
    LARK_APP_ID: h.credentials.appId,
    LARK_APP_SECRET: h.credentials.appSecret,
    LARK_DOMAIN: h.standIn.baseUrl,
    LARK_TRANSPORT: 'ws',
    PORT: portOf(h.bot.url),
    DATABASE_PATH: h.dbFile,
    PHOTO_DIR: h.photoDir,
    BACKUP_DIR: backupDir,
  };
  // The window runs two months ahead: a year the holiday dataset lacks is loaded, as an admin would.
  for (const year of uncoveredYears(campaign)) expect(await loadYear(year, env)).toBe(0);
});

/** `zoufang calendar load` of a year with one holiday, into the database `env` names. */
async function loadYear(year: number, env: Record<string, string>): Promise<number> {
  const file = path.join(tmpDir(), `${year}.json`);
  fs.writeFileSync(file, JSON.stringify({ year, holidays: [{ date: `${year}-01-01`, name: '元旦' }] }));
  return runCli(['calendar', 'load', file], env, { io: transcript().io });
}
afterAll(() => h?.close());

describe('zoufang doctor', () => {
  it('passes every check on a working deployment', async () => {
    const r = await doctor();
    expect(r.text).not.toContain('✗');
    expect(r.code).toBe(0);
    expect(r.check('应用凭据')).toContain('✓');
    expect(r.check('党支部群')).toContain(`党支部工作群（${DEMO_BRANCH_CHAT_ID}`);
    expect(r.check('长连接')).toContain('运行中的机器人已建立长连接');
    expect(r.check('活动与时间窗口')).toContain('进行中');
    expect(r.check('收到的事件')).toContain('近 7 天收到 1 条消息');
    expect(r.check('机器人菜单')).toMatch(/^✓ .*近 7 天收到 1 次菜单点击，最近一次/);
    expect(r.text).toMatch(/全部 \d+ 项通过/);
  });

  it('a wrong App Secret: credentials fail with where to find the right one, and the Feishu checks are skipped', async () => {
    const r = await doctor({ LARK_APP_SECRET: 'not-the-secret' });
    expect(r.code).toBe(1);
    const c = r.check('应用凭据');
    expect(c).toMatch(/^✗ .*code 10014/);
    expect(c).toContain('LARK_APP_SECRET');
    expect(c).toContain(`https://open.feishu.cn/app/${h.credentials.appId}/baseinfo`);
    expect(r.check('飞书权限、党支部群与连接')).toMatch(/^– .*needs valid credentials/);
  });

  it('a missing permission: that line fails naming the scope and the console page, the others pass', async () => {
    h.standIn.revokeScopes('contact:user.id:readonly', 'im:resource');
    try {
      const r = await doctor();
      const c = r.check('权限 按手机号/邮箱匹配成员');
      expect(c).toMatch(/^✗ .*contact:user\.id:readonly/);
      expect(c).toContain(`开通 contact:user.id:readonly`);
      expect(c).toContain(`https://open.feishu.cn/app/${h.credentials.appId}/auth`);
      expect(r.check('权限 上传导出的文件')).toMatch(/^✗ .*\(im:resource\)\n.*开通 im:resource/);
      for (const ok of ['权限 发消息', '权限 读取群信息', '权限 下载老师发来的照片']) expect(r.check(ok)).toMatch(/^✓/);
    } finally {
      h.standIn.grantScopes();
    }
  });

  it('the calendar scope: listed, and a missing one fails naming calendar:calendar', async () => {
    expect((await doctor()).check('权限 飞书日历约访')).toMatch(/^✓/);
    h.standIn.revokeScopes('calendar:calendar', 'calendar:calendar.event:create');
    try {
      const c = (await doctor()).check('权限 飞书日历约访');
      expect(c).toMatch(/^✗ .*calendar:calendar/);
      expect(c).toContain('开通 calendar:calendar');
    } finally {
      h.standIn.grantScopes();
    }
  });

  it('the bot out of the branch group: says how to add it and lists the groups it is in', async () => {
    h.standIn.removeBotFromChat(DEMO_BRANCH_CHAT_ID);
    try {
      const c = (await doctor()).check('党支部群');
      expect(c).toMatch(/^✗ 党支部群.*the bot is not in the branch group/);
      expect(c).toContain('群机器人 → 添加机器人');
      expect(c).toContain('机器人目前不在任何群里');
    } finally {
      h.standIn.addBotToChat(DEMO_BRANCH_CHAT_ID);
    }
    // With no branch group configured, the list of groups is where the chat_id comes from.
    const file = path.join(tmpDir(), 'campaign.json');
    fs.writeFileSync(file, JSON.stringify({ ...campaign, branchChatId: undefined }));
    const c = (await doctor({ CAMPAIGN_FILE: file })).check('党支部群');
    expect(c).toMatch(/^✗ 党支部群 \/ branch group：没有设置党支部群/);
    expect(c).toContain('BRANCH_CHAT_ID');
    expect(c).toContain(`党支部工作群  ${DEMO_BRANCH_CHAT_ID}`);
  });

  it('a chat_id that is no group (232006) and a group of another organisation (232010): two different failures, each with its fix', async () => {
    const file = path.join(tmpDir(), 'campaign.json');
    // The chat_id comes from BRANCH_CHAT_ID when the campaign names none: the fix says so.
    fs.writeFileSync(file, JSON.stringify({ ...campaign, branchChatId: undefined }));
    const invalid = (await doctor({ CAMPAIGN_FILE: file, BRANCH_CHAT_ID: 'oc_not_a_group' })).check('党支部群');
    expect(invalid).toMatch(/^✗ 党支部群.*chat_id 无效：oc_not_a_group/);
    expect(invalid).toContain('检查 .env 的 BRANCH_CHAT_ID');
    expect(invalid).toContain(`党支部工作群  ${DEMO_BRANCH_CHAT_ID}`);

    h.standIn.addChat({ chatId: 'oc_other_school', name: '外校党支部群', memberOpenIds: [], tenantKey: 'another-organisation' });
    fs.writeFileSync(file, JSON.stringify({ ...campaign, branchChatId: 'oc_other_school' }));
    const foreign = (await doctor({ CAMPAIGN_FILE: file })).check('党支部群');
    expect(foreign).toMatch(/^✗ 党支部群.*与本应用不在同一个飞书组织/);
    expect(foreign).toContain('应用和群必须在同一个飞书组织');
    expect(foreign).toContain(`活动配置的 branchChatId（修改 ${file}）`);
    expect(foreign).not.toContain('chat_id 无效');
  });

  it('no bot running: the process check fails; a long connection can still be opened, a webhook cannot be checked', async () => {
    const port = await closedPort();
    const ws = await doctor({ PORT: port });
    expect(ws.check('机器人进程')).toMatch(/^✗ .*the bot is not running here/);
    expect(ws.check('机器人进程')).toContain('sudo systemctl start zoufang');
    expect(ws.check('长连接')).toMatch(/^✓ .*可以建立长连接/);

    const hook = await doctor({
      PORT: port,
      LARK_TRANSPORT: 'webhook',
      LARK_ENCRYPT_KEY: h.credentials.encryptKey,
      LARK_VERIFICATION_TOKEN: h.credentials.verificationToken,
    });
    expect(hook.check('webhook')).toMatch(/^✗ webhook：webhook 模式需要机器人在运行/);
  });

  it('a database its user cannot write: the write test fails with the chown to run (as the service user, through the CLI)', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'zoufang.db');
    fs.copyFileSync(await dbCopy(() => undefined), file);
    fs.chmodSync(dir, 0o755);
    fs.chmodSync(file, 0o444);
    // Root writes anything, so the check runs as `nobody` when the tests run as root.
    const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const r = await run(process.execPath, ['bin/zoufang.js', 'doctor'], {
      env: { PATH: process.env.PATH ?? '', ...env, DATABASE_PATH: file, ZOUFANG_ENV_FILE: path.join(dir, 'none.env') },
      ...asNobody,
    }).then(
      (x) => ({ code: 0, stdout: x.stdout }),
      (e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }),
    );
    expect(r.code).toBe(1);
    const c = checkLines(r.stdout, '数据库可写');
    expect(c).toMatch(/^✗ 数据库可写.*不能写入数据库/);
    expect(c).toContain(`sudo chown -R`);
  });

  it('migrations behind: names them and says to back up first', async () => {
    const file = await dbCopy((db) => db.exec('DELETE FROM __drizzle_migrations WHERE created_at = (SELECT max(created_at) FROM __drizzle_migrations)'));
    const journal = JSON.parse(fs.readFileSync('migrations/meta/_journal.json', 'utf8')) as { entries: Array<{ tag: string }> };
    const c = (await doctor({ DATABASE_PATH: file })).check('数据库迁移');
    expect(c).toMatch(new RegExp(`^✗ .*有 1 个迁移尚未应用.*${journal.entries.at(-1)!.tag}`));
    expect(c).toContain('zoufang backup && zoufang migrate');
  });

  it('no backup, or only an old one: says how to take one now', async () => {
    const empty = tmpDir();
    const none = (await doctor({ BACKUP_DIR: empty })).check('最近的备份');
    expect(none).toMatch(/^✗ .*还没有备份/);
    expect(none).toContain('zoufang backup');

    const old = path.join(empty, 'zoufang-20200101-023000.db');
    fs.writeFileSync(old, '');
    const threeDaysAgo = new Date(Date.now() - 3 * 86400_000);
    fs.utimesSync(old, threeDaysAgo, threeDaysAgo);
    expect((await doctor({ BACKUP_DIR: empty })).check('最近的备份')).toMatch(/^✗ 最近的备份.*：最近的备份是 3 天前/);
  });

  it('a clock ten minutes fast and an invalid TZ', async () => {
    const fast = new AdjustableClock(new Date(Date.now() + 10 * 60_000));
    const clock = (await doctor({}, fast)).check('时钟');
    expect(clock).toMatch(/^✗ 时钟.*本机时钟比飞书服务器快 (59\d|60\d) 秒/);
    expect(clock).toContain('timedatectl set-ntp true');

    const tz = (await doctor({ TZ: 'Asia/Beijing' })).check('时区');
    expect(tz).toMatch(/^✗ 时区.*TZ=Asia\/Beijing 不是有效的时区/);
    expect(tz).toContain('TZ=Asia/Shanghai');
  });

  it('an invalid campaign file lists its problems by path; a valid one whose window is over says so', async () => {
    const dir = tmpDir();
    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(bad, JSON.stringify({ id: 'x', name: '走访', window: { start: '2026-09-01' } }));
    const c = (await doctor({ CAMPAIGN_FILE: bad })).check('活动与时间窗口');
    expect(c).toMatch(/^✗ .*活动配置文件有误/);
    expect(c).toContain('window.end');
    expect(c).toContain(`zoufang campaign load ${bad}`);

    const over = path.join(dir, 'over.json');
    fs.writeFileSync(over, JSON.stringify({ ...campaign, window: { start: today(-400), end: today(-200) } }));
    const o = (await doctor({ CAMPAIGN_FILE: over })).check('活动与时间窗口');
    expect(o).toMatch(new RegExp(`^✗ .*已于 ${today(-200)} 结束`));
  });

  it('names the campaign months without holiday data, and goes quiet once their years are loaded', async () => {
    const dir = tmpDir();
    const far = path.join(dir, 'far.json');
    fs.writeFileSync(far, JSON.stringify({ ...campaign, window: { start: '2098-11-15', end: '2099-02-10' } }));
    const db = await dbCopy(() => {});
    const at = { CAMPAIGN_FILE: far, DATABASE_PATH: db };
    const before = (await doctor(at)).check('节假日数据');
    expect(before).toMatch(/^! .*2098-11, 2098-12, 2099-01, 2099-02/);
    expect(before).toContain('zoufang calendar load');
    expect(await loadYear(2098, { ...env, ...at })).toBe(0);
    const half = (await doctor(at)).check('节假日数据');
    expect(half).toMatch(/^! .*: 2099-01, 2099-02$/m);
    expect(half).not.toContain('2098-');
    expect(await loadYear(2099, { ...env, ...at })).toBe(0);
    expect((await doctor(at)).check('节假日数据')).toMatch(/^✓ 节假日数据.*每个月都有节假日数据/);
  });

  it('a configuration problem, missing credentials, a readable .env, no message ever received', async () => {
    const broken = await doctor({ LARK_TRANSPORT: 'pigeon', PORT: 'eighty' });
    expect(broken.check('配置')).toMatch(/^✗ 配置.*\n.*LARK_TRANSPORT.*\n.*PORT/);
    expect(broken.text).toContain('其余检查需要有效的配置');

    const sandbox = (await doctor({ LARK_APP_ID: '', LARK_APP_SECRET: '' })).check('配置');
    expect(sandbox).toMatch(/^✗ 配置.*没有飞书应用凭据/);
    expect(sandbox).toContain('zoufang setup');

    const envFile = path.join(tmpDir(), '.env');
    fs.writeFileSync(envFile, 'LOG_LEVEL=info\n', { mode: 0o644 });
    fs.chmodSync(envFile, 0o644);
    expect((await doctor({}, systemClock, envFile)).check('配置文件权限')).toContain(`chmod 600 ${envFile}`);

    const quiet = await dbCopy((db) => db.exec('DELETE FROM inbound_events'));
    const c = (await doctor({ DATABASE_PATH: quiet })).check('收到的事件');
    expect(c).toMatch(/^✗ .*机器人还没有收到过任何消息/);
    expect(c).toContain('给机器人发一条 /帮助');
    expect(c).toContain('im.message.receive_v1');
  });
});

describe('zoufang doctor and the bot menu', () => {
  it('no menu click ever received: a warning naming the items to create and the version to publish, not a failure', async () => {
    const file = await dbCopy((db) => db.exec("DELETE FROM inbound_events WHERE event_type = 'application.bot.menu_v6'"));
    const r = await doctor({ DATABASE_PATH: file });
    const c = r.check('机器人菜单');
    expect(c).toMatch(/^! 机器人菜单.*还没有收到过菜单点击/);
    expect(c).toContain('推送事件');
    // The campaign's own menu: it files no dorm checks or visits, so those items are not asked for.
    for (const item of menuFor(campaign).flatMap((s) => s.items)) expect(c).toContain(`${menuItemName(item)}=${item.eventKey}`);
    expect(c).not.toContain('宿舍=dorm');
    expect(c).toContain('发布新版本');
    expect(r.code).toBe(0);
    expect(r.text).toMatch(/\d+ 项通过，1 项需要留意 \/ \d+ passed, 1 to look at$/);
  });
});

describe('zoufang doctor in webhook mode', () => {
  it("checks that the running bot answers Feishu's URL check with the keys in .env", async () => {
    const w = await startHarness({ transport: 'webhook', at: new Date(), campaign });
    try {
      const base = {
        LARK_APP_ID: w.credentials.appId,
        LARK_APP_SECRET: w.credentials.appSecret,
        LARK_DOMAIN: w.standIn.baseUrl,
        LARK_TRANSPORT: 'webhook',
        PORT: portOf(w.bot.url),
        DATABASE_PATH: w.dbFile,
        LARK_VERIFICATION_TOKEN: w.credentials.verificationToken,
      };
      const good = await doctor({ ...base, LARK_ENCRYPT_KEY: w.credentials.encryptKey });
      expect(good.check('webhook')).toMatch(/^✓ webhook：本机 \/webhook\/event 正确应答/);
      const wrong = await doctor({ ...base, LARK_ENCRYPT_KEY: 'not-the-key' });
      expect(wrong.check('webhook')).toMatch(/^✗ webhook.*HTTP 401/);
    } finally {
      await w.close();
    }
  });

  it('checks the URL as Feishu does: encrypted and unsigned, so a bot that wants a signature there fails', async () => {
    const http = await import('node:http');
    const { decrypt } = await import('../../src/sandbox/crypto.js');
    const checks: Array<{ headers: Record<string, unknown>; payload: Record<string, unknown> }> = [];
    // A bot on this port that answers the check only when it carries no signature, as Feishu's never does.
    const bot = http.createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString()));
      req.on('end', () => {
        if (req.url === '/healthz') return void res.end(JSON.stringify({ status: 'ok', transport: { kind: 'webhook', state: 'listening' } }));
        const payload = JSON.parse(decrypt(h.credentials.encryptKey, (JSON.parse(raw) as { encrypt: string }).encrypt)) as Record<string, unknown>;
        checks.push({ headers: req.headers, payload });
        res.statusCode = req.headers['x-lark-signature'] ? 400 : 200;
        res.end(JSON.stringify({ challenge: payload.challenge }));
      });
    });
    await new Promise<void>((r) => bot.listen(0, '127.0.0.1', r));
    try {
      const port = String((bot.address() as { port: number }).port);
      const r = await doctor({
        PORT: port,
        LARK_TRANSPORT: 'webhook',
        LARK_ENCRYPT_KEY: h.credentials.encryptKey,
        LARK_VERIFICATION_TOKEN: h.credentials.verificationToken,
      });
      expect(r.check('webhook')).toMatch(/^✓ webhook：本机 \/webhook\/event 正确应答/);
      expect(checks).toHaveLength(1);
      expect(checks[0]!.payload).toEqual({ challenge: expect.any(String), token: h.credentials.verificationToken, type: 'url_verification' });
    } finally {
      bot.closeAllConnections();
      await new Promise((r) => bot.close(r));
    }
  });
});
