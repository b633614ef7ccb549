import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { openDatabase, type Db } from '../../src/db/index.js';
import { CampaignRepo } from '../../src/db/repos.js';
import type { CampaignDefinition } from '../../src/domain/campaign.js';
import { presetDefinition } from '../../src/domain/presets.js';
import type { SheetKind } from '../../src/roster/sheets.js';
import { writeRosterWorkbook, type WorkbookRows } from '../../src/roster/template.js';

/**
 * Rosters as a school secretary types them, for the import tests: a small valid
 * one (with full-width digits, ideographic spaces and stray blanks that must be
 * accepted), and a bad one with a dozen kinds of mistakes, each expected to be
 * reported at its row and column. Own temp helpers, so these tests do not load the bot.
 */

export const tmpDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'zoufang-roster-'));
export const tmpDbFile = () => path.join(tmpDir(), 'zoufang.db');

/** A fresh SQLite file with the preset's campaign saved, as `campaign init` leaves it. */
export async function campaignDb(preset = 'wei-xingdong', year = 2026): Promise<{ db: Db; def: CampaignDefinition; file: string }> {
  const file = tmpDbFile();
  const db = openDatabase(file);
  const def = presetDefinition(preset, { year });
  await new CampaignRepo(db).save(def);
  return { db, def, file };
}

export const ROSTER_TABLES = ['school_classes', 'people', 'dorms', 'zones', 'targets', 'assignments'] as const;

/** Every row of every roster table (and the campaign), in id order: equal dumps mean equal content. */
export function dump(db: Db): Record<string, unknown[]> {
  return Object.fromEntries(['campaigns', ...ROSTER_TABLES].map((t) => [t, db.$client.prepare(`SELECT * FROM ${t} ORDER BY rowid`).all()]));
}

