import { afterEach, describe, expect, it } from 'vitest';
import { ledgerItems, recordRevisions, records } from '../../src/db/schema.js';
import { cardText, cst, type Harness } from '../helpers/harness.js';
import { current, formLabels, latestCard, startRecordsHarness } from './fixtures.js';

/** The forms a teacher files about themself: 附件三, 心得, 感人故事, 献一计. */

let h: Harness;
afterEach(async () => {
  await h?.close();
});

describe('student day (附件三)', () => {
  it('opens from /体验, turns each issue into a ledger item, and is filed once', async () => {
    h = await startRecordsHarness();
    await h.say('黄志强', '/体验');
    const card = latestCard(h, '黄志强');
    expect(cardText(card.content)).toContain('做一天中职学生 · 黄志强');
    // A once-a-term form may be filled in over weeks; its card says how to get it back.
    expect(cardText(card.content)).toContain('14 天后请输入 /体验 重新打开');
    // 附件三's own words; the seed's 走进课堂 and 大课间 each their own prompt under the paper's 其他体验.
    expect(formLabels(card.content)).toEqual([
      '体验日期',
      '卫生体验情况',
      '课间操体验情况',
      '就餐体验',
      '其他体验',
      '走进课堂',
      '大课间',
      '其他',
      '发现的问题',
      '拟解决的问题',
    ]);
    const placeholder = (name: string) => {
      let found: string | undefined;
      JSON.stringify(card.content, (_k, v) => (v?.tag === 'input' && v.name === name ? (found = v.placeholder?.content) : v));
      return found;
    };
    expect(placeholder('classroom')).toBe('选择一节课走进课堂');
    expect(placeholder('bigBreak')).toBe('下午跟学生一起进行大课间');
    const later = await h.click('黄志强', card.messageId, '提交', { dayOn: '2027-06-30 +0800', hygieneDuty: '打扫', morningExercise: '出操', lunch: '就餐' });
    expect(later.toast?.content).toContain('「体验日期」不能晚于今天（2026-11-18）');
    const ok = await h.click('黄志强', card.messageId, '提交', {
      dayOn: '2026-11-18 +0800',
      hygieneDuty: '和 2024级机电1班 一起打扫教室',
      morningExercise: '6:40 集合，出勤率高',
      lunch: '排队秩序较好，但等候时间长',
      other: '',
      problems: '食堂窗口少',
      issues: '1. 增开午餐窗口\n2、早操场地灯光不足',
    });
    expect(ok.toast?.content).toContain('已列入台账 2 项');
    expect(
      h.db
        .select()
        .from(ledgerItems)
        .all()
        .map((l) => [l.source, l.text]),
    ).toEqual([
      ['student-day', '增开午餐窗口'],
      ['student-day', '早操场地灯光不足'],
    ]);
    await h.say('黄志强', '/体验');
    const filed = cardText(latestCard(h, '黄志强').content);
    expect(filed).toContain('排队秩序较好');
    expect(formLabels(latestCard(h, '黄志强').content)).toEqual([
      '体验日期',
      '卫生体验情况',
      '课间操体验情况',
      '就餐体验',
      '其他体验',
      '走进课堂',
      '大课间',
      '其他',
      '发现的问题',
      '拟解决的问题',
    ]);
    expect(filed).toContain('14 天后请输入 /体验 重新打开');
  });
});

describe('reflection and story', () => {
  it('takes a long text in parts and keeps every edit', async () => {
    h = await startRecordsHarness();
    await h.say('刘芳', '/心得');
    const menu = latestCard(h, '刘芳');
    await h.click('刘芳', menu.messageId, '写心得');
    const long = '走'.repeat(1000);
    const tooLong = await h.click('刘芳', menu.messageId, '提交', { title: '走进学生的家', body: `${long}多`, body2: '' });
    expect(tooLong.toast?.content).toContain('「正文」不能超过 1000 字');
    const ok = await h.click('刘芳', menu.messageId, '提交', { title: '走进学生的家', body: long, body2: '续写的部分' });
    expect(ok.toast?.type).toBe('success');
    await h.click('刘芳', menu.messageId, '修改');
    await h.click('刘芳', menu.messageId, '保存修改', { title: '走进学生的家（修订）', body: long, body2: '续写的部分' });
    const row = h.db.select().from(records).all()[0]!;
    expect(row).toMatchObject({ form: 'reflection', revision: 2 });
    expect(
      h.db
        .select()
        .from(recordRevisions)
        .all()
        .map((r) => (r.data as { title: string }).title),
    ).toEqual(['走进学生的家', '走进学生的家（修订）']);

    // /心得 shows what is already filed, and what is still owed.
    await h.say('刘芳', '/心得');
    const filed = cardText(latestCard(h, '刘芳').content);
    expect(filed).toContain('心得**：✅ 已提交「走进学生的家（修订）」（11月18日，第 2 版）');
    expect(filed).toContain('感人故事**：⏳ 还没有提交，1月15日（周五） 截止');
    expect(filed).toContain('查看心得');

    // The story is its own form.
    await h.say('刘芳', '/故事');
    const story = await h.click('刘芳', latestCard(h, '刘芳').messageId, '写感人故事');
    expect(cardText(story.card?.data)).toContain('感人故事 · 刘芳');
  });
});

describe('suggestions (献一计)', () => {
  it('are filed from chat or card, reviewed by admins, and promoted to the ledger', async () => {
    h = await startRecordsHarness();
    await h.say('刘芳', '/献计 建议在实训楼增设饮水机');
    expect(h.textsTo('刘芳').at(-1)).toContain('谢谢你的建议');
    await h.say('黄志强', '/献计');
    const card = latestCard(h, '黄志强');
    await h.click('黄志强', card.messageId, '提交', { topic: '家校合作', content: '每学期开放一次家长课堂' });

    await h.say('刘芳', '/献计 列表');
    expect(h.textsTo('刘芳').at(-1)).toContain('仅限党支部管理员使用');

    await h.say('陈立华', '/献计 列表');
    const list = latestCard(h, '陈立华');
    const text = cardText(list.content);
    expect(text).toContain('献一计 · 共 2 条');
    expect(text).toContain('建议在实训楼增设饮水机');
    const r = await h.click('陈立华', list.messageId, '转入台账');
    expect(r.toast?.content).toContain('已转入台账');
    expect(cardText(current(h, list.messageId).content)).toContain('已转台账');
    expect(h.db.select().from(ledgerItems).all()).toHaveLength(1);
  });

  it('are refused outside the big-discussion window', async () => {
    h = await startRecordsHarness(cst('2027-01-05T10:00:00'));
    await h.say('刘芳', '/献计 一条建议');
    expect(h.textsTo('刘芳').at(-1)).toContain('2026-11-09 至 2026-12-31');
  });
});
