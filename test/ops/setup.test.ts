import fs from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import * as lark from '@larksuiteoapi/node-sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BOT_MENU, menuItemName, menuItems } from '../../src/bot/menu.js';
import { loadConfig } from '../../src/config.js';
import { parseEnv } from '../../src/ops/env-file.js';
import { runSetup } from '../../src/ops/setup.js';
import { FeishuStandIn } from '../../src/sandbox/index.js';
import { cst, makeCredentials, startHarness } from '../helpers/harness.js';
import { piped, tmpDir, transcript } from './helpers.js';

/**
 * `zoufang setup` against the stand-in: the SDK's real registerApp, its
 * accounts host (hard-wired https://accounts.feishu.cn) rewritten to the
 * stand-in by a request interceptor (the SDK registers apps through the accounts host, "一键创建应用").
 */

const creds = makeCredentials();
let standIn: FeishuStandIn;
let interceptor: number;

beforeAll(async () => {
  standIn = new FeishuStandIn({ ...creds, registrationIntervalSeconds: 0.05 });
  await standIn.start();
  standIn.addUser({ openId: 'ou_it_teacher_0000000000000000000', name: '信息老师' });
  interceptor = lark.defaultHttpInstance.interceptors.request.use((cfg) => {
    if (cfg.url?.startsWith('https://accounts.feishu.cn')) cfg.url = cfg.url.replace('https://accounts.feishu.cn', standIn.baseUrl);
    return cfg;
  });
});
afterAll(async () => {
  lark.defaultHttpInstance.interceptors.request.eject(interceptor);
  await standIn.stop();
});
afterEach(() => {
  standIn.removeAllListeners('registration');
  standIn.removeAllListeners('call');
});

/** The IT teacher approves in Feishu after the tool has polled once and heard "pending". */
function approveAfterFirstPoll() {
  standIn.on('call', (c: { path: string; note?: string }) => {
    if (c.path === '/oauth/v1/app/registration' && c.note === 'registration: authorization_pending') {
      const pending = standIn.registrations().find((r) => r.status === 'pending');
      if (pending) standIn.approveRegistration(pending.userCode);
    }
  });
}

