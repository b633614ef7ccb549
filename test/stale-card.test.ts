import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import type { FeishuStandIn } from '../src/sandbox/stand-in.js';
import { zoneReports } from '../src/db/schema.js';
import { cardText, cst, startHarness, type Harness } from './helpers/harness.js';
import { ALICE, sdkClient, startStandIn } from './sandbox/helpers.js';

/**
 * Feishu takes card callbacks for 30 days after a card is sent but lets it be
 * updated for only 14 (FEISHU.md §1, 230031). A click on an older card must
 * still work: the bot sends the updated card as a new message instead.
 */

// No problems found: a problem would also open a ledger item, whose card is not what these tests are about.
const FORM = {
  overall_state: '楼道整洁，垃圾桶按时清理',
  student_talks: '与 3 名学生谈心，了解实习准备情况',
  problems: '',
  remarks: '灯管已报修',
};

const DAY_MS = 24 * 3600_000;
const FRESH_NOTE = '这张卡片已超过 14 天无法更新，已为你发送一张新卡片。';

let current: Harness | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

async function pushWeek1(): Promise<Harness> {
  const harness = await startHarness({ transport: 'webhook', at: cst('2026-11-11T10:00:00') });
  current = harness;
  harness.clock.set(cst('2026-11-13T16:00:00'));
  await harness.runJob('zone-report-push');
  return harness;
}

const message = (h: Harness, id: string) => h.standIn.messages().find((m) => m.messageId === id)!;

describe('a card older than Feishu lets the bot update', () => {
  it('submitting on day 15 stores the report and sends a fresh card instead of updating in place', async () => {
    const h = await pushWeek1();
    const card = h.cardsTo('王建国').at(-1)!;
    const before = structuredClone(card.content);

    h.clock.set(new Date(cst('2026-11-13T16:00:00').getTime() + 15 * DAY_MS));
    const answer = await h.click('王建国', card.messageId, '提交', FORM);

    // The bot answered with a toast only: no inline card, so Feishu has nothing to refuse.
    expect(answer.error).toBeUndefined();
    expect(answer.card).toBeUndefined();
    // Day 15 is past the Monday deadline, so this is a late filing; still a success, and the note is appended.
    expect(answer.toast?.type).toBe('success');
    expect(answer.toast?.content).toBe(`已补交，谢谢！${FRESH_NOTE}`);

    const original = message(h, card.messageId);
    expect(original.updateCount).toBe(0);
    expect(original.content).toEqual(before);

    await h.settle();
    const cards = h.cardsTo('王建国');
    expect(cards).toHaveLength(2);
    const fresh = cards.at(-1)!;
    expect(fresh.messageId).not.toBe(card.messageId);
    expect(fresh.chatType).toBe('p2p');
    expect(cardText(fresh.content)).toContain('已提交');
    expect(cardText(fresh.content)).toContain(FORM.remarks);

    const rows = h.db.select().from(zoneReports).all();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ weekNo: 1, remarks: FORM.remarks, late: true });
  });

  it('a click with no toast of its own gets an info toast and the fresh card', async () => {
    const h = await pushWeek1();
    const card = h.cardsTo('李秀英').at(-1)!;
    await h.click('李秀英', card.messageId, '提交', FORM);
    expect(message(h, card.messageId).updateCount).toBe(1);

    h.clock.set(new Date(cst('2026-11-13T16:00:00').getTime() + 15 * DAY_MS));
    // 修改 answers with the pre-filled form and no toast.
    const edit = await h.click('李秀英', card.messageId, '修改');
    expect(edit.error).toBeUndefined();
    expect(edit.toast).toMatchObject({ type: 'info', content: FRESH_NOTE });
    expect(message(h, card.messageId).updateCount).toBe(1);
    await h.settle();
    const fresh = h.cardsTo('李秀英').at(-1)!;
    expect(fresh.messageId).not.toBe(card.messageId);
    expect(cardText(fresh.content)).toContain(FORM.overall_state);
  });

  it('control: on day 2 the card is still updated in place', async () => {
    const h = await pushWeek1();
    const card = h.cardsTo('王建国').at(-1)!;

    h.clock.set(new Date(cst('2026-11-13T16:00:00').getTime() + 2 * DAY_MS));
    const answer = await h.click('王建国', card.messageId, '提交', FORM);
    expect(answer.error).toBeUndefined();
    expect(answer.toast).toMatchObject({ type: 'success', content: '提交成功，谢谢！' });
    expect(cardText(answer.card?.data)).toContain('已提交');

    await h.settle();
    expect(message(h, card.messageId).updateCount).toBe(1);
    expect(cardText(message(h, card.messageId).content)).toContain('已提交');
    expect(h.cardsTo('王建国')).toHaveLength(1);
  });
});

describe('the stand-in refuses to update a card older than 14 days from a callback answer', () => {
  let s: FeishuStandIn | undefined;
  let server: http.Server | undefined;
  afterEach(async () => {
    await s?.stop();
    server?.closeAllConnections();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    s = server = undefined;
  });

  it('answers 230031, keeps the toast and leaves the content alone', async () => {
    let now = Date.UTC(2026, 10, 1);
    s = await startStandIn({ now: () => now });
    const card = { schema: '2.0', body: { elements: [{ tag: 'markdown', content: '报名' }] } };
    const updated = { ...card, body: { elements: [{ tag: 'markdown', content: '已报名' }] } };
    // A bare callback endpoint that always answers with a toast and a card.
    const app = express();
    app.post('/cb', (_req, res) => {
      res.json({ toast: { type: 'success', content: '收到' }, card: { type: 'raw', data: updated } });
    });
    server = http.createServer(app);
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    s.setWebhook(`http://127.0.0.1:${(server.address() as AddressInfo).port}/cb`);

    const sent = await sdkClient(s).im.v1.message.create({
      params: { receive_id_type: 'open_id' },
      data: { receive_id: ALICE.openId, msg_type: 'interactive', content: JSON.stringify(card) },
    });
    const messageId = sent.data?.message_id as string;

    now += 15 * DAY_MS;
    const stale = await s.clickCard({ messageId, operatorOpenId: ALICE.openId, value: {} });
    expect(stale.error?.code).toBe(230031);
    expect(stale.toast).toEqual({ type: 'success', content: '收到' });
    expect(stale.card).toBeUndefined();
    const msg = s.messages().find((m) => m.messageId === messageId)!;
    expect(msg.updateCount).toBe(0);
    expect(msg.content.body.elements[0].content).toBe('报名');

    // 13 days is inside the window: the same answer updates in place.
    const fresh = await sdkClient(s).im.v1.message.create({
      params: { receive_id_type: 'open_id' },
      data: { receive_id: ALICE.openId, msg_type: 'interactive', content: JSON.stringify(card) },
    });
    now += 13 * DAY_MS;
    const ok = await s.clickCard({ messageId: fresh.data?.message_id as string, operatorOpenId: ALICE.openId, value: {} });
    expect(ok.error).toBeUndefined();
    expect(s.messages().find((m) => m.messageId === fresh.data?.message_id)!.updateCount).toBe(1);
  });
});
