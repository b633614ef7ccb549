import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { exportAudits, photos, records } from '../../src/db/schema.js';
import { DEMO_PEOPLE } from '../../src/demo/seed.js';
import type { StoredMessage } from '../../src/sandbox/index.js';
import { cst, waitFor, type Harness } from '../helpers/harness.js';
import { PRIVATE, RECORDS_CAMPAIGN, current, latestCard, startRecordsHarness, targetId } from '../records/fixtures.js';
import {
  allText,
  dataRowCount,
  formPagesOf,
  headers,
  insertVisits,
  pageBreakRows,
  personId,
  picture,
  readWorkbook,
  readZip,
  rowsOf,
  sheetNames,
} from './fixtures.js';

/**
 * The archive the branch hands in (issue 7): /导出 from an admin produces the
 * workbook in the seed forms' own layout, and the photos in a zip beside it,
 * sent privately through the file API; everyone else is refused; every export
 * is in the audit log.
 */

let h: Harness;
afterEach(async () => {
  await h?.close();
});

// ---- what the cards ask, so the sheets can be held against them ------------------------------

const FIELD_TAGS = new Set(['input', 'date_picker', 'select_static', 'multi_select_static']);

/** Each form field's name and its Chinese label, as the card shows it. */
function cardLabels(card: unknown): Map<string, string> {
  const out = new Map<string, string>();
  let heading = '';
  const walk = (n: unknown) => {
    if (Array.isArray(n)) return n.forEach(walk);
    if (!n || typeof n !== 'object') return;
    const o = n as Record<string, any>;
    const bold = o.tag === 'markdown' ? /^\*\*(.+?)\*\*/.exec(String(o.content)) : null;
    if (bold) heading = bold[1]!;
    if (FIELD_TAGS.has(o.tag) && typeof o.name === 'string') {
      // Inputs carry "标签 English（选填）"; pickers and selects have a bold heading above them.
      out.set(o.name, o.tag === 'input' ? String(o.label.content).split(' ')[0]! : heading);
    }
    Object.values(o).forEach(walk);
  };
  walk(card);
  return out;
}

const labelsSeen: Array<[form: string, labels: Map<string, string>]> = [];

async function submit(name: string, messageId: string, form: string, values: Record<string, unknown>) {
  labelsSeen.push([form, cardLabels(current(h, messageId).content)]);
  const r = await h.click(name, messageId, '提交', values);
  expect(r.toast?.type, r.toast?.content).toBe('success');
  await h.settle();
}

async function fileVisit(name: string, target: string, values: Record<string, unknown>, pictures: Buffer[] = []) {
  await h.say(name, '/走访');
  const list = latestCard(h, name);
  await h.standIn.clickCard({
    messageId: list.messageId,
    operatorOpenId: h.openId(name),
    value: { action: 'visit.open', campaignId: RECORDS_CAMPAIGN.id, targetId: targetId(h, target) },
  });
  for (const p of pictures) {
    await h.standIn.sendImage(h.openId(name), p);
    await h.settle();
  }
  await submit(name, list.messageId, 'visit', values);
}

const VISIT = {
  visitedOn: '2026-11-17 +0800',
  mode: 'in-person',
  place: 'home',
  coVisitors: [] as string[],
  summary: '孙小红学习认真，性格内向',
  situation: '父母在外地，跟随祖父母生活',
  purpose: '了解留守学生生活情况',
  content: '与祖父母交流孩子在校表现，约定每月电话沟通',
  reflection: '留守孩子更需要老师的关心',
  q_satisfaction: '4',
  q_concern: ['学习', '安全'],
  opinions: '希望学校多组织周末活动\n希望宿舍能晚点熄灯',
  followUp: 'none',
  leader: '',
  followUpNote: '',
  noGifts: 'yes',
};

const ZONE_FORM = { overall_state: '楼道整洁，垃圾桶按时清理', student_talks: '与 3 名学生谈心', problems: '', remarks: '二楼东侧灯管已报修' };

