import { afterEach, describe, expect, it } from 'vitest';
import { buttonValue, cst, startHarness, type Harness } from './helpers/harness.js';
import { zoneReportRows } from './helpers/zone-reports.js';

/** What the SDK does not check (it never compares the verification token), the bot does: forged or replayed requests never reach a handler. */

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const FORM = { overall_state: '整洁', student_talks: '谈心 2 人', problems: '', remarks: '' };

async function cardEventFor(name: string) {
  h.clock.set(cst('2026-11-13T16:00:00'));
  await h.runJob('zone-report-push');
  const card = h.cardsTo(name).at(-1)!;
  return {
    operator: { open_id: h.openId(name), tenant_key: 't' },
    token: 'c-abc',
    action: { value: buttonValue(card.content, '提交'), tag: 'button', name: 'submit', form_value: FORM },
    host: 'im_message',
    context: { open_message_id: card.messageId, open_chat_id: card.chatId },
  };
}

describe('webhook security', () => {
  it('answers 401 and logs a tampered signature, a wrong verification token and a stale timestamp', async () => {
    h = await startHarness({ transport: 'webhook', at: cst('2026-11-11T10:00:00') });
    const event = await cardEventFor('王建国');
    for (const [tamper, reason] of [
      ['signature', 'signature mismatch'],
      ['token', 'verification token mismatch'],
      ['stale-timestamp', 'stale or invalid timestamp'],
    ] as const) {
      const r = await h.standIn.deliver('card.action.trigger', event, { tamper, via: 'webhook' });
      expect(r.httpStatus, tamper).toBe(401);
      expect(h.logs.lines.some((l) => l.includes(reason))).toBe(true);
    }
    expect(zoneReportRows(h.db)).toHaveLength(0);
  });

  it("answers the console's unsigned URL check with the challenge, and only with the right token", async () => {
    // startHarness saved the URL through the stand-in's console, which signs nothing.
    h = await startHarness({ transport: 'webhook', at: cst('2026-11-11T10:00:00') });
    const { encryptPayload, signWebhook } = await import('../src/sandbox/index.js');
    const post = async (payload: object, o: { encrypt?: boolean; sign?: boolean } = {}) => {
      const body = JSON.stringify(o.encrypt ? { encrypt: encryptPayload(h.credentials.encryptKey, JSON.stringify(payload)) } : payload);
      const ts = String(Math.floor(h.clock.now().getTime() / 1000));
      const signed: Record<string, string> = o.sign
        ? { 'x-lark-request-timestamp': ts, 'x-lark-request-nonce': 'n', 'x-lark-signature': signWebhook(ts, 'n', h.credentials.encryptKey, body) }
        : {};
      const res = await fetch(`${h.bot.url}/webhook/event`, { method: 'POST', headers: { 'content-type': 'application/json', ...signed }, body });
      return { status: res.status, body: await res.json() };
    };
    const check = (token: string) => ({ challenge: 'ch-1', token, type: 'url_verification' });
    const right = h.credentials.verificationToken;

    expect(await post(check(right))).toEqual({ status: 200, body: { challenge: 'ch-1' } });
    expect(await post(check(right), { encrypt: true })).toEqual({ status: 200, body: { challenge: 'ch-1' } });
    expect(await post(check(right), { encrypt: true, sign: true })).toEqual({ status: 200, body: { challenge: 'ch-1' } });
    expect(await post(check('wrong'))).toEqual({ status: 401, body: { error: 'verification token mismatch' } });
    expect((await post(check('wrong'), { encrypt: true })).status).toBe(401);

    // Anything else unsigned is refused, even with the right token: a forged click stores nothing.
    const event = await cardEventFor('王建国');
    const click = { schema: '2.0', header: { event_id: 'forged-1', event_type: 'card.action.trigger', token: right, create_time: '1' }, event };
    for (const encrypt of [false, true]) expect(await post(click, { encrypt })).toEqual({ status: 401, body: { error: 'missing signature headers' } });
    expect(zoneReportRows(h.db)).toHaveLength(0);
  });

  it('handles an event delivered three times with the same event_id once', async () => {
    h = await startHarness({ transport: 'webhook', at: cst('2026-11-11T10:00:00') });
    const event = await cardEventFor('李秀英');
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await h.standIn.deliver('card.action.trigger', event, { eventId: 'evt-same-1', via: 'webhook' }));
    expect(answers.map((a) => a.httpStatus)).toEqual([200, 200, 200]);
    expect((answers[0]!.body as { toast: { content: string } }).toast.content).toBe('提交成功，谢谢！');
    expect(answers[1]!.body).toEqual({});
    expect(zoneReportRows(h.db)).toHaveLength(1);
  });

  it('answers a re-delivered message once', async () => {
    h = await startHarness({ transport: 'webhook', at: cst('2026-11-11T10:00:00') });
    const chatId = h.standIn.p2pChatId(h.openId('张伟'));
    const { messageId } = await h.standIn.sendText(h.openId('张伟'), '/帮助');
    const message = {
      sender: { sender_id: { open_id: h.openId('张伟') }, sender_type: 'user', tenant_key: 't' },
      message: { message_id: messageId, create_time: '1', chat_id: chatId, chat_type: 'p2p', message_type: 'text', content: JSON.stringify({ text: '/帮助' }) },
    };
    // Feishu re-pushes with a new event_id; the message_id stays the same.
    for (let i = 0; i < 2; i++) await h.standIn.deliver('im.message.receive_v1', message, { via: 'webhook' });
    await h.settle();
    expect(h.textsTo('张伟')).toHaveLength(1);
    expect(h.textsTo('张伟')[0]).toContain('/进度');
  });

  it('forgets event keys after a week, the latest of each type kept, and still answers a re-delivery inside the week once', async () => {
    h = await startHarness({ transport: 'webhook', at: cst('2026-11-11T10:00:00') });
    const zhang = h.openId('张伟');
    const chatId = h.standIn.p2pChatId(zhang);
    const asText = (messageId: string) => ({
      sender: { sender_id: { open_id: zhang }, sender_type: 'user', tenant_key: 't' },
      message: { message_id: messageId, create_time: '1', chat_id: chatId, chat_type: 'p2p', message_type: 'text', content: JSON.stringify({ text: '/帮助' }) },
    });
    const keys = () => (h.db.$client.prepare('SELECT event_key AS k FROM inbound_events ORDER BY rowid').all() as Array<{ k: string }>).map((r) => r.k);
    const first = await h.standIn.sendText(zhang, '/帮助');
    await h.settle();
    h.clock.set(cst('2026-11-19T10:00:00'));
    const second = await h.standIn.sendText(zhang, '/帮助');
    await h.settle();
    expect(keys()).toEqual(expect.arrayContaining([`msg:${first.messageId}`, `msg:${second.messageId}`]));

    const run = await h.runJob('forget-event-keys');
    expect(run.detail).toMatch(/^forgot [1-9]\d* event keys$/);
    expect(keys()).not.toContain(`msg:${first.messageId}`);
    expect(keys()).toContain(`msg:${second.messageId}`);
    // Inside the week a re-delivery is still known: answered once.
    await h.standIn.deliver('im.message.receive_v1', asText(second.messageId), { via: 'webhook' });
    await h.settle();
    expect(h.textsTo('张伟')).toHaveLength(2);

    // A fortnight on, the last message's key stays: the doctor can still say when one last came.
    h.clock.set(cst('2026-12-03T10:00:00'));
    await h.runJob('forget-event-keys');
    expect(keys().filter((k) => k.startsWith('msg:'))).toEqual([`msg:${second.messageId}`]);
  });

  it('rejects a malformed body with 400 and never crashes', async () => {
    h = await startHarness({ transport: 'webhook', at: cst('2026-11-11T10:00:00') });
    const res = await fetch(`${h.bot.url}/webhook/event`, { method: 'POST', body: 'not json{' });
    expect(res.status).toBe(400);
    const health = await fetch(`${h.bot.url}/healthz`);
    expect(health.status).toBe(200);
  });

  it('refuses a body over 1 MB with 413 and a reason, and still serves the next event', async () => {
    h = await startHarness({ transport: 'webhook', at: cst('2026-11-11T10:00:00') });
    const { MAX_WEBHOOK_BODY_BYTES } = await import('../src/feishu/inbound.js');
    const huge = JSON.stringify({ encrypt: 'x'.repeat(MAX_WEBHOOK_BODY_BYTES) });
    const res = await fetch(`${h.bot.url}/webhook/event`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: huge });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ error: `body larger than ${MAX_WEBHOOK_BODY_BYTES} bytes` });
    expect(h.logs.lines.some((l) => l.includes('webhook: request rejected') && l.includes('body larger than'))).toBe(true);
    // Only POST is the webhook: any other method is express's, which knows no such route.
    expect((await fetch(`${h.bot.url}/webhook/event`)).status).toBe(404);
    await h.standIn.sendText(h.openId('张伟'), '/帮助');
    await h.settle();
    expect(h.textsTo('张伟').at(-1)).toContain('走访助手可以做这些事');
  });
});
