import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { asc, eq } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR, openDatabase } from '../src/db/index.js';
import { ledgerEvents, ledgerItems, people, type LedgerItem } from '../src/db/schema.js';
import { SENT_PRIVATELY } from '../src/bot/router.js';
import { DEMO_BRANCH_CHAT_ID } from '../src/demo/seed.js';
import { ledgerDigestCounts } from '../src/domain/ledger.js';
import { ledgerFeature } from '../src/features/ledger/index.js';
import { createLogger } from '../src/logger.js';
import { buttonValue, cardText, cst, startHarness, TEST_CAMPAIGN, tmpDbFile, type Harness } from './helpers/harness.js';
import { PRIVATE, RECORDS_CAMPAIGN, latestCard, startRecordsHarness, targetId } from './records/fixtures.js';

/**
 * 走访台账 (附件六) through chat: items raised on visits reach their owner as a
 * card, move through their lifecycle by one card action each, are chased when
 * overdue, and their words never reach a group or a log line.
 */

/** A parent's words, as a visit record would have captured them. */
const PARENT_WORDS = '家长反映孩子在宿舍被同学排挤，希望老师多关注';

let h: Harness;
afterEach(async () => h?.close());

const personId = (name: string) => h.db.select({ id: people.id }).from(people).where(eq(people.name, name)).get()!.id;

/** Ledger items as a record save would leave them (the record forms are another feature's). */
function insertItem(owner: string, o: Partial<typeof ledgerItems.$inferInsert> = {}): LedgerItem {
  const at = o.createdAt ?? h.clock.now();
  return h.db
    .insert(ledgerItems)
    .values({
      campaignId: TEST_CAMPAIGN.id,
      source: 'visit',
      raisedBy: 'parent',
      text: PARENT_WORDS,
      ownerId: personId(owner),
      createdBy: personId(owner),
      createdAt: at,
      updatedAt: at,
      ...o,
    })
    .returning()
    .get();
}

/** The feature as the record forms call it after a save. */
const ledger = () =>
  ledgerFeature.build({
    db: h.db,
    clock: h.clock,
    log: createLogger('info', h.logs),
    people: h.bot.repos.people,
    campaigns: h.bot.repos.campaigns,
    send: (m) => h.bot.outbox.enqueue(m),
  });

async function announce(...items: LedgerItem[]) {
  const queued = await ledger().provides.announceLedger(items);
  await h.settle();
  return queued;
}

const latest = (name: string) => h.cardsTo(name).at(-1)!;
const shown = (messageId: string) => cardText(h.standIn.messages().find((m) => m.messageId === messageId)!.content);
const stored = (id: number) => h.db.select().from(ledgerItems).where(eq(ledgerItems.id, id)).get()!;
const history = (id: number) => h.db.select().from(ledgerEvents).where(eq(ledgerEvents.itemId, id)).orderBy(asc(ledgerEvents.id)).all();
/** `name` clicks a button whose value they did not get from their own card (a forged or mixed-up card). */
const forge = (name: string, messageId: string, value: Record<string, unknown>, formValue?: Record<string, unknown>) =>
  h.standIn.clickCard({ messageId, operatorOpenId: h.openId(name), value, formValue });

