import { afterEach, describe, expect, it } from 'vitest';
import { zoneReportDigest } from '../src/domain/digest.js';
import { reportWeeks } from '../src/domain/weeks.js';
import { DEMO_BRANCH_CHAT_ID } from '../src/demo/seed.js';
import { parseCampaignDefinition } from '../src/domain/campaign.js';
import { TEST_CAMPAIGN, buttonValue, cardText, cst, startHarness, type Harness } from './helpers/harness.js';
import { autumnTerm, runAt, tickDays } from './helpers/term.js';
import { RECORDS_CAMPAIGN, startRecordsHarness, targetId } from './records/fixtures.js';
import { ledgerItems, people, records, targets } from '../src/db/schema.js';
import { presetDefinition } from '../src/domain/presets.js';
import { sheetFromValues, type RosterSheet } from '../src/roster/sheets.js';
import { RecordRepo } from '../src/records/repo.js';
import { eq } from 'drizzle-orm';

describe('digest numbers (pure)', () => {
  const weeks = reportWeeks(TEST_CAMPAIGN);
  const zones = [
    { zoneId: 1, ownerName: '王建国' },
    { zoneId: 2, ownerName: '李秀英' },
    { zoneId: 3, ownerName: '张伟' },
    { zoneId: 4, ownerName: null }, // unassigned zones do not count
  ];
  it('matches a hand-computed fixture', () => {
    const reports = [
      { zoneId: 1, weekNo: 1, late: false },
      { zoneId: 1, weekNo: 2, late: false },
      { zoneId: 2, weekNo: 1, late: true },
      { zoneId: 2, weekNo: 2, late: false },
      { zoneId: 3, weekNo: 1, late: false },
    ];
    const d = zoneReportDigest(weeks, weeks[1]!, zones, reports);
    expect(d.total).toBe(3);
    expect(d.week).toEqual({ weekNo: 2, onTime: 2, late: 0, missing: 1 });
    expect(d.missingOwners).toEqual(['张伟']);
    expect(d.perfectOwners).toEqual(['王建国']);
    expect(d.history).toEqual([
      { weekNo: 1, onTime: 2, late: 1, missing: 0 },
      { weekNo: 2, onTime: 2, late: 0, missing: 1 },
    ]);
  });
});

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const groupCards = () => h.standIn.messagesIn(DEMO_BRANCH_CHAT_ID).filter((m) => m.msgType === 'interactive');
/** The admin 陈立华 asks /汇总: the text of the weekly digest she gets. */
const askedDigest = async () => {
  await h.say('陈立华', '/汇总');
  return cardText(
    h
      .cardsTo('陈立华')
      .filter((m) => cardText(m.content).includes('党支部周报'))
      .at(-1)!.content,
  );
};

