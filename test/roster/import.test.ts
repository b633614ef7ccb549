import fs from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/index.js';
import { generateDemoRoster } from '../../src/demo/roster.js';
import type { CampaignDefinition } from '../../src/domain/campaign.js';
import { FeishuApi } from '../../src/feishu/api.js';
import { createLogger } from '../../src/logger.js';
import { formatImportReport, importRoster } from '../../src/roster/import.js';
import { readRosterFile } from '../../src/roster/read.js';
import { SHEETS, sheetFromValues } from '../../src/roster/sheets.js';
import { writeRosterWorkbook, writeTemplate } from '../../src/roster/template.js';
import { FeishuStandIn } from '../../src/sandbox/index.js';
import {
  VALID_ASSIGNMENTS,
  campaignDb,
  counts,
  dump,
  encodeGb18030,
  problemLine,
  tmpDir,
  validRoster,
  writeBadWorkbook,
  writeValidWorkbook,
} from './fixtures.js';

/**
 * Roster import end to end: real .xlsx and .csv files on disk, read back, validated,
 * stored in a real SQLite file, and reported as the admin reads it. Assertions are
 * on the report's lines and the stored rows.
 */

const T0 = new Date('2026-03-10T02:00:00Z');
const T1 = new Date('2026-04-01T02:00:00Z');

async function importFile(
  db: Db,
  def: CampaignDefinition,
  file: string,
  opts: { now?: Date; dryRun?: boolean; lookup?: Parameters<typeof importRoster>[1]['lookup'] } = {},
) {
  const report = await importRoster(await readRosterFile(file), { db, campaign: def, now: opts.now ?? T0, dryRun: opts.dryRun, lookup: opts.lookup });
  return { report, text: formatImportReport(report, file, opts.dryRun) };
}

const rowsOf = (db: Db, sql: string, ...params: unknown[]) => db.$client.prepare(sql).all(...params) as Array<Record<string, any>>;

/** Current holders of each dorm, zone and target, by name: what an admin would check after importing. */
function holders(db: Db): Record<string, string[]> {
  const rows = rowsOf(
    db,
    `SELECT a.subject_type AS type,
            CASE a.subject_type WHEN 'dorm' THEN d.building || '/' || d.room WHEN 'zone' THEN z.name ELSE t.name END AS subject,
            p.name AS person, a.via AS via
       FROM assignments a JOIN people p ON p.id = a.person_id
       LEFT JOIN dorms d ON a.subject_type = 'dorm' AND d.id = a.subject_id
       LEFT JOIN zones z ON a.subject_type = 'zone' AND z.id = a.subject_id
       LEFT JOIN targets t ON a.subject_type = 'target' AND t.id = a.subject_id
      WHERE a.ended_at IS NULL ORDER BY a.id`,
  );
  const out: Record<string, string[]> = {};
  for (const r of rows) {
    expect(r.via).toBe('import');
    (out[`${r.type}:${r.subject}`] ??= []).push(r.person);
  }
  return out;
}

