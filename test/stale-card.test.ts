import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import type { FeishuStandIn } from '../src/sandbox/stand-in.js';
import { ledgerItems } from '../src/db/schema.js';
import { cardText, cst, startHarness, type Harness } from './helpers/harness.js';
import { ALICE, sdkClient, startStandIn } from './sandbox/helpers.js';
import { zoneReportRows } from './helpers/zone-reports.js';

/**
 * A Card JSON 2.0 card takes clicks, and can be updated, for 14 days after it
 * is sent (配置卡片交互; 卡片 JSON 2.0 版本更新说明). After that Feishu's client
 * refuses the click itself and the bot never hears of it. So nothing may rest
 * on an old card's buttons: the reminder that points at something carries a
 * fresh card, and a card meant to be used for weeks says how to reopen it.
 */

// No problems found: a problem would also open a ledger item, whose card is not what these tests are about.
const FORM = {
  overall_state: '楼道整洁，垃圾桶按时清理',
  student_talks: '与 3 名学生谈心，了解实习准备情况',
  problems: '',
  remarks: '灯管已报修',
};

const HOUR_MS = 3600_000;
const DAY_MS = 24 * HOUR_MS;
const PUSHED_AT = cst('2026-11-13T16:00:00');
const afterPush = (ms: number) => new Date(PUSHED_AT.getTime() + ms);

let current: Harness | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

async function pushWeek1(o: { cardBudgetMs?: number } = {}): Promise<Harness> {
  const harness = await startHarness({ transport: 'webhook', at: cst('2026-11-11T10:00:00'), ...o });
  current = harness;
  harness.clock.set(PUSHED_AT);
  await harness.runJob('zone-report-push');
  return harness;
}

const message = (h: Harness, id: string) => h.standIn.messages().find((m) => m.messageId === id)!;

describe('the stand-in, like Feishu’s client', () => {
  let s: FeishuStandIn | undefined;
  let server: http.Server | undefined;
  afterEach(async () => {
    await s?.stop();
    server?.closeAllConnections();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    s = server = undefined;
  });

  /** A stand-in on a clock the test moves, and a bare callback endpoint that counts what reaches it. */
  async function standInWithCallback(answerCard: object) {
    const clock = { now: Date.UTC(2026, 10, 1) };
    s = await startStandIn({ now: () => clock.now });
    const received: unknown[] = [];
    const app = express();
    app.use(express.json());
    app.post('/cb', (req, res) => {
      received.push(req.body);
      res.json({ toast: { type: 'success', content: '收到' }, card: { type: 'raw', data: answerCard } });
    });
    server = http.createServer(app);
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    s.setWebhook(`http://127.0.0.1:${(server.address() as AddressInfo).port}/cb`);
    const send = async (card: object) =>
      (
        await sdkClient(s!).im.v1.message.create({
          params: { receive_id_type: 'open_id' },
          data: { receive_id: ALICE.openId, msg_type: 'interactive', content: JSON.stringify(card) },
        })
      ).data?.message_id as string;
    return { clock, received, send, standIn: s };
  }

  it('refuses a click on a 2.0 card 14 days and 1 hour after it was sent: no callback, and the card stays as it was', async () => {
    const card = { schema: '2.0', body: { elements: [{ tag: 'markdown', content: '报名' }] } };
    const { clock, received, send, standIn } = await standInWithCallback({ ...card, body: { elements: [{ tag: 'markdown', content: '已报名' }] } });
    const messageId = await send(card);

    // Day 13: the click reaches the bot and its answer updates the card. That update does not restart the 14 days.
    clock.now += 13 * DAY_MS;
    expect((await standIn.clickCard({ messageId, operatorOpenId: ALICE.openId, value: {} })).card).toBeDefined();
    expect(received).toHaveLength(1);

    clock.now += DAY_MS + HOUR_MS;
    const refused = await standIn.clickCard({ messageId, operatorOpenId: ALICE.openId, value: {} });
    expect(refused).toEqual({ raw: undefined, refused: 'card-expired' });
    expect(received).toHaveLength(1);
    expect(standIn.messages().find((m) => m.messageId === messageId)!.updateCount).toBe(1);
  });

  it('a 1.0 card still takes clicks on day 15, but its update is refused with 230031 and the toast kept', async () => {
    const card = { config: { update_multi: true }, elements: [{ tag: 'markdown', content: '报名' }] };
    const { clock, received, send, standIn } = await standInWithCallback({ ...card, elements: [{ tag: 'markdown', content: '已报名' }] });
    const messageId = await send(card);

    clock.now += 15 * DAY_MS;
    const stale = await standIn.clickCard({ messageId, operatorOpenId: ALICE.openId, value: {} });
    expect(received).toHaveLength(1);
    expect(stale.refused).toBeUndefined();
    expect(stale.error?.code).toBe(230031);
    expect(stale.toast).toEqual({ type: 'success', content: '收到' });
    const msg = standIn.messages().find((m) => m.messageId === messageId)!;
    expect(msg.updateCount).toBe(0);
    expect(msg.content.elements[0].content).toBe('报名');

    clock.now += 16 * DAY_MS;
    expect((await standIn.clickCard({ messageId, operatorOpenId: ALICE.openId, value: {} })).refused).toBe('card-expired');
    expect(received).toHaveLength(1);
  });
});

