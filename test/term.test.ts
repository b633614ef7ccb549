import { afterEach, describe, expect, it } from 'vitest';
import { outbox } from '../src/db/schema.js';
import { presetDefinition } from '../src/domain/presets.js';
import { inZone } from '../src/domain/time.js';
import { DEMO_BRANCH_CHAT_ID, castSheets } from '../src/demo/seed.js';
import { sheetFromValues, type RosterSheet } from '../src/roster/sheets.js';
import { cardText, cst, startHarness, type Harness } from './helpers/harness.js';
import { cardsReceived, tickDays } from './helpers/term.js';

/**
 * A whole term, left alone, for each preset: the clock ticks day by day
 * through the window (07:00 and 22:30 are inside quiet hours; 09:00 and 16:00
 * are when the scheduled jobs fire) and the cast acts the way real teachers
 * do — some diligently, some never. Every reminder and digest the bot sends is
 * then compared with what a diligent branch secretary would have sent, worked
 * out by hand from the seeds' rules and 2026's calendar (清明 4–6 April,
 * 劳动节 1–5 May, 端午 19–21 June; weekends off; 9 May is a make-up working day).
 */

let h: Harness;
afterEach(async () => {
  await h?.close();
});

/** 2026's days off inside the windows, from the State Council's arrangement. */
const HOLIDAYS_2026 = new Set([
  '2026-04-04',
  '2026-04-05',
  '2026-04-06',
  '2026-05-01',
  '2026-05-02',
  '2026-05-03',
  '2026-05-04',
  '2026-05-05',
  '2026-06-19',
  '2026-06-20',
  '2026-06-21',
  '2026-09-25',
  '2026-09-26',
  '2026-09-27',
  '2026-10-01',
  '2026-10-02',
  '2026-10-03',
  '2026-10-04',
  '2026-10-05',
  '2026-10-06',
  '2026-10-07',
]);
const MAKE_UP_2026 = new Set(['2026-05-09', '2026-09-20', '2026-10-10']);
const workingDay = (day: string) => MAKE_UP_2026.has(day) || (!HOLIDAYS_2026.has(day) && ![0, 6].includes(new Date(`${day}T12:00:00Z`).getUTCDay()));

/** What the scheduler sent on its own (not answers to someone's click or command), with the local moment it arrived. */
function scheduledSends(h: Harness) {
  const byId = new Map(h.standIn.messages().map((m) => [m.messageId, m]));
  return h.db
    .select()
    .from(outbox)
    .all()
    .filter((r) => /^(remind|zone-report\.(push|overdue)|dorm-check\.push|digest\.(weekly|monthly|phase)|ledger\.(overdue|escalate))/.test(r.purpose))
    .map((r) => {
      const m = byId.get(r.feishuMessageId ?? '');
      const at = inZone(m?.createTime ?? 0, 'Asia/Shanghai');
      return { purpose: r.purpose, day: at.format('YYYY-MM-DD'), time: at.format('HH:mm'), delivered: !!m };
    });
}

function expectOnlyWorkingDaytime(h: Harness) {
  const sends = scheduledSends(h);
  expect(sends.length).toBeGreaterThan(50);
  for (const s of sends) {
    expect(s.delivered, `${s.purpose} delivered`).toBe(true);
    expect(workingDay(s.day), `${s.purpose} on ${s.day}`).toBe(true);
    expect(s.time >= '07:30' && s.time < '21:30', `${s.purpose} at ${s.time}`).toBe(true);
  }
}

/** "MM-DD title" of the cards a person got whose title matches. */
const titled = (name: string, re: RegExp) =>
  cardsReceived(h, name)
    .filter((c) => re.test(c.title))
    .map((c) => `${c.day.slice(5)} ${c.title}`);

const groupCards = () =>
  h.standIn
    .messagesIn(DEMO_BRANCH_CHAT_ID)
    .filter((m) => m.msgType === 'interactive')
    .map((m) => cardText(m.content));

const ONCE = /^(提醒|逾期未交)：/;
const CLAIMED = /^走访(进度提醒|任务)/;
const fourStages = (what: string) => [`06-18 提醒：${what}`, `06-26 提醒：${what}`, `07-02 提醒：${what}`, `07-06 逾期未交：${what}`];