describe('importing a roster workbook (微行动)', () => {
  it('stores a valid workbook, normalising full-width characters and stray spaces, and assigns dorms, zones and visitors', async () => {
    const { db, def } = await campaignDb();
    const file = path.join(tmpDir(), '名单.xlsx');
    await writeValidWorkbook(file);
    const { report, text } = await importFile(db, def, file);

    expect(report.problems).toEqual([]);
    const lines = text.split('\n');
    expect(lines).toContain(`读取 / read：${file} — 班级 3 行，成员 9 行，宿舍 3 行，责任区 1 行，走访对象 3 行`);
    expect(lines).toContain('✓ 已导入 / imported:');
    expect(lines).toContain('  班级：新增 3，更新 0，未变 0');
    expect(lines).toContain('  成员：新增 9，更新 0，未变 0');
    expect(lines).toContain('  宿舍：新增 3，更新 0，未变 0');
    expect(lines).toContain('  责任区：新增 1，更新 0，未变 0');
    expect(lines).toContain('  走访对象：新增 3，更新 0，未变 0');
    expect(lines).toContain(`  分配 / assignments：新增 ${VALID_ASSIGNMENTS}，结束 0`);
    expect(lines).toContain(
      '飞书账号 / accounts：未配置飞书凭据，暂不匹配飞书账号；机器人启动后会再次匹配 / no credentials: accounts are matched when the bot starts',
    );
    // The layout has 20 + 15 rooms; a partial dorm list is a note, not an error.
    expect(text).toContain('7号楼按配置有 20 间宿舍，名单中目前 2 间');

    // Ideographic and stray spaces gone; full-width digits made plain.
    const classes = rowsOf(db, 'SELECT name, grade, student_count, interning FROM school_classes ORDER BY id');
    expect(classes).toEqual([
      { name: '2025级机电1班', grade: 1, student_count: 40, interning: 0 },
      { name: '2024级机电1班', grade: 2, student_count: 38, interning: 0 },
      { name: '2023级汽修1班', grade: 3, student_count: 35, interning: 1 },
    ]);
    const people = Object.fromEntries(rowsOf(db, 'SELECT * FROM people').map((p) => [p.name, p]));
    expect(Object.keys(people)).toEqual(['王书记', '李干部', '张老师', '陈老师', '赵老师', '周老师', '孙老师', '吴主任', '郑老师']);
    expect(people['王书记']).toMatchObject({ mobile: '13800138000', roles: '["admin","party-teacher"]', department: '党支部', open_id: null });
    expect(people['张老师']).toMatchObject({ mobile: '13800138002', classes_taught: '["2024级机电1班","2025级机电1班"]' });
    expect(people['赵老师']!.mobile).toBe('13800138004');
    expect(people['周老师']).toMatchObject({ mobile: null, email: 'zhou.li@school.example' });
    // Leading a class makes the teacher a head teacher.
    expect(people['孙老师']).toMatchObject({ roles: '["teacher","head-teacher"]', class_led: '2025级机电1班' });

    const dorms = rowsOf(db, 'SELECT building, room, head_name, head_class, headcount, members FROM dorms ORDER BY id');
    expect(dorms).toEqual([
      {
        building: '7号楼',
        room: '301',
        head_name: '刘同学',
        head_class: '2024级机电1班',
        headcount: 6,
        members: JSON.stringify([
          { name: '刘同学', className: '2024级机电1班' },
          { name: '马同学', className: '2025级机电1班' },
        ]),
      },
      { building: '7号楼', room: '302', head_name: null, head_class: null, headcount: null, members: '[]' },
      { building: '5号楼', room: '101', head_name: null, head_class: null, headcount: null, members: '[]' },
    ]);
    expect(rowsOf(db, 'SELECT name, linked_class FROM zones')).toEqual([{ name: '教学楼A栋', linked_class: '2025级机电1班' }]);
    const targets = rowsOf(db, 'SELECT natural_key, kind, name, class_name, phone, enterprise, category, sub_kind, status FROM targets ORDER BY id');
    expect(targets).toEqual([
      {
        natural_key: 'student:2024级机电1班:刘同学',
        kind: 'student-family',
        name: '刘同学',
        class_name: '2024级机电1班',
        phone: '139-0000-0001',
        enterprise: null,
        category: 'care',
        sub_kind: '留守学生',
        status: 'open',
      },
      {
        natural_key: 'student:2023级汽修1班:黄同学',
        kind: 'intern-enterprise',
        name: '黄同学',
        class_name: '2023级汽修1班',
        phone: null,
        enterprise: '示范市某汽车服务有限公司',
        category: 'award',
        sub_kind: '进步之星',
        status: 'open',
      },
      {
        natural_key: 'student:2025级机电1班:何同学',
        kind: 'student-family',
        name: '何同学',
        class_name: '2025级机电1班',
        phone: '13900000002',
        enterprise: null,
        category: 'teach',
        sub_kind: null,
        status: 'open',
      },
    ]);

    expect(holders(db)).toEqual({
      'dorm:7号楼/301': ['张老师', '陈老师'],
      'dorm:7号楼/302': ['王书记'],
      'dorm:5号楼/101': ['赵老师'],
      'zone:教学楼A栋': ['李干部'],
      'target:刘同学': ['张老师'],
      'target:黄同学': ['周老师'],
    });
    db.$client.close();
  });

  it('imports the generated demo roster for both presets', async () => {
    for (const preset of ['wei-xingdong', 'san-da-yi-shigan']) {
      const { db, def } = await campaignDb(preset);
      const roster = generateDemoRoster(def);
      const file = path.join(tmpDir(), `demo-${preset}.xlsx`);
      await writeRosterWorkbook(file, roster);
      const { report, text } = await importFile(db, def, file);
      expect(report.problems, text).toEqual([]);
      const n = counts(db);
      expect(n).toMatchObject({
        school_classes: roster.classes.length,
        people: roster.members.length,
        dorms: roster.dorms.length,
        zones: roster.zones.length,
        targets: roster.targets.length,
      });
      const claimed = roster.targets.filter((t) => t.visitor).length;
      const dormTeachers = roster.dorms.reduce((s, d) => s + (d.teachers ? d.teachers.split('、').length : 0), 0);
      expect(n.assignments).toBe(dormTeachers + roster.zones.length + claimed);
      if (preset === 'wei-xingdong') expect(roster.dorms).toHaveLength(35);
      db.$client.close();
    }
  });

  it('reports every bad row with file, sheet, row, column and header, and changes nothing', async () => {
    const { db, def } = await campaignDb();
    const dir = tmpDir();
    const good = path.join(dir, 'good.xlsx');
    await writeValidWorkbook(good);
    await importFile(db, def, good);
    const before = dump(db);

    const bad = path.join(dir, 'bad.xlsx');
    const expected = await writeBadWorkbook(bad);
    const { report, text } = await importFile(db, def, bad, { now: T1 });
    expect(report.applied).toBe(false);
    expect(report.result).toBeUndefined();
    expect(report.problems).toHaveLength(expected.length);
    const lines = text.split('\n');
    expect(lines).toContain(`✗ 发现 ${expected.length} 处问题，未做任何修改。请改正后重新导入 / ${expected.length} problem(s); nothing was changed:`);
    for (const p of expected) {
      const line = lines.find((l) => l.startsWith(`  - ${problemLine(bad, p)}`));
      expect(line, `${p.sheet} row ${p.row} ${p.column}: ${p.reason}\n${text}`).toBeDefined();
      expect(line).toContain(p.reason);
    }
    // A problem report is only problems: no tallies, no account matching.
    expect(text).not.toContain('已导入');
    expect(text).not.toContain('飞书账号');
    expect(dump(db)).toEqual(before);

    // On an empty campaign too: nothing from the file's valid rows is stored.
    const fresh = await campaignDb();
    const emptyBefore = dump(fresh.db);
    const again = await importFile(fresh.db, fresh.def, bad);
    expect(again.report.problems.length).toBeGreaterThan(0);
    expect(dump(fresh.db)).toEqual(emptyBefore);
    expect(counts(fresh.db)).toEqual({ school_classes: 0, people: 0, dorms: 0, zones: 0, targets: 0, assignments: 0 });
    db.$client.close();
    fresh.db.$client.close();
  });

  it('re-importing the same file changes nothing, not even a timestamp', async () => {
    const { db, def } = await campaignDb();
    const file = path.join(tmpDir(), 'good.xlsx');
    await writeValidWorkbook(file);
    await importFile(db, def, file);
    const before = dump(db);

    const { text } = await importFile(db, def, file, { now: T1 });
    for (const [title, n] of [
      ['班级', 3],
      ['成员', 9],
      ['宿舍', 3],
      ['责任区', 1],
      ['走访对象', 3],
    ] as const) {
      expect(text).toContain(`  ${title}：新增 0，更新 0，未变 ${n}`);
    }
    expect(text).toContain('  分配 / assignments：新增 0，结束 0');
    expect(dump(db)).toEqual(before);
    expect(counts(db).assignments).toBe(VALID_ASSIGNMENTS);
    db.$client.close();
  });

  it('a changed dorm ends the old teacher’s assignment and starts the new one, keeping the history', async () => {
    const { db, def } = await campaignDb();
    const dir = tmpDir();
    const first = path.join(dir, 'v1.xlsx');
    const second = path.join(dir, 'v2.xlsx');
    await writeValidWorkbook(first);
    await writeValidWorkbook(second, (rows) => {
      rows.dorms[0]!.teachers = '张老师、郑老师';
      rows.targets[2]!.parentName = '何先生';
    });
    await importFile(db, def, first);
    const { report, text } = await importFile(db, def, second, { now: T1 });
    expect(report.problems).toEqual([]);
    expect(text).toContain('  走访对象：新增 0，更新 1，未变 2');
    expect(text).toContain('  分配 / assignments：新增 1，结束 1');

    const history = rowsOf(
      db,
      `SELECT p.name, a.started_at, a.ended_at, a.end_reason FROM assignments a JOIN people p ON p.id = a.person_id
        JOIN dorms d ON a.subject_type = 'dorm' AND d.id = a.subject_id WHERE d.room = '301' ORDER BY a.id`,
    );
    expect(history).toEqual([
      { name: '张老师', started_at: T0.getTime(), ended_at: null, end_reason: null },
      { name: '陈老师', started_at: T0.getTime(), ended_at: T1.getTime(), end_reason: '名单导入调整' },
      { name: '郑老师', started_at: T1.getTime(), ended_at: null, end_reason: null },
    ]);
    expect(holders(db)['dorm:7号楼/301']).toEqual(['张老师', '郑老师']);
    expect(rowsOf(db, `SELECT parent_name, updated_at FROM targets WHERE name = '何同学'`)).toEqual([{ parent_name: '何先生', updated_at: T1.getTime() }]);
    db.$client.close();
  });

  it('a dry run checks the file and changes nothing', async () => {
    const { db, def } = await campaignDb();
    const dir = tmpDir();
    const file = path.join(dir, 'good.xlsx');
    await writeValidWorkbook(file);
    const before = dump(db);
    const { report, text } = await importFile(db, def, file, { dryRun: true });
    expect(report.applied).toBe(false);
    expect(text.split('\n')).toContain('✓ 检查通过（演练模式，未做任何修改）/ dry run passed: nothing was changed');
    expect(text).not.toContain('新增');
    expect(dump(db)).toEqual(before);

    // A dry run of a bad file lists the same problems as a real import would.
    const bad = path.join(dir, 'bad.xlsx');
    const expected = await writeBadWorkbook(bad);
    const dry = await importFile(db, def, bad, { dryRun: true });
    expect(dry.report.problems).toHaveLength(expected.length);
    expect(dry.text).toContain('未做任何修改');
    expect(dump(db)).toEqual(before);
    db.$client.close();
  });
});