describe('weekly digest to the branch group', () => {
  it('arrives on Monday 09:00 with a chart, once, and a late submission does not re-send it', async () => {
    h = await startHarness({ transport: 'ws', at: cst('2026-11-11T10:00:00') });
    h.clock.set(cst('2026-11-13T16:00:00'));
    await h.runJob('zone-report-push');
    for (const name of ['王建国', '张伟']) {
      const card = h.cardsTo(name).at(-1)!;
      await h.standIn.clickCard({
        messageId: card.messageId,
        operatorOpenId: h.openId(name),
        value: buttonValue(card.content, '提交'),
        formValue: { overall_state: '良好', student_talks: '谈心两人' },
      });
    }
    h.clock.set(cst('2026-11-16T09:00:00'));
    expect((await h.runJob('digest')).queued).toBe(1);
    const [digest] = groupCards();
    const text = cardText(digest!.content);
    expect(text).toContain('党支部周报 · 第1周（11/9–11/15）');
    expect(text).toContain('已提交 **2/4**（按时 2，补交 0）');
    expect(text).toContain('未提交 2 人：李秀英、陈立华');
    expect(text).toContain('每周按时提交报表：王建国、张伟');
    const chart = (digest!.content.body.elements as Array<{ tag: string; chart_spec?: { data: Array<{ values: unknown[] }> } }>).find((e) => e.tag === 'chart');
    expect(chart?.chart_spec?.data[0]?.values).toEqual([{ item: '责任区报表', percent: 50 }]);

    // A late submission after the digest does not re-send it.
    h.clock.set(cst('2026-11-16T10:00:00'));
    const late = h.cardsTo('李秀英').at(-1)!;
    await h.standIn.clickCard({
      messageId: late.messageId,
      operatorOpenId: h.openId('李秀英'),
      value: buttonValue(late.content, '提交'),
      formValue: { overall_state: '好', student_talks: '谈了' },
    });
    h.clock.set(cst('2026-11-16T15:00:00'));
    expect((await h.runJob('digest')).queued).toBe(0);
    expect(groupCards()).toHaveLength(1);

    // An admin who wants it again asks for it (zoufang job run digest --at …): it comes to them privately, and says
    // the same thing — its numbers are taken when it was due (统计截至 11-16 09:00), so the late report is not in it.
    const first = cardText(groupCards()[0]!.content);
    expect(first).toContain('统计截至 2026-11-16 09:00');
    expect((await h.bot.scheduler.run('digest', cst('2026-11-16T15:00:00'), { onDemand: true })).queued).toBe(1);
    await h.settle();
    expect(groupCards()).toHaveLength(1);
    expect(cardText(h.cardsTo('陈立华').at(-1)!.content)).toBe(first);
    // Asked to post it (--post), the group gets it again: the same digest.
    expect((await h.bot.scheduler.run('digest', cst('2026-11-18T10:00:00'), { onDemand: true, post: true })).queued).toBe(1);
    await h.settle();
    expect(groupCards()).toHaveLength(2);
    expect(cardText(groupCards().at(-1)!.content)).toBe(first);
  });

  it('/汇总 gives the admin the digest privately and refuses everyone else', async () => {
    h = await startHarness({ transport: 'ws', at: cst('2026-11-14T10:00:00') });
    await h.say('陈立华', '/汇总');
    expect(cardText(h.cardsTo('陈立华').at(-1)!.content)).toContain('党支部周报 · 本周至今（11/9–11/14）');
    expect(groupCards()).toHaveLength(0);
    await h.say('陈立华', '/汇总 上周');
    expect(h.textsTo('陈立华').at(-1)).toContain('上一周活动还没有开始');
    h.clock.set(cst('2026-11-17T10:00:00'));
    await h.say('陈立华', '/汇总 上周');
    const lastWeek = cardText(h.cardsTo('陈立华').at(-1)!.content);
    expect(lastWeek).toContain('党支部周报 · 上周（11/9–11/15）');
    await h.say('陈立华', '/汇总 下个月');
    expect(h.textsTo('陈立华').at(-1)).toContain('用法：/汇总 看本周至今，/汇总 上周 看上一周');
    expect(groupCards()).toHaveLength(0);
    await h.say('王建国', '/summary');
    expect(h.textsTo('王建国').at(-1)).toContain('/汇总 仅限党支部管理员使用');
  });

  it("counts the week's ledger: opened, closed out, overdue, and nothing of an item merged away", async () => {
    h = await startRecordsHarness(cst('2026-11-18T10:00:00'));
    const ledgerLine = async () => {
      await h.say('陈立华', '/汇总');
      const m = /新增 (\d+) 项，销号 (\d+) 项，目前逾期 (\d+) 项/.exec(
        h
          .cardsTo('陈立华')
          .map((c) => cardText(c.content))
          .filter((t) => t.includes('党支部周报'))
          .at(-1)!,
      );
      return m ? { opened: Number(m[1]), closed: Number(m[2]), overdue: Number(m[3]) } : undefined;
    };
    const before = (await ledgerLine())!;
    const owner = h.db.select({ id: people.id }).from(people).where(eq(people.name, '黄志强')).get()!.id;
    const item = (text: string, created: string, more: Partial<typeof ledgerItems.$inferInsert> = {}) =>
      h.db
        .insert(ledgerItems)
        .values({
          campaignId: RECORDS_CAMPAIGN.id,
          source: 'manual',
          raisedBy: 'teacher',
          text,
          ownerId: owner,
          createdBy: owner,
          status: 'accepted',
          createdAt: cst(created),
          updatedAt: cst(created),
          ...more,
        })
        .returning({ id: ledgerItems.id })
        .get();
    const opened = item('操场照明不足', '2026-11-16T09:00:00');
    item('食堂排队时间长', '2026-11-02T09:00:00', { status: 'closed', closedAt: cst('2026-11-17T15:00:00') });
    item('校车路线绕远', '2026-10-20T09:00:00', { dueOn: '2026-11-01' });
    item('操场路灯坏了', '2026-11-17T09:00:00', { status: 'closed', closedAt: cst('2026-11-17T16:00:00'), mergedIntoId: opened.id });
    expect(await ledgerLine()).toEqual({ opened: before.opened + 1, closed: before.closed + 1, overdue: before.overdue + 1 });
  });
});

