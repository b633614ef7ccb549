import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { FeishuApi } from '../../src/feishu/api.js';
import { createLogger, sdkLogger } from '../../src/logger.js';
import { cst, type Harness } from '../helpers/harness.js';
import { PRIVATE, startRecordsHarness } from '../records/fixtures.js';

/**
 * Log lines carry ids, never secrets or personal data. Real flows run through
 * the bot, the happy paths and the failing ones (rate limits, 5xx, an expired
 * token, a missing permission, forged webhooks, a photo that cannot be
 * downloaded), and every line written is scanned.
 */

let h: Harness;
afterEach(async () => {
  await h?.close();
});

/** What a teacher might type into a card: a family's phone and address among the notes. */
const TYPED = {
  overall_state: `楼道整洁，联系家长 ${PRIVATE.phone}`,
  student_talks: `家访地址 ${PRIVATE.address}`,
  problems: PRIVATE.reason,
  remarks: '三楼饮水机坏了',
};

async function currentToken(h: Harness): Promise<string> {
  // The stand-in hands out the same token until it nears expiry: this is the one the bot holds.
  const r = await fetch(`${h.standIn.baseUrl}/open-apis/auth/v3/tenant_access_token/internal`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ app_id: h.credentials.appId, app_secret: h.credentials.appSecret }),
  });
  return ((await r.json()) as { tenant_access_token: string }).tenant_access_token;
}

describe('log redaction', { timeout: 60_000 }, () => {
  it('keeps secrets, tokens, phones, addresses and typed card text out of every log line', async () => {
    h = await startRecordsHarness(cst('2026-11-13T16:00:00'));
    await h.runJob('zone-report-push');
    const card = h.cardsTo('王建国').at(-1)!;
    // The platform misbehaves while the answer is sent: 429s, a 502, then an expired token.
    h.standIn.faults.set({ rateLimitNext: 2 });
    expect((await h.click('王建国', card.messageId, '提交', TYPED)).toast?.type).toBe('success');
    await h.settle(20_000);
    h.standIn.faults.set({ errorRate5xx: 1, random: () => 0.5 });
    await h.standIn.sendText(h.openId('刘芳'), `/进度 我的电话 ${PRIVATE.phone}`);
    h.standIn.faults.clear();
    h.standIn.expireTokens();
    await h.say('刘芳', '/帮助');
    await h.settle(20_000);

    // A photo Feishu will not hand over, forged webhooks, and a lookup without the contact permission.
    h.standIn.revokeScopes('im:message', 'im:message:readonly', 'im:message.history:readonly', 'contact:user.id:readonly');
    await h.standIn.sendImage(h.openId('刘芳'), Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytes(64)]));
    await h.settle();
    await expect(h.bot.api.openIdsByContact({ mobiles: [PRIVATE.phone] })).rejects.toThrow('99991672');
    h.standIn.grantScopes();
    for (const tamper of ['signature', 'token'] as const) {
      expect((await h.standIn.deliver('im.message.receive_v1', { typed: TYPED.student_talks }, { tamper, via: 'webhook' })).httpStatus).toBe(401);
    }

    const logged = h.logs.lines.join('\n');
    // The flows above did log: ids and codes.
    expect(logged).toContain('zone report saved');
    expect(logged).toContain('outbox: send failed, will retry');
    expect(logged).toContain('webhook: request rejected');
    const token = await currentToken(h);
    const never = [
      h.credentials.appSecret,
      h.credentials.encryptKey,
      h.credentials.verificationToken,
      token,
      ...Object.values(PRIVATE),
      ...Object.values(TYPED).filter(Boolean),
    ];
    for (const s of never) expect(logged, s).not.toContain(s);
  });

  it("the SDK's own error lines, even at trace level, keep only codes and messages", async () => {
    h = await startRecordsHarness();
    const lines: string[] = [];
    const sink = new Writable({
      write(c, _e, done) {
        lines.push(String(c));
        done();
      },
    });
    const log = createLogger('trace', sink);
    const wrongSecret = `${h.credentials.appSecret.slice(0, -4)}beef`;
    const api = new FeishuApi({ appId: h.credentials.appId, appSecret: wrongSecret, baseUrl: h.standIn.baseUrl, logger: log });
    await expect(api.send('open_id', h.openId('刘芳'), { msgType: 'text', content: JSON.stringify({ text: PRIVATE.address }) })).rejects.toThrow();
    // What the SDK passes its logger on a failed call: the axios error, request config and body included.
    sdkLogger(log).error({
      config: { headers: { Authorization: 'Bearer t-secret-token' }, data: JSON.stringify({ app_secret: wrongSecret }) },
      code: 10014,
      msg: 'app secret invalid',
    });
    log.info({ lark: { appSecret: wrongSecret, nested: { mobile: PRIVATE.phone } }, form_value: { note: PRIVATE.reason } }, 'settings');

    const logged = lines.join('');
    expect(logged).toContain('code=10014 msg=app secret invalid');
    for (const s of [wrongSecret, 't-secret-token', PRIVATE.address, PRIVATE.phone, PRIVATE.reason]) expect(logged, s).not.toContain(s);
  });
});