describe('a ledger item through its lifecycle', () => {
  it('goes from open to closed out by card actions of the owner and the admin, with a send-back on the way', async () => {
    h = await startHarness({ transport: 'webhook', at: cst('2026-11-12T10:00:00') });
    const item = insertItem('王建国', { category: 'visit-opinion' });
    expect(await announce(item)).toBe(1);
    expect(await announce(item)).toBe(0); // once per item

    const card = latest('王建国');
    const first = cardText(card.content);
    expect(first).toContain(`走访台账 #${item.id} · 待接收`);
    expect(first).toContain(PARENT_WORDS);
    expect(first).toContain('负责人 王建国 · 家长提出 · 走访记录 · 意见建议'); // the category in words, never its code
    expect(first).toContain('期限 11月26日（周四），还剩 14 天');
    for (const b of ['接收', '已解决', '转交']) expect(() => buttonValue(card.content, b)).not.toThrow();
    // The summary Feishu shows in notifications carries no words of the parent.
    expect(card.content.config.summary.content).not.toContain('宿舍');

    const accepted = await h.click('王建国', card.messageId, '接收');
    expect(accepted.toast?.content).toBe('已接收，请尽快处理。');
    expect(shown(card.messageId)).toContain(`走访台账 #${item.id} · 已接收`);
    const started = await h.click('王建国', card.messageId, '开始处理');
    expect(started.toast?.content).toBe('已标记为处理中。');

    const form = await h.click('王建国', card.messageId, '已解决');
    expect(cardText(form.card?.data)).toContain('提交解决情况');
    const empty = await h.click('王建国', card.messageId, '提交解决', { note: '   ' });
    expect(empty.toast).toMatchObject({ type: 'error', content: '请写明解决情况（必填）。' });
    expect(stored(item.id).status).toBe('in-progress');

    const resolved = await h.click('王建国', card.messageId, '提交解决', { note: '已与班主任沟通，调整宿舍' });
    expect(resolved.toast?.content).toBe('已提交解决情况，等待管理员核实销号。');
    expect(shown(card.messageId)).toContain('待销号');
    expect(stored(item.id)).toMatchObject({ status: 'resolved', resolution: '已与班主任沟通，调整宿舍' });
    await h.settle();

    // The admin is asked to check it, and sends it back with a reason.
    const review = latest('陈立华');
    expect(cardText(review.content)).toContain('王建国 已提交解决情况，请核实后销号');
    expect(cardText(review.content)).toContain('已与班主任沟通，调整宿舍');
    await h.click('陈立华', review.messageId, '退回');
    const sentBack = await h.click('陈立华', review.messageId, '确认退回', { note: '请补充回访情况' });
    expect(sentBack.toast?.content).toBe('已退回，负责人会收到通知。');
    expect(stored(item.id)).toMatchObject({ status: 'in-progress', resolution: null });
    await h.settle();

    const back = latest('王建国');
    expect(back.messageId).not.toBe(card.messageId);
    expect(cardText(back.content)).toContain('陈立华 退回了这条台账：请补充回访情况');
    await h.click('王建国', back.messageId, '已解决');
    await h.click('王建国', back.messageId, '提交解决', { note: '已调整宿舍，11月20日电话回访家长，孩子适应良好' });
    await h.settle();

    const again = latest('陈立华');
    expect(again.messageId).not.toBe(review.messageId);
    h.clock.set(cst('2026-11-16T15:00:00'));
    const closed = await h.click('陈立华', again.messageId, '销号');
    expect(closed.toast?.content).toBe('已销号。');
    const closedText = shown(again.messageId);
    expect(closedText).toContain('已销号');
    expect(closedText).toContain('销号于 11-16，用时 4.2 天');
    expect(stored(item.id)).toMatchObject({ status: 'closed', closedAt: cst('2026-11-16T15:00:00') });
    await h.settle();
    expect(cardText(latest('王建国').content)).toContain('陈立华 已核实并销号，谢谢你！');

    // A second click on a stale card changes nothing and says so.
    const twice = await forge('陈立华', review.messageId, { action: 'ledger.close', itemId: item.id });
    expect(twice.toast).toMatchObject({ type: 'info', content: '这条台账已经销号了。' });

    expect(history(item.id).map((e) => [e.kind, e.fromStatus, e.toStatus])).toEqual([
      ['accepted', 'open', 'accepted'],
      ['started', 'accepted', 'in-progress'],
      ['resolved', 'in-progress', 'resolved'],
      ['sent-back', 'resolved', 'in-progress'],
      ['resolved', 'in-progress', 'resolved'],
      ['closed', 'resolved', 'closed'],
    ]);
    expect(closedText).toContain('王建国 接收');
    expect(closedText).toContain('陈立华 退回：请补充回访情况');
    expect(closedText).toContain('陈立华 销号');
  });

  it('refuses a non-owner with a clear toast, and a step in the wrong state with what to do instead', async () => {
    h = await startHarness({ transport: 'ws', at: cst('2026-11-12T10:00:00') });
    const wangs = insertItem('王建国');
    const zhangs = insertItem('张伟', { text: '食堂门口台阶破损' });
    await announce(wangs, zhangs);
    const wangCard = latest('王建国');
    const zhangCard = latest('张伟');

    // 张伟 clicks his own card, but the value names 王建国's item.
    const accept = await forge('张伟', zhangCard.messageId, buttonValue(wangCard.content, '接收'));
    expect(accept.toast).toMatchObject({ type: 'error', content: '这条台账由 王建国 负责，只有负责人可以接收。' });
    expect(accept.card).toBeUndefined();
    const resolve = await forge('张伟', zhangCard.messageId, { action: 'ledger.resolve', itemId: wangs.id }, { note: '我来解决' });
    expect(resolve.toast?.content).toBe('这条台账由 王建国 负责，只有负责人可以提交解决。');
    const view = await forge('张伟', zhangCard.messageId, { action: 'ledger.view', itemId: wangs.id });
    expect(view.toast?.content).toContain('只有负责人和党支部管理员可以查看');
    expect(JSON.stringify(view)).not.toContain(PARENT_WORDS);
    expect(stored(wangs.id).status).toBe('open');

    // The owner cannot close out their own item; the admin cannot close an unresolved one.
    const ownClose = await forge('王建国', wangCard.messageId, { action: 'ledger.close', itemId: wangs.id });
    expect(ownClose.toast?.content).toBe('只有党支部管理员可以销号。');
    await h.say('陈立华', '/台账');
    const list = latest('陈立华');
    const early = await forge('陈立华', list.messageId, { action: 'ledger.close', itemId: wangs.id });
    expect(early.toast).toMatchObject({ type: 'warning', content: '负责人还没有提交解决情况（当前「待接收」），暂不能销号。' });
    const skip = await forge('王建国', wangCard.messageId, { action: 'ledger.start', itemId: wangs.id });
    expect(skip.toast?.content).toBe('请先接收这条台账，再开始处理。');
    expect(history(wangs.id)).toEqual([]);
  });
});