describe('/汇总 上周', () => {
  it('speaks of 上周 in its body as in its title', async () => {
    h = await startRecordsHarness(cst('2026-11-18T10:00:00'));
    await h.say('陈立华', '/汇总 上周');
    const text = cardText(h.cardsTo('陈立华').at(-1)!.content);
    expect(text).toContain('党支部周报 · 上周（11/9–11/15）');
    expect(text).toContain('上周共 **0** 次');
    expect(text).not.toContain('本周');
  });
});

describe('the same period, the same digest', () => {
  it("November's digest re-run a week later says what it said on 1 December", async () => {
    h = await startHarness({ transport: 'ws', at: cst('2026-12-01T09:00:00') });
    const november = () =>
      groupCards()
        .map((m) => cardText(m.content))
        .filter((t) => t.includes('党支部月报 · 2026年11月'));
    await h.bot.scheduler.run('digest', cst('2026-12-01T09:00:00'), { onDemand: true, post: true });
    await h.settle();
    h.clock.set(cst('2026-12-08T10:00:00'));
    await h.bot.scheduler.run('digest', cst('2026-12-08T10:00:00'), { onDemand: true, post: true });
    await h.settle();
    // As sent on its own when the bot started at 09:00, then asked for twice.
    const [first, ...again] = november();
    // Three report weeks count in November (11/9, 11/16, 11/23); the week of 11/30 counts in December.
    expect(first).toContain('3 周共应交 12 份');
    expect(first).toContain('统计截至 2026-12-01 09:00');
    expect(again).toEqual([first, first]);
  });
});

describe('the monthly digest and public holidays', () => {
  it("September's digest, due on 1 October (国庆节), goes out on the next working day, 8 October", async () => {
    const autumn = parseCampaignDefinition({ ...TEST_CAMPAIGN, id: 'autumn-2026', window: { start: '2026-09-01', end: '2026-12-31' } });
    h = await startHarness({ transport: 'ws', at: cst('2026-09-30T10:00:00'), campaign: autumn });
    const before = groupCards().length;
    const monthly = () =>
      groupCards()
        .slice(before)
        .map((m) => cardText(m.content))
        .filter((t) => t.includes('党支部月报 · 2026年9月'));
    await tickDays(h, '2026-10-01', '2026-10-07', ['09:00']);
    expect(monthly()).toEqual([]);
    await tickDays(h, '2026-10-08', '2026-10-09', ['09:00']);
    expect(monthly()).toHaveLength(1);
  });
});

describe('who the digest says was reminded', () => {
  // Only 刘芳 is in 财经部, with three home visits a month.
  const term = autumnTerm(
    { quotas: [{ key: 'home-visits', name: '教师家访', who: { department: '财经部' }, targetKinds: ['student-family'], min: 3, period: 'month' }] },
    true,
  );

  it('says "已分别私信提醒" only once the people behind were reminded', async () => {
    h = await startHarness({ transport: 'webhook', at: cst('2026-11-16T08:00:00'), campaign: term });
    // Monday 16 November, before the morning's reminders: 刘芳 has no visit, behind pace, and has heard nothing yet.
    await h.say('陈立华', '/汇总');
    const before = cardText(h.cardsTo('陈立华').at(-1)!.content);
    expect(before).toContain('进度落后或逾期 1 人：刘芳');
    expect(before).not.toContain('私信提醒');
    // 09:00: the mid-month pace nudge reaches her.
    await runAt(h, cst('2026-11-16T09:00:00'));
    expect(h.cardsTo('刘芳').some((m) => cardText(m.content).includes('走访进度'))).toBe(true);
    h.clock.set(cst('2026-11-16T10:00:00'));
    await h.say('陈立华', '/汇总');
    expect(cardText(h.cardsTo('陈立华').at(-1)!.content)).toContain('进度落后或逾期 1 人：刘芳（已分别私信提醒）');
  });

  it('names the roster as it is when asked: a teacher renamed since the last /汇总', async () => {
    h = await startHarness({ transport: 'webhook', at: cst('2026-11-16T08:00:00'), campaign: term });
    await h.say('陈立华', '/汇总');
    expect(cardText(h.cardsTo('陈立华').at(-1)!.content)).toContain('进度落后或逾期 1 人：刘芳');
    h.db.update(people).set({ name: '刘芳菲' }).where(eq(people.name, '刘芳')).run();
    await h.say('陈立华', '/汇总');
    expect(cardText(h.cardsTo('陈立华').at(-1)!.content)).toContain('进度落后或逾期 1 人：刘芳菲');
  });
});