describe('what Excel does to typed cells', () => {
  it('reads numbers, booleans, formulas and (rich-text) email hyperlinks as the text the secretary sees', async () => {
    const file = path.join(tmpDir(), 'typed.xlsx');
    const wb = new ExcelJS.Workbook();
    const classes = wb.addWorksheet('班级');
    classes.addRow(['班级', '年级', '学生人数', '是否实习']);
    classes.addRow(['2023级汽修1班', 3, { formula: '30+5', result: 35 }, true]);
    const members = wb.addWorksheet('成员');
    members.addRow(['姓名', '手机号', '邮箱', '角色']);
    // A General column turns a typed mobile into a number; Excel links a typed email.
    members.addRow(['甲老师', 13800138021, { text: 'Jia@School.Example', hyperlink: 'mailto:Jia@School.Example' }, '党员教师']);
    members.addRow([
      '乙老师',
      13800138022,
      { text: { richText: [{ text: 'yi@' }, { font: { bold: true }, text: 'school.example' }] }, hyperlink: 'mailto:yi@school.example' } as never,
      '党员教师',
    ]);
    await wb.xlsx.writeFile(file);

    const { db, def } = await campaignDb();
    const { report, text } = await importFile(db, def, file);
    expect(report.problems, text).toEqual([]);
    expect(rowsOf(db, 'SELECT name, grade, student_count, interning FROM school_classes')).toEqual([
      { name: '2023级汽修1班', grade: 3, student_count: 35, interning: 1 },
    ]);
    expect(rowsOf(db, 'SELECT name, mobile, email FROM people ORDER BY id')).toEqual([
      { name: '甲老师', mobile: '13800138021', email: 'jia@school.example' },
      { name: '乙老师', mobile: '13800138022', email: 'yi@school.example' },
    ]);
    db.$client.close();
  });
});

