import { afterEach, describe, expect, it } from 'vitest';
import { ledgerItems, records } from '../../src/db/schema.js';
import { cardText, cst, type Harness } from '../helpers/harness.js';
import { RECORDS_CAMPAIGN, current, dormId, formLabels, latestCard, startRecordsHarness } from './fixtures.js';

/** 关爱一间宿舍: the weekly checklist and 附件一, filed by the dorm's caring teachers only. */

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const CHECK = {
  checkedOn: '2026-11-18 +0800',
  hygiene: 'fair',
  smoking: 'no',
  electricity: 'yes',
  property: 'no',
  safety: 'no',
  storyShared: 'yes',
  notes: '发现一个大功率电吹风，已收缴',
  toLedger: 'yes',
};

async function openDorm(name: string, button: string) {
  await h.say(name, '/宿舍');
  // The dorm list, not a ledger card that may have arrived in between.
  const list = h
    .cardsTo(name)
    .filter((c) => c.content?.header?.title?.content === '关爱一间宿舍')
    .at(-1)!;
  expect(cardText(list.content)).toContain('7号楼203');
  const r = await h.click(name, list.messageId, button);
  expect(r.error).toBeUndefined();
  return list.messageId;
}

describe('dorm checklist', () => {
  it('is filed weekly by a caring teacher; a failed item opens a ledger item; the week is filed once', async () => {
    h = await startRecordsHarness();
    const messageId = await openDorm('刘芳', '本周检查');
    expect(cardText(current(h, messageId).content)).toContain('宿舍关爱检查 · 7号楼203');

    const bad = await h.click('刘芳', messageId, '提交', { ...CHECK, hygiene: '', smoking: 'maybe' });
    expect(bad.toast?.content).toContain('「卫生情况」必填');
    expect(bad.toast?.content).toContain('「吸烟情况」请从选项中选择');
    expect(cardText(current(h, messageId).content)).toContain(CHECK.notes);
    // The date belongs to the week being checked (11/16–11/22), and not after today (11/18).
    const future = await h.click('刘芳', messageId, '提交', { ...CHECK, checkedOn: '2026-11-20 +0800' });
    expect(future.toast?.content).toContain('「检查日期」不能晚于今天（2026-11-18）');
    const lastWeek = await h.click('刘芳', messageId, '提交', { ...CHECK, checkedOn: '2026-11-13 +0800' });
    expect(lastWeek.toast?.content).toContain('「检查日期」不能早于这一周的周一（2026-11-16）');

    const ok = await h.click('刘芳', messageId, '提交', CHECK);
    expect(ok.toast?.content).toContain('已列入台账 1 项');
    const summary = cardText(current(h, messageId).content);
    expect(summary).toContain('违规用电');
    expect(summary).toContain('有 Found');
    const [item] = h.db.select().from(ledgerItems).all();
    expect(item).toMatchObject({ source: 'dorm-check', raisedBy: 'teacher', text: `7号楼203：发现违规用电。${CHECK.notes}` });

    // The other caring teacher of the room sees this week as filed.
    await h.say('黄志强', '/宿舍');
    const theirs = latestCard(h, '黄志强');
    const again = await h.click('黄志强', theirs.messageId, '本周检查');
    expect(again.toast?.content).toContain('已经提交过了');
    expect(cardText(current(h, theirs.messageId).content)).toContain(CHECK.notes);

    // Next week is a new checklist.
    h.clock.set(cst('2026-11-25T10:00:00'));
    const next = await h.click('黄志强', theirs.messageId, '修改');
    expect(cardText(next.card?.data)).toContain('保存修改');
    await h.say('黄志强', '/宿舍');
    const fresh = await h.click('黄志强', latestCard(h, '黄志强').messageId, '本周检查');
    expect(cardText(fresh.card?.data)).toContain('提交 Submit');
  });

  it('is pushed each week to every caring teacher until the room is checked', async () => {
    h = await startRecordsHarness(cst('2026-11-18T15:59:00'));
    expect((await h.runJob('dorm-check-push')).queued).toBe(0); // before Wednesday 16:00
    h.clock.set(cst('2026-11-18T16:00:00'));
    expect((await h.runJob('dorm-check-push')).queued).toBe(2);
    expect((await h.runJob('dorm-check-push')).queued).toBe(0); // a second run sends nothing twice
    const reminder = latestCard(h, '黄志强');
    expect(cardText(reminder.content)).toContain('本周请到 **7号楼203**');
    const form = await h.click('黄志强', reminder.messageId, '现在填写');
    expect(cardText(form.card?.data)).toContain('宿舍关爱检查 · 7号楼203');
    await h.click('黄志强', reminder.messageId, '提交', { ...CHECK, toLedger: 'no' });

    h.clock.set(cst('2026-11-25T16:00:00'));
    expect((await h.runJob('dorm-check-push')).queued).toBe(2);
    await h.say('刘芳', '/宿舍');
    await h.click('刘芳', latestCard(h, '刘芳').messageId, '本周检查');
    await h.click('刘芳', latestCard(h, '刘芳').messageId, '提交', { ...CHECK, checkedOn: '2026-11-25 +0800', toLedger: 'no' });
    h.clock.set(cst('2026-11-26T09:00:00'));
    expect((await h.runJob('dorm-check-push')).queued).toBe(0);
    expect(
      h.db
        .select()
        .from(records)
        .all()
        .map((r) => r.periodKey),
    ).toEqual(['wk-2026-11-16', 'wk-2026-11-23']);
  });

  it('no ledger item when solved on the spot', async () => {
    h = await startRecordsHarness();
    const messageId = await openDorm('刘芳', '本周检查');
    await h.click('刘芳', messageId, '提交', { ...CHECK, toLedger: 'no' });
    expect(h.db.select().from(ledgerItems).all()).toHaveLength(0);
  });

  it('refuses a teacher who does not care for the dorm', async () => {
    h = await startRecordsHarness();
    await h.say('王建国', '/宿舍');
    expect(h.textsTo('王建国').at(-1)).toContain('你目前没有关爱的宿舍');
    await h.say('王建国', '/进度');
    const r = await h.standIn.clickCard({
      messageId: latestCard(h, '王建国').messageId,
      operatorOpenId: h.openId('王建国'),
      value: { action: 'dorm-check.open', campaignId: RECORDS_CAMPAIGN.id, dormId: dormId(h) },
    });
    expect(r.toast?.content).toContain('刘芳、黄志强 老师关爱，只有关爱教师');
  });
});

