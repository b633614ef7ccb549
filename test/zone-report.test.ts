import { afterEach, describe, expect, it } from 'vitest';
import { and, eq } from 'drizzle-orm';
import { ledgerItems, recordRevisions } from '../src/db/schema.js';
import { buttonValue, cardText, cst, startHarness, type Harness } from './helpers/harness.js';
import { zoneReportRows } from './helpers/zone-reports.js';

/**
 * The weekly zone report (附件二) end to end: the real SDK against the stand-in,
 * over a signed and encrypted webhook, with a real SQLite file and a controlled clock.
 */

const FORM = {
  overall_state: '楼道整洁，垃圾桶按时清理',
  student_talks: '与 3 名学生谈心，了解实习准备情况',
  problems: '二楼东侧灯管损坏',
  remarks: '',
};

let h: Harness;
afterEach(async () => {
  await h?.close();
});

async function pushWeek1() {
  h.clock.set(cst('2026-11-13T16:00:00'));
  return h.runJob('zone-report-push');
}

const latestCard = (name: string) => {
  const cards = h.cardsTo(name);
  return cards[cards.length - 1]!;
};

describe('zone report over the webhook', () => {
  it('pushes the card on Friday 16:00, stores the submission and turns the card read-only', async () => {
    h = await startHarness({ transport: 'webhook', at: cst('2026-11-11T10:00:00') });
    await h.settle();
    expect(h.standIn.messages()).toHaveLength(0);

    const r = await pushWeek1();
    expect(r.queued).toBe(4);
    for (const owner of h.owners) {
      const card = latestCard(owner);
      expect(cardText(card.content)).toContain('环境责任区报表 · 第1周（11/9–11/15）');
      expect(cardText(card.content)).toContain('11月16日（周一）09:00');
    }

    const card = latestCard('王建国');
    const answer = await h.click('王建国', card.messageId, '提交', FORM);
    // The problem found goes to the ledger, owned by the reporter, who gets its card.
    expect(answer.toast?.content).toBe('提交成功，谢谢！已列入台账 1 项。');
    const [item] = h.db.select().from(ledgerItems).all();
    expect(item).toMatchObject({ source: 'zone-report', raisedBy: 'teacher', text: '教学楼A栋一至三楼（第1周）：二楼东侧灯管损坏', status: 'open' });
    await h.settle();
    expect(cardText(latestCard('王建国').content)).toContain('教学楼A栋一至三楼（第1周）：二楼东侧灯管损坏');
    const updated = h.standIn.messages().find((m) => m.messageId === card.messageId)!;
    expect(updated.updateCount).toBe(1);
    const shown = cardText(updated.content);
    expect(shown).toContain('已提交');
    expect(shown).toContain('二楼东侧灯管损坏');
    expect(shown).not.toContain('补交');
    expect(JSON.stringify(updated.content)).not.toContain('"form"');

    const rows = zoneReportRows(h.db);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ weekNo: 1, data: { overall_state: FORM.overall_state, problems: FORM.problems }, late: false, revision: 1 });

    // What a teacher typed is stored, never logged.
    const logged = h.logs.lines.join('\n');
    expect(logged).toContain('zone report saved');
    for (const typed of [FORM.overall_state, FORM.student_talks, FORM.problems]) expect(logged).not.toContain(typed);
  });

  it('keeps history when a report is edited and marks the card edited', async () => {
    h = await startHarness({ transport: 'webhook', at: cst('2026-11-11T10:00:00') });
    await pushWeek1();
    const card = latestCard('王建国');
    await h.click('王建国', card.messageId, '提交', FORM);
    const edit = await h.click('王建国', card.messageId, '修改');
    expect(cardText(edit.card?.data)).toContain(FORM.overall_state); // the form comes back pre-filled
    h.clock.set(cst('2026-11-14T09:00:00'));
    const saved = await h.click('王建国', card.messageId, '保存修改', { ...FORM, problems: '二楼东侧灯管已报修' });
    expect(saved.toast?.content).toContain('修改已保存');
    expect(cardText(saved.card?.data)).toContain('已修改');
    expect(cardText(saved.card?.data)).toContain('第 2 版');

    const [report] = zoneReportRows(h.db);
    expect(report!.revision).toBe(2);
    expect(report!.data.problems).toBe('二楼东侧灯管已报修');
    const history = h.db
      .select()
      .from(recordRevisions)
      .where(and(eq(recordRevisions.recordType, 'zone-report'), eq(recordRevisions.recordId, report!.id)))
      .all();
    expect(history.map((r) => (r.data as { problems: string }).problems)).toEqual(['二楼东侧灯管损坏', '二楼东侧灯管已报修']);
  });

  it('a re-submitted report with the same problem opens no second ledger item; a reworded one rewords its open item', async () => {
    h = await startHarness({ transport: 'webhook', at: cst('2026-11-11T10:00:00') });
    await pushWeek1();
    const card = latestCard('王建国');
    await h.click('王建国', card.messageId, '提交', FORM);
    await h.click('王建国', card.messageId, '修改');
    const same = await h.click('王建国', card.messageId, '保存修改', { ...FORM, overall_state: '楼道整洁，灯管待修' });
    expect(same.toast?.content).toBe('修改已保存，原内容保留在修改记录中。');
    expect(h.db.select({ text: ledgerItems.text }).from(ledgerItems).all()).toEqual([{ text: '教学楼A栋一至三楼（第1周）：二楼东侧灯管损坏' }]);

    await h.click('王建国', card.messageId, '修改');
    await h.click('王建国', card.messageId, '保存修改', { ...FORM, problems: '二楼东侧灯管损坏，已报修' });
    const items = h.db.select().from(ledgerItems).all();
    expect(items.map((i) => [i.text, i.recordId])).toEqual([['教学楼A栋一至三楼（第1周）：二楼东侧灯管损坏，已报修', zoneReportRows(h.db)[0]!.id]]);
  });

  it('a save from a form opened before someone else’s edit does not overwrite it', async () => {
    h = await startHarness({ transport: 'webhook', at: cst('2026-11-11T10:00:00') });
    await pushWeek1();
    const card = latestCard('王建国');
    await h.click('王建国', card.messageId, '提交', FORM);
    const edit = await h.click('王建国', card.messageId, '修改');
    const staleSave = buttonValue(edit.card?.data, '保存修改');
    await h.click('王建国', card.messageId, '保存修改', { ...FORM, remarks: '周五补充' });
    // The form opened on version 1 is submitted after version 2 was saved.
    const stale = await h.standIn.clickCard({
      messageId: card.messageId,
      operatorOpenId: h.openId('王建国'),
      value: staleSave,
      formValue: { ...FORM, remarks: '另一处修改' },
    });
    expect(stale.toast?.content).toContain('这份记录在你打开后已被修改过（现为第 2 版）');
    expect(zoneReportRows(h.db).map((r) => [r.revision, r.data.remarks])).toEqual([[2, '周五补充']]);
  });

  it('a substitute files the week they stood in after the leave has ended, on the day it falls due', async () => {
    h = await startHarness({ transport: 'webhook', at: cst('2026-11-11T10:00:00') });
    await h.say('陈立华', '/请假 张伟 11-12 11-13 代班 李秀英');
    await pushWeek1();
    const forZhang = h
      .cardsTo('李秀英')
      .filter((c) => cardText(c.content).includes('环境责任区报表 · 第1周'))
      .at(-1)!;
    // Monday before 09:00: the report is due, the leave is over.
    h.clock.set(cst('2026-11-16T08:30:00'));
    const filed = await h.click('李秀英', forZhang.messageId, '提交', FORM);
    expect(filed.toast?.content).toContain('提交成功，谢谢！');
    expect(zoneReportRows(h.db)).toMatchObject([{ weekNo: 1, late: false }]);
  });

  it('a double-clicked submit stores one record', async () => {
    h = await startHarness({ transport: 'webhook', at: cst('2026-11-11T10:00:00') });
    await pushWeek1();
    const card = latestCard('李秀英');
    const click = () => h.click('李秀英', card.messageId, '提交', FORM);
    const [a, b] = await Promise.all([click(), click()]);
    expect([a.toast?.content, b.toast?.content].sort()).toEqual(['内容没有变化，已保存过了。', '提交成功，谢谢！已列入台账 1 项。'].sort());
    expect(h.db.select().from(ledgerItems).all()).toHaveLength(1);
    expect(zoneReportRows(h.db)).toHaveLength(1);
    expect(h.db.select().from(recordRevisions).all()).toHaveLength(1);
  });

  it('answers an empty required field with a toast and keeps what was typed', async () => {
    h = await startHarness({ transport: 'webhook', at: cst('2026-11-11T10:00:00') });
    await pushWeek1();
    const card = latestCard('张伟');
    const answer = await h.click('张伟', card.messageId, '提交', { ...FORM, overall_state: '   ', remarks: 'x'.repeat(1001) });
    expect(answer.toast?.type).toBe('error');
    expect(answer.toast?.content).toContain('「环境责任区总体情况」必填');
    expect(answer.toast?.content).toContain('「备注」不能超过 1000 字');
    expect(cardText(answer.card?.data)).toContain(FORM.student_talks);
    expect(zoneReportRows(h.db)).toHaveLength(0);
  });

  it('refuses a report for a zone that is not yours', async () => {
    h = await startHarness({ transport: 'webhook', at: cst('2026-11-11T10:00:00') });
    await pushWeek1();
    const wangs = latestCard('王建国');
    const zhangs = latestCard('张伟');
    // 张伟 clicks his own card, but the value names 王建国's zone (a forged or mixed-up card).
    const answer = await h.standIn.clickCard({
      messageId: zhangs.messageId,
      operatorOpenId: h.openId('张伟'),
      value: buttonValue(wangs.content, '提交'),
      formValue: FORM,
    });
    expect(answer.toast?.type).toBe('error');
    expect(answer.toast?.content).toContain('这是 王建国 老师负责的责任区');
    expect(zoneReportRows(h.db)).toHaveLength(0);
  });

  it('on Monday 09:00 reminds each owner who has not submitted, tells the group once, and a restart sends nothing twice', async () => {
    h = await startHarness({ transport: 'webhook', at: cst('2026-11-11T10:00:00') });
    await pushWeek1();
    const card = latestCard('王建国');
    await h.click('王建国', card.messageId, '提交', FORM);

    h.clock.set(cst('2026-11-16T09:00:00'));
    expect((await h.runJob('zone-report-overdue')).queued).toBe(4);
    for (const name of ['李秀英', '张伟', '陈立华']) expect(cardText(latestCard(name).content)).toContain('还没有提交');
    // 王建国 filed: his cards are the week's form and the ledger item it raised, no reminder.
    expect(
      h
        .cardsTo('王建国')
        .map((c) => cardText(c.content))
        .join('\n'),
    ).not.toContain('还没有提交');
    expect(h.groupTexts()).toEqual([
      '【环境责任区报表】第1周（11/9–11/15）已截止：已提交 1/4，还有 3 位老师未提交：李秀英、张伟、陈立华。已分别私信提醒，请尽快补交。',
    ]);

    // Running again, later the same morning, sends nothing.
    h.clock.set(cst('2026-11-16T10:30:00'));
    expect((await h.runJob('zone-report-overdue')).queued).toBe(0);
    expect((await h.runJob('zone-report-push')).queued).toBe(0);

    // Every job has now run for this moment (the digest included); a restart on the
    // same database, whose start-up catch-up runs them all again, sends nothing twice.
    await h.bot.scheduler.runAll(h.clock.now());
    await h.settle();
    const before = h.standIn.messages().length;
    const { dbFile, standIn, clock, credentials } = h;
    await h.stopBot();
    h = await startHarness({ transport: 'webhook', at: clock.now(), dbFile, standIn, clock, credentials });
    await h.settle();
    expect(h.standIn.messages()).toHaveLength(before);

    // The reminder's button opens a fresh form; filing now is flagged late.
    const reminder = latestCard('李秀英');
    const opened = await h.click('李秀英', reminder.messageId, '现在填写');
    expect(cardText(opened.card?.data)).toContain('现在提交会记为补交'.replace('补交', '**补交**'));
    const late = await h.click('李秀英', reminder.messageId, '提交', FORM);
    expect(late.toast?.content).toContain('已补交，谢谢！');
    expect(cardText(late.card?.data)).toContain('补交');
    expect(zoneReportRows(h.db).find((r) => r.late)).toBeTruthy();
    await h.close();
    await standIn.stop();
  });
});