describe('/汇总 asked again', () => {
  it('counts what was filed since, and nothing filed after its cut-off', async () => {
    h = await startRecordsHarness(cst('2026-11-18T10:00:00'));
    const visits = async () => {
      return Number(/本周共 \*\*(\d+)\*\* 次/.exec(await askedDigest())?.[1]);
    };
    const before = await visits();
    expect(before).toBeGreaterThanOrEqual(0);
    const visit = (at: Date) =>
      new RecordRepo(h.db).save({
        campaignId: RECORDS_CAMPAIGN.id,
        form: 'visit',
        subject: { type: 'target', id: targetId(h, '孙小红') },
        periodKey: null,
        authorId: h.db.select().from(people).where(eq(people.name, '刘芳')).get()!.id,
        occurredOn: '2026-11-17',
        data: { visitedOn: '2026-11-17', mode: 'phone', place: 'home', content: '电话沟通' },
        at,
        late: false,
      });
    h.clock.advance(5 * 60_000);
    expect(await visits()).toBe(before);
    await visit(h.clock.now());
    expect(await visits()).toBe(before + 1);
    // Filed by a clock an hour ahead (another machine's): after this /汇总's cut-off, so not counted yet.
    await visit(new Date(h.clock.now().getTime() + 3_600_000));
    expect(await visits()).toBe(before + 1);
    h.clock.advance(2 * 3_600_000);
    expect(await visits()).toBe(before + 2);
  });
});

/**
 * 三大一实干 with one class of two students' families (or the classes and students given), its head teacher
 * 李秀英 and the admin 陈立华; with `leaders`, 校长室's 王建国 too and the two members of the parents'
 * committee his 全覆盖 quota is over.
 */
async function twoStudentsClass({ leaders = false, classes = { '三年级（1）班': ['赵一', '钱二'] } as Record<string, string[]> } = {}) {
  const def = presetDefinition('三大一实干', { year: 2026, id: 'san-da-2026', branchChatId: DEMO_BRANCH_CHAT_ID });
  const cast: RosterSheet[] = [
    sheetFromValues(
      'classes',
      Object.keys(classes).map((name) => ({ name })),
    ),
    sheetFromValues('members', [
      { name: '陈立华', mobile: '13800000001', roles: '管理员' },
      { name: '李秀英', mobile: '13800000003', roles: '教师', classLed: Object.keys(classes)[0]! },
      ...(leaders ? [{ name: '王建国', mobile: '13800000002', roles: '部门领导', department: '校长室' }] : []),
    ]),
    sheetFromValues('targets', [
      ...Object.entries(classes).flatMap(([className, students]) => students.map((name) => ({ kind: FAMILY, name, className }))),
      ...(leaders ? ['家委甲', '家委乙'].map((name) => ({ kind: '家委会成员', name })) : []),
    ]),
  ];
  h = await startHarness({ transport: 'ws', at: cst('2026-11-18T10:00:00'), campaign: def, cast });
  return def;
}
const FAMILY = '学生家庭（家访）';

/**
 * The head teacher 李秀英's home visits and calls in twoStudentsClass, saved as her visit card saves them (the
 * record's id back); a `recordId` edits that record instead (its text, day and way; `refile` moves it to another family).
 */
function headTeacherVisits(campaignId: string) {
  const author = h.db.select().from(people).where(eq(people.name, '李秀英')).get()!.id;
  const student = (name: string) => h.db.select().from(targets).where(eq(targets.name, name)).get()!.id;
  const repo = new RecordRepo(h.db);
  const save = async (name: string, occurredOn: string, mode: string, recordId?: number) =>
    (
      await repo.save({
        campaignId,
        form: 'visit',
        subject: { type: 'target', id: student(name) },
        periodKey: null,
        recordId,
        authorId: author,
        occurredOn,
        data: { visitedOn: occurredOn, mode, place: 'home', content: '了解学习情况' },
        at: h.clock.now(),
        late: false,
      })
    ).record.id;
  /** A record moved to another family, as an admin corrects one filed for the wrong student. */
  const refile = (recordId: number, name: string) =>
    h.db
      .update(records)
      .set({ subjectId: student(name) })
      .where(eq(records.id, recordId))
      .run();
  return { save, refile };
}

