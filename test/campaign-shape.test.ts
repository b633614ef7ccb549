import { afterEach, describe, expect, it } from 'vitest';
import { presetDefinition } from '../src/domain/presets.js';
import { DEMO_BRANCH_CHAT_ID } from '../src/demo/seed.js';
import { sheetFromValues, type RosterSheet } from '../src/roster/sheets.js';
import { buttonValue, cardText, cst, startHarness, waitFor, type Harness } from './helpers/harness.js';
import { picture, readWorkbook, rowsOf } from './export/fixtures.js';
import { latestCard } from './records/fixtures.js';

/**
 * 三大一实干 (seed 002) as the school runs it, through the stand-in: /帮助 offers only
 * what the campaign has, 献一计 is for the roles the seed names, /进度 names the
 * phase, and an in-person visit without a photo is listed to its visitor and counted for the admin.
 */

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const SAN_DA = presetDefinition('三大一实干', { year: 2026, id: 'sdys-2026', branchChatId: DEMO_BRANCH_CHAT_ID });
const WEI = presetDefinition('微行动', { year: 2026, id: 'wxd-2026', branchChatId: DEMO_BRANCH_CHAT_ID });

/** The demo cast as a primary school lists it: a principal, a grade head, party teachers, and two class teachers. */
const CAST: RosterSheet[] = [
  sheetFromValues('classes', [{ name: '一（1）班' }]),
  sheetFromValues('members', [
    { name: '陈立华', mobile: '13800000001', roles: '管理员、部门领导', department: '校长室' },
    { name: '王建国', mobile: '13800000002', roles: '年级组长、教师', department: '' },
    { name: '李秀英', mobile: '13800000003', roles: '党员', department: '' },
    { name: '张伟', mobile: '13800000004', roles: '党员', department: '' },
    { name: '刘芳', mobile: '13800000005', roles: '教师', department: '' },
    { name: '黄志强', mobile: '13800000006', roles: '教师', department: '' },
  ]),
  sheetFromValues('targets', [{ kind: '学生家庭（家访）', name: '孙小红', className: '一（1）班', visitor: '刘芳' }]),
];

const startSanDa = (at: string) => startHarness({ transport: 'ws', at: cst(at), campaign: SAN_DA, cast: CAST });

async function answer(name: string, text: string): Promise<string> {
  await h.say(name, text);
  const texts = h.textsTo(name);
  return texts[texts.length - 1]!;
}

/** A home visit in March filed on the 大走访 card, its photo still owed. */
const homeVisitWithoutPhoto = (day: number) => ({
  visitedOn: `2026-03-${day} +0800`,
  mode: 'in-person',
  place: 'home',
  coVisitors: [],
  purpose: '了解学生在家学习生活环境',
  situation: '',
  content: '与家长交流孩子在家的作息',
  opinions: '',
  followUp: 'none',
  leader: '',
  followUpNote: '',
  reflection: '',
});
const commandLines = (help: string) => help.split('\n').map((l) => l.split(/\s/)[0]);

describe('/帮助 offers what the campaign has', () => {
  it('三大一实干: no /宿舍, /体验, /认领, /推荐 or /心得; /献计 only for the discussion’s roles', async () => {
    h = await startSanDa('2026-03-20T10:00:00');
    const admin = commandLines(await answer('陈立华', '/帮助'));
    expect(admin).toEqual(expect.arrayContaining(['/走访', '/进度', '/献计', '/台账']));
    for (const absent of ['/宿舍', '/体验', '/认领', '/推荐', '/心得']) expect(admin).not.toContain(absent);
    // 刘芳 is a class teacher, not one of 校级领导、党员、中层、年级组长.
    const teacher = commandLines(await answer('刘芳', '/帮助'));
    expect(teacher).toContain('/走访');
    expect(teacher).not.toContain('/献计');
    expect(commandLines(await answer('王建国', '/帮助'))).toContain('/献计');
  });

  it('微行动 keeps its dorms, student day, claiming and writing', async () => {
    h = await startHarness({ transport: 'ws', at: cst('2026-03-20T10:00:00'), campaign: WEI });
    const lines = commandLines(await answer('陈立华', '/帮助'));
    expect(lines).toEqual(expect.arrayContaining(['/走访', '/宿舍', '/体验', '/认领', '/推荐', '/心得']));
    expect(lines).not.toContain('/献计');
  });
});