describe('transfer and reopen', () => {
  it('hands an item to another teacher and reopens a closed one, keeping both in the history', async () => {
    h = await startHarness({ transport: 'webhook', at: cst('2026-11-12T10:00:00') });
    const item = insertItem('王建国');
    await announce(item);
    const card = latest('王建国');
    const form = await h.click('王建国', card.messageId, '转交');
    const options = JSON.stringify(form.card?.data);
    expect(options).toContain('张伟（实训处）');
    expect(options).not.toContain('"王建国');

    const none = await h.click('王建国', card.messageId, '确认转交', { note: '他是班主任' });
    expect(none.toast?.content).toBe('请选择新的负责人。');
    expect(cardText(none.card?.data)).toContain('他是班主任'); // what was typed stays

    const moved = await h.click('王建国', card.messageId, '确认转交', { owner: String(personId('张伟')), note: '张伟是该生班主任' });
    expect(moved.toast?.content).toBe('已转交给 张伟。');
    const handedOver = shown(card.messageId);
    expect(handedOver).toContain('已转交给 张伟');
    expect(handedOver).not.toContain(PARENT_WORDS); // no longer his to see
    expect(stored(item.id)).toMatchObject({ ownerId: personId('张伟'), status: 'open' });
    await h.settle();

    const zhangs = latest('张伟');
    expect(cardText(zhangs.content)).toContain('王建国 把这条台账转交给你（张伟是该生班主任），请接收处理。');
    // The old card's buttons no longer work for the previous owner.
    const stale = await forge('王建国', card.messageId, buttonValue(zhangs.content, '接收'));
    expect(stale.toast?.content).toBe('这条台账由 张伟 负责，只有负责人可以接收。');

    await h.click('张伟', zhangs.messageId, '接收');
    await h.click('张伟', zhangs.messageId, '已解决');
    await h.click('张伟', zhangs.messageId, '提交解决', { note: '已协调宿舍' });
    await h.settle();
    await h.click('陈立华', latest('陈立华').messageId, '销号');
    await h.settle();

    // Later the admin finds it among closed items and reopens it with a reason.
    h.clock.set(cst('2026-11-25T09:30:00'));
    await h.say('陈立华', '/台账 已销号');
    const list = latest('陈立华');
    expect(cardText(list.content)).toContain(`#${item.id}`);
    await h.click('陈立华', list.messageId, '查看');
    await h.click('陈立华', list.messageId, '重新打开');
    const missing = await h.click('陈立华', list.messageId, '确认重新打开', { note: '' });
    expect(missing.toast?.content).toBe('请写明重新打开的原因（必填）。');
    const reopened = await h.click('陈立华', list.messageId, '确认重新打开', { note: '家长再次反映' });
    expect(reopened.toast?.content).toBe('已重新打开，负责人会收到通知。');
    expect(stored(item.id)).toMatchObject({ status: 'in-progress', closedAt: null, dueOn: '2026-12-09' });
    expect(shown(list.messageId)).toContain('返回列表'); // opened from the list, it leads back there
    await h.settle();
    expect(cardText(latest('张伟').content)).toContain('陈立华 重新打开了这条台账：家长再次反映\n新的期限是 12月9日（周三）。');

    const events = history(item.id);
    expect(events.map((e) => e.kind)).toEqual(['transferred', 'accepted', 'resolved', 'closed', 'reopened']);
    expect(events[0]).toMatchObject({ fromOwnerId: personId('王建国'), toOwnerId: personId('张伟'), note: '张伟是该生班主任', actorId: personId('王建国') });
    const text = shown(list.messageId);
    expect(text).toContain('王建国 转交给 张伟：张伟是该生班主任');
    expect(text).toContain('陈立华 重新打开：家长再次反映');
  });
});