describe('members already stored', () => {
  const members = (rows: Array<Record<string, string>>, file = 'members.xlsx') => [sheetFromValues('members', rows, file)];

  it('a later list without emails keeps the stored ones', async () => {
    const { db, def } = await campaignDb();
    await importRoster(members([{ name: '张老师', mobile: '13800138002', email: 'zhang@school.example', roles: '党员教师' }]), { db, campaign: def, now: T0 });
    const r = await importRoster(members([{ name: '张老师', mobile: '13800138002', roles: '党员教师' }]), { db, campaign: def, now: T1 });
    expect(formatImportReport(r, 'members.xlsx')).toContain('  成员：新增 0，更新 0，未变 1');
    expect(rowsOf(db, 'SELECT mobile, email FROM people')).toEqual([{ mobile: '13800138002', email: 'zhang@school.example' }]);
    db.$client.close();
  });

  it('a later list with blank roles, department and classes keeps them, so the admin is never demoted by accident', async () => {
    const { db, def } = await campaignDb();
    await importRoster(members([{ name: '王书记', mobile: '13800138000', roles: '管理员、党员教师', department: '党支部' }]), { db, campaign: def, now: T0 });
    const r = await importRoster(members([{ name: '王书记', mobile: '13800138000' }]), { db, campaign: def, now: T1 });
    expect(formatImportReport(r, 'members.xlsx')).toContain('  成员：新增 0，更新 0，未变 1');
    expect(rowsOf(db, 'SELECT roles, department FROM people')).toEqual([{ roles: '["admin","party-teacher"]', department: '党支部' }]);
    db.$client.close();
  });

  it('a row with one stored person’s mobile and another’s email is a row problem, and nothing changes', async () => {
    const { db, def } = await campaignDb();
    await importRoster(
      members([
        { name: '张老师', mobile: '13800138002', email: 'zhang@school.example', roles: '党员教师' },
        { name: '李老师', mobile: '13800138003', email: 'li@school.example', roles: '党员教师' },
      ]),
      { db, campaign: def, now: T0 },
    );
    const before = dump(db);
    const r = await importRoster(members([{ name: '张老师', mobile: '13800138002', email: 'li@school.example', roles: '党员教师' }]), {
      db,
      campaign: def,
      now: T1,
    });
    expect(formatImportReport(r, 'members.xlsx')).toContain(
      'members.xlsx › 成员 › 第 2 行 › C 列「邮箱」：手机号是已登记的 张老师 的，邮箱是已登记的 李老师 的，请核对 / the mobile and the email belong to two different people',
    );
    expect(dump(db)).toEqual(before);
    db.$client.close();
  });
});