export function counts(db: Db): Record<string, number> {
  return Object.fromEntries(ROSTER_TABLES.map((t) => [t, (db.$client.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n]));
}

type Rows = Record<SheetKind, Array<Record<string, string>>>;

/**
 * The valid roster for the 微行动 preset. Messy on purpose: a full-width mobile,
 * a class name wrapped in ideographic spaces, full-width digits in a class reference,
 * a mobile with +86 and blanks, an email in capitals with spaces around it.
 */
export function validRoster(): Rows {
  return {
    classes: [
      { name: '2025级机电1班', grade: '1', studentCount: '40', interning: '否' },
      { name: '\u30002024级机电1班 ', grade: '２', studentCount: '38', interning: '' },
      { name: '2023级汽修1班', grade: '3', studentCount: '35', interning: '是' },
    ],
    members: [
      { name: ' 王书记 ', mobile: '１３８００１３８０００', roles: '管理员 、 党员教师', department: '党支部' },
      { name: '李干部', mobile: '13800138001', roles: '党员干部、党员教师', department: '学生处' },
      { name: '张老师', mobile: '138 0013 8002', roles: '党员教师', classesTaught: '２０２４级机电１班、2025级机电1班' },
      { name: '陈老师', mobile: '13800138003', roles: '党员教师' },
      { name: '赵老师', mobile: '+86 138 0013 8004', roles: '党员教师' },
      { name: '周老师', email: ' Zhou.Li@School.Example ', roles: '党员教师' },
      { name: '孙老师', mobile: '13800138005', roles: '教师', classLed: '2025级机电1班' },
      { name: '吴主任', mobile: '13800138006', roles: '推荐人', department: '学生处' },
      { name: '郑老师', mobile: '13800138007', roles: '党员教师' },
    ],
    dorms: [
      {
        building: '7号楼',
        room: '301',
        headName: '刘同学',
        headClass: '2024级机电1班',
        headcount: '6',
        members: '刘同学（2024级机电1班）、马同学（2025级机电1班）',
        teachers: '张老师、陈老师',
      },
      { building: '７号楼 ', room: '302', teachers: '王书记' },
      { building: '5号楼', room: '101', teachers: '赵老师' },
    ],
    zones: [{ name: '教学楼A栋', owner: '李干部', linkedClass: '2025级机电1班' }],
    targets: [
      {
        kind: '学生家庭',
        name: '刘同学',
        className: '2024级机电1班',
        parentName: '刘先生',
        phone: '139-0000-0001',
        address: '示范市黄埔区和平路1号',
        category: '送爱上门',
        subKind: '留守学生',
        reason: '父母在外务工',
        visitor: '张老师',
      },
      {
        kind: '实习企业',
        name: '黄同学',
        className: '2023级汽修1班',
        enterprise: '示范市某汽车服务有限公司',
        category: '送奖上门',
        subKind: '进步之星',
        visitor: '周老师',
      },
      { kind: '学生家庭', name: '何同学', className: '２０２５级机电１班', phone: '１３９０００００００２', category: '送教上门' },
    ],
  };
}

/** Assignments the valid roster creates: dorm teachers 2 + 1 + 1, one zone owner, two visitors. */
export const VALID_ASSIGNMENTS = 7;

export interface ExpectedProblem {
  sheet: string;
  row: number;
  column: string;
  header: string;
  /** A distinctive part of the reason. */
  reason: string;
}

/**
 * The valid roster plus bad rows, and where each problem must be reported. The
 * valid part also changes a parent's name, which must not be stored either.
 */
export function badRoster(): { rows: Rows; expected: ExpectedProblem[]; dateCell: { sheet: string; row: number; column: string } } {
  const rows = validRoster();
  rows.targets[0]!.parentName = '刘女士';
  const expected: ExpectedProblem[] = [];
  const add = (kind: SheetKind, sheet: string, values: Record<string, string>, column: string, header: string, reason: string) => {
    rows[kind].push(values);
    expected.push({ sheet, row: rows[kind].length + 1, column, header, reason });
  };
  // 成员: A 姓名, B 手机号, C 邮箱, D 角色, E 部门, F 任教班级, G 班主任班级
  add('members', '成员', { name: '', mobile: '13800138010', roles: '党员教师' }, 'A', '姓名', '缺少姓名');
  add('members', '成员', { name: '钱老师', mobile: '1380013', roles: '党员教师' }, 'B', '手机号', '“1380013” 不是有效的手机号');
  add('members', '成员', { name: '冯老师', mobile: '13800138001', roles: '党员教师' }, 'B', '手机号', '手机号与第 3 行重复');
  add('members', '成员', { name: '褚老师', mobile: '13800138011', roles: '校长大人' }, 'D', '角色', '未知角色“校长大人”');
  add(
    'members',
    '成员',
    { name: '卫老师', mobile: '13800138012', roles: '党员教师', classesTaught: '2099级火箭1班' },
    'F',
    '任教班级',
    '未登记的班级“2099级火箭1班”',
  );
  // 宿舍: A 楼栋, B 房号, … G 关爱教师
  add('dorms', '宿舍', { building: '5号楼', room: '102', teachers: '赵老师、郑老师' }, 'G', '关爱教师', '5号楼每间宿舍配 1 位关爱教师，这里填了 2 位');
  add('dorms', '宿舍', { building: '7号楼', room: '303', teachers: '王书记、陈老师、郑老师' }, 'G', '关爱教师', '7号楼每间宿舍配 2 位关爱教师，这里填了 3 位');
  add('dorms', '宿舍', { building: '9号楼', room: '101', teachers: '郑老师' }, 'A', '楼栋', '活动配置中没有楼栋“9号楼”');
  // The room cell is replaced by a real date after writing (see writeBadWorkbook).
  add('dorms', '宿舍', { building: '7号楼', room: 'DATE', teachers: '郑老师' }, 'B', '房号', '单元格被 Excel 当成了日期（2026-03-01）');
  const dateCell = { sheet: '宿舍', row: rows.dorms.length + 1, column: 'B' };
  // 走访对象: A 对象类型, B 姓名, C 班级, … G 实习企业, H 类别, I 细类, … L 走访教师
  add(
    'targets',
    '走访对象',
    { kind: '学生家庭', name: '刘同学', className: '2024级机电1班', category: '送爱上门' },
    'B',
    '姓名',
    '学生 刘同学（2024级机电1班） 重复，已在第 2 行',
  );
  add(
    'targets',
    '走访对象',
    { kind: '学生家庭', name: '吕同学', className: '2025级机电1班', category: '送温暖上门' },
    'H',
    '类别',
    '类别“送温暖上门”不在本活动中',
  );
  add(
    'targets',
    '走访对象',
    { kind: '学生家庭', name: '施同学', className: '2025级机电1班', category: '送奖上门', subKind: '留守学生' },
    'I',
    '细类',
    '“留守学生”不是送奖上门的细类',
  );
  add('targets', '走访对象', { kind: '实习企业', name: '张同学', className: '2023级汽修1班', category: '送奖上门' }, 'G', '实习企业', '实习企业须填写实习企业');
  add(
    'targets',
    '走访对象',
    { kind: '学生家庭', name: '孔同学', className: '2025级机电1班', category: '送教上门', visitor: '孙老师' },
    'L',
    '走访教师',
    '孙老师 不是党员教师',
  );
  add(
    'targets',
    '走访对象',
    { kind: '学生家庭', name: '严同学', className: '2024级机电9班', category: '送教上门' },
    'C',
    '班级',
    '未登记的班级“2024级机电9班”',
  );
  add(
    'targets',
    '走访对象',
    { kind: '学生家庭', name: '华同学', className: '2023级汽修1班', category: '送爱上门' },
    'A',
    '对象类型',
    '2023级汽修1班在企业实习',
  );
  // Eleven targets for one teacher whose quota is ten: every one of them is reported.
  for (let i = 1; i <= 11; i++) {
    add(
      'targets',
      '走访对象',
      { kind: '学生家庭', name: `学生${String(i).padStart(2, '0')}`, className: '2025级机电1班', category: '送奖上门', visitor: '陈老师' },
      'L',
      '走访教师',
      '陈老师 将有 11 位走访对象，超过每人 10 位的认领上限',
    );
  }
  return { rows, expected, dateCell };
}

/** Writes the bad roster, then turns one room cell into a real Excel date, as Excel does to "3-01". */
export async function writeBadWorkbook(file: string): Promise<ExpectedProblem[]> {
  const { rows, expected, dateCell } = badRoster();
  await writeRosterWorkbook(file, rows);
  await patchWorkbook(file, (wb) => {
    const cell = wb.getWorksheet(dateCell.sheet)!.getCell(`${dateCell.column}${dateCell.row}`);
    cell.value = new Date(Date.UTC(2026, 2, 1));
    cell.numFmt = 'm-d';
  });
  return expected;
}

export async function patchWorkbook(file: string, fn: (wb: ExcelJS.Workbook) => void): Promise<void> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(file);
  fn(wb);
  await wb.xlsx.writeFile(file);
}