describe('/汇总 asked again, with a student added', () => {
  it('judges coverage over the targets as they are now', async () => {
    const def = await twoStudentsClass();
    const everyStudent = async () => {
      return /本学期所有学生走访一遍：(\d+\/\d+) 位/.exec(await askedDigest())?.[1];
    };
    expect(await everyStudent()).toBe('0/2');
    const [one] = h.db.select().from(targets).where(eq(targets.campaignId, def.id)).all();
    h.db
      .insert(targets)
      .values({ ...one!, id: undefined, naturalKey: `${one!.naturalKey}-孙三`, name: '孙三', updatedAt: new Date() })
      .run();
    expect(await everyStudent()).toBe('0/3');
  });
});

describe('/汇总 after visits are edited, re-dated and deleted', () => {
  it("counts this term's coverage from the visits as they are now", async () => {
    const def = await twoStudentsClass();
    /** What the admin's digest says of the term's coverage: every student visited (and on which day), the class's students visited in person. */
    const coverage = async () => {
      h.clock.advance(60_000);
      const text = await askedDigest();
      return {
        everyStudent: /本学期所有学生走访一遍：[^\n]*?(\d+\/\d+) 位/.exec(text)?.[1],
        metOn: /本学期所有学生走访一遍：✅ 已于 (\d+\/\d+) 完成/.exec(text)?.[1],
        inPerson: /上门家访不足 2 位的班级（1 个）：三年级（1）班 (\d+) 位/.exec(text)?.[1],
      };
    };
    const { save, refile } = headTeacherVisits(def.id);

    expect(await coverage()).toEqual({ everyStudent: '0/2', inPerson: '0' });
    const zhao = await save('赵一', '2026-11-17', 'in-person');
    expect(await coverage()).toEqual({ everyStudent: '1/2', inPerson: '1' });
    const qian = await save('钱二', '2026-11-16', 'phone');
    expect(await coverage()).toEqual({ everyStudent: '2/2', metOn: '11/17', inPerson: '1' });
    // A call to 赵一 filed late, from before the home visit: every student was visited a day earlier.
    const call = await save('赵一', '2026-11-12', 'phone');
    expect(await coverage()).toEqual({ everyStudent: '2/2', metOn: '11/16', inPerson: '1' });
    // Edited: the home visit was a phone call after all.
    await save('赵一', '2026-11-17', 'phone', zhao);
    expect(await coverage()).toEqual({ everyStudent: '2/2', metOn: '11/16', inPerson: '0' });
    // Re-dated into the spring term: not this term's visit any more.
    await save('钱二', '2026-05-12', 'phone', qian);
    expect(await coverage()).toEqual({ everyStudent: '1/2', inPerson: '0' });
    // Filed for the wrong student: moved to 钱二, and a home visit after all.
    refile(zhao, '钱二');
    await save('钱二', '2026-11-17', 'in-person', zhao);
    expect(await coverage()).toEqual({ everyStudent: '2/2', metOn: '11/17', inPerson: '1' });
    h.db.delete(records).where(eq(records.id, zhao)).run();
    expect(await coverage()).toEqual({ everyStudent: '1/2', inPerson: '0' });
    h.db.delete(records).where(eq(records.id, call)).run();
    expect(await coverage()).toEqual({ everyStudent: '0/2', inPerson: '0' });
  });
});