describe('/台账', () => {
  it('shows a teacher their open items with age, an admin everyone’s with filters, and adds an item by hand', async () => {
    h = await startHarness({ transport: 'ws', at: cst('2026-11-12T10:00:00') });
    insertItem('王建国', { createdAt: cst('2026-11-09T10:00:00') });
    insertItem('王建国', { text: '已处理完的旧事项', status: 'closed', createdAt: cst('2026-11-01T10:00:00'), closedAt: cst('2026-11-03T10:00:00') });
    insertItem('张伟', {
      text: '实训车间通风差',
      source: 'student-day',
      raisedBy: 'student',
      createdAt: cst('2026-11-01T10:00:00'),
      dueOn: '2026-11-04',
      status: 'in-progress',
    });

    await h.say('王建国', '/台账');
    const mine = cardText(latest('王建国').content);
    expect(mine).toContain('我的走访台账 · 1 项');
    expect(mine).toContain('· 王建国 · 待接收 · 3 天');
    expect(mine).toContain(PARENT_WORDS);
    expect(mine).not.toContain('实训车间通风差');
    expect(mine).not.toContain('已处理完的旧事项');
    expect(mine).toContain('本周销号 0 · 本月销号 1');

    await h.say('王建国', '/台账 张伟');
    expect(h.textsTo('王建国').at(-1)).toContain('只有党支部管理员可以查看其他老师的台账');

    await h.say('陈立华', '/台账');
    const all = cardText(latest('陈立华').content);
    expect(all).toContain('走访台账 · 全部负责人 · 2 项');
    expect(all).toContain('未销号 **2** · 逾期 **1**');
    expect(all).toContain('逾期 8 天');
    await h.say('陈立华', '/台账 逾期');
    expect(cardText(latest('陈立华').content)).toContain('全部负责人 · 逾期 · 1 项');
    await h.say('陈立华', '/ledger 王建国 全部');
    const his = cardText(latest('陈立华').content);
    expect(his).toContain('王建国 · 含已销号 · 2 项');
    expect(his).toContain('已处理完的旧事项');
    await h.say('陈立华', '/台账 体验');
    expect(cardText(latest('陈立华').content)).toContain('做一天学生 · 1 项');
    await h.say('陈立华', '/台账 统计');
    const stats = cardText(latest('陈立华').content);
    expect(stats).toContain('**张伟**\n未销号 **1** · 逾期 **1**');
    expect(stats).toContain('**王建国**\n未销号 **1** · 逾期 **0**');
    expect(stats).toContain('中位数 2 天');

    await h.say('刘芳', '/台账 新建');
    expect(h.textsTo('刘芳').at(-1)).toContain('请在“新建”后写上事项内容');
    await h.say('刘芳', '/台账 新建 校门口早上拥堵，需要安排值周老师疏导');
    const created = h.db
      .select()
      .from(ledgerItems)
      .where(eq(ledgerItems.ownerId, personId('刘芳')))
      .get()!;
    expect(created).toMatchObject({ source: 'manual', raisedBy: 'teacher', status: 'open', dueOn: '2026-11-26', text: '校门口早上拥堵，需要安排值周老师疏导' });
    const card = latest('刘芳');
    expect(cardText(card.content)).toContain('已登记，期限 11月26日（周四）');
    expect((await h.click('刘芳', card.messageId, '接收')).toast?.content).toBe('已接收，请尽快处理。');
  });
});

