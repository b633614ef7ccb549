import { afterEach, describe, expect, it, vi } from 'vitest';
import { eq } from 'drizzle-orm';
import { runCli } from '../src/cli.js';
import { outbox } from '../src/db/schema.js';
import { cst, startHarness, waitFor, type Harness } from './helpers/harness.js';

/** Whatever the platform does to our sends, each message arrives exactly once. */

let h: Harness;
afterEach(async () => {
  await h?.close();
});

/** Deterministic "random" for the stand-in's fault injection. */
function seeded(seed: number) {
  let x = seed;
  return () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

async function queueReplies(n: number) {
  const names = ['王建国', '李秀英', '张伟', '刘芳', '黄志强', '陈立华'];
  const sent = [];
  for (let i = 0; i < n; i++) {
    const name = names[i % names.length]!;
    await h.bot.outbox.enqueue({ dedupeKey: `test:${i}`, to: { openId: h.openId(name) }, purpose: 'test', text: `第 ${i} 条通知` });
    sent.push(`第 ${i} 条通知`);
  }
  return sent;
}

const delivered = () =>
  h.standIn
    .messages()
    .filter((m) => m.sender.kind === 'app' && m.msgType === 'text')
    .map((m) => m.content.text as string);

describe('outbox under faults', () => {
  it('delivers every message once with 30 % of calls failing with 5xx', async () => {
    h = await startHarness({ transport: 'webhook', at: cst('2026-11-11T10:00:00') });
    h.standIn.faults.set({ errorRate5xx: 0.3, random: seeded(7) });
    const sent = await queueReplies(60);
    await h.settle(20_000);
    expect(delivered().sort()).toEqual(sent.sort());
    expect(h.standIn.calls().filter((c) => c.status >= 500).length).toBeGreaterThan(5);
    expect(
      h.db
        .select()
        .from(outbox)
        .all()
        .every((r) => r.status === 'sent'),
    ).toBe(true);
  });

  it('waits out 429 rate-limit answers and still delivers once', async () => {
    h = await startHarness({ transport: 'webhook', at: cst('2026-11-11T10:00:00') });
    h.standIn.faults.set({ rateLimitNext: 3 });
    const sent = await queueReplies(5);
    await h.settle(20_000);
    expect(delivered().sort()).toEqual(sent.sort());
    expect(h.standIn.calls().filter((c) => c.code === 99991400)).toHaveLength(3);
  });

  it('retries answers slower than the client timeout without duplicates', async () => {
    h = await startHarness({ transport: 'webhook', at: cst('2026-11-11T10:00:00'), apiTimeoutMs: 300 });
    await h.settle();
    h.standIn.faults.set({ slowMs: 800, slowNext: 2 });
    const sent = await queueReplies(4);
    await h.settle(20_000);
    expect(delivered().sort()).toEqual(sent.sort());
  });

  it('sends once more beside a call Feishu leaves unanswered, under the same uuid: the second brings the message, and it arrives once', async () => {
    h = await startHarness({ transport: 'webhook', at: cst('2026-11-11T10:00:00') });
    await h.settle();
    // The first call is answered after five seconds, well inside the client's timeout (10 s).
    h.standIn.faults.set({ slowMs: 5000, slowNext: 1 });
    const sent = await queueReplies(1);
    const sends = () => h.standIn.calls().filter((c) => c.method === 'POST' && c.path === '/open-apis/im/v1/messages');
    await waitFor(() => sends().length === 2, 'the slow call to be answered', 15_000);
    // The slow call came second and found the message sent already, by the call made beside it.
    expect(sends().map((c) => c.note ?? 'created')).toEqual(['created', expect.stringMatching(/^uuid dedupe/)]);
    expect(delivered()).toEqual(sent);
    expect(h.db.select().from(outbox).get()).toMatchObject({ status: 'sent', attempts: 0 });
  });

  it('lets the slow first call decide when the call made beside it is refused: no try lost, no third call', async () => {
    h = await startHarness({ transport: 'webhook', at: cst('2026-11-11T10:00:00') });
    await h.settle();
    // The first call is answered after five seconds; the second, made beside it, is refused as still being sent.
    h.standIn.faults.set({ slowMs: 5000, slowNext: 1, refuseNext: ['message-being-sent'] });
    const sent = await queueReplies(1);
    const sends = () => h.standIn.calls().filter((c) => c.method === 'POST' && c.path === '/open-apis/im/v1/messages');
    await waitFor(() => delivered().length === 1, 'the slow call to bring the message', 15_000);
    await h.settle();
    expect(sends().map((c) => c.note ?? 'created')).toEqual(['fault: message-being-sent', 'created']);
    expect(delivered()).toEqual(sent);
    expect(h.db.select().from(outbox).get()).toMatchObject({ status: 'sent', attempts: 0 });
  });

  it('recovers when the platform invalidates the tenant token mid-run', async () => {
    h = await startHarness({ transport: 'webhook', at: cst('2026-11-11T10:00:00') });
    await queueReplies(3);
    await h.settle();
    h.standIn.expireTokens();
    const more = await queueReplies(6);
    await h.settle(20_000);
    expect(delivered()).toHaveLength(6);
    expect(new Set(delivered())).toEqual(new Set(more));
    expect(h.standIn.calls().some((c) => c.code === 99991663)).toBe(true);
  });

  it('records a clear permanent failure instead of retrying forever', async () => {
    h = await startHarness({ transport: 'webhook', at: cst('2026-11-11T10:00:00') });
    await h.bot.outbox.enqueue({ dedupeKey: 'nobody', to: { openId: 'ou_nobody' }, purpose: 'test', text: 'x' });
    await h.settle();
    const row = h.db.select().from(outbox).get()!;
    expect(row.status).toBe('failed');
    expect(row.attempts).toBe(1);
    expect(row.lastError).toMatch(/^2300\d\d/);
  });
});

describe('error codes', () => {
  const row = (dedupeKey: string) => h.db.select().from(outbox).where(eq(outbox.dedupeKey, dedupeKey)).get()!;
  const card = (text: string) => ({ schema: '2.0', config: { update_multi: true }, body: { elements: [{ tag: 'markdown', content: text }] } });

  it('retries a message still being sent (230049) and a card locked mid-interaction (230099 / 11310)', async () => {
    h = await startHarness({ transport: 'webhook', at: cst('2026-11-11T10:00:00') });
    h.standIn.faults.set({ refuseNext: ['message-being-sent'] });
    await h.bot.outbox.enqueue({ dedupeKey: 'notice', to: { openId: h.openId('王建国') }, purpose: 'test', card: card('本周责任区周报') });
    await h.settle();
    const sent = h.cardsTo('王建国');
    expect(sent).toHaveLength(1);
    expect(row('notice')).toMatchObject({ status: 'sent', attempts: 1 });

    h.standIn.faults.set({ refuseNext: ['card-action-locked'] });
    await h.bot.outbox.enqueue({ dedupeKey: 'update', to: { patch: sent[0]!.messageId }, purpose: 'test', card: card('已提交') });
    await h.settle();
    expect(h.cardsTo('王建国')[0]!.content.body.elements[0].content).toBe('已提交');
    expect(row('update')).toMatchObject({ status: 'sent', attempts: 1 });
    expect(h.standIn.calls().filter((c) => c.code === 230049 || c.code === 230099)).toHaveLength(2);
  });

  it('does not retry a card over the element limit, the other 11310', async () => {
    h = await startHarness({ transport: 'webhook', at: cst('2026-11-11T10:00:00') });
    await h.bot.outbox.enqueue({ dedupeKey: 'notice', to: { openId: h.openId('王建国') }, purpose: 'test', card: card('本周责任区周报') });
    await h.settle();
    h.standIn.faults.set({ refuseNext: ['card-element-limit'] });
    await h.bot.outbox.enqueue({ dedupeKey: 'update', to: { patch: h.cardsTo('王建国')[0]!.messageId }, purpose: 'test', card: card('已提交') });
    await h.settle();
    expect(row('update')).toMatchObject({ status: 'failed', attempts: 1 });
    expect(h.cardsTo('王建国')[0]!.content.body.elements[0].content).toBe('本周责任区周报');
  });

  it('a message refused by the DLP audit (230028) is not retried, and the admins hear what and to whom, not its content', async () => {
    h = await startHarness({ transport: 'webhook', at: cst('2026-11-11T10:00:00') });
    h.standIn.faults.set({ dlpBlocksMobiles: true });
    await h.bot.outbox.enqueue({ dedupeKey: 'visit', to: { openId: h.openId('刘芳') }, purpose: 'visit.report-leader', text: '孙小红家长电话 13912345678' });
    await h.settle();
    expect(row('visit')).toMatchObject({ status: 'failed', attempts: 1 });
    expect(h.textsTo('刘芳')).toEqual([]);
    const notice = h.textsTo('陈立华');
    expect(notice).toHaveLength(1);
    expect(notice[0]).toMatch(/^有 1 条消息被飞书的数据防泄漏（DLP）策略拦截，没有发出：\n· 走访记录，收件人 刘芳\n/);
    expect(notice[0]).toContain('请企业管理员在飞书管理后台检查 DLP 设置');
    for (const secret of ['13912345678', '孙小红']) {
      expect(notice[0]).not.toContain(secret);
      expect(h.logs.lines.join('\n')).not.toContain(secret);
    }
  });
});

describe('uploads', () => {
  it('retries an upload while Feishu has uploads write-stopped (232096)', async () => {
    h = await startHarness({ transport: 'webhook', at: cst('2026-11-11T10:00:00') });
    h.standIn.faults.set({ refuseNext: ['upload-write-stopped'] });
    await h.say('陈立华', '/导出');
    await waitFor(() => h.textsTo('陈立华').some((t) => /^导出(完成|未能发送|失败)/.test(t)), 'the export', 60_000);
    await h.settle();
    expect(h.textsTo('陈立华').at(-1)).toMatch(/^导出完成/);
    expect(h.standIn.messagesTo(h.openId('陈立华')).filter((m) => m.msgType === 'file')).toHaveLength(1);
    expect(
      h.standIn
        .calls()
        .filter((c) => c.code === 232096)
        .map((c) => c.path),
    ).toEqual(['/open-apis/im/v1/files']);
  });
});

describe('after a long outage', () => {
  const text = '本周走访安排已更新';
  const copies = (name: string) => h.textsTo(name).filter((t) => t === text).length;

  /**
   * Queues one message while Feishu fails as `faults` says; once it has been
   * tried `tries` times, Feishu comes back two hours later — past the hour in
   * which it would recognise a resend under the same uuid.
   */
  async function sendThroughOutage(faults: Parameters<Harness['standIn']['faults']['set']>[0], tries: number) {
    h.standIn.faults.set(faults);
    await h.bot.outbox.enqueue({ dedupeKey: 'plan', to: { openId: h.openId('王建国') }, purpose: 'remind.weekly', text });
    await waitFor(() => {
      const r = h.db.select().from(outbox).get()!;
      if (r.status !== 'pending' || r.attempts < tries) return false;
      h.clock.advance(2 * 3600_000);
      h.standIn.faults.clear();
      return true;
    }, 'tries during the outage');
    await h.settle();
  }

  it('holds a send whose first try may have arrived over an hour ago, and tells the admins', async () => {
    h = await startHarness({ transport: 'webhook', at: cst('2026-11-11T10:00:00') });
    await h.settle();
    // The first try reaches Feishu but its answer is lost; then Feishu is down.
    await sendThroughOutage({ answerLostNext: 1, errorRate5xx: 1 }, 3);
    expect(copies('王建国')).toBe(1);
    const r = h.db.select().from(outbox).where(eq(outbox.dedupeKey, 'plan')).get()!;
    expect(r.status).toBe('unconfirmed');
    const notice = h.textsTo('陈立华');
    expect(notice).toHaveLength(1);
    expect(notice[0]).toContain('有 1 条消息不确定是否已经发出');
    expect(notice[0]).toContain(`· 提醒，收件人 王建国（编号 ${r.id}）`);
    expect(notice[0]).not.toContain(text);
    const health = await (await fetch(`${h.bot.url}/healthz`)).json();
    expect(health).toMatchObject({ outboxBacklog: 0, outboxUnconfirmed: 1 });

    // The admin lists what is held, asks the teacher, and decides.
    const out = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const env = { DATABASE_PATH: h.dbFile };
    try {
      expect(await runCli(['outbox', 'held'], env)).toBe(0);
      expect(out.mock.calls.flat().join('\n')).toMatch(new RegExp(`^${r.id}\t提醒\t王建国\t`, 'm'));
      expect(await runCli(['outbox', 'release', '999'], env)).toBe(1);
      expect(await runCli(['outbox', 'release', String(r.id)], env)).toBe(0);
    } finally {
      out.mockRestore();
    }
    await h.settle();
    expect(copies('王建国')).toBe(2);
    expect(await h.bot.outbox.unconfirmed()).toBe(0);
  });

  it('still delivers, once, what Feishu definitely refused (429) two hours ago', async () => {
    h = await startHarness({ transport: 'webhook', at: cst('2026-11-11T10:00:00') });
    await h.settle();
    await sendThroughOutage({ rateLimitNext: 100 }, 1);
    expect(copies('王建国')).toBe(1);
    expect(h.db.select().from(outbox).get()).toMatchObject({ status: 'sent' });
    expect(h.textsTo('陈立华')).toEqual([]);
  });

  it('retries a card update after any outage: setting the same content twice does no harm', async () => {
    h = await startHarness({ transport: 'webhook', at: cst('2026-11-11T10:00:00') });
    await h.bot.outbox.enqueue({
      dedupeKey: 'card',
      to: { openId: h.openId('王建国') },
      purpose: 'test',
      card: { schema: '2.0', config: { update_multi: true }, body: { elements: [{ tag: 'markdown', content: '待提交' }] } },
    });
    await h.settle();
    const messageId = h.cardsTo('王建国')[0]!.messageId;
    h.standIn.faults.set({ answerLostNext: 1, errorRate5xx: 1 });
    await h.bot.outbox.enqueue({
      dedupeKey: 'update',
      to: { patch: messageId },
      purpose: 'test',
      card: { schema: '2.0', config: { update_multi: true }, body: { elements: [{ tag: 'markdown', content: '已提交' }] } },
    });
    await waitFor(() => {
      const r = h.db.select().from(outbox).where(eq(outbox.dedupeKey, 'update')).get()!;
      if (r.status !== 'pending' || r.attempts < 3) return false;
      h.clock.advance(2 * 3600_000);
      h.standIn.faults.clear();
      return true;
    }, 'retries during the outage');
    await h.settle();
    expect(h.db.select().from(outbox).where(eq(outbox.dedupeKey, 'update')).get()).toMatchObject({ status: 'sent' });
    expect(h.cardsTo('王建国')[0]!.content.body.elements[0].content).toBe('已提交');
  });
});