/** A term's worth of filing, every form through its own card. */
async function fileTheTerm(pictures: Buffer[]) {
  await fileVisit('刘芳', '孙小红', { ...VISIT, coVisitors: [String(personId(h.db, '黄志强'))] }, pictures);
  // At the intern's enterprise: no parent there, so no questionnaire (附件四).
  await fileVisit('刘芳', '吴小强', {
    ...VISIT,
    visitedOn: '2026-11-18 +0800',
    mode: 'phone',
    place: 'enterprise',
    summary: '吴小强实习表现稳定',
    situation: '企业规模约 200 人',
    purpose: '了解实习情况',
    content: '与企业导师电话沟通',
    reflection: '',
    q_satisfaction: '',
    q_concern: [],
    opinions: '',
  });

  await h.say('刘芳', '/宿舍');
  const dorms = latestCard(h, '刘芳').messageId;
  await h.click('刘芳', dorms, '本周检查');
  await submit('刘芳', dorms, 'dorm-check', {
    checkedOn: '2026-11-18 +0800',
    hygiene: 'fair',
    smoking: 'no',
    electricity: 'yes',
    property: 'no',
    safety: 'no',
    storyShared: 'yes',
    notes: '发现一个大功率电吹风，已收缴',
    toLedger: 'yes',
  });
  await h.say('刘芳', '/宿舍');
  const dorms2 = latestCard(h, '刘芳').messageId;
  await h.click('刘芳', dorms2, '附件一记录');
  await submit('刘芳', dorms2, 'dorm-record', {
    headName: '赵小明',
    headClass: '2024级机电1班',
    headcount: '2',
    members: '赵小明（2024级机电1班）、钱小亮（2024级机电1班）',
    pastEnvironment: '地面有杂物',
    pastProperty: '一把椅子损坏',
    pastHygiene: '一般',
    pastSafety: '发现违规电器',
    suggestions: '每周一次大扫除',
    presentState: '整洁有序',
  });

  await h.say('黄志强', '/体验');
  await submit('黄志强', latestCard(h, '黄志强').messageId, 'student-day', {
    dayOn: '2026-11-18 +0800',
    hygieneDuty: '早上七点到校扫地',
    morningExercise: '跟学生排队做操',
    lunch: '排队二十分钟',
    classroom: '听了一节数学课',
    bigBreak: '跟学生一起跳绳',
    other: '',
    problems: '午餐排队太久',
    issues: '食堂增开窗口',
  });

  await h.say('刘芳', '/心得');
  const menu = latestCard(h, '刘芳').messageId;
  await h.click('刘芳', menu, '写心得');
  await submit('刘芳', menu, 'reflection', { title: '走进学生的家', body: '第一次家访，我学到了很多。', body2: '续写：孩子的笑容。', body3: '' });
  await h.say('刘芳', '/心得');
  const menu2 = latestCard(h, '刘芳').messageId;
  await h.click('刘芳', menu2, '写感人故事');
  await submit('刘芳', menu2, 'story', { title: '一碗热汤', body: '祖母端来一碗热汤。', body2: '', body3: '' });

  await h.say('黄志强', '/献计');
  await submit('黄志强', latestCard(h, '黄志强').messageId, 'suggestion', { topic: '家校合作', content: '每学期开放一次家长课堂' });

  // 附件二: the zone owner files week 2 from Friday's card.
  h.clock.set(cst('2026-11-20T16:05:00'));
  await h.runJob('zone-report-push');
  const zoneCard = latestCard(h, '王建国');
  const r = await h.click('王建国', zoneCard.messageId, '提交', ZONE_FORM);
  expect(r.toast?.type).toBe('success');
  h.clock.set(cst('2026-12-01T10:00:00'));
}

// ---- receiving the export ---------------------------------------------------------------------

const filesTo = (name: string): StoredMessage[] => h.standIn.messagesTo(h.openId(name)).filter((m) => m.msgType === 'file');

/** Waits for the export's closing message, then downloads the files it sent through the real resource API. */
async function receiveExport(admin: string, before = 0) {
  await waitFor(() => h.textsTo(admin).some((t, i) => i >= before && /^导出(完成|未能发送|失败)/.test(t)), 'the export', 60_000);
  await h.settle();
  const files = filesTo(admin).slice(-2);
  const downloads = new Map<string, Buffer>();
  for (const f of files) {
    const key = String(f.content.file_key);
    downloads.set(key, await h.bot.api.downloadResource(f.messageId, key, 'file'));
  }
  return { texts: h.textsTo(admin).slice(before), downloads: [...downloads.values()] };
}

