import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { CampaignRepo } from '../src/db/repos.js';
import { people, records, recordVisitors } from '../src/db/schema.js';
import { DEMO_BRANCH_CHAT_ID } from '../src/demo/seed.js';
import { presetDefinition } from '../src/domain/presets.js';
import { writeSchoolExport } from '../src/export/workbook.js';
import { sheetFromValues, type RosterSheet } from '../src/roster/sheets.js';
import { readWorkbook, rowsOf } from './export/fixtures.js';
import { cardText, cst, startHarness, type Harness } from './helpers/harness.js';
import { cardsReceived, tickDays } from './helpers/term.js';

/**
 * November 2026 of seed 002 (三大一实干) in a school of two classes, through the
 * stand-in with the real bot. Nobody assigns a student: 家访要做到由班主任与副班主任、
 * 任课教师统筹安排 — the roster's class columns say whose class is whose, and the
 * class's teachers share its students. 每位每月至少走访5位 counts families; 上门家访
 * 每班至少2位学生 is watched per class; the leaders' 直至两月内走访一遍 had its deadline in May.
 */

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const CLASS_1 = '三年级（1）班';
const CLASS_2 = '三年级（2）班';
const FAMILY = '学生家庭（家访）';
const def = presetDefinition('三大一实干', { year: 2026, id: 'san-da-2026', branchChatId: DEMO_BRANCH_CHAT_ID });
const cast: RosterSheet[] = [
  sheetFromValues('classes', [{ name: CLASS_1 }, { name: CLASS_2 }]),
  sheetFromValues('members', [
    { name: '陈立华', mobile: '13800000001', roles: '管理员' },
    { name: '王建国', mobile: '13800000002', roles: '部门领导', department: '校长室' },
    { name: '李秀英', mobile: '13800000003', roles: '教师', classLed: CLASS_1, classesTaught: CLASS_1 },
    { name: '张伟', mobile: '13800000004', roles: '教师', classDeputy: CLASS_1 },
    { name: '刘芳', mobile: '13800000005', roles: '教师', classesTaught: CLASS_1 },
    { name: '黄志强', mobile: '13800000006', roles: '教师', classLed: CLASS_2 },
  ]),
  // No 走访教师 column filled in: nobody is assigned anyone.
  sheetFromValues('targets', [
    ...['赵一', '钱二', '孙三', '周四', '吴五', '郑六'].map((name) => ({
      kind: FAMILY,
      name,
      className: CLASS_1,
      phone: '13912340000',
      address: '庙桥镇某村1号',
    })),
    ...['冯七', '陈八'].map((name) => ({ kind: FAMILY, name, className: CLASS_2 })),
    ...['家委甲', '家委乙'].map((name) => ({ kind: '家委会成员', name })),
  ]),
];

const idOf = (name: string) => h.db.select().from(people).where(eq(people.name, name)).get()!.id;
const latest = (name: string, title: string) =>
  cardsReceived(h, name)
    .filter((c) => c.title.startsWith(title))
    .at(-1)!;

/** `name` records a visit to the first student `/走访 <filter>` lists, as a teacher would from chat. */
async function visit(name: string, filter: string, o: { mode?: string; coVisitors?: string[] } = {}) {
  await h.say(name, `/走访 ${filter}`);
  const list = latest(name, '我的走访对象');
  const form = await h.click(name, list.messageId, '记录走访');
  expect(form.toast?.type, form.toast?.content).not.toBe('error');
  const today = h.clock.now().toISOString().slice(0, 10);
  return h.click(name, list.messageId, '提交', {
    visitedOn: `${today} +0800`,
    mode: o.mode ?? 'phone',
    place: 'home',
    coVisitors: (o.coVisitors ?? []).map((n) => String(idOf(n))),
    summary: '学习认真',
    situation: '家庭和睦',
    purpose: '了解在家学习情况',
    content: '交流孩子的学习和作息',
    reflection: '',
    q_satisfaction: '5',
    'q_study-at-home': '很好',
    opinions: '',
    followUp: 'none',
    noGifts: 'yes',
  });
}