describe('members as CSV', () => {
  const CSV = [
    '姓名,手机号,邮箱,角色,部门',
    '王书记,13800138000,,管理员、党员教师,党支部',
    '李干部, 13800138001 ,,党员干部、党员教师,学生处',
    '周老师,,zhou@school.example,党员教师,',
  ].join('\r\n');

  it('reads UTF-8 (with BOM) and GB18030 files alike', async () => {
    const dir = tmpDir();
    const utf8 = path.join(dir, '成员.csv');
    fs.writeFileSync(utf8, `\uFEFF${CSV}\r\n`);
    const gbFile = path.join(dir, 'excel-export.csv');
    const gb = encodeGb18030(`${CSV}\r\n`);
    // Really not UTF-8: the reader must fall back to GB18030.
    expect(() => new TextDecoder('utf-8', { fatal: true }).decode(gb)).toThrow();
    fs.writeFileSync(gbFile, gb);

    const { db, def } = await campaignDb();
    // The kind comes from the file name (成员.csv) or is given (--kind members).
    const first = await importRoster(await readRosterFile(utf8), { db, campaign: def, now: T0 });
    const text1 = formatImportReport(first, utf8);
    expect(text1).toContain('成员 3 行');
    expect(text1).toContain('  成员：新增 3，更新 0，未变 0');
    const stored = rowsOf(db, 'SELECT name, mobile, email, roles, department FROM people ORDER BY id');
    expect(stored).toEqual([
      { name: '王书记', mobile: '13800138000', email: null, roles: '["admin","party-teacher"]', department: '党支部' },
      { name: '李干部', mobile: '13800138001', email: null, roles: '["cadre","party-teacher"]', department: '学生处' },
      { name: '周老师', mobile: null, email: 'zhou@school.example', roles: '["party-teacher"]', department: null },
    ]);

    // The GB18030 export of the same list is the same people: nothing new, nothing changed.
    const second = await importRoster(await readRosterFile(gbFile, 'members'), { db, campaign: def, now: T1 });
    expect(second.problems).toEqual([]);
    expect(formatImportReport(second, gbFile)).toContain('  成员：新增 0，更新 0，未变 3');
    expect(rowsOf(db, 'SELECT name, mobile, email, roles, department FROM people ORDER BY id')).toEqual(stored);

    // And into an empty campaign, the GB18030 file alone yields the same rows.
    const other = await campaignDb();
    const r = await importRoster(await readRosterFile(gbFile, 'members'), { db: other.db, campaign: other.def, now: T0 });
    expect(r.applied).toBe(true);
    expect(rowsOf(other.db, 'SELECT name, mobile, email, roles, department FROM people ORDER BY id')).toEqual(stored);
    db.$client.close();
    other.db.$client.close();
  });
});