describe('大讨论 · 献一计 (seed 002)', () => {
  it('takes suggestions from the named roles, refuses others, and shows them in /进度, the admin’s review and the digest', async () => {
    h = await startSanDa('2026-03-20T10:00:00');
    expect(await answer('王建国', '/献计 建议每月开一次家长开放日')).toContain('谢谢你的建议');
    expect(await answer('李秀英', '/献计 建议在学校网站开设讨论专栏')).toContain('谢谢你的建议');
    const refused = await answer('刘芳', '/献计 建议增加课后服务');
    expect(refused).toContain('参加对象');
    expect(refused).toContain('年级组长');
    expect(h.db.$client.prepare("SELECT count(*) AS n FROM records WHERE form = 'suggestion'").get()).toEqual({ n: 2 });

    await h.say('王建国', '/进度');
    const mine = cardText(latestCard(h, '王建国').content);
    expect(mine).toContain('大讨论 · 我为学校发展献一计');
    expect(mine).toContain('你已提出 **1** 条');

    await h.say('陈立华', '/进度');
    const progress = latestCard(h, '陈立华');
    expect(cardText(progress.content)).toContain('全校共收到 **2** 条，来自 2 人');
    const review = await h.standIn.clickCard({
      messageId: progress.messageId,
      operatorOpenId: h.openId('陈立华'),
      value: buttonValue(progress.content, '审阅献计'),
    });
    expect(cardText(review.card?.data)).toContain('献一计 · 共 2 条');
    expect(cardText(review.card?.data)).toContain('家长开放日');

    // The weekly digest of 3/23 counts them, by role, without a word of what was suggested.
    h.clock.set(cst('2026-03-23T09:30:00'));
    await h.runJob('digest');
    const digest = h.standIn
      .messagesIn(DEMO_BRANCH_CHAT_ID)
      .filter((m) => m.msgType === 'interactive')
      .map((m) => cardText(m.content))
      .join('\n');
    expect(digest).toContain('大讨论 · 我为学校发展献一计');
    expect(digest).toMatch(/累计 2 条，来自 2\/\d+ 位参加对象（[^）]*年级组长 1/);
    expect(digest).not.toContain('家长开放日');
    expect(digest).toContain('当前阶段：「思想发动」阶段');
  });
});

describe('phases (seed 002)', () => {
  it('/进度 names the phase the campaign is in and its focus', async () => {
    h = await startSanDa('2026-06-10T10:00:00');
    await h.say('刘芳', '/进度');
    const text = cardText(latestCard(h, '刘芳').content);
    expect(text).toContain('当前阶段：「过程管控」阶段（5/1–11/30）：重点抓好日常平常和过程管控');
    // The big discussion closed in April and 刘芳 was never part of it.
    expect(text).not.toContain('献一计');
  });
});

describe('the phase summary (seed 002)', () => {
  it('says what 思想发动 achieved over its two months, not the standings of its last month', async () => {
    h = await startSanDa('2026-05-06T09:30:00');
    await h.runJob('digest');
    const cards = h.standIn
      .messagesIn(DEMO_BRANCH_CHAT_ID)
      .filter((m) => m.msgType === 'interactive')
      .map((m) => cardText(m.content));
    const phase = cards.find((t) => t.includes('阶段小结 · 「思想发动」'))!;
    expect(phase).toContain('本阶段成果**（3/1–4/30，重点抓好思想发动）');
    expect(phase).toContain('教师家访：2 个月平均达标率 0%，每月都达标 0/3 人');
    expect(phase).not.toContain('当期已达标');
    // April's monthly digest, the same morning, names the phase it belongs to.
    expect(cards.find((t) => t.includes('党支部月报 · 2026年4月'))).toContain('当前阶段：「思想发动」阶段');
  });
});