describe('overdue ledger items', () => {
  it('reminds the owner the day after the due date, the admins privately after the grace period, once each, never on a weekend or at night', async () => {
    h = await startHarness({ transport: 'webhook', at: cst('2026-11-16T08:00:00') });
    const due16 = insertItem('王建国', { createdAt: cst('2026-11-02T10:00:00'), dueOn: '2026-11-16', status: 'accepted' });
    const dueByDefault = insertItem('张伟', { text: '食堂门口台阶破损', createdAt: cst('2026-11-03T10:00:00') }); // due 11-17
    insertItem('刘芳', { createdAt: cst('2026-11-01T10:00:00'), dueOn: '2026-11-05', status: 'resolved' }); // the owner's part is done
    const run = async (local: string) => {
      h.clock.set(cst(local));
      return (await h.runJob('ledger-overdue')).queued;
    };

    expect(await run('2026-11-16T09:00:00')).toBe(0); // due today is not overdue
    expect(await run('2026-11-17T09:00:00')).toBe(1);
    const reminder = latest('王建国');
    expect(cardText(reminder.content)).toContain('走访台账逾期 · 1 项');
    expect(cardText(reminder.content)).toContain('期限 11月16日（周一）');
    expect(cardText(reminder.content)).toContain('逾期 1 天');
    expect(await run('2026-11-17T15:00:00')).toBe(0);
    expect(await run('2026-11-18T09:00:00')).toBe(1);
    expect(cardText(latest('张伟').content)).toContain('期限 11月17日（周二）');
    const escalations = () => h.cardsTo('陈立华').filter((m) => cardText(m.content).includes('走访台账逾期提醒'));
    expect(escalations()).toHaveLength(0);

    // Four days past due: the admins are told privately, with the words (they may see them).
    expect(await run('2026-11-20T09:00:00')).toBe(1);
    const escalation = latest('陈立华');
    const text = cardText(escalation.content);
    expect(text).toContain('走访台账逾期提醒 · 1 项');
    expect(text).toContain(`#${due16.id}** · 王建国 · 已接收 · 18 天 · <font color='red'>逾期 4 天</font>`);
    expect(stored(due16.id).escalatedAt).toEqual(cst('2026-11-20T09:00:00'));
    expect(history(due16.id).map((e) => e.kind)).toEqual(['escalated']);
    expect(await run('2026-11-20T10:00:00')).toBe(0);

    // 张伟's item passes the grace period on Saturday: it waits for Monday morning.
    expect(await run('2026-11-21T09:00:00')).toBe(0);
    expect(await run('2026-11-22T09:00:00')).toBe(0);
    expect(await run('2026-11-23T06:00:00')).toBe(0); // quiet hours
    expect(await run('2026-11-23T09:00:00')).toBe(1);
    expect(cardText(latest('陈立华').content)).toContain(`#${dueByDefault.id}** · 张伟`);
    // The admin opens it from the reminder.
    const opened = await h.click('陈立华', latest('陈立华').messageId, '查看');
    expect(cardText(opened.card?.data)).toContain('食堂门口台阶破损');
    expect(cardText(opened.card?.data)).toContain('逾期，已提醒管理员');

    // A transfer reminds the new owner of an item that is still overdue.
    await h.click('张伟', latest('张伟').messageId, '查看');
    await h.click('张伟', latest('张伟').messageId, '转交');
    await h.click('张伟', latest('张伟').messageId, '确认转交', { owner: String(personId('黄志强')) });
    expect(await run('2026-11-24T09:00:00')).toBe(1);
    expect(cardText(latest('黄志强').content)).toContain('期限 11月17日（周二）');
    expect(cardText(latest('黄志强').content)).toContain('逾期 7 天');

    // Nothing about any item reached the branch group or the logs.
    expect(h.standIn.messagesIn(DEMO_BRANCH_CHAT_ID)).toHaveLength(0);
    const logged = h.logs.lines.join('\n');
    expect(logged).toContain('overdue ledger items escalated to admins');
    for (const words of [PARENT_WORDS, '食堂门口台阶破损']) expect(logged).not.toContain(words);
  });
});

