import qrcode from 'qrcode-terminal';
import { menuFor, menuItemName } from '../bot/menu.js';
import type { CampaignDefinition } from '../domain/campaign.js';
import { larkBaseUrl } from '../config.js';
import { registerApp } from '../feishu/registration.js';
import { readEnvFile, updateEnvFile } from './env-file.js';
import { consoleUrl, tenantToken } from './feishu-probe.js';
import type { Io } from './io.js';
import { InputEnded, type Prompter } from './prompt.js';

/**
 * `zoufang setup`: gets the Feishu app's credentials into `.env` and says what
 * is left to do in the developer console. One-click creation uses the SDK's
 * registerApp (the SDK's one-click app registration, an OAuth 2.0 device authorization grant, RFC 8628): a link and QR code to open
 * in Feishu, then polling until the person approves. Where that cannot work
 * (no access to accounts.feishu.cn, the tenant forbids it, an existing app),
 * the App ID and secret are asked for and checked before anything is written.
 * The secret is never printed.
 */

/** What the bot needs, and why, in the order the console lists them. */
export const APP_SCOPES: Array<{ scope: string; why: string }> = [
  { scope: 'im:message:send_as_bot', why: '发消息和卡片 / send messages and cards' },
  { scope: 'im:message.p2p_msg:readonly', why: '接收老师发给机器人的消息 / receive direct messages' },
  { scope: 'im:message.group_at_msg:readonly', why: '接收群里 @机器人 的消息 / receive group @mentions' },
  { scope: 'im:message:readonly', why: '下载老师发来的照片 / download photos teachers send' },
  { scope: 'im:chat:readonly', why: '读取群信息，确认机器人在党支部群 / read the branch group' },
  { scope: 'contact:user.id:readonly', why: '按手机号/邮箱匹配名单中的老师 / match the roster by mobile or email' },
  { scope: 'im:resource', why: '上传导出的表格，发给管理员 / upload exported workbooks' },
  { scope: 'calendar:calendar', why: '把约访放进飞书日历，邀请走访教师 / put planned visits in Feishu Calendar' },
];
export const APP_EVENTS = ['im.message.receive_v1', 'application.bot.menu_v6'];
export const APP_CALLBACKS = ['card.action.trigger'];

const APP_ID = /^cli_[0-9a-zA-Z]{16}$/;

export interface SetupOptions {
  /** The env file to write (created from .env.example when missing). */
  envFile: string;
  /** The process environment: as at run time, a variable set there (LARK_DOMAIN) wins over the file. */
  env: Record<string, string | undefined>;
  io: Io;
  prompter: Prompter;
  /** Skip one-click creation and ask for an existing app's credentials. */
  manual?: boolean;
  transport?: 'ws' | 'webhook';
  /** The school's campaign, when known: the menu printed holds only what it has. */
  campaign?: CampaignDefinition;
}

interface Credentials {
  appId: string;
  appSecret: string;
  brand?: 'feishu' | 'lark';
}

/** A network that drops packets to accounts.feishu.cn would otherwise leave the first request hanging for good. */
const BEGIN_TIMEOUT_MS = 20_000;

async function oneClick(io: Io): Promise<Credentials | null> {
  io.out('一键创建飞书应用 / one-click app creation');
  const abort = new AbortController();
  let noAnswer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    noAnswer = setTimeout(() => {
      abort.abort();
      reject(new Error(`accounts.feishu.cn ${BEGIN_TIMEOUT_MS / 1000} 秒内无应答 / no answer`));
    }, BEGIN_TIMEOUT_MS);
  });
  try {
    const registration = registerApp({
      source: 'zoufang',
      signal: abort.signal,
      createOnly: true,
      // No description: every character lengthens the link, and the QR code must fit an 80-column terminal.
      appPreset: { name: '走访助手' },
      // Pre-filled on the confirm page where the platform supports it; the checklist below covers the rest.
      addons: { scopes: { tenant: APP_SCOPES.map((s) => s.scope) }, events: { items: { tenant: APP_EVENTS } }, callbacks: { items: APP_CALLBACKS } },
      onQRCodeReady: ({ url, expireIn }) => {
        clearTimeout(noAnswer);
        io.out('用飞书扫描二维码，或在浏览器打开下面的链接，按页面提示创建应用：');
        io.out('Scan the QR code with Feishu, or open the link, and create the app:');
        io.out(url);
        qrcode.generate(url, { small: true }, (q) => io.out(q));
        io.out(`链接 ${Math.round(expireIn / 60)} 分钟内有效，确认后这里会自动继续（Ctrl+C 取消）/ waiting for your approval…`);
      },
      onStatusChange: ({ status, interval }) => {
        if (status === 'slow_down') io.out(`飞书要求放慢查询，改为每 ${interval} 秒一次 / slowing down to every ${interval} s`);
        if (status === 'domain_switched') io.out('这是 Lark 国际版租户，改用 Lark 域名 / a Lark tenant: switching domain');
      },
    });
    registration.catch(() => undefined); // after a timeout nobody awaits it; the abort ends its polling
    const r = await Promise.race([registration, timedOut]);
    return { appId: r.client_id, appSecret: r.client_secret, brand: r.user_info?.tenant_brand };
  } catch (e) {
    const { code, description, message } = e as { code?: string; description?: string; message?: string };
    const reason =
      code === 'access_denied'
        ? '授权被拒绝 / the request was denied'
        : code === 'expired_token'
          ? '链接已过期 / the link expired'
          : `未能完成 / did not complete (${description ?? message ?? code})`;
    io.out(`一键创建${reason}。`);
    io.out('改为手动填写：在飞书开放平台创建企业自建应用后，输入它的 App ID 和 App Secret。/ switching to manual entry');
    return null;
  } finally {
    clearTimeout(noAnswer);
  }
}