describe('the bot, with cards whose buttons work for 14 days', () => {
  it('a click at 14 days and 1 hour never reaches the bot and stores nothing; /进度 gives a form that works', async () => {
    const h = await pushWeek1();
    const card = h.cardsTo('王建国').at(-1)!;
    const before = structuredClone(card.content);

    h.clock.set(afterPush(14 * DAY_MS + HOUR_MS));
    const answer = await h.click('王建国', card.messageId, '提交', FORM);
    expect(answer.refused).toBe('card-expired');
    await h.settle();
    expect(zoneReportRows(h.db)).toEqual([]);
    expect(message(h, card.messageId).content).toEqual(before);
    expect(h.cardsTo('王建国')).toHaveLength(1);

    // The way back: /进度 is a fresh card with a button for the week still to file.
    await h.say('王建国', '/进度');
    const progress = h.cardsTo('王建国').at(-1)!;
    expect(cardText(progress.content)).toContain('14 天后请输入 /进度 重新打开');
    const form = await h.click('王建国', progress.messageId, '补交第1周');
    expect(form.refused).toBeUndefined();
    const filed = await h.click('王建国', progress.messageId, '提交', FORM);
    expect(filed.toast?.content).toBe('已补交，谢谢！');
    expect(zoneReportRows(h.db)).toMatchObject([{ weekNo: 1, data: { remarks: FORM.remarks }, late: true }]);
  });

  it('a click on day 13¾ is answered in the card itself: Feishu judges the click and its answer together', async () => {
    const h = await pushWeek1();
    const card = h.cardsTo('王建国').at(-1)!;

    h.clock.set(afterPush(13 * DAY_MS + 18 * HOUR_MS));
    const answer = await h.click('王建国', card.messageId, '提交', FORM);
    expect(answer.error).toBeUndefined();
    expect(answer.toast?.content).toBe('已补交，谢谢！');
    expect(cardText(answer.card?.data)).toContain('已提交');
    await h.settle();
    expect(message(h, card.messageId).updateCount).toBe(1);
    expect(h.cardsTo('王建国')).toHaveLength(1);
  });

  it('an answer too slow for the callback is patched in later, or, near the 14-day limit, sent as a fresh card', async () => {
    const h = await pushWeek1({ cardBudgetMs: 200 });
    // Hold every handler until the test lets go, so each answer misses the callback.
    let release!: () => void;
    let gate = new Promise<void>((r) => (release = r));
    const router = h.bot.router;
    const handle = router.handleCard.bind(router);
    router.handleCard = async (e) => {
      await gate;
      return handle(e);
    };
    const slowClick = async (name: string) => {
      const card = h.cardsTo(name).at(-1)!;
      const answer = await h.click(name, card.messageId, '提交', FORM);
      expect(answer.toast?.content).toBe('已收到，正在处理，稍后会更新卡片。');
      expect(answer.card).toBeUndefined();
      release();
      await h.settle();
      gate = new Promise<void>((r) => (release = r));
      return card;
    };

    // Day 2: the update goes into the clicked card by PATCH.
    h.clock.set(afterPush(2 * DAY_MS));
    const early = await slowClick('李秀英');
    expect(message(h, early.messageId).updateCount).toBe(1);
    expect(cardText(message(h, early.messageId).content)).toContain('已提交');
    expect(h.cardsTo('李秀英')).toHaveLength(1);

    // Day 13¾: a PATCH could land after day 14 and be refused (230031), so the answer comes as a new card.
    h.clock.set(afterPush(13 * DAY_MS + 18 * HOUR_MS));
    const late = await slowClick('王建国');
    expect(message(h, late.messageId).updateCount).toBe(0);
    const cards = h.cardsTo('王建国');
    expect(cards).toHaveLength(2);
    expect(cards[1]!.messageId).not.toBe(late.messageId);
    expect(cardText(cards[1]!.content)).toContain('已提交');
    expect(zoneReportRows(h.db)).toHaveLength(2);
  });

  it('a ledger item’s overdue reminder on day 20 carries a card whose buttons work, and says how to reopen it', async () => {
    const h = await startHarness({ transport: 'webhook', at: cst('2026-11-11T10:00:00') });
    current = h;
    await h.say('刘芳', '/台账 新建 校门口早上拥堵，需要安排值周老师疏导');
    const first = h.cardsTo('刘芳').at(-1)!;
    const item = h.db.select().from(ledgerItems).get()!;
    expect(cardText(first.content)).toContain('14 天后请输入 /台账 重新打开');

    h.clock.set(cst('2026-12-01T09:00:00'));
    await h.runJob('ledger-overdue');
    const reminder = h.cardsTo('刘芳').at(-1)!;
    expect(reminder.messageId).not.toBe(first.messageId);
    expect(cardText(reminder.content)).toContain('请尽快处理');
    expect(cardText(reminder.content)).toContain('14 天后请输入 /台账 重新打开');

    // The card from day 0 no longer takes clicks; the reminder's does.
    expect((await h.click('刘芳', first.messageId, '接收')).refused).toBe('card-expired');
    expect(h.db.select().from(ledgerItems).where(eq(ledgerItems.id, item.id)).get()!.status).toBe('open');
    // The reminder lists the person's overdue items; one opens in place.
    await h.click('刘芳', reminder.messageId, '查看');
    const accepted = await h.click('刘芳', reminder.messageId, '接收');
    expect(accepted.toast?.content).toBe('已接收，请尽快处理。');
    expect(h.db.select().from(ledgerItems).where(eq(ledgerItems.id, item.id)).get()!.status).toBe('accepted');
  });
});