describe('overdue notices, one card per person per day', () => {
  it('gathers nine items overdue the same day into one card for their owner, paged, and tells them again only of what is newly overdue', async () => {
    h = await startHarness({ transport: 'webhook', at: cst('2026-11-17T09:00:00') });
    const nine = Array.from({ length: 9 }, (_, i) =>
      insertItem('王建国', { text: `宿舍问题第 ${i + 1} 项`, createdAt: cst('2026-11-02T10:00:00'), dueOn: '2026-11-16' }),
    );
    const other = insertItem('张伟', { text: '食堂门口台阶破损', createdAt: cst('2026-11-02T10:00:00'), dueOn: '2026-11-16' });
    const overdueCards = (name: string) => h.cardsTo(name).filter((m) => cardText(m.content).includes('走访台账逾期 ·'));

    expect((await h.runJob('ledger-overdue')).queued).toBe(2);
    expect(overdueCards('王建国')).toHaveLength(1);
    expect(overdueCards('张伟')).toHaveLength(1);
    const text = cardText(overdueCards('王建国')[0]!.content);
    expect(text).toContain('走访台账逾期 · 9 项');
    for (const item of nine) expect(text).toContain(`#${item.id}** · 期限 11月16日（周一）`);
    for (let n = 1; n <= 9; n++) expect(text).toContain(`宿舍问题第 ${n} 项`);
    expect(text).not.toContain('食堂门口台阶破损');

    // Later the same day, and the next day with nothing newly overdue: nothing more.
    h.clock.set(cst('2026-11-17T15:00:00'));
    expect((await h.runJob('ledger-overdue')).queued).toBe(0);
    h.clock.set(cst('2026-11-18T09:00:00'));
    expect((await h.runJob('ledger-overdue')).queued).toBe(0);

    // An item handed to 王建国 is new to him: one card again, listing all ten.
    h.db
      .update(ledgerItems)
      .set({ ownerId: personId('王建国') })
      .where(eq(ledgerItems.id, other.id))
      .run();
    h.clock.set(cst('2026-11-19T09:00:00'));
    expect((await h.runJob('ledger-overdue')).queued).toBe(1);
    const again = cardText(overdueCards('王建国').at(-1)!.content);
    expect(again).toContain('走访台账逾期 · 10 项');
    expect(again).toContain('食堂门口台阶破损');
    expect(overdueCards('王建国')).toHaveLength(2);
  });
});

describe('privacy and the digest', () => {
  it('answers /台账 asked in the group privately, logs ids only, and gives the digest counts without any words', async () => {
    h = await startHarness({ transport: 'ws', at: cst('2026-11-12T10:00:00') });
    const a = insertItem('王建国');
    insertItem('张伟', { text: '家长希望增加晚自习辅导', createdAt: cst('2026-11-02T10:00:00'), dueOn: '2026-11-10', status: 'in-progress' });
    await announce(a);

    const inGroup = (text: string) =>
      h.standIn.sendText(h.openId('王建国'), `@_user_1 ${text}`, { chatId: DEMO_BRANCH_CHAT_ID, mentions: [h.standIn.botMention()] });
    await inGroup('/台账');
    await inGroup('/台账 新建 学生反映三楼饮水机坏了');
    await h.settle();
    const group = h.standIn.messagesIn(DEMO_BRANCH_CHAT_ID).filter((m) => m.sender.kind === 'app');
    expect(group.map((m) => m.content.text)).toEqual([SENT_PRIVATELY, SENT_PRIVATELY]);
    const dms = h.cardsTo('王建国').map((m) => cardText(m.content));
    expect(dms.some((t) => t.includes('我的走访台账') && t.includes(PARENT_WORDS))).toBe(true);
    expect(dms.some((t) => t.includes('学生反映三楼饮水机坏了'))).toBe(true);

    // Through the lifecycle, log lines name items by id only.
    const card = h.cardsTo('王建国')[0]!;
    await h.click('王建国', card.messageId, '已解决');
    await h.click('王建国', card.messageId, '提交解决', { note: '已联系宿管调解' });
    h.clock.set(cst('2026-11-14T10:00:00'));
    await h.settle();
    await h.click('陈立华', latest('陈立华').messageId, '销号');
    const logged = h.logs.lines.filter((l) => l.includes('ledger'));
    expect(logged.some((l) => l.includes(`"itemId":${a.id}`) && l.includes('"action":"close"'))).toBe(true);
    for (const words of [PARENT_WORDS, '已联系宿管调解', '学生反映三楼饮水机坏了']) expect(h.logs.lines.join('\n')).not.toContain(words);

    // The digest's numbers for this week: counts only, never what was said.
    const items = h.db.select().from(ledgerItems).all();
    const counts = ledgerDigestCounts(items, cst('2026-11-09T00:00:00'), cst('2026-11-16T00:00:00'), TEST_CAMPAIGN.timezone);
    expect(counts).toEqual({ opened: 2, closed: 1, overdue: 1, medianDaysToClose: 2 });
  });
});

