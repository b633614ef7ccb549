import { afterEach, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { people } from '../src/db/schema.js';
import { parseCampaignDefinition } from '../src/domain/campaign.js';
import { cardButtons, cardText, cst, startHarness, type Harness } from './helpers/harness.js';
import { autumnTerm, cardsReceived, remindersAbout, runAt, tickDays } from './helpers/term.js';
import { zoneReportRows } from './helpers/zone-reports.js';

/**
 * Reminders over the last weeks of an autumn term (2026, whose holidays come
 * from the dataset): the reflection and story are due at the end-of-term
 * meeting on Friday 25 December, so T-14 is Friday 11 December, T-7 Friday 18
 * December, T-1 Thursday 24 December, the overdue notice Monday 28 December
 * and the admins hear on Thursday 31 December, three working days later.
 */

const TERM = autumnTerm(
  // Only 刘芳 is in 财经部: a small quota to watch one teacher's pace.
  { quotas: [{ key: 'home-visits', name: '教师家访', who: { department: '财经部' }, targetKinds: ['student-family'], min: 3, period: 'month' }] },
  true,
);

let h: Harness;
afterEach(async () => {
  await h?.close();
});

async function fileReflection(name: string) {
  await h.settle();
  await h.say(name, '/心得');
  const menu = cardsReceived(h, name)
    .filter((c) => c.title === '心得与感人故事')
    .at(-1)!;
  const form = await h.click(name, menu.messageId, '写心得');
  expect(form.card).toBeDefined();
  const ok = await h.click(name, menu.messageId, '提交', { title: '走进学生家庭', body: '这学期走访了几户家庭，感受很深。' });
  expect(ok.toast?.type).toBe('success');
}

describe('reminders for the once-per-term forms', () => {
  it('chases T-14, T-7, T-1 and overdue on working mornings, stops when filed, then tells the admin privately', async () => {
    h = await startHarness({ transport: 'webhook', at: cst('2026-12-09T10:00:00'), campaign: TERM });
    await fileReflection('刘芳');
    await tickDays(h, '2026-12-09', '2026-12-31', undefined, async (day) => {
      if (day === '2026-12-21') await fileReflection('黄志强');
    });

    expect(remindersAbout(h, '刘芳', '走访心得')).toEqual([]);
    expect(remindersAbout(h, '黄志强', '走访心得')).toEqual(['2026-12-11 提醒：走访心得', '2026-12-18 提醒：走访心得']);
    expect(remindersAbout(h, '张伟', '走访心得')).toEqual([
      '2026-12-11 提醒：走访心得',
      '2026-12-18 提醒：走访心得',
      '2026-12-24 提醒：走访心得',
      '2026-12-28 逾期未交：走访心得',
    ]);
    const t1 = cardsReceived(h, '张伟').find((c) => c.day === '2026-12-24' && c.title.includes('走访心得'))!;
    expect(t1.text).toContain('张伟老师，**走访心得**的截止日期是 **12月25日（周五）**，明天就截止了。');
    // The overdue notice is the last one: read weeks later, it says how to get a button that works.
    expect(cardsReceived(h, '张伟').find((c) => c.day === '2026-12-28' && c.title.includes('走访心得'))!.text).toContain('14 天后请输入 /进度 重新打开');
    expect(cardsReceived(h, '张伟').find((c) => c.day === '2026-12-11' && c.title.includes('感人故事'))!.text).toContain('还有 14 天');

    // Every card arrived on a working day at the reminder time, never at night or at a weekend.
    for (const name of ['陈立华', '王建国', '李秀英', '张伟', '刘芳', '黄志强']) {
      for (const c of cardsReceived(h, name).filter((x) => x.title.startsWith('提醒') || x.title.startsWith('逾期'))) {
        expect(c.time, `${name} ${c.title}`).toBe('09:00');
        expect([0, 6]).not.toContain(new Date(`${c.day}T12:00:00Z`).getUTCDay());
      }
    }

    // The admin hears once, privately, with teachers' names; the group hears nothing of it.
    const escalations = cardsReceived(h, '陈立华').filter((c) => c.title.startsWith('逾期未完成'));
    expect(escalations.map((c) => c.day)).toEqual(['2026-12-31']);
    expect(escalations[0]!.text).toContain('张伟：走访心得 · 截止 12月25日（周五）');
    expect(escalations[0]!.text).not.toContain('刘芳：走访心得');
    expect(h.groupTexts().join('\n')).not.toContain('走访心得');

    // Running everything again at the same moments sends nothing new.
    const before = h.standIn.messages().length;
    await runAt(h, cst('2026-12-31T09:00:00'));
    await runAt(h, cst('2026-12-28T09:30:00'));
    expect(h.standIn.messages()).toHaveLength(before);
  });

  it('snoozes a reminder once: it comes back the next working morning, and a second snooze is declined', async () => {
    h = await startHarness({ transport: 'ws', at: cst('2026-12-11T08:00:00'), campaign: TERM });
    await runAt(h, cst('2026-12-11T09:00:00'));
    const reminder = cardsReceived(h, '张伟').find((c) => c.title === '提醒：走访心得')!;
    const snoozed = await h.click('张伟', reminder.messageId, '明天再提醒我');
    // Friday → the next working day is Monday 14 December.
    expect(snoozed.toast?.content).toBe('好的，12月14日（周一）09:00 再提醒你。');
    const again = await h.click('张伟', reminder.messageId, '明天再提醒我');
    expect(again.toast?.content).toContain('已经推迟过一次');

    await tickDays(h, '2026-12-12', '2026-12-14');
    const back = cardsReceived(h, '张伟').filter((c) => c.title === '提醒：走访心得');
    expect(back.map((c) => c.day)).toEqual(['2026-12-11', '2026-12-14']);
    expect(cardText(back[1]!.content)).not.toContain('明天再提醒我');
  });
});

describe('visit quota pace', () => {
  it('nudges mid-month when behind pace, warns before the month ends, and tells the admin after', async () => {
    h = await startHarness({ transport: 'webhook', at: cst('2026-11-01T10:00:00'), campaign: TERM });
    await tickDays(h, '2026-11-01', '2026-12-02', ['09:00']);
    const cards = cardsReceived(h, '刘芳').filter((c) => c.title.includes('走访进度'));
    // Mid-November is Sunday 15th → Monday 16th; five days before the end is Thursday 26th.
    expect(cards.map((c) => c.day)).toEqual(['2026-11-16', '2026-11-26']);
    expect(cards[0]!.text).toContain('11月「教师家访」已走访 **0/3** 位，按进度此时应走访 1 位，本月还差 **3 位**，剩 14 天。');
    expect(cards[1]!.text).toContain('本月还差 **3 位**，剩 4 天');
    // Nobody else is in 财经部.
    expect(cardsReceived(h, '黄志强').filter((c) => c.title.includes('走访进度'))).toEqual([]);
    const admin = cardsReceived(h, '陈立华').filter((c) => c.title.startsWith('逾期未完成'));
    // October (no visits either) on its first working day after, November on 1 December.
    expect(admin.map((c) => c.day)).toEqual(['2026-11-02', '2026-12-01']);
    expect(admin[0]!.text).toContain('刘芳：10月「教师家访」0/3 位');
    expect(admin[1]!.text).toContain('刘芳：11月「教师家访」0/3 位');
  });
});

describe('the vacation between terms', () => {
  it('sends no quota nudge on a vacation day, and nudges again once school is open', async () => {
    // 11–19 November is a break between two terms: the mid-month nudge (Monday 16th) stays unsent.
    const terms = [
      { name: '第一学段', start: '2026-09-01', end: '2026-11-10' },
      { name: '第二学段', start: '2026-11-20', end: '2026-12-31' },
    ];
    h = await startHarness({ transport: 'webhook', at: cst('2026-11-13T10:00:00'), campaign: parseCampaignDefinition({ ...TERM, terms }) });
    await tickDays(h, '2026-11-13', '2026-11-27', ['09:00']);
    const cards = cardsReceived(h, '刘芳').filter((c) => c.title.includes('走访进度'));
    expect(cards.map((c) => c.day)).toEqual(['2026-11-26']);
    expect(cards[0]!.text).toContain('本月还差 **3 位**，剩 4 天');
  });
});

describe('admin commands', () => {
  it('/谁没交 lists who owes what, privately; /催办 reminds them now, once a day, and not at night', async () => {
    h = await startHarness({ transport: 'ws', at: cst('2026-12-28T10:00:00'), campaign: TERM });
    await fileReflection('刘芳');

    await h.say('陈立华', '/谁没交');
    // Twelve lines: more than a phone shows at once, so counts come first and each group's names behind its button.
    const overview = h.cardsTo('陈立华').at(-1)!;
    expect(cardText(overview.content)).toContain('共 6 位老师、12 项，按部门统计（未填部门的按任务）');
    expect(cardText(overview.content)).toContain('**财经部** · 1 人 · 2 项');
    const groups = cardButtons(overview.content).filter((b) => b.label === '查看');
    const opened = [];
    for (const b of groups)
      opened.push(cardText((await h.standIn.clickCard({ messageId: overview.messageId, operatorOpenId: h.openId('陈立华'), value: b.value })).card?.data));
    const list = opened.join('\n');
    expect(list).toContain('张伟：走访心得 · 截止 12月25日（周五）');
    expect(list).not.toContain('刘芳：走访心得');
    expect(list).toContain('刘芳：感人故事');
    expect(list).toContain('刘芳：12月「教师家访」0/3 位');

    const before = cardsReceived(h, '张伟').length;
    await h.say('陈立华', '/催办');
    expect(h.textsTo('陈立华').at(-1)).toMatch(/已向 6 位老师发送提醒，共 \d+ 条/);
    expect(cardsReceived(h, '张伟').length).toBe(before + 2);
    await h.say('陈立华', '/催办');
    expect(h.textsTo('陈立华').at(-1)).toMatch(/^今天已经催过这 6 位老师（共 \d+ 条），没有重复发送/);
    expect(cardsReceived(h, '张伟').length).toBe(before + 2);

    h.clock.set(cst('2026-12-28T23:00:00'));
    await h.say('陈立华', '/催办');
    expect(h.textsTo('陈立华').at(-1)).toContain('现在是休息时间');

    await h.say('张伟', '/谁没交');
    expect(h.textsTo('张伟').at(-1)).toContain('仅限党支部管理员使用');
  });

  it('/谁没交 counts people with no department under what they owe', async () => {
    h = await startHarness({ transport: 'ws', at: cst('2026-12-28T10:00:00'), campaign: TERM });
    h.db.update(people).set({ department: null }).run();
    await h.say('陈立华', '/谁没交');
    const text = cardText(h.cardsTo('陈立华').at(-1)!.content);
    expect(text).toContain('共 6 位老师、12 项');
    expect(text).toContain('**感人故事** · 6 人 · 6 项');
    expect(text).toContain('**走访心得** · 6 人 · 6 项');
  });

  it("/谁没交 and /催办 include the weekly forms: zone reports past their deadline and this week's dorm checks", async () => {
    h = await startHarness({ transport: 'ws', at: cst('2026-11-13T16:00:00') });
    await h.runJob('zone-report-push');
    const week1 = h.cardsTo('王建国').at(-1)!;
    expect((await h.click('王建国', week1.messageId, '提交', { overall_state: '整洁', student_talks: '谈了两名学生' })).toast?.type).toBe('success');
    h.clock.set(cst('2026-11-25T10:00:00')); // week 3: weeks 1 and 2 are past their deadline

    await h.say('陈立华', '/谁没交');
    const list = cardText(h.cardsTo('陈立华').at(-1)!.content);
    expect(list).toContain('王建国：环境责任区报表（教学楼A栋一至三楼）未交 1 周：第2周');
    expect(list).toContain('李秀英：环境责任区报表（田径场及看台）未交 2 周：第1周、第2周');
    expect(list).toContain('输入 /催办 可立即私信提醒以上老师');

    const before = h.cardsTo('李秀英').length;
    await h.say('陈立华', '/催办');
    expect(h.textsTo('陈立华').at(-1)).toMatch(/^已向 \d+ 位老师发送提醒/);
    const reminder = h
      .cardsTo('李秀英')
      .slice(before)
      .find((c) => cardText(c.content).includes('环境责任区报表'))!;
    expect(cardText(reminder.content)).toContain('第2周');
    // Its button opens the latest missed week's form.
    const opened = await h.click('李秀英', reminder.messageId, '现在填写 Fill in now');
    expect(cardText(opened.card?.data)).toContain('环境责任区报表 · 第2周（11/16–11/22）');
  });

  it('/请假 records leave and a substitute: no reminders while away, a smaller quota, and the substitute may file', async () => {
    h = await startHarness({ transport: 'webhook', at: cst('2026-11-02T10:00:00'), campaign: TERM });
    await h.say('陈立华', '/请假 刘芳 11-02 11-20 代班 黄志强');
    expect(h.textsTo('陈立华').at(-1)).toContain('已登记：刘芳 11/2–11/20 请假，黄志强 代班');
    expect(h.textsTo('刘芳').at(-1)).toContain('11/2–11/20 请假');
    expect(h.textsTo('黄志强').at(-1)).toContain('由你代班');

    await h.say('刘芳', '/进度');
    const progress = cardText(h.cardsTo('刘芳').at(-1)!.content);
    expect(progress).toContain('请假中（11/2–11/20）');
    // 6 of November's 21 working days remain: ceil(3 × 6 / 21) = 1.
    expect(progress).toContain('11月「教师家访」：已走访 **0/1** 位');

    await tickDays(h, '2026-11-02', '2026-11-30', ['09:00']);
    // Away at mid-month: no pace nudge; back for the month-end warning.
    expect(
      cardsReceived(h, '刘芳')
        .filter((c) => c.title.includes('走访进度'))
        .map((c) => c.day),
    ).toEqual(['2026-11-26']);

    await h.say('陈立华', '/请假');
    expect(cardText(h.cardsTo('陈立华').at(-1)!.content)).toContain('目前没有请假记录');
    await h.say('陈立华', '/请假 刘芳 11-31 12-02');
    expect(h.textsTo('陈立华').at(-1)).toContain('开始日期“11-31”无法识别');
    await h.say('陈立华', '/请假 刘芳');
    expect(h.textsTo('陈立华').at(-1)).toContain('用法：/请假 姓名 开始日期 结束日期');
    // A winter break runs into the new year; a second leave on the same days is refused.
    await h.say('陈立华', '/请假 刘芳 12-25 01-05');
    expect(h.textsTo('陈立华').at(-1)).toContain('已登记：刘芳 12/25–1/5 请假');
    await h.say('陈立华', '/请假 刘芳 12-30 01-02 代班 黄志强');
    expect(h.textsTo('陈立华').at(-1)).toContain('刘芳 已有 12/25–1/5 的请假，与这次的日期重叠');
  });

  it('sends an away owner’s weekly card to the substitute, who may file it', async () => {
    h = await startHarness({ transport: 'ws', at: cst('2026-11-11T10:00:00') });
    await h.say('陈立华', '/请假 张伟 11-12 11-20 代班 李秀英');
    h.clock.set(cst('2026-11-13T16:00:00'));
    await h.runJob('zone-report-push');
    expect(h.cardsTo('张伟').filter((c) => cardText(c.content).includes('环境责任区报表'))).toHaveLength(0);
    const forZhang = cardsReceived(h, '李秀英').find((c) => c.text.includes('第一食堂周边'))!;
    expect(forZhang).toBeDefined();
    const filed = await h.click('李秀英', forZhang.messageId, '提交', { overall_state: '食堂周边整洁', student_talks: '与两名学生交流' });
    expect(filed.toast?.type).toBe('success');
    const [report] = zoneReportRows(h.db);
    expect(report).toMatchObject({ weekNo: 1, authorId: h.db.select().from(people).where(eq(people.name, '李秀英')).get()!.id });
  });
});

describe('/进度', () => {
  it('shows a teacher on track, then behind, with what is due next and a button for each form', async () => {
    h = await startHarness({ transport: 'ws', at: cst('2026-11-03T10:00:00'), campaign: TERM });
    await h.say('刘芳', '/进度');
    const early = cardsReceived(h, '刘芳')
      .filter((c) => c.title === '我的进度 · 刘芳')
      .at(-1)!;
    expect(early.content.header.template).toBe('green');
    expect(early.text).toContain('📌 接下来：教师家访，11月30日（周一） 截止（还有 27 天）');
    expect(early.text).toContain('⏳ 11月「教师家访」：已走访 **0/3** 位，还差 3 位，剩 27 天');
    expect(early.text).toContain('⏳ 走访心得：12月25日（周五） 截止');
    expect(early.text).toContain('填写走访心得');
    expect(early.text).toContain('记录走访 Record a visit');

    h.clock.set(cst('2026-11-20T10:00:00'));
    await h.say('刘芳', '/进度');
    const behind = cardsReceived(h, '刘芳')
      .filter((c) => c.title === '我的进度 · 刘芳')
      .at(-1)!;
    expect(behind.content.header.template).toBe('orange');
    // 15 of November's 21 working days have passed: 2 of the 3 visits were due by now.
    expect(behind.text).toContain('⚠️ 11月「教师家访」：已走访 **0/3** 位，还差 3 位，剩 10 天（按进度此时应走访 2 位）');

    // The button opens the form; after filing, /进度 shows it done.
    await fileReflection('刘芳');
    await h.say('刘芳', '/progress');
    expect(
      cardsReceived(h, '刘芳')
        .filter((c) => c.title === '我的进度 · 刘芳')
        .at(-1)!.text,
    ).toContain('✅ 走访心得：已提交');
  });

  it('puts what is overdue above 接下来, each deadline worded as the forms and reminders word it', async () => {
    h = await startHarness({ transport: 'ws', at: cst('2026-12-28T10:00:00'), campaign: TERM });
    await h.say('刘芳', '/进度');
    const text = cardsReceived(h, '刘芳')
      .filter((c) => c.title === '我的进度 · 刘芳')
      .at(-1)!.text;
    expect(text).toContain('⚠️ 已逾期：走访心得（12月25日（周五） 截止）、感人故事（12月25日（周五） 截止）');
    expect(text.indexOf('已逾期')).toBeLessThan(text.indexOf('📌 接下来'));
    expect(text.indexOf('📌 接下来')).toBeLessThan(text.indexOf('**走访任务**'));
  });
});