describe('matching Feishu accounts through the real SDK against the stand-in', () => {
  const credentials = { appId: 'cli_a1b2c3d4e5f60718', appSecret: 'stand-in-secret', encryptKey: 'stand-in-encrypt-key', verificationToken: 'stand-in-token' };
  let standIn: FeishuStandIn;
  beforeAll(async () => {
    standIn = new FeishuStandIn(credentials);
    await standIn.start();
  });
  afterAll(async () => {
    await standIn?.stop();
  });

  it('stores the open_ids found by mobile (in batches of 50) and by email, and names whoever is not found', async () => {
    const rows = validRoster();
    // 111 more teachers: 119 mobiles in all, so the lookup needs three calls of at most 50.
    for (let i = 1; i <= 111; i++)
      rows.members.push({ name: `教师${String(i).padStart(3, '0')}`, mobile: `1990000${String(i).padStart(4, '0')}`, roles: '教师' });
    const openIdOf = (name: string) => `ou_${Buffer.from(name).toString('hex').padEnd(32, '0').slice(0, 32)}`;
    // The tenant's directory, as Feishu keeps it: mainland numbers with +86. 孙老师 is not in it;
    // 周老师 is found by email only.
    const tenant: Record<string, string> = {
      王书记: '+8613800138000',
      李干部: '+8613800138001',
      张老师: '+8613800138002',
      陈老师: '+8613800138003',
      赵老师: '+8613800138004',
      吴主任: '+8613800138006',
      郑老师: '+8613800138007',
    };
    for (let i = 1; i <= 111; i++) tenant[`教师${String(i).padStart(3, '0')}`] = `+861990000${String(i).padStart(4, '0')}`;
    for (const [name, mobile] of Object.entries(tenant)) standIn.addUser({ openId: openIdOf(name), name, mobile });
    standIn.addUser({ openId: openIdOf('周老师'), name: '周老师', email: 'zhou.li@school.example' });

    const api = new FeishuApi({ appId: credentials.appId, appSecret: credentials.appSecret, baseUrl: standIn.baseUrl, logger: createLogger('silent') });
    const calls: Array<{ mobiles: number; emails: number }> = [];
    const lookup = (q: { mobiles?: string[]; emails?: string[] }) => {
      calls.push({ mobiles: q.mobiles?.length ?? 0, emails: q.emails?.length ?? 0 });
      return api.openIdsByContact(q);
    };

    const { db, def } = await campaignDb();
    const file = path.join(tmpDir(), 'members.xlsx');
    await writeRosterWorkbook(file, rows);
    const { report, text } = await importFile(db, def, file, { lookup });
    expect(report.problems).toEqual([]);
    expect(calls).toEqual([
      { mobiles: 50, emails: 0 },
      { mobiles: 50, emails: 0 },
      { mobiles: 19, emails: 0 },
      { mobiles: 0, emails: 1 },
    ]);

    const lines = text.split('\n');
    expect(lines).toContain('飞书账号 / accounts：已匹配 119 人，未匹配 1 人：');
    expect(lines.find((l) => l.startsWith('  - 孙老师'))).toBe(
      '  - 孙老师（手机 138****8005）：飞书通讯录中找不到（请核对号码或邮箱，或确认此人已加入企业且在应用的通讯录权限范围内）',
    );
    // Group-safe: the report never prints a whole mobile.
    expect(text).not.toContain('13800138005');

    const people = rowsOf(db, 'SELECT name, open_id FROM people ORDER BY id');
    expect(people).toHaveLength(120);
    for (const p of people) expect(p.open_id, p.name).toBe(p.name === '孙老师' ? null : openIdOf(p.name));

    // Next time only the unmatched one is looked up again; once added to the tenant, they are matched.
    standIn.addUser({ openId: openIdOf('孙老师'), name: '孙老师', mobile: '+8613800138005' });
    calls.length = 0;
    const again = await importFile(db, def, file, { lookup, now: T1 });
    expect(calls).toEqual([{ mobiles: 1, emails: 0 }]);
    expect(again.text).toContain('飞书账号 / accounts：已匹配 120 人，未匹配 0 人');
    expect(again.text).toContain('  成员：新增 0，更新 1，未变 119');
    expect(rowsOf(db, `SELECT open_id FROM people WHERE name = '孙老师'`)).toEqual([{ open_id: openIdOf('孙老师') }]);
    db.$client.close();
  });
});