describe('migration 0003 (ledger history)', () => {
  it('keeps the ledger items a records-release database already holds', () => {
    // The migrations before this one only.
    const before = fs.mkdtempSync(path.join(os.tmpdir(), 'zoufang-mig-'));
    fs.mkdirSync(path.join(before, 'meta'));
    const journal = JSON.parse(fs.readFileSync(path.join(MIGRATIONS_DIR, 'meta/_journal.json'), 'utf8'));
    const entries = journal.entries.filter((e: { tag: string }) => e.tag < '0003');
    for (const e of entries) fs.copyFileSync(path.join(MIGRATIONS_DIR, `${e.tag}.sql`), path.join(before, `${e.tag}.sql`));
    fs.writeFileSync(path.join(before, 'meta/_journal.json'), JSON.stringify({ ...journal, entries }));

    const file = tmpDbFile();
    const old = new Database(file);
    migrate(drizzle(old), { migrationsFolder: before });
    old.exec(`
      INSERT INTO campaigns (id, name, timezone, starts_on, ends_on, definition) VALUES ('c', '活动', 'Asia/Shanghai', '2026-11-09', '2027-01-22', '{}');
      INSERT INTO people (id, name, roles) VALUES (1, '王建国', '["party-teacher"]');
      INSERT INTO ledger_items (campaign_id, source, raised_by, text, owner_id, status, created_at, updated_at) VALUES ('c', 'visit', 'parent', '${PARENT_WORDS}', 1, 'accepted', 1, 1);
    `);
    old.close();

    const db = openDatabase(file);
    expect(db.select().from(ledgerItems).all()).toEqual([
      expect.objectContaining({ text: PARENT_WORDS, status: 'accepted', resolution: null, resolvedAt: null, closedAt: null, escalatedAt: null }),
    ]);
    expect(db.select().from(ledgerEvents).all()).toEqual([]);
    db.$client.close();
  });
});