/** Asks until Feishu accepts the credentials (three tries). */
async function manual(io: Io, prompter: Prompter, baseUrl: string): Promise<Credentials | null> {
  io.out(
    `在 ${baseUrl.includes('larksuite') ? 'https://open.larksuite.com' : 'https://open.feishu.cn'}/app 打开应用 →「凭证与基础信息」/ open the app's Credentials page`,
  );
  for (let attempt = 1; attempt <= 3; attempt++) {
    let appId = await prompter.ask('App ID（cli_ 开头）: ');
    while (!APP_ID.test(appId)) appId = await prompter.ask('App ID 应形如 cli_ 加 16 位字符，请重新输入 / must look like cli_xxxxxxxxxxxxxxxx: ');
    const appSecret = await prompter.ask('App Secret（输入时不显示 / not shown）: ', { secret: true });
    const check = await tenantToken(baseUrl, appId, appSecret);
    if (check.token) return { appId, appSecret };
    io.out(
      check.networkError
        ? `无法连接 ${baseUrl}：${check.networkError}。请确认服务器能访问飞书后重试。/ cannot reach Feishu`
        : `飞书不接受这组 App ID 与 App Secret（code ${check.code}：${check.msg}），请核对后重新输入。/ Feishu rejected these credentials`,
    );
  }
  return null;
}

/**
 * The bot menu as the console must hold it (机器人自定义菜单事件): nothing arrives
 * from an item that is not there, or not yet in a published version.
 */
function menuSteps(campaign: CampaignDefinition | undefined): string[] {
  const menu = menuFor(campaign);
  const width = Math.max(...menu.flatMap((s) => s.items).map((i) => menuItemName(i).length));
  return [
    `在「应用能力 → 机器人」开启「机器人自定义菜单」，建下面 ${menu.length} 个主菜单及其子菜单${campaign ? `（${campaign.name}用到的）` : ''}；每个子菜单的动作选「推送事件」，event_key 照抄：`,
    '/ turn the bot menu on and create these main menus and entries, each entry "推送事件" (push event) with this event_key:',
    ...menu.flatMap((s) => [
      `  ${s.name}`,
      ...s.items.map((i) => `    ${menuItemName(i).padEnd(width + 1, '　')}推送事件  event_key: ${i.eventKey}  （即 ${i.command}）`),
    ]),
    '菜单保存后要在「版本管理与发布」发布新版本才会出现、才有反应 / the menu works only after a new version is published',
  ];
}

/**
 * The rest is done by a person in the developer console; this is the list, with
 * this app's links. The bot is started before the events are configured: the
 * console saves "receive events through the long connection" only while a
 * client is connected, and checks a webhook URL when it is saved.
 */