describe('a whole term of seed 000 (微行动 2026, end-of-term meeting Friday 3 July)', () => {
  const def = presetDefinition('微行动', { year: 2026, id: 'wei-2026', branchChatId: DEMO_BRANCH_CHAT_ID, termMeeting: '2026-07-03' });
  const ZONE_FORM = { overall_state: '整洁', student_talks: '与两名学生谈心', problems: '', remarks: '' };
  const day = (d: string) => `${d} +0800`;

  async function fromCard(name: string, title: RegExp, label: string, form?: Record<string, unknown>) {
    const card = cardsReceived(h, name)
      .filter((c) => title.test(c.title))
      .at(-1);
    expect(
      card,
      `${name}: a card titled ${title}; got ${cardsReceived(h, name)
        .slice(-3)
        .map((c) => c.title)} / ${h.textsTo(name).slice(-2)}`,
    ).toBeDefined();
    const r = await h.click(name, card!.messageId, label, form);
    expect(r.toast?.type, `${name} ${label}: ${r.toast?.content}`).not.toBe('error');
    return card!;
  }

  async function visit(name: string, today: string) {
    await h.say(name, '/走访');
    const list = cardsReceived(h, name)
      .filter((c) => c.title.startsWith('我的走访对象'))
      .at(-1)!;
    await h.click(name, list.messageId, '记录走访');
    const ok = await h.click(name, list.messageId, '提交', {
      visitedOn: day(today),
      mode: 'in-person',
      place: 'home',
      coVisitors: [],
      summary: '学习认真',
      situation: '父母外出务工',
      purpose: '了解生活情况',
      content: '与祖父母交流',
      reflection: '',
      q_satisfaction: '5',
      'q_study-at-home': '很好',
      opinions: '',
      followUp: 'none',
      noGifts: 'yes',
    });
    expect(ok.toast?.type, ok.toast?.content).toBe('success');
  }

  /** Opens a form from a card's button, then submits it on the same message (the card turns into the form). */
  async function openAndSubmit(name: string, title: RegExp, open: string, form: Record<string, unknown>) {
    const card = await fromCard(name, title, open);
    const ok = await h.click(name, card.messageId, '提交', form);
    expect(ok.toast?.type, `${name} ${title}: ${ok.toast?.content}`).toBe('success');
  }

  async function writeUp(name: string, today: string) {
    await h.say(name, '/心得');
    await openAndSubmit(name, /^心得与感人故事$/, '写心得', { title: '走访有感', body: '走进学生家庭，更懂学生。' });
    await h.say(name, '/心得');
    await openAndSubmit(name, /^心得与感人故事$/, '写感人故事', { title: '一次家访', body: '孩子的奶奶拉着我的手说了很久。' });
    await h.say(name, '/体验');
    await fromCard(name, /^做一天中职学生/, '提交', {
      dayOn: day(today),
      hygieneDuty: '陪学生值日',
      morningExercise: '一起出操',
      lunch: '排队就餐',
      other: '',
      problems: '',
      issues: '',
    });
  }

  const dormRecord = {
    headName: '赵小明',
    headClass: '2024级机电1班',
    headcount: '6',
    members: '赵小明（2024级机电1班）等 6 人',
    pastEnvironment: '较乱',
    pastProperty: '完好',
    pastHygiene: '一般',
    pastSafety: '无隐患',
    suggestions: '每周整理内务',
    presentState: '整洁有序',
  };

  it('sends every reminder and digest once, on working days in the daytime, and none after the work is done', async () => {
    const cast: RosterSheet[] = [
      ...castSheets(),
      sheetFromValues('dorms', [
        { building: '7号楼', room: '101', headName: '赵小明', headClass: '2024级机电1班', headcount: '6', teachers: '刘芳、黄志强' },
        { building: '5号楼', room: '101', teachers: '张伟' },
      ]),
      sheetFromValues(
        'targets',
        [
          ['孙小红', '刘芳'],
          ['周小刚', '刘芳'],
          ['吴小强', '黄志强'],
          ['郑小军', '黄志强'],
        ].map(([name, visitor]) => ({
          kind: '学生家庭',
          name: name!,
          className: '2024级机电1班',
          category: '送爱上门',
          subKind: '留守学生',
          visitor: visitor!,
        })),
      ),
    ];
    h = await startHarness({ transport: 'webhook', at: cst('2026-03-14T12:00:00'), campaign: def, cast });

    const act = async (today: string) => {
      // 王建国 files each week's zone report the day it arrives; 刘芳 checks her dorm the day the checklist arrives.
      if (cardsReceived(h, '王建国').some((c) => c.day === today && c.title.startsWith('环境责任区报表') && c.text.includes('提交 Submit'))) {
        await fromCard('王建国', /^环境责任区报表/, '提交', ZONE_FORM);
      }
      if (cardsReceived(h, '刘芳').some((c) => c.day === today && c.title.startsWith('宿舍关爱检查'))) {
        await openAndSubmit('刘芳', /^宿舍关爱检查/, '现在填写', {
          checkedOn: day(today),
          hygiene: 'good',
          smoking: 'no',
          electricity: 'no',
          property: 'no',
          safety: 'no',
          storyShared: 'yes',
          notes: '',
          toLedger: 'no',
        });
      }
      if (today === '2026-04-01') await writeUp('王建国', today);
      if (today === '2026-04-08' || today === '2026-04-09') await visit('刘芳', today);
      if (today === '2026-06-22') {
        await h.say('刘芳', '/宿舍');
        await openAndSubmit('刘芳', /^关爱一间宿舍$/, '附件一记录', dormRecord);
      }
      if (today === '2026-06-29') await writeUp('刘芳', today);
    };

    await tickDays(h, '2026-03-15', '2026-05-20', undefined, act);
    // A restart in the middle: the start-up catch-up sends nothing that was already sent.
    const sentBefore = h.standIn.messages().length;
    const { dbFile, standIn, clock, credentials } = h;
    await h.stopBot();
    h = await startHarness({ transport: 'webhook', at: clock.now(), dbFile, standIn, clock, credentials, campaign: def, cast });
    await h.settle();
    expect(h.standIn.messages()).toHaveLength(sentBefore);
    await tickDays(h, '2026-05-21', '2026-09-08', undefined, act);

    expectOnlyWorkingDaytime(h);

    // Zone reports: 李秀英 never files. 24 report weeks (16 March – 30 August), each pushed and chased once;
    // the 端午 Friday's card came on Thursday 18 June, the 劳动节 Friday's on Thursday 30 April,
    // and the week whose Monday fell in 劳动节 was chased on Wednesday 6 May.
    const pushes = titled('李秀英', /^环境责任区报表 ·/);
    expect(pushes).toHaveLength(24);
    expect(pushes).toContain('04-30 环境责任区报表 · 第7周（4/27–5/3）');
    expect(pushes).toContain('06-18 环境责任区报表 · 第14周（6/15–6/21）');
    const chased = titled('李秀英', /^环境责任区报表提醒/);
    expect(chased).toHaveLength(24);
    expect(chased).toContain('05-06 环境责任区报表提醒 · 第7周（4/27–5/3）');
    expect(titled('王建国', /^环境责任区报表提醒/)).toEqual([]);

    // Dorm checklists: every week to every caring teacher, 16 March to 24 August.
    for (const name of ['刘芳', '黄志强', '张伟']) expect(titled(name, /^宿舍关爱检查 ·/)).toHaveLength(24);

    // The once-per-term forms, due 3 July: T-14 falls on 端午 and moves back to Thursday 18 June.
    expect(titled('王建国', ONCE)).toEqual([]);
    expect(titled('刘芳', ONCE).sort()).toEqual(
      [
        '06-18 提醒：关爱一间宿舍情况记录表（附件一）',
        ...['走访心得', '感人故事', '做一天中职学生记录表（附件三）'].flatMap((w) => [`06-18 提醒：${w}`, `06-26 提醒：${w}`]),
      ].sort(),
    );
    const threeForms = ['走访心得', '感人故事', '做一天中职学生记录表（附件三）'].flatMap(fourStages);
    expect(titled('黄志强', ONCE).sort()).toEqual(['06-18 提醒：关爱一间宿舍情况记录表（附件一）', ...threeForms].sort());
    expect(titled('张伟', ONCE).sort()).toEqual([...fourStages('关爱一间宿舍情况记录表（附件一）'), ...threeForms].sort());
    for (const name of ['陈立华', '李秀英']) expect(titled(name, ONCE).sort()).toEqual([...threeForms].sort());
    expect(cardsReceived(h, '张伟').find((c) => c.title === '提醒：关爱一间宿舍情况记录表（附件一）')!.text).toContain('（5号楼101）');

    // Claimed targets: 刘芳 visited both in April and hears nothing; 黄志强 visited neither:
    // behind pace by mid-June (63 of the term's 117 working days), then the deadline's stages.
    expect(titled('刘芳', CLAIMED)).toEqual([]);
    expect(titled('黄志强', CLAIMED)).toEqual([
      '06-15 走访进度提醒',
      '06-18 走访任务即将截止',
      '06-26 走访任务即将截止',
      '07-02 走访任务即将截止',
      '07-06 走访任务已逾期',
    ]);

    // The admin hears privately once, three working days after the overdue notices.
    const escalation = cardsReceived(h, '陈立华').filter((c) => c.title.startsWith('逾期未完成'));
    expect(escalation.map((c) => `${c.day.slice(5)} ${c.title}`)).toEqual(['07-09 逾期未完成 · 14 项']);
    expect(escalation[0]!.text).toContain('黄志强：认领对象已走访 0/2 位');
    expect(escalation[0]!.text).toContain('张伟：关爱一间宿舍情况记录表（附件一）（5号楼101）');

    // The group: a weekly digest for each of the 24 weeks, a monthly one for March to August, the weekly overdue lists.
    const digests = groupCards();
    expect(digests.filter((t) => t.includes('党支部周报 · 第'))).toHaveLength(24);
    expect(digests.filter((t) => t.includes('党支部月报 ·')).map((t) => /党支部月报 · (\S+)/.exec(t)![1])).toEqual([
      '2026年3月',
      '2026年4月',
      '2026年5月',
      '2026年6月',
      '2026年7月',
      '2026年8月',
    ]);
    expect(h.groupTexts().filter((t) => t.startsWith('【环境责任区报表】'))).toHaveLength(24);
    const week1 = digests.find((t) => t.includes('党支部周报 · 第1周'))!;
    expect(week1).toContain('已提交 **1/4**（按时 1，补交 0）');
    expect(week1).toContain('未提交 3 人：李秀英、张伟、陈立华');
    expect(week1).toContain('本周已检查 **1/2** 间次');
    const june = digests.find((t) => t.includes('党支部月报 · 2026年6月'))!;
    expect(june).toContain('认领对象：已走访 **2/4** 位（50%）');
    expect(june).toContain('走访心得：已交 2/6');
    // Names of teachers and counts only: no student's name reaches the group.
    for (const t of [...digests, ...h.groupTexts()]) for (const student of ['孙小红', '周小刚', '吴小强', '郑小军']) expect(t).not.toContain(student);
  }, 240_000);
});