export const writeValidWorkbook = (file: string, change?: (rows: Rows) => void): Promise<void> => {
  const rows = validRoster();
  change?.(rows);
  return writeRosterWorkbook(file, rows as WorkbookRows);
};

/** How a problem line reads in the report. */
export const problemLine = (file: string, p: ExpectedProblem) => `${path.basename(file)} › ${p.sheet} › 第 ${p.row} 行 › ${p.column} 列「${p.header}」：`;

/**
 * GB18030 bytes for text, by inverting Node's decoder over the two-byte range
 * (Node cannot encode GB18030 itself). Enough for the Chinese in a roster header and rows.
 */
let gbTable: Map<string, number[]> | undefined;
export function encodeGb18030(text: string): Buffer {
  if (!gbTable) {
    gbTable = new Map();
    const dec = new TextDecoder('gb18030');
    for (let lead = 0x81; lead <= 0xfe; lead++) {
      for (let trail = 0x40; trail <= 0xfe; trail++) {
        if (trail === 0x7f) continue;
        const ch = dec.decode(Uint8Array.of(lead, trail));
        if (ch.length === 1 && ch !== '\uFFFD' && !gbTable.has(ch)) gbTable.set(ch, [lead, trail]);
      }
    }
  }
  const out: number[] = [];
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (code < 0x80) out.push(code);
    else {
      const bytes = gbTable.get(ch);
      if (!bytes) throw new Error(`no two-byte GB18030 code for ${ch}`);
      out.push(...bytes);
    }
  }
  return Buffer.from(out);
}