describe('items the school must act on (需要学校处理)', () => {
  /** 刘芳 files a visit to 孙小红 from /走访; `followUp: 'action'` marks it as needing the school. */
  async function fileVisit(extra: Record<string, unknown>) {
    await h.say('刘芳', '/走访');
    const list = latestCard(h, '刘芳');
    await h.standIn.clickCard({
      messageId: list.messageId,
      operatorOpenId: h.openId('刘芳'),
      value: { action: 'visit.open', campaignId: RECORDS_CAMPAIGN.id, targetId: targetId(h, '孙小红') },
    });
    const r = await h.click('刘芳', list.messageId, '提交', {
      visitedOn: '2026-11-17 +0800',
      mode: 'in-person',
      place: 'home',
      coVisitors: [],
      summary: '学习认真',
      situation: '跟随祖父母生活',
      purpose: '了解生活情况',
      content: '与祖父母交流',
      reflection: '',
      q_satisfaction: '4',
      q_concern: [],
      opinions: '',
      followUp: 'none',
      leader: '',
      followUpNote: '',
      noGifts: 'yes',
      ...extra,
    });
    expect(r.toast?.type).toBe('success');
    await h.settle();
    return list.messageId;
  }
  const triageCards = (name: string) => h.cardsTo(name).filter((m) => cardText(m.content).includes('需要学校处理的台账'));

  it('go to the admin’s triage card (one a day, updated as they arrive), are assigned from there, and say where they came from', async () => {
    h = await startRecordsHarness();
    await fileVisit({ opinions: '增开食堂窗口', followUp: 'action', followUpNote: '食堂排队太久，需要学校协调' });

    // Not the visitor's: she heard it, the school must act.
    expect(h.cardsTo('刘芳').filter((m) => cardText(m.content).includes('新的台账事项'))).toHaveLength(0);
    const [triage] = triageCards('陈立华');
    expect(triageCards('陈立华')).toHaveLength(1);
    let text = shown(triage!.messageId);
    expect(text).toContain('需要学校处理的台账 · 11月18日 · 2 项待分派');
    expect(text).toContain('增开食堂窗口');
    expect(text).toContain('来源 走访记录 · 刘芳 · 11-17');

    // A second visit the same day: the same card, updated — not a second card.
    h.clock.advance(3600_000);
    await fileVisit({ opinions: '希望校车晚点发车', followUp: 'action', followUpNote: '校车时间需调整' });
    expect(triageCards('陈立华')).toHaveLength(1);
    text = shown(triage!.messageId);
    expect(text).toContain('4 项待分派');
    expect(text).toContain('希望校车晚点发车');

    // Assigned from the card to the person who can act; the card stays the day's list.
    await h.click('陈立华', triage!.messageId, '分派');
    expect(shown(triage!.messageId)).toContain('增开食堂窗口');
    const assigned = await h.click('陈立华', triage!.messageId, '确认分派', { owner: String(personId('黄志强')) });
    expect(assigned.toast?.content).toContain('已分派给 黄志强');
    await h.settle();
    text = shown(triage!.messageId);
    expect(text).toContain('3 项待分派');
    expect(text).toContain('#1** · 黄志强 · 待接收');
    expect(text).toContain('#2** · 待分派 · 0 天');

    // The assignee gets the item's card, with where it came from but no way into a record that is not theirs.
    const card = latest('黄志强');
    const item = cardText(card.content);
    expect(item).toContain('增开食堂窗口');
    expect(item).toContain('陈立华 把这条需要学校处理的台账分派给你');
    expect(item).toContain('来源 走访记录 · 刘芳 · 11-17');
    expect(item).not.toContain('查看来源记录');
    const peek = await forge('黄志强', card.messageId, { action: 'record.view', recordId: stored(1).recordId });
    expect(peek.toast?.type).toBe('error');
    expect(cardText(peek.card?.data ?? {})).not.toContain(PRIVATE.address);
    expect((await h.click('黄志强', card.messageId, '接收')).toast?.type).toBe('success');

    // What still waits is one filter away; the admin opens an item's source record from its card.
    await h.say('陈立华', '/台账 待分派');
    const waiting = cardText(latest('陈立华').content);
    expect(waiting).toContain('希望校车晚点发车');
    expect(waiting).not.toContain('增开食堂窗口');
    await h.say('陈立华', '/台账 黄志强');
    const list = latest('陈立华');
    const opened = await h.click('陈立华', list.messageId, '查看');
    expect(cardText(opened.card?.data)).toContain('增开食堂窗口');
    const source = await h.click('陈立华', list.messageId, '查看来源记录');
    expect(cardText(source.card?.data)).toContain('走访情况记录表 · 孙小红');
    expect(cardText(source.card?.data)).toContain('与祖父母交流');

    // Nothing of this is the visitor's to do.
    await h.say('刘芳', '/台账');
    expect(cardText(latest('刘芳').content)).toContain('没有未销号的台账');
  });

  it('stay with the visitor when she will handle them, with a button to her own record', async () => {
    h = await startRecordsHarness();
    await fileVisit({ opinions: '希望老师多关注孩子' });
    expect(triageCards('陈立华')).toHaveLength(0);
    const card = latest('刘芳');
    expect(cardText(card.content)).toContain('希望老师多关注孩子');
    expect(cardText(card.content)).toContain('来源 走访记录 · 刘芳 · 11-17');
    const opened = await h.click('刘芳', card.messageId, '查看来源记录');
    expect(opened.toast?.type).not.toBe('error');
    expect(cardText(opened.card?.data)).toContain('走访情况记录表');
  });
});