describe('a large targets workbook', () => {
  it('imports 10,000 targets completely', async () => {
    const { db, def } = await campaignDb('san-da-yi-shigan');
    const classes = Array.from({ length: 50 }, (_, i) => ({
      name: `${['一', '二', '三', '四', '五', '六'][i % 6]}年级（${Math.floor(i / 6) + 1}）班`,
      grade: String((i % 6) + 1),
    }));
    const targets = classes.flatMap((c, ci) =>
      Array.from({ length: 200 }, (_, i) => ({
        kind: '学生家庭（家访）',
        name: `学生${ci}-${i}`,
        className: c.name,
        phone: `1990001${String((ci * 200 + i) % 10_000).padStart(4, '0')}`,
      })),
    );
    const file = path.join(tmpDir(), 'targets.xlsx');
    await writeRosterWorkbook(file, { classes, targets });
    const { report, text } = await importFile(db, def, file);
    expect(report.problems).toEqual([]);
    expect(text).toContain('走访对象 10000 行');
    expect(text).toContain('  走访对象：新增 10000，更新 0，未变 0');
    expect(counts(db)).toMatchObject({ school_classes: 50, targets: 10_000, assignments: 0 });
    db.$client.close();
  });
});

describe('sheets and cells the import cannot take', () => {
  /** The valid workbook with one sheet renamed, as a secretary might. */
  async function withSheetRenamed(from: string, to: string): Promise<string> {
    const file = path.join(tmpDir(), '名单.xlsx');
    await writeValidWorkbook(file);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(file);
    wb.getWorksheet(from)!.name = to;
    await wb.xlsx.writeFile(file);
    return file;
  }

  it('a renamed sheet is refused by name, with the names it should have, and nothing is read', async () => {
    const file = await withSheetRenamed('走访对象', '学生走访名单');
    const err = await readRosterFile(file).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain('无法识别的工作表：「学生走访名单」，未导入任何内容');
    expect((err as Error).message).toContain('工作表应命名为：班级、成员、宿舍、责任区、走访对象');
  });

  it('a blank sheet Excel added is ignored, and a known sheet with no rows is reported as skipped', async () => {
    const file = path.join(tmpDir(), '名单.xlsx');
    await writeRosterWorkbook(file, { classes: validRoster().classes, targets: [] });
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(file);
    wb.addWorksheet('Sheet1');
    await wb.xlsx.writeFile(file);
    const { db, def } = await campaignDb();
    const { report, text } = await importFile(db, def, file);
    expect(report.problems).toEqual([]);
    expect(text).toContain('  班级：新增 3，更新 0，未变 0');
    expect(text).toContain('「走访对象」表没有数据行，已跳过');
    db.$client.close();
  });

  it('a cell longer than its column allows is refused with the limit, and nothing is stored', async () => {
    const rows = validRoster();
    rows.members[1]!.name = '王'.repeat(10_000);
    rows.targets[0]!.address = '某'.repeat(SHEETS.targets.columns.find((c) => c.key === 'address')!.maxLength + 1);
    const file = path.join(tmpDir(), '名单.xlsx');
    await writeRosterWorkbook(file, rows);
    const { db, def } = await campaignDb();
    const before = dump(db);
    const { report, text } = await importFile(db, def, file);
    expect(report.applied).toBe(false);
    expect(text).toMatch(/成员 › 第 3 行 › A 列「姓名」：内容过长（10000 字），此列最多 30 字/);
    expect(text).toMatch(/走访对象 › 第 2 行 › F 列「家庭住址」：内容过长（201 字），此列最多 200 字/);
    // The rest of the long cell is never echoed back.
    expect(text).not.toContain('王'.repeat(31));
    expect(dump(db)).toEqual(before);
    db.$client.close();
  });
});