const audits = () => h.db.select().from(exportAudits).orderBy(exportAudits.id).all();

describe('/导出 — the archive in the seeds’ own forms', { timeout: 120_000 }, () => {
  it('sends an admin the workbook and the photo zip, laid out like the paper forms and matching the cards', async () => {
    h = await startRecordsHarness();
    const pictures = [picture('家访-1'), picture('家访-2')];
    await fileTheTerm(pictures);

    // Not an admin: refused, nothing produced, nothing logged.
    await h.say('刘芳', '/导出');
    expect(h.textsTo('刘芳').at(-1)).toContain('/导出 仅限党支部管理员使用');
    expect(filesTo('刘芳')).toHaveLength(0);
    expect(audits()).toHaveLength(0);

    const before = h.textsTo('陈立华').length;
    await h.say('陈立华', '/导出');
    expect(h.textsTo('陈立华')[before]).toMatch(/^正在准备导出…（测试学校“微”行动 · 全部时间）/);
    const { texts, downloads } = await receiveExport('陈立华', before);
    expect(texts.at(-1)).toContain('导出完成');
    expect(texts.at(-1)).toContain('附件五 走访记录 2 行');
    expect(texts.at(-1)).toContain('照片 2 张在压缩包中');
    expect(filesTo('陈立华')).toHaveLength(2);
    const [xlsx, zip] = downloads as [Buffer, Buffer];

    const wb = await readWorkbook(xlsx);
    // Each form that is one paper per record comes twice: as a table, then as pages to print.
    expect(sheetNames(wb)).toEqual([
      '汇总（教师）',
      '汇总（部门）',
      '附件一 宿舍记录',
      '附件一 宿舍记录（打印）',
      '宿舍检查',
      '附件二 责任区报表',
      '附件二 责任区报表（打印）',
      '附件三 做一天学生',
      '附件三 做一天学生（打印）',
      '附件四 走访问卷',
      '附件五 走访记录',
      '附件五 走访记录（打印）',
      '附件六 走访台账',
      '献一计',
      '心得体会',
      '心得体会（打印）',
      '感人故事',
      '感人故事（打印）',
    ]);
    const counts = Object.fromEntries(wb.worksheets.filter((ws) => !ws.name.endsWith('（打印）')).map((ws) => [ws.name, dataRowCount(ws)]));
    expect(counts).toEqual({
      '汇总（教师）': DEMO_PEOPLE.length,
      '汇总（部门）': 6,
      '附件一 宿舍记录': 1,
      宿舍检查: 1,
      '附件二 责任区报表': 1,
      '附件三 做一天学生': 1,
      '附件四 走访问卷': 1,
      '附件五 走访记录': 2,
      '附件六 走访台账': 4,
      献一计: 1,
      心得体会: 1,
      感人故事: 1,
    });

    // Printed as the form: its title above a frozen header, A4 landscape, header repeated on each page.
    const visits = wb.getWorksheet('附件五 走访记录')!;
    expect(visits.getCell('A1').value).toBe('附件五 “百名党员干部带领千名党员教师走访万名学生家长”情况记录表');
    expect(String(visits.getCell('A2').value)).toContain('测试学校“微”行动 · 2026-11-09 至 2027-01-22');
    expect(visits.views[0]).toMatchObject({ state: 'frozen', ySplit: 3 });
    expect(visits.pageSetup).toMatchObject({ orientation: 'landscape', paperSize: 9, printTitlesRow: '1:3' });
    expect(visits.getColumn(headers(visits).indexOf('家（企）访内容') + 1).width).toBeGreaterThan(20);
    // 附件五's own words.
    expect(headers(visits).slice(0, 17)).toEqual([
      '家访教师',
      '同行教师',
      '走访日期',
      '走访方式',
      '走访地点',
      '学生姓名',
      '班级',
      '对象类别',
      '家长姓名',
      '联系电话',
      '家庭住址（实习企业）',
      '学生情况简介',
      '家庭（企业）情况',
      '家（企）访目的',
      '家（企）访内容',
      '家（企）访体会',
      '家长（企业）意见和建议',
    ]);

    // Every field of every card has its column, headed as the card labels it.
    const sheetOf: Record<string, string> = {
      visit: '附件五 走访记录',
      'dorm-check': '宿舍检查',
      'dorm-record': '附件一 宿舍记录',
      'student-day': '附件三 做一天学生',
      reflection: '心得体会',
      story: '感人故事',
      suggestion: '献一计',
    };
    // The paper form's wording where the card words a home and an enterprise visit differently; long texts on paper are one text.
    // The parts of one paper cell (附件一's 过去状况, 附件三's 其他体验) share its column.
    const PAPER: Record<string, string> = {
      家长意见和建议: '家长（企业）意见和建议',
      企业意见和建议: '家长（企业）意见和建议',
      ...Object.fromEntries(['环境', '财产', '卫生', '安全'].map((part) => [part, '过去状况（环境、财产、卫生、安全）'])),
      ...Object.fromEntries(['走进课堂', '大课间', '其他'].map((part) => [part, '其他体验'])),
    };
    for (const [form, labels] of labelsSeen) {
      for (const [name, label] of labels) {
        if (name === 'body2' || name === 'body3') continue;
        // The parents' questionnaire (附件四) has its own sheet.
        const hs = headers(wb.getWorksheet(name.startsWith('q_') ? '附件四 走访问卷' : sheetOf[form]!)!);
        expect(hs, `${form}.${name}`).toContain(PAPER[label] ?? label);
      }
    }
    expect(new Set(labelsSeen.map(([form]) => form)).size).toBe(7);

    const [sun, wu] = rowsOf(visits);
    const visitId = h.db
      .select()
      .from(records)
      .all()
      .find((r) => r.form === 'visit' && r.subjectId === targetId(h, '孙小红'))!.id;
    expect(sun).toMatchObject({
      家访教师: '刘芳',
      同行教师: '黄志强',
      走访日期: '2026-11-17',
      走访方式: '上门走访',
      走访地点: '家中',
      学生姓名: '孙小红',
      班级: '2024级机电1班',
      对象类别: '送爱上门 · 留守学生',
      家长姓名: PRIVATE.parent,
      联系电话: PRIVATE.phone,
      '家庭住址（实习企业）': PRIVATE.address,
      学生情况简介: VISIT.summary,
      '家庭（企业）情况': VISIT.situation,
      '家（企）访目的': VISIT.purpose,
      '家（企）访内容': VISIT.content,
      '家（企）访体会': VISIT.reflection,
      '家长（企业）意见和建议': VISIT.opinions,
      后续跟进: '无需跟进',
      '未收受家长（企业）礼品礼金': '已确认',
      列入台账: 2,
      提交时间: '2026-11-18 10:00',
      补交: '',
      照片: `2 张：刘芳/走访记录 2026-11-17 孙小红 #${visitId}/`,
    });
    expect(wu).toMatchObject({
      学生姓名: '吴小强',
      走访方式: '电话/通讯',
      走访地点: '实习企业',
      '家庭住址（实习企业）': '广州某机电设备有限公司（实习企业）',
      照片: '',
    });

    // Printed: one A4 page per visit, the paper's title on top, each field on its line with what the card said.
    const visitTitle = '附件五 “百名党员干部带领千名党员教师走访万名学生家长”情况记录表';
    const printed = wb.getWorksheet('附件五 走访记录（打印）')!;
    expect(printed.pageSetup).toMatchObject({ orientation: 'portrait', paperSize: 9, fitToWidth: 1 });
    const forms = formPagesOf(printed, visitTitle);
    expect(forms).toHaveLength(2);
    expect(forms[0]).toEqual(sun);
    expect(forms[1]).toEqual(wu);
    const secondTitleRow = [...Array(printed.actualRowCount).keys()].map((i) => i + 1).filter((r) => printed.getRow(r).getCell(1).value === visitTitle)[1]!;
    expect(await pageBreakRows(xlsx, '附件五 走访记录（打印）')).toEqual([secondTitleRow - 1]);
    expect(String(visits.getCell('A2').value)).toContain('逐份打印见「附件五 走访记录（打印）」');
    expect(formPagesOf(wb.getWorksheet('心得体会（打印）')!, '期末走访汇报会 · 心得体会')[0]).toMatchObject({
      教师: '刘芳',
      题目: '走进学生的家',
      正文: '第一次家访，我学到了很多。\n续写：孩子的笑容。',
    });

    // The photos are in the folder the sheet names, byte for byte.
    const entries = await readZip(zip);
    expect([...entries.keys()].sort()).toEqual([`刘芳/走访记录 2026-11-17 孙小红 #${visitId}/1.jpg`, `刘芳/走访记录 2026-11-17 孙小红 #${visitId}/2.jpg`]);
    expect([...entries.values()].map((b) => b.toString('latin1')).sort()).toEqual(pictures.map((b) => b.toString('latin1')).sort());

    // 附件一 and 附件三 field by field, headed in the paper's words; a paper cell asked in parts reads as on paper.
    expect(rowsOf(wb.getWorksheet('附件一 宿舍记录')!)[0]).toEqual(
      expect.objectContaining({
        关爱教师: '刘芳、黄志强',
        宿舍: '7号楼203',
        宿舍长: '赵小明',
        宿舍长班级: '2024级机电1班',
        宿舍人数: 2,
        宿舍人员姓名及班级: '赵小明（2024级机电1班）、钱小亮（2024级机电1班）',
        '过去状况（环境、财产、卫生、安全）': '环境：地面有杂物\n财产：一把椅子损坏\n卫生：一般\n安全：发现违规电器',
        改进意见: '每周一次大扫除',
        现在状况: '整洁有序',
        填写人: '刘芳',
      }),
    );
    expect(rowsOf(wb.getWorksheet('附件三 做一天学生')!)[0]).toEqual(
      expect.objectContaining({
        教师: '黄志强',
        体验日期: '2026-11-18',
        卫生体验情况: '早上七点到校扫地',
        课间操体验情况: '跟学生排队做操',
        就餐体验: '排队二十分钟',
        其他体验: '走进课堂：听了一节数学课\n大课间：跟学生一起跳绳',
        发现的问题: '午餐排队太久',
        拟解决的问题: '食堂增开窗口',
      }),
    );
    // 附件四 on its own sheet: the home visit's questionnaire; the enterprise visit had none.
    expect(rowsOf(wb.getWorksheet('附件四 走访问卷')!)).toEqual([
      expect.objectContaining({
        家访教师: '刘芳',
        走访日期: '2026-11-17',
        走访地点: '家中',
        学生姓名: '孙小红',
        家长姓名: PRIVATE.parent,
        您对学校工作的总体满意度: '4 分',
        您最关心孩子哪些方面: '学习、安全',
      }),
    ]);
    expect(headers(visits).some((x) => x.includes('满意度'))).toBe(false);
    expect(rowsOf(wb.getWorksheet('宿舍检查')!)[0]).toMatchObject({
      检查日期: '2026-11-18',
      卫生情况: '一般',
      违规用电: '有',
      吸烟情况: '无',
      发现的问题: '列入台账跟进',
    });
    expect(rowsOf(wb.getWorksheet('附件二 责任区报表')!)[0]).toMatchObject({
      时间: '第2周（11/16–11/22）',
      党员干部: '王建国',
      环境责任区: '教学楼A栋一至三楼',
      联系班级: '2024级机电1班',
      环境责任区总体情况: ZONE_FORM.overall_state,
      备注: ZONE_FORM.remarks,
    });
    expect(rowsOf(wb.getWorksheet('心得体会')!)[0]).toMatchObject({
      教师: '刘芳',
      题目: '走进学生的家',
      正文: '第一次家访，我学到了很多。\n续写：孩子的笑容。',
    });
    expect(rowsOf(wb.getWorksheet('献一计')!)[0]).toMatchObject({ 提出人: '黄志强', 部门: '机电部', 方面: '家校合作', 我的建议: '每学期开放一次家长课堂' });

    // 附件六: one party member after another.
    const ledger = rowsOf(wb.getWorksheet('附件六 走访台账')!);
    expect(ledger.map((r) => r['党员干部姓名'])).toEqual(['黄志强', '刘芳', '刘芳', '刘芳']);
    expect(ledger.map((r) => r['事项'])).toContain('希望宿舍能晚点熄灯');
    expect(ledger[1]).toMatchObject({ 来源: '走访记录', 提出方: '家长', 状态: '待接收', 登记日期: '2026-11-18', 期限: '2026-12-02' });

    // The summaries: what each filed, of what was due.
    const byTeacher = new Map(rowsOf(wb.getWorksheet('汇总（教师）')!).map((r) => [r['姓名'], r]));
    expect(byTeacher.get('刘芳')).toMatchObject({
      部门: '财经部',
      角色: '党员教师',
      走访次数: 2,
      走访对象数: 2,
      上门走访: 1,
      上门走访缺照片: 0,
      负责对象: 2,
      已走访负责对象: 2,
      宿舍检查: 1,
      附件一宿舍记录: 1,
      心得: 1,
      感人故事: 1,
      台账未销号: 3,
      台账已销号: 0,
    });
    // His one in-person visit was 刘芳's, as her co-visitor, and it has its photos.
    expect(byTeacher.get('黄志强')).toMatchObject({
      走访次数: 1,
      走访对象数: 1,
      上门走访: 1,
      上门走访缺照片: 0,
      负责对象: 1,
      已走访负责对象: 0,
      做一天学生: 1,
      献一计: 1,
      台账未销号: 1,
    });
    // Weeks 1–3 fell due by 12/01 09:00; week 2 was filed.
    expect(byTeacher.get('王建国')).toMatchObject({ 责任区报表已交: 1, 责任区报表应交: 3 });
    const byDepartment = new Map(rowsOf(wb.getWorksheet('汇总（部门）')!).map((r) => [r['部门'], r]));
    expect(byDepartment.get('财经部')).toMatchObject({ 人数: 1, 走访次数: 2 });

    const [audit] = audits();
    expect(audit).toMatchObject({
      actorId: personId(h.db, '陈立华'),
      channel: 'chat',
      kind: 'school',
      campaignId: RECORDS_CAMPAIGN.id,
      fromOn: null,
      toOn: null,
      teacherId: null,
      outcome: 'done',
    });
    expect(audit!.rowCounts).toEqual(counts);
    expect(audit!.files!.map((f) => f.name)).toEqual([
      expect.stringMatching(/^走访存档-测试学校微行动-20261201-1000\.xlsx$/),
      expect.stringMatching(/\.photos\.zip$/),
    ]);
    expect(audit!.files!.map((f) => f.bytes)).toEqual([xlsx.length, zip.length]);

    // The log carries ids, never what families told the visitors.
    const logged = h.logs.lines.join('\n');
    for (const s of Object.values(PRIVATE)) expect(logged).not.toContain(s);
  });

  it('narrows to a teacher or a range, answers bad arguments clearly, and sends the district roll-up without names', async () => {
    h = await startRecordsHarness();
    await fileTheTerm([]);

    let before = h.textsTo('陈立华').length;
    await h.say('陈立华', '/导出 2026-02-30');
    expect(h.textsTo('陈立华')[before]).toContain('没有 2026-02-30 这一天');
    await h.say('陈立华', '/导出 王小二');
    expect(h.textsTo('陈立华').at(-1)).toContain('名单中没有“王小二”');
    await h.say('陈立华', '/导出 2026-11-30 2026-11-01');
    expect(h.textsTo('陈立华').at(-1)).toContain('开始日期 2026-11-30 晚于结束日期 2026-11-01');
    expect(audits()).toHaveLength(0);

    before = h.textsTo('陈立华').length;
    await h.say('陈立华', '/导出 黄志强 2026-11'); // a month stands for its first to its last day
    expect(h.textsTo('陈立华')[before]).toContain('2026-11-01 至 2026-11-30 · 教师 黄志强');
    const mine = await receiveExport('陈立华', before);
    const wb = await readWorkbook(mine.downloads.at(-1)!);
    expect(rowsOf(wb.getWorksheet('汇总（教师）')!).map((r) => r['姓名'])).toEqual(['黄志强']);
    expect(dataRowCount(wb.getWorksheet('附件五 走访记录')!)).toBe(1); // as a co-visitor
    expect(dataRowCount(wb.getWorksheet('附件三 做一天学生')!)).toBe(1);
    expect(dataRowCount(wb.getWorksheet('心得体会')!)).toBe(0);
    expect(dataRowCount(wb.getWorksheet('附件六 走访台账')!)).toBe(1);
    expect(audits().at(-1)).toMatchObject({ fromOn: '2026-11-01', toOn: '2026-11-30', teacherId: personId(h.db, '黄志强'), outcome: 'done' });

    before = h.textsTo('陈立华').length;
    await h.say('陈立华', '/导出 区县');
    const district = await receiveExport('陈立华', before);
    expect(district.texts.at(-1)).toContain('导出完成：区县汇总（仅计数）');
    const roll = await readWorkbook(district.downloads.at(-1)!);
    expect(sheetNames(roll)).toEqual(['各校汇总', '各部门汇总']);
    expect(rowsOf(roll.getWorksheet('各校汇总')!)[0]).toMatchObject({
      '学校（活动）': RECORDS_CAMPAIGN.name,
      人数: DEMO_PEOPLE.length,
      走访次数: 2,
      走访对象数: 2,
      台账未销号: 4,
    });
    expect(rowsOf(roll.getWorksheet('各部门汇总')!).find((r) => r['部门'] === '财经部')).toMatchObject({ 人数: 1, 走访次数: 2, 宿舍检查: 1 });
    const text = allText(roll);
    for (const s of ['孙小红', '吴小强', '周小刚', ...Object.values(PRIVATE), ...DEMO_PEOPLE.map((p) => p.name)]) expect(text).not.toContain(s);
    expect(audits().at(-1)).toMatchObject({ kind: 'district', campaignId: null, outcome: 'done' });
  });

  it('tells the admin when a file is over Feishu’s 30 MB limit, and when the upload fails', async () => {
    h = await startRecordsHarness();
    insertVisits(h.db, { n: 1, targetCount: 1, author: '刘芳' });
    const record = h.db.select().from(records).get()!;
    // A 31 MB picture (random bytes do not compress) attached to the visit.
    const rel = 'ff/ff-big.jpg';
    fs.mkdirSync(path.join(h.photoDir, 'ff'), { recursive: true });
    fs.writeFileSync(path.join(h.photoDir, rel), Buffer.concat([picture('big'), randomBytes(31 * 1024 * 1024)]));
    h.db
      .insert(photos)
      .values({ personId: record.authorId, recordId: record.id, messageId: 'om_big', imageKey: 'img_big', status: 'stored', path: rel, receivedAt: new Date() })
      .run();

    let before = h.textsTo('陈立华').length;
    await h.say('陈立华', '/导出');
    const big = await receiveExport('陈立华', before);
    expect(big.texts.at(-1)).toContain('导出完成');
    expect(big.texts.at(-1)).toMatch(/照片压缩包 31\.0 MB，超过飞书文件 30\.0 MB 的上限，未能发送/);
    expect(big.texts.at(-1)).toContain('zoufang export --out 文件.xlsx');
    expect(filesTo('陈立华')).toHaveLength(1); // the workbook still came
    expect(audits().at(-1)).toMatchObject({ outcome: 'too-large', error: expect.stringContaining('.photos.zip') });
    expect(audits().at(-1)!.files).toHaveLength(1);

    // Feishu refuses the upload: the admin hears what went wrong.
    h.standIn.revokeScopes('im:resource');
    before = h.textsTo('陈立华').length;
    await h.say('陈立华', '/导出 2026-12-01');
    const failed = await receiveExport('陈立华', before);
    expect(failed.texts.at(-1)).toMatch(/^导出失败：上传到飞书失败（错误码 99991672）/);
    expect(filesTo('陈立华')).toHaveLength(1);
    expect(audits().at(-1)).toMatchObject({ outcome: 'failed', fromOn: '2026-12-01' });
  });
});