describe('大走访情况记录表 and photos (seed 002)', () => {
  it('records a home visit on the school’s own form; without a photo it is listed to its visitor and counted for the admin', async () => {
    h = await startSanDa('2026-03-20T10:00:00');
    await h.say('刘芳', '/走访');
    const list = latestCard(h, '刘芳');
    const form = await h.click('刘芳', list.messageId, '记录走访');
    const text = cardText(form.card?.data);
    expect(text).toContain('大走访情况记录表');
    expect(text).not.toContain('附件五');
    expect(text).not.toContain('实习企业');
    expect(text).not.toContain('就业与升学'); // the vocational school's questionnaire
    expect(text).toContain('了解学生在家学习生活环境，为资助学业、帮扶学习作准备'); // the table's 走访目的, pre-filled
    expect(text).toContain('家长对学校的要求 问卷 Questionnaire（选填）');
    const ok = await h.click('刘芳', list.messageId, '提交', homeVisitWithoutPhoto(19));
    expect(ok.toast?.type).toBe('success');

    await h.say('刘芳', '/进度');
    const progress = cardText(latestCard(h, '刘芳').content);
    expect(progress).toContain('上门走访缺照片');
    expect(progress).toContain('3/19 孙小红');
    expect(buttonValue(latestCard(h, '刘芳').content, '补照片')).toMatchObject({ action: 'visit.edit' });

    await h.say('陈立华', '/谁没交');
    expect(cardText(latestCard(h, '陈立华').content)).toContain('刘芳：上门走访缺照片 1 次');

    h.clock.set(cst('2026-03-23T09:30:00'));
    await h.runJob('digest');
    const digest = h.standIn
      .messagesIn(DEMO_BRANCH_CHAT_ID)
      .filter((m) => m.msgType === 'interactive')
      .map((m) => cardText(m.content))
      .join('\n');
    expect(digest).toContain('1 次上门走访还没有照片，涉及 1 位老师');
    expect(digest).not.toContain('孙小红');

    // The archive: the visit on the school's own record, headed as the card, and the photo gap in 刘芳's line.
    await h.say('陈立华', '/导出');
    await waitFor(() => h.textsTo('陈立华').some((t) => /^导出(完成|未能发送|失败)/.test(t)), 'the export', 60_000);
    await h.settle();
    const file = h.standIn.messagesTo(h.openId('陈立华')).find((m) => m.msgType === 'file')!;
    const wb = await readWorkbook(await h.bot.api.downloadResource(file.messageId, String(file.content.file_key), 'file'));
    expect(wb.worksheets.map((ws) => ws.name)).not.toContain('附件五 走访记录');
    const [row] = rowsOf(wb.getWorksheet('大走访记录')!);
    expect(row).toMatchObject({ 走访人: '刘芳', 走访对象: '孙小红', 班级: '一（1）班', 走访形式: '上门走访', 访问记录: '与家长交流孩子在家的作息' });
    const byTeacher = new Map(rowsOf(wb.getWorksheet('汇总（教师）')!).map((r) => [r['姓名'], r]));
    expect(byTeacher.get('刘芳')).toMatchObject({ 上门走访: 1, 上门走访缺照片: 1 });

    // 补照片 opens the record; the photo sent then attaches to it, and the visit is no longer listed.
    await h.say('刘芳', '/进度');
    const card = latestCard(h, '刘芳');
    const opened = await h.standIn.clickCard({ messageId: card.messageId, operatorOpenId: h.openId('刘芳'), value: buttonValue(card.content, '补照片') });
    expect(cardText(opened.card?.data)).toContain('大走访情况记录表 · 孙小红');
    await h.standIn.sendImage(h.openId('刘芳'), picture('家访'));
    await waitFor(
      () => (h.db.$client.prepare("SELECT count(*) AS n FROM photos WHERE status = 'stored' AND record_id IS NOT NULL").get() as { n: number }).n === 1,
      'the photo',
    );
    await h.settle();
    await h.say('刘芳', '/进度');
    expect(cardText(latestCard(h, '刘芳').content)).not.toContain('上门走访缺照片');
  }, 120_000);

  it('/进度 names the five oldest home visits without a photo, counts the rest, and offers 补照片 for the three oldest', async () => {
    h = await startSanDa('2026-03-20T10:00:00');
    for (const day of [13, 14, 15, 16, 17, 18, 19]) {
      await h.say('刘芳', '/走访');
      const list = latestCard(h, '刘芳');
      await h.click('刘芳', list.messageId, '记录走访');
      const ok = await h.click('刘芳', list.messageId, '提交', homeVisitWithoutPhoto(day));
      expect(ok.toast?.type).toBe('success');
    }
    await h.say('刘芳', '/进度');
    const card = latestCard(h, '刘芳').content;
    const progress = cardText(card);
    expect(progress).toContain("上门走访缺照片** · <font color='orange'>7 次</font>");
    for (const day of [13, 14, 15, 16, 17]) expect(progress).toContain(`- 3/${day} 孙小红`);
    expect(progress).not.toContain('- 3/18');
    expect(progress).toContain('……另有 2 次');
    const buttons = JSON.stringify(card).match(/补照片 3\/\d+/g);
    expect(buttons).toEqual(['补照片 3/13', '补照片 3/14', '补照片 3/15']);
  }, 120_000);
});