describe('zoufang setup', () => {
  it('one-click: shows the link and QR code, waits for approval, writes the credentials into a new .env and prints what is left', async () => {
    const envFile = path.join(tmpDir(), '.env');
    approveAfterFirstPoll();
    const out = transcript();
    const { prompter, asked } = piped();
    const code = await runSetup({ envFile, env: { LARK_DOMAIN: standIn.baseUrl }, io: out.io, prompter });
    const text = out.text();
    expect(code).toBe(0);

    const url = out.lines.find((l) => l.startsWith(`${standIn.baseUrl}/_sandbox/registration?user_code=`));
    expect(url).toBeDefined();
    const qr = out.lines.find((l) => /[▀▄█]{10}/.test(l));
    expect(qr?.split('\n').every((row) => row.length <= 80)).toBe(true); // scannable in an 80-column terminal
    // The link asks the confirm page for the scopes, events and callback the bot needs.
    const addons = JSON.parse(gunzipSync(Buffer.from(new URL(url!).searchParams.get('addons')!, 'base64url')).toString('utf8'));
    expect(addons.scopes.tenant).toEqual(
      expect.arrayContaining(['im:message:send_as_bot', 'im:message.p2p_msg:readonly', 'contact:user.id:readonly', 'calendar:calendar']),
    );
    expect(addons.events.items.tenant).toContain('im.message.receive_v1');
    expect(addons.callbacks.items).toEqual(['card.action.trigger']);
    expect(new URL(url!).searchParams.get('createOnly')).toBe('true');

    expect(text).toContain('应用已创建，凭据有效');
    expect(text).toContain(`LARK_APP_ID=${creds.appId}，LARK_APP_SECRET=********`);
    // What is left, with this app's console links.
    expect(text).toContain(`https://open.feishu.cn/app/${creds.appId}/auth`);
    for (const step of ['im.message.receive_v1', 'card.action.trigger', '使用长连接接收事件', '群机器人', 'BRANCH_CHAT_ID', 'zoufang doctor'])
      expect(text).toContain(step);
    // The bot menu, item by item under its main menu, and that it needs a published version.
    expect(text).toContain(`https://open.feishu.cn/app/${creds.appId}/bot`);
    for (const section of BOT_MENU) {
      expect(out.lines).toContain(`       ${section.name}`);
      for (const item of section.items)
        expect(
          out.lines.some((l) => l.includes(menuItemName(item)) && l.includes('推送事件') && l.endsWith(`event_key: ${item.eventKey}  （即 ${item.command}）`)),
        ).toBe(true);
    }
    expect(text).toContain('发布新版本才会出现');
    expect(`${text}\n${asked()}`).not.toContain(creds.appSecret);

    // The new .env is .env.example with the credentials filled in, readable by its owner only.
    const written = fs.readFileSync(envFile, 'utf8');
    expect(written).toContain('# 走访助手 Zoufang — configuration');
    expect(parseEnv(written)).toMatchObject({ LARK_APP_ID: creds.appId, LARK_APP_SECRET: creds.appSecret, LARK_TRANSPORT: 'ws' });
    expect(fs.statSync(envFile).mode & 0o777).toBe(0o600);
    expect(loadConfig({ ...parseEnv(written), LARK_DOMAIN: standIn.baseUrl }).mode).toBe('feishu');
  });

  it('when the one-click request is denied, asks for an existing app and keeps asking until Feishu accepts it', async () => {
    const envFile = path.join(tmpDir(), '.env');
    fs.writeFileSync(envFile, `# our school\nPORT=3100\nLARK_DOMAIN=${standIn.baseUrl}\nLARK_APP_ID=\nLARK_APP_SECRET=\n`);
    standIn.on('registration', ({ userCode }: { userCode: string }) => standIn.denyRegistration(userCode));
    const out = transcript();
    const { prompter, asked } = piped(creds.appId, 'not-the-secret', creds.appId, creds.appSecret);
    expect(await runSetup({ envFile, env: {}, io: out.io, prompter })).toBe(0);
    const text = out.text();
    expect(text).toContain('一键创建授权被拒绝');
    expect(text).toContain('改为手动填写');
    expect(asked()).toContain('App ID（cli_ 开头）');
    expect(text).toMatch(/飞书不接受这组 App ID 与 App Secret（code 10014/);
    expect(`${text}\n${asked()}`).not.toContain(creds.appSecret);
    expect(parseEnv(fs.readFileSync(envFile, 'utf8'))).toEqual({
      PORT: '3100',
      LARK_DOMAIN: standIn.baseUrl,
      LARK_APP_ID: creds.appId,
      LARK_APP_SECRET: creds.appSecret,
      LARK_TRANSPORT: 'ws',
    });
    expect(fs.readFileSync(envFile, 'utf8')).toContain('# our school');
  });

  it('reconfigures an app for webhook mode by hand, re-asking a malformed App ID and taking the encryption keys', async () => {
    const envFile = path.join(tmpDir(), '.env');
    fs.writeFileSync(envFile, `LARK_APP_ID=cli_0123456789abcdef\nLARK_APP_SECRET=old\n`);
    const out = transcript();
    const { prompter, asked } = piped('y', 'cli_123', creds.appId, creds.appSecret, creds.encryptKey, creds.verificationToken);
    const code = await runSetup({ envFile, env: { LARK_DOMAIN: standIn.baseUrl }, io: out.io, prompter, manual: true, transport: 'webhook' });
    expect(code).toBe(0);
    expect(asked()).toContain('已配置飞书应用 cli_0123456789abcdef。重新配置吗？');
    expect(asked()).toContain('App ID 应形如 cli_ 加 16 位字符');
    expect(out.text()).not.toContain('一键创建飞书应用');
    expect(out.text()).toContain('/webhook/event');
    const env = parseEnv(fs.readFileSync(envFile, 'utf8'));
    expect(env).toMatchObject({
      LARK_APP_ID: creds.appId,
      LARK_TRANSPORT: 'webhook',
      LARK_ENCRYPT_KEY: creds.encryptKey,
      LARK_VERIFICATION_TOKEN: creds.verificationToken,
    });
    expect(loadConfig({ ...env, LARK_DOMAIN: standIn.baseUrl }).lark?.transport).toBe('webhook');
  });

  it('every menu item it lists is one the bot answers, with the command it names', async () => {
    const h = await startHarness({ transport: 'ws', at: cst('2026-11-11T10:00:00') });
    try {
      const admin = h.openId('陈立华');
      for (const item of menuItems()) {
        const before = h.standIn.messagesTo(admin).length;
        await h.standIn.menuClick(admin, item.eventKey);
        await h.settle();
        expect(h.standIn.messagesTo(admin).length, item.eventKey).toBeGreaterThan(before);
      }
      expect(h.textsTo('陈立华').filter((t) => /没有 \S+ 这个命令|仅限党支部管理员/.test(t))).toEqual([]);
      expect(h.logs.lines.filter((l) => l.includes('menu: unknown key'))).toEqual([]);
    } finally {
      await h.close();
    }
  });

  it('keeps a configured app when told not to redo it, and writes nothing when the answers run out', async () => {
    const dir = tmpDir();
    const kept = path.join(dir, 'kept.env');
    fs.writeFileSync(kept, `LARK_APP_ID=${creds.appId}\nLARK_APP_SECRET=${creds.appSecret}\n`);
    const first = transcript();
    expect(await runSetup({ envFile: kept, env: {}, io: first.io, prompter: piped('n').prompter })).toBe(0);
    expect(first.text()).toContain(`https://open.feishu.cn/app/${creds.appId}/event`); // the checklist again
    expect(fs.readFileSync(kept, 'utf8')).toBe(`LARK_APP_ID=${creds.appId}\nLARK_APP_SECRET=${creds.appSecret}\n`);

    const fresh = path.join(dir, 'fresh.env');
    const second = transcript();
    expect(await runSetup({ envFile: fresh, env: { LARK_DOMAIN: standIn.baseUrl }, io: second.io, prompter: piped(creds.appId).prompter, manual: true })).toBe(
      1,
    );
    expect(second.text()).toContain('输入已结束');
    expect(fs.existsSync(fresh)).toBe(false);
  });
});