// Feishu delivers card callbacks on the long connection as "event" frames for some apps and as
// "card" frames for others (使用长连接接收回调); the bot must answer both.
describe.each(['event', 'card'] as const)('zone report over the long connection, clicks in "%s" frames', (cardFrames) => {
  const startWs = (cardBudgetMs?: number) => startHarness({ transport: 'ws', at: cst('2026-11-11T10:00:00'), standInOptions: { cardFrames }, cardBudgetMs });

  it('pushes, submits and updates the card through WSClient', async () => {
    h = await startWs();
    await pushWeek1();
    const card = latestCard('陈立华');
    const answer = await h.click('陈立华', card.messageId, '提交', FORM, 'ws');
    expect(answer.error).toBeUndefined();
    expect(answer.toast?.content).toContain('提交成功，谢谢！');
    expect(cardText(h.standIn.messages().find((m) => m.messageId === card.messageId)!.content)).toContain('已提交');
    expect(zoneReportRows(h.db)).toHaveLength(1);
  });

  it('a callback sent again with the same event_id is answered and stored once', async () => {
    h = await startWs();
    await pushWeek1();
    const card = latestCard('李秀英');
    const callback = h.standIn.cardActionEnvelope({
      messageId: card.messageId,
      chatId: card.chatId,
      operatorOpenId: h.openId('李秀英'),
      value: buttonValue(card.content, '提交'),
      formValue: FORM,
    });
    const answers = [];
    for (let i = 0; i < 2; i++) answers.push(await h.standIn.deliver('card.action.trigger', callback.event, { eventId: callback.header.event_id, via: 'ws' }));
    expect(answers.map((a) => a.ack?.code)).toEqual([200, 200]);
    expect((answers[0]!.ack!.data as { toast?: { content: string } }).toast?.content).toBe('提交成功，谢谢！已列入台账 1 项。');
    expect(answers[1]!.ack?.data).toEqual({});
    expect(zoneReportRows(h.db)).toHaveLength(1);
  });

  it('a submit that outlasts the budget gets the interim toast, then the card is updated', async () => {
    h = await startWs(50);
    await pushWeek1();
    const card = latestCard('张伟');
    // Hold the real handler until the interim answer is back.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const handle = h.bot.router.handleCard.bind(h.bot.router);
    h.bot.router.handleCard = async (e) => {
      await gate;
      return handle(e);
    };
    const answer = await h.click('张伟', card.messageId, '提交', FORM, 'ws');
    expect(answer.error).toBeUndefined();
    expect(answer.toast?.content).toBe('已收到，正在处理，稍后会更新卡片。');
    expect(h.standIn.messages().find((m) => m.messageId === card.messageId)!.updateCount).toBe(0);

    release();
    await h.settle();
    expect(zoneReportRows(h.db)).toHaveLength(1);
    const updated = h.standIn.messages().find((m) => m.messageId === card.messageId)!;
    expect(updated.updateCount).toBe(1);
    expect(cardText(updated.content)).toContain('已提交');
  });
});