describe('/汇总 asked through a day of visits', () => {
  it("moves each class's coverage as its families are visited, and only theirs", async () => {
    const def = await twoStudentsClass({
      classes: { '三年级（1）班': ['赵一', '钱二', '孙三'], '三年级（2）班': ['李四', '周五', '吴六'], '三年级（3）班': ['郑七', '王八', '冯九'] },
    });
    /** What the admin's digest says of the term's coverage: every student visited, and the classes short of home visits. */
    const coverage = async () => {
      h.clock.advance(60_000);
      const text = await askedDigest();
      return {
        everyStudent: /本学期所有学生走访一遍：[^\n]*?(\d+\/\d+) 位/.exec(text)?.[1],
        short: /上门家访不足 2 位的班级（\d+ 个）：([^\n]*)/.exec(text)?.[1] ?? '',
      };
    };
    const { save, refile } = headTeacherVisits(def.id);

    expect(await coverage()).toEqual({ everyStudent: '0/9', short: '三年级（1）班 0 位、三年级（2）班 0 位、三年级（3）班 0 位' });
    await save('赵一', '2026-11-16', 'in-person');
    expect(await coverage()).toEqual({ everyStudent: '1/9', short: '三年级（1）班 1 位、三年级（2）班 0 位、三年级（3）班 0 位' });
    const li = await save('李四', '2026-11-16', 'phone');
    expect(await coverage()).toEqual({ everyStudent: '2/9', short: '三年级（1）班 1 位、三年级（2）班 0 位、三年级（3）班 0 位' });
    // A second call on a family visited already moves no first visit.
    await save('赵一', '2026-11-17', 'phone');
    expect(await coverage()).toEqual({ everyStudent: '2/9', short: '三年级（1）班 1 位、三年级（2）班 0 位、三年级（3）班 0 位' });
    await save('钱二', '2026-11-17', 'in-person');
    expect(await coverage()).toEqual({ everyStudent: '3/9', short: '三年级（2）班 0 位、三年级（3）班 0 位' });
    // 李四's family, called before, now visited at home: the class's first home visit, on a family counted already.
    await save('李四', '2026-11-17', 'in-person');
    expect(await coverage()).toEqual({ everyStudent: '3/9', short: '三年级（2）班 1 位、三年级（3）班 0 位' });
    // Two classes in one go, one of them by a visit dated before another of the same family.
    await save('郑七', '2026-11-17', 'in-person');
    await save('郑七', '2026-11-12', 'in-person');
    await save('周五', '2026-11-17', 'in-person');
    expect(await coverage()).toEqual({ everyStudent: '5/9', short: '三年级（3）班 1 位' });
    // The first call on 李四 filed for the wrong family: moved to 吴六, a record edited rather than filed.
    refile(li, '吴六');
    expect(await coverage()).toEqual({ everyStudent: '6/9', short: '三年级（3）班 1 位' });
    h.db.delete(records).where(eq(records.id, li)).run();
    expect(await coverage()).toEqual({ everyStudent: '5/9', short: '三年级（3）班 1 位' });
  });
});

describe("/汇总 asked again, with a leaders' 全覆盖 quota", () => {
  it("shows the quota's coverage as its people visit its targets, and keeps it while students' families are visited", async () => {
    const def = await twoStudentsClass({ leaders: true });
    /** What the admin's digest says of 校长室's quota (its deadline in May long past: where it is now), and how many visits this week. */
    const digest = async () => {
      h.clock.advance(60_000);
      const text = await askedDigest();
      return {
        leaders: /校长室走访家委会和社会贤达（2个月内全覆盖）：⚠️ 未按期完成（5\/24 截止时 0\/2 位），([^\n]*)/.exec(text)?.[1],
        visits: Number(/本周共 \*\*(\d+)\*\* 次/.exec(text)?.[1] ?? 0),
      };
    };
    const person = (name: string) => h.db.select().from(people).where(eq(people.name, name)).get()!.id;
    const target = (name: string) => h.db.select().from(targets).where(eq(targets.name, name)).get()!.id;
    const repo = new RecordRepo(h.db);
    const save = async (author: string, name: string, o: { recordId?: number; coVisitors?: string[] } = {}) =>
      (
        await repo.save({
          campaignId: def.id,
          form: 'visit',
          subject: { type: 'target', id: target(name) },
          periodKey: null,
          recordId: o.recordId,
          authorId: person(author),
          coVisitorIds: (o.coVisitors ?? []).map(person),
          occurredOn: '2026-11-17',
          data: { visitedOn: '2026-11-17', mode: 'in-person', place: 'school', content: '听取意见' },
          at: h.clock.now(),
          late: false,
        })
      ).record.id;
    expect(await digest()).toEqual({ leaders: '目前 0/2 位（0%）', visits: 0 });
    await save('李秀英', '赵一');
    expect(await digest()).toEqual({ leaders: '目前 0/2 位（0%）', visits: 1 });
    await save('王建国', '家委甲');
    expect(await digest()).toEqual({ leaders: '目前 1/2 位（50%）', visits: 2 });
    // 李秀英 is not of 校长室: her visit is not the quota's, until she names 王建国 as having come along.
    const visit = await save('李秀英', '家委乙');
    expect(await digest()).toEqual({ leaders: '目前 1/2 位（50%）', visits: 3 });
    await save('李秀英', '家委乙', { recordId: visit, coVisitors: ['王建国'] });
    expect(await digest()).toEqual({ leaders: '11/17 补齐', visits: 3 });
    // Another family visited: the quota's coverage stays what it is.
    await save('李秀英', '钱二');
    expect(await digest()).toEqual({ leaders: '11/17 补齐', visits: 4 });
  });
});