describe('templates (zoufang template <kind>)', () => {
  it('writes a documented members template that imports as nothing', async () => {
    const dir = tmpDir();
    const file = path.join(dir, '成员模板.xlsx');
    await writeTemplate(file, 'members');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(file);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['成员', '填写说明']);
    const headers = (wb.getWorksheet('成员')!.getRow(1).values as unknown[]).slice(1);
    expect(headers).toEqual(SHEETS.members.columns.map((c) => c.header));
    expect(wb.getWorksheet('成员')!.rowCount).toBe(1);
    const help = wb.getWorksheet('填写说明')!;
    const helpRows = help
      .getSheetValues()
      .filter(Boolean)
      .map((r) => (r as unknown[]).slice(1));
    expect(helpRows).toContainEqual(['成员', '姓名', '是', '真实姓名', 30, '王老师']);
    expect(helpRows).toContainEqual(['成员', '手机号', '', SHEETS.members.columns[1]!.doc, 20, '13800000000']);

    const { db, def } = await campaignDb();
    const before = dump(db);
    const { report, text } = await importFile(db, def, file);
    expect(report.problems).toEqual([]);
    expect(text).toContain('  成员：新增 0，更新 0，未变 0');
    expect(dump(db)).toEqual(before);

    // The all-kinds template too.
    const all = path.join(dir, '名单模板.xlsx');
    await writeTemplate(all, 'all');
    const r = await importFile(db, def, all);
    expect(r.report.problems).toEqual([]);
    expect(r.text).toContain('班级 0 行，成员 0 行，宿舍 0 行，责任区 0 行，走访对象 0 行');
    expect(dump(db)).toEqual(before);
    db.$client.close();
  });
});