describe('seed 002 in November: class-shared targets, families counted, per-class in-person visits', () => {
  it('lets a class’s teachers file without assignment, credits co-visitors, counts families, and shows the admin what is short', {
    timeout: 240_000,
  }, async () => {
    h = await startHarness({ transport: 'ws', at: cst('2026-10-31T12:00:00'), campaign: def, cast });

    const lastDayOfNovember = async () => {
      // 三 families and two repeat calls: 3 of the 5 people a month.
      await h.say('刘芳', '/进度');
      expect(latest('刘芳', '我的进度').text).toContain('11月「教师家访」：已走访 **3/5** 位');
      // The deputy went along once: it counts for her too.
      await h.say('张伟', '/进度');
      expect(latest('张伟', '我的进度').text).toContain('11月「教师家访」：已走访 **1/5** 位');
      // The head teacher sees the class: who was visited by whom, who not yet, and the in-person count.
      await h.say('李秀英', '/进度');
      const head = latest('李秀英', '我的进度').text;
      expect(head).toContain(`**班级家访** · ${CLASS_1}（秋季学期）`);
      expect(head).toContain('本学期已走访 **3/6** 位学生；上门家访 **1** 位，');
      expect(head).toContain('每班至少 2 位，还差 1 位');
      expect(head).toContain('未走访（3 位）</font>：周四、吴五、郑六');
      expect(head).toContain('已走访：赵一（刘芳、张伟·上门）、钱二（刘芳）、孙三（刘芳）');

      // The admin sees both classes short of two in-person visits.
      await h.say('陈立华', '/谁没交');
      const behind = cardsReceived(h, '陈立华')
        .filter((c) => c.title.startsWith('尚未完成'))
        .at(-1)!.text;
      expect(behind).toContain(`${CLASS_1}（班主任 李秀英）：本学期上门家访 1/2 位`);
      expect(behind).toContain(`${CLASS_2}（班主任 黄志强）：本学期上门家访 0/2 位`);
      expect(behind).toContain('刘芳：11月「教师家访」3/5 位');
      // Nothing is waiting for the admin to assign it.
      await h.say('陈立华', '/名单');
      const status = cardsReceived(h, '陈立华').at(-1)!.text;
      expect(status).toContain('走访对象：10 位，按班级（班主任、副班主任、任课教师）和部门共享，无需分配');
      expect(status).not.toContain('待分配');
    };

    await tickDays(h, '2026-11-01', '2026-12-01', ['09:00', '16:00'], async (today) => {
      if (today === '2026-11-03') {
        // A subject teacher of 三(1)班 sees that class's students, none of 三(2)班's, and files with the deputy along.
        await h.say('刘芳', '/走访');
        const list = latest('刘芳', '我的走访对象');
        expect(list.title).toBe('我的走访对象 · 已走访 0/6');
        expect(list.text).toContain('赵一');
        expect(list.text).not.toContain('冯七');
        const ok = await visit('刘芳', '赵一', { mode: 'in-person', coVisitors: ['张伟'] });
        expect(ok.toast?.type, ok.toast?.content).toBe('success');
        for (const who of ['钱二', '孙三']) expect((await visit('刘芳', who)).toast?.type).toBe('success');
      }
      if (today === '2026-11-10') {
        // Two more calls on a family she has already visited: visits, but no more people.
        for (let i = 0; i < 2; i++) expect((await visit('刘芳', '赵一')).toast?.type).toBe('success');
        // The other class's head teacher has his own students, not hers.
        await h.say('黄志强', '/走访');
        expect(latest('黄志强', '我的走访对象').title).toBe('我的走访对象 · 已走访 0/2');
      }
      if (today === '2026-11-30') await lastDayOfNovember();
    });

    // Every visit was filed without anyone assigning a student; the co-visitor is on the record.
    const visits = h.db
      .select()
      .from(records)
      .all()
      .filter((r) => r.form === 'visit');
    expect(visits).toHaveLength(5);
    expect(
      h.db
        .select()
        .from(recordVisitors)
        .where(eq(recordVisitors.recordId, visits[0]!.id))
        .all()
        .map((v) => [v.personId, v.role])
        .sort((a, b) => String(a[1]).localeCompare(String(b[1]))),
    ).toEqual([
      [idOf('刘芳'), 'author'],
      [idOf('张伟'), 'co-visitor'],
    ]);

    // The monthly digest of 1 December: the classes short, and the leaders' two-month deadline of May as missed, not "截至 5/24".
    const monthly = h.standIn
      .messagesIn(DEMO_BRANCH_CHAT_ID)
      .filter((m) => m.msgType === 'interactive')
      .map((m) => cardText(m.content))
      .find((t) => t.includes('党支部月报 · 2026年11月'))!;
    expect(monthly).toContain(`上门家访不足 2 位的班级（2 个）：${CLASS_1} 1 位、${CLASS_2} 0 位`);
    expect(monthly).toContain('校长室走访家委会和社会贤达（2个月内全覆盖）：⚠️ 未按期完成（5/24 截止时 0/2 位），目前 0/2 位（0%）');
    expect(monthly).not.toContain('截至 5/24');
    for (const student of ['赵一', '钱二', '孙三', '冯七']) expect(monthly).not.toContain(student);

    // And the archive has the class sheet.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zoufang-export-'));
    const file = path.join(dir, 'archive.xlsx');
    const campaign = (await new CampaignRepo(h.db).get(def.id))!;
    await writeSchoolExport(h.db, { campaign }, { workbookFile: file, zipFile: path.join(dir, 'archive.photos.zip'), photoDir: dir, now: h.clock.now() });
    const classes = rowsOf((await readWorkbook(file)).getWorksheet('汇总（班级）')!);
    expect(classes).toEqual([
      { 班级: CLASS_1, 学生数: 6, 本学期已走访: 3, 上门家访: 1, 上门家访要求: '不足：还差 1 位' },
      { 班级: CLASS_2, 学生数: 2, 本学期已走访: 0, 上门家访: 0, 上门家访要求: '不足：还差 2 位' },
    ]);
  });

  it('takes a class off /谁没交 once its second home visit is filed, and puts it back when the campaign asks for more', {
    timeout: 120_000,
  }, async () => {
    h = await startHarness({ transport: 'ws', at: cst('2026-11-20T10:00:00'), campaign: def, cast });
    const behind = async () => {
      await h.say('陈立华', '/谁没交');
      return cardsReceived(h, '陈立华')
        .filter((c) => c.title.startsWith('尚未完成'))
        .at(-1)!.text;
    };
    expect(await behind()).toContain(`${CLASS_1}（班主任 李秀英）：本学期上门家访 0/2 位`);
    expect((await visit('刘芳', '赵一', { mode: 'in-person' })).toast?.type).toBe('success');
    // A phone call is a visit, not a home visit.
    expect((await visit('刘芳', '钱二')).toast?.type).toBe('success');
    expect(await behind()).toContain(`${CLASS_1}（班主任 李秀英）：本学期上门家访 1/2 位`);
    expect((await visit('刘芳', '孙三', { mode: 'in-person' })).toast?.type).toBe('success');
    const after = await behind();
    expect(after).not.toContain(CLASS_1);
    expect(after).toContain(`${CLASS_2}（班主任 黄志强）：本学期上门家访 0/2 位`);
    // The rule asks three a class from now on: the counts stand, the class is short again.
    const repo = new CampaignRepo(h.db);
    const campaign = (await repo.get(def.id))!;
    await repo.save({
      ...campaign.def,
      coverage: campaign.def.coverage.map((r) => (r.rule === 'in-person-per-class' ? { ...r, min: 3 } : r)),
    });
    expect(await behind()).toContain(`${CLASS_1}（班主任 李秀英）：本学期上门家访 2/3 位`);
  });
});