describe('a whole year of seed 002 (三大一实干 2026: monthly quotas, three phases)', () => {
  const def = presetDefinition('三大一实干', { year: 2026, id: 'san-da-2026', branchChatId: DEMO_BRANCH_CHAT_ID });
  const cast: RosterSheet[] = [
    castSheets()[0]!,
    sheetFromValues('members', [
      { name: '陈立华', mobile: '13800000001', roles: '管理员' },
      { name: '王建国', mobile: '13800000002', roles: '部门领导', department: '校长室' },
      { name: '李秀英', mobile: '13800000003', roles: '党员干部' },
      { name: '张伟', mobile: '13800000004', roles: '党员干部' },
      { name: '刘芳', mobile: '13800000005', roles: '教师' },
      { name: '黄志强', mobile: '13800000006', roles: '教师' },
    ]),
    sheetFromValues('targets', [
      ...['甲', '乙', '丙', '丁', '戊', '己'].map((n) => ({ kind: '家委会成员', name: `家委${n}`, visitor: '王建国' })),
      ...['一', '二', '三', '四', '五', '六'].map((n) => ({ kind: '学生家庭（家访）', name: `刘班学生${n}`, className: '2024级机电1班', visitor: '刘芳' })),
      ...['一', '二', '三', '四', '五', '六'].map((n) => ({ kind: '学生家庭（家访）', name: `黄班学生${n}`, className: '2025级会计2班', visitor: '黄志强' })),
    ]),
  ];

  /** The first working day on or after the `n`-th of the month. */
  const onOrAfter = (today: string, n: number, seen: Set<string>) => {
    const key = today.slice(0, 7);
    if (seen.has(key) || Number(today.slice(8)) < n || !workingDay(today)) return false;
    seen.add(key);
    return true;
  };

  async function visits(name: string, today: string, count: number) {
    for (let i = 0; i < count; i++) {
      await h.say(name, '/走访');
      const list = cardsReceived(h, name)
        .filter((c) => c.title.startsWith('我的走访对象'))
        .at(-1)!;
      await h.click(name, list.messageId, '记录走访');
      const ok = await h.click(name, list.messageId, '提交', {
        visitedOn: `${today} +0800`,
        mode: 'in-person',
        place: 'home',
        coVisitors: [],
        summary: '情况良好',
        situation: '家庭和睦',
        purpose: '了解情况',
        content: '交流学校发展',
        reflection: '',
        q_satisfaction: '5',
        'q_study-at-home': '很好',
        opinions: '',
        followUp: 'none',
        noGifts: 'yes',
      });
      expect(ok.toast?.type, ok.toast?.content).toBe('success');
    }
  }

  it('nudges only who is behind, excuses a month on leave, and sends the weekly, monthly and phase digests once each', async () => {
    h = await startHarness({ transport: 'ws', at: cst('2026-02-28T12:00:00'), campaign: def, cast });
    const wang = new Set<string>();
    const liu = new Set<string>();
    const huang = new Set<string>();
    await tickDays(h, '2026-03-01', '2026-12-31', ['09:00', '16:00', '22:30'], async (today) => {
      // 王建国: the partial March (from the 25th: 2 due), then 5 at the start of every month. 黄志强: 5 early each month but
      // November, on leave. 刘芳: one a month, early — always behind at mid-month.
      if (today === '2026-03-26') await visits('王建国', today, 2);
      else if (today >= '2026-04-01' && onOrAfter(today, 1, wang)) await visits('王建国', today, 5);
      if (onOrAfter(today, 3, liu)) await visits('刘芳', today, 1);
      if (!today.startsWith('2026-11') && onOrAfter(today, 2, huang)) await visits('黄志强', today, 5);
      if (today === '2026-10-30') await h.say('陈立华', '/请假 黄志强 11-01 11-30');
    });

    expectOnlyWorkingDaytime(h);

    const months = ['03', '04', '05', '06', '07', '08', '09', '10', '11', '12'];
    const pace = ['03-16', '04-15', '05-18', '06-15', '07-16', '08-17', '09-15', '10-16', '11-16', '12-16'];
    const end = ['03-27', '04-24', '05-27', '06-26', '07-27', '08-27', '09-24', '10-27', '11-26', '12-25'];
    // The summer vacation (after the spring term ends on 10 July, until 1 September) has no pace nudges.
    const inTerm = (day: string) => day <= '07-10' || day >= '09-01';
    expect(titled('刘芳', /走访进度提醒$/)).toEqual(
      months.flatMap((m, i) => [`${pace[i]} ${Number(m)}月走访进度提醒`, `${end[i]} ${Number(m)}月走访进度提醒`]).filter((t) => inTerm(t.slice(0, 5))),
    );
    expect(titled('王建国', /走访进度提醒$/)).toEqual([]);
    expect(titled('黄志强', /走访进度提醒$/)).toEqual([]);

    // The admin hears after each month 刘芳 fell short, on its first working day (劳动节 and 国庆 push two of them back).
    const escalations = cardsReceived(h, '陈立华').filter((c) => c.title.startsWith('逾期未完成'));
    // July's shortfall would be told in the vacation (3 August): it is not.
    expect(escalations.map((c) => c.day.slice(5))).toEqual(['04-01', '05-06', '06-01', '07-01', '09-01', '10-08', '11-02', '12-01']);
    for (const e of escalations) {
      expect(e.text).toMatch(/刘芳：\d+月「教师家访」1\/5 位/);
      expect(e.text).not.toContain('黄志强');
      expect(e.text).not.toContain('王建国');
    }

    const digests = groupCards();
    // 43 weeks less the 7 wholly in the summer vacation (13 July – 30 August).
    expect(digests.filter((t) => t.includes('党支部周报 · 第'))).toHaveLength(36);
    expect(digests.filter((t) => t.includes('党支部月报 ·'))).toHaveLength(9);
    expect(digests.filter((t) => t.includes('阶段小结 ·')).map((t) => /阶段小结 · (「\S+」)/.exec(t)![1])).toEqual(['「思想发动」', '「过程管控」']);
    const october = digests.find((t) => t.includes('党支部月报 · 2026年10月'))!;
    expect(october).toContain('教师家访（每人每月至少走访 5 位）：本月 6 次；当期已达标 1/2 人，落后 1 人');
    expect(october).toContain('校长室走访家委会和社会贤达（每人每月至少走访 5 位）：本月 5 次；当期已达标 1/1 人，落后 0 人');
    const november = digests.find((t) => t.includes('党支部月报 · 2026年11月'))!;
    expect(november).toContain('教师家访（每人每月至少走访 5 位）：本月 1 次；当期已达标 0/1 人，落后 1 人，请假 1 人');
    expect(october).toContain('进度落后或逾期 1 人：刘芳（已分别私信提醒）');
    for (const t of digests) for (const student of ['刘班学生', '黄班学生', '家委甲']) expect(t).not.toContain(student);
  }, 300_000);
});