export function remainingSteps(appId: string, baseUrl: string, transport: 'ws' | 'webhook', campaign?: CampaignDefinition): string[] {
  const bulk = JSON.stringify({ scopes: { tenant: APP_SCOPES.map((s) => s.scope), user: [] } });
  const mode =
    transport === 'ws'
      ? [
          '订阅方式选「使用长连接接收事件」并保存（机器人须在运行，否则保存失败）',
          '「回调配置」同样选「使用长连接接收回调」/ choose the long connection for events and for callbacks',
        ]
      : [
          '请求地址填 https://<你的域名>/webhook/event（事件与回调都填；保存时飞书会校验，机器人须在运行）',
          '并把「加密策略」中的 Encrypt Key、Verification Token 写入 .env / set the request URL and copy the two keys',
        ];
  return [
    '',
    '接下来按顺序完成 / What is left, in this order:',
    `  1. 权限管理 / Permissions — ${consoleUrl(baseUrl, appId, 'auth')}`,
    '     点「批量导入」粘贴下面一行，或逐个开通 / paste into “bulk import”, or enable one by one:',
    `     ${bulk}`,
    ...APP_SCOPES.map((s) => `       ${s.scope}  ${s.why}`),
    '  2. 启动机器人 / start the bot: sudo systemctl enable --now zoufang（或 npm run start:prod）',
    `  3. 事件与回调 / Events & callbacks — ${consoleUrl(baseUrl, appId, 'event')}`,
    ...mode.map((m) => `     ${m}`),
    `     添加事件 / add events: ${APP_EVENTS.join('、')}；添加回调 / add the callback: ${APP_CALLBACKS.join('、')}（卡片回传交互）`,
    `  4. 机器人自定义菜单 / Bot menu — ${consoleUrl(baseUrl, appId, 'bot')}`,
    ...menuSteps(campaign).map((m) => `     ${m}`),
    `  5. 版本管理与发布 / Publish — ${consoleUrl(baseUrl, appId, 'version')}`,
    '     创建版本，可用范围选参加走访的老师（或全员），提交并由管理员审核通过；权限、事件和菜单都要发布新版本才生效',
    '     / create a version for the teachers and publish it: permissions, events and the menu take effect only then',
    '  6. 在飞书里把机器人加入党支部工作群：群设置 → 群机器人 → 添加机器人 / add the bot to the branch group',
    '  7. 运行 zoufang doctor：它列出机器人所在的群和 chat_id；把党支部群的 chat_id 填入 .env 的 BRANCH_CHAT_ID，再 sudo systemctl restart zoufang',
    "     / run zoufang doctor: it lists the groups the bot is in; put the branch group's chat_id in BRANCH_CHAT_ID and restart",
    '  8. 在飞书里给机器人发 /帮助、点一次菜单，再运行 zoufang doctor，直到每一项都是 ✓ / message the bot /帮助, press a menu item, then run doctor until every line shows ✓',
  ];
}

/** Returns the exit code. */
export async function runSetup(o: SetupOptions): Promise<number> {
  const { io, prompter } = o;
  const file = readEnvFile(o.envFile);
  const setting = (k: string) => o.env[k]?.trim() || file[k]?.trim() || undefined;
  const baseUrl = larkBaseUrl(setting('LARK_DOMAIN') ?? 'feishu');
  const transport = o.transport ?? (setting('LARK_TRANSPORT') === 'webhook' ? 'webhook' : 'ws');
  io.out(`走访助手 安装向导 / Zoufang setup — 配置文件 / settings file: ${o.envFile}`);
  try {
    if (file.LARK_APP_ID) {
      const again = await prompter.ask(`已配置飞书应用 ${file.LARK_APP_ID}。重新配置吗？/ already configured; set up again? (y/N) `);
      if (!/^y(es)?$/i.test(again)) {
        for (const line of remainingSteps(file.LARK_APP_ID, baseUrl, transport, o.campaign)) io.out(line);
        return 0;
      }
    }
    const created = o.manual ? null : await oneClick(io);
    const creds = created ?? (await manual(io, prompter, baseUrl));
    if (!creds) {
      io.err('没有得到可用的凭据，.env 未修改 / no working credentials; nothing was written');
      return 1;
    }
    if (created) {
      const check = await tenantToken(baseUrl, creds.appId, creds.appSecret);
      io.out(
        check.token
          ? '应用已创建，凭据有效 / app created, credentials accepted'
          : `应用已创建，但暂时换不到访问凭证（${check.networkError ?? `code ${check.code}：${check.msg}`}）；完成下列步骤后运行 zoufang doctor 检查 / created, but the token check failed`,
      );
    }
    const values: Record<string, string> = { LARK_APP_ID: creds.appId, LARK_APP_SECRET: creds.appSecret, LARK_TRANSPORT: transport };
    if (creds.brand === 'lark' && !setting('LARK_DOMAIN')?.startsWith('http')) values.LARK_DOMAIN = 'lark';
    if (transport === 'webhook') {
      io.out('webhook 模式需要「事件与回调 → 加密策略」中的两个值 / webhook mode needs the two values under Encryption:');
      values.LARK_ENCRYPT_KEY = setting('LARK_ENCRYPT_KEY') ?? (await prompter.ask('Encrypt Key: ', { secret: true }));
      values.LARK_VERIFICATION_TOKEN = setting('LARK_VERIFICATION_TOKEN') ?? (await prompter.ask('Verification Token: ', { secret: true }));
    }
    updateEnvFile(o.envFile, values);
    io.out(
      `已写入 ${o.envFile}（仅所有者可读）/ written: LARK_APP_ID=${creds.appId}，LARK_APP_SECRET=********，LARK_TRANSPORT=${transport}${values.LARK_DOMAIN ? '，LARK_DOMAIN=lark' : ''}`,
    );
    for (const line of remainingSteps(creds.appId, values.LARK_DOMAIN === 'lark' ? larkBaseUrl('lark') : baseUrl, transport, o.campaign)) io.out(line);
    return 0;
  } catch (e) {
    if (e instanceof InputEnded) {
      io.err(e.message);
      return 1;
    }
    throw e;
  } finally {
    prompter.close();
  }
}