describe('a substitute (代班) and the dorm checklist', () => {
  it('files the week they stood in, also after the leave has ended, and no other week', async () => {
    h = await startRecordsHarness();
    await h.say('陈立华', '/请假 刘芳 11-16 11-18 代班 王建国');
    expect(h.textsTo('陈立华').at(-1)).toContain('王建国 代班');
    // Saturday: the leave is over, the week it covered is not yet filed.
    h.clock.set(cst('2026-11-21T10:00:00'));
    await h.say('王建国', '/进度');
    const messageId = latestCard(h, '王建国').messageId;
    const open = (week: string) =>
      h.standIn.clickCard({
        messageId,
        operatorOpenId: h.openId('王建国'),
        value: { action: 'dorm-check.open', campaignId: RECORDS_CAMPAIGN.id, dormId: dormId(h), week },
      });
    const opened = await open('2026-11-16');
    expect(opened.toast?.type).not.toBe('error');
    const filed = await h.click('王建国', messageId, '提交', { ...CHECK, checkedOn: '2026-11-17 +0800', toLedger: 'no' });
    expect(filed.toast?.content).toContain('提交成功');
    expect(
      h.db
        .select()
        .from(records)
        .all()
        .map((r) => r.periodKey),
    ).toEqual(['wk-2026-11-16']);
    // The next week he stood in for no one.
    h.clock.set(cst('2026-11-24T10:00:00'));
    expect((await open('2026-11-23')).toast?.content).toContain('刘芳、黄志强 老师关爱，只有关爱教师');
  });
});

describe('dorm record (附件一)', () => {
  it('starts from the roster and the term’s checklists, and a late one is flagged', async () => {
    h = await startRecordsHarness();
    const messageId = await openDorm('刘芳', '本周检查');
    await h.click('刘芳', messageId, '提交', CHECK);

    h.clock.set(cst('2027-01-10T10:00:00')); // after the record's due date (01-08)
    const recordCard = await openDorm('刘芳', '附件一记录');
    const form = current(h, recordCard);
    const text = cardText(form.content);
    expect(text).toContain('关爱一间宿舍情况记录表 · 7号楼203');
    expect(text).toContain('赵小明（2024级机电1班）、钱小亮（2024级机电1班）');
    expect(text).toContain('违规用电 1 次');
    expect(text).toContain('卫生情况：一般 1 次');
    expect(text).toContain('补交');
    expect(text).toContain('14 天后请输入 /宿舍 重新打开');
    // The roster's headcount (6) and its member list (2) disagree: the card says so before anything is typed.
    expect(text).toContain('名单中宿舍人数是 6 人，宿舍人员列了 2 人');
    // 附件一's own words, the past state asked in its four parts under the paper's one cell.
    expect(formLabels(form.content)).toEqual([
      '宿舍长',
      '宿舍长班级',
      '宿舍人数',
      '宿舍人员姓名及班级',
      '过去状况（环境、财产、卫生、安全）',
      '环境',
      '财产',
      '卫生',
      '安全',
      '改进意见',
      '现在状况',
    ]);

    const fields = {
      headName: '赵小明',
      headClass: '2024级机电1班',
      headcount: '六',
      members: '赵小明（2024级机电1班）',
      pastEnvironment: '有违规用电',
      pastProperty: '完好',
      pastHygiene: '一般',
      pastSafety: '无隐患',
      suggestions: '每周三晚开宿舍会',
      presentState: '整洁有序',
    };
    const bad = await h.click('刘芳', recordCard, '提交', fields);
    expect(bad.toast?.content).toContain('「宿舍人数」应为数字');

    // Six in the headcount, one in the member list: sent back naming both numbers, with everything typed still there.
    const mismatch = await h.click('刘芳', recordCard, '提交', { ...fields, headcount: '6' });
    expect(mismatch.toast?.type).toBe('error');
    expect(mismatch.toast?.content).toContain('「宿舍人数」填的是 6 人，「宿舍人员姓名及班级」列了 1 人，请核对后再提交');
    const back = cardText(current(h, recordCard).content);
    for (const typed of ['赵小明（2024级机电1班）', '有违规用电', '每周三晚开宿舍会', '整洁有序']) expect(back).toContain(typed);
    expect(
      h.db
        .select()
        .from(records)
        .all()
        .filter((r) => r.form === 'dorm-record'),
    ).toHaveLength(0);

    const members = '赵小明（2024级机电1班）、钱小亮（2024级机电1班，团支书）\n孙小军（2024级电子2班）';
    const ok = await h.click('刘芳', recordCard, '提交', { ...fields, headcount: '3', members });
    expect(ok.toast?.content).toContain('已补交');
    const row = h.db
      .select()
      .from(records)
      .all()
      .find((r) => r.form === 'dorm-record')!;
    expect(row).toMatchObject({ late: true, periodKey: 'term-1' });
    expect(row.data).toMatchObject({ headcount: 3, members, presentState: '整洁有序' });
  });
});
