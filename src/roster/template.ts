import ExcelJS from 'exceljs';
import { SHEETS, SHEET_KINDS, type SheetKind } from './sheets.js';

/**
 * Writes roster workbooks: empty templates that document themselves (a header
 * row with notes, plus a 填写说明 sheet with one sample row per kind), and
 * filled workbooks (the demo roster). Every column is formatted as text, so
 * Excel leaves rooms like 3-01 and long mobile numbers alone.
 */

const SAMPLES: Record<SheetKind, Record<string, string>> = {
  classes: { name: '2025级机电1班', grade: '2', studentCount: '42', interning: '否' },
  members: {
    name: '王老师',
    mobile: '13800000000',
    email: 'wang@school.example',
    roles: '党员教师、党员干部',
    department: '学生处',
    classesTaught: '2025级机电1班、2025级机电2班',
    classLed: '2025级机电1班',
    classDeputy: '',
  },
  dorms: {
    building: '7号楼',
    room: '301',
    headName: '李同学',
    headClass: '2025级机电1班',
    headcount: '8',
    members: '李同学（2025级机电1班）、赵同学（2025级机电1班）',
    teachers: '王老师、陈老师',
  },
  zones: { name: '教学楼A栋一至三楼', owner: '王老师', linkedClass: '2025级机电1班' },
  targets: {
    kind: '学生家庭',
    name: '李同学',
    className: '2025级机电1班',
    parentName: '李先生',
    phone: '13900000000',
    address: '某区某路1号',
    enterprise: '',
    category: '送奖上门',
    subKind: '进步之星',
    reason: '本月进步之星',
    note: '',
    visitor: '',
  },
};

export type WorkbookRows = Partial<Record<SheetKind, Array<Record<string, string>>>>;

function addDataSheet(wb: ExcelJS.Workbook, kind: SheetKind, rows: Array<Record<string, string>>): void {
  const spec = SHEETS[kind];
  const ws = wb.addWorksheet(spec.title, { views: [{ state: 'frozen', ySplit: 1 }] });
  ws.columns = spec.columns.map((c) => ({ header: c.header, key: c.key, width: Math.max(12, c.header.length * 4), style: { numFmt: '@' } }));
  const header = ws.getRow(1);
  header.font = { bold: true };
  spec.columns.forEach((c, i) => {
    const cell = header.getCell(i + 1);
    if (c.required) cell.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFFDE9D9' } };
    cell.note = `${c.required ? '必填。' : ''}${c.doc}${c.doc ? '；' : ''}最多 ${c.maxLength} 字`;
  });
  for (const r of rows) ws.addRow(r);
}

export async function writeRosterWorkbook(file: string, rows: WorkbookRows): Promise<void> {
  const wb = new ExcelJS.Workbook();
  for (const kind of SHEET_KINDS) if (rows[kind]) addDataSheet(wb, kind, rows[kind]!);
  await wb.xlsx.writeFile(file);
}

/** An empty template for one kind (or all), with a 填写说明 sheet that explains each column and shows a sample. */
export async function writeTemplate(file: string, kind: SheetKind | 'all'): Promise<void> {
  const kinds = kind === 'all' ? [...SHEET_KINDS] : [kind];
  const wb = new ExcelJS.Workbook();
  for (const k of kinds) addDataSheet(wb, k, []);
  const help = wb.addWorksheet('填写说明');
  help.columns = [
    { header: '表', width: 10 },
    { header: '列', width: 14 },
    { header: '必填', width: 6 },
    { header: '说明', width: 60 },
    { header: '最多字数', width: 8 },
    { header: '示例', width: 36 },
  ];
  help.getRow(1).font = { bold: true };
  for (const k of kinds) {
    help.addRow([SHEETS[k].title, '', '', SHEETS[k].doc, '', '']).font = { italic: true };
    for (const c of SHEETS[k].columns) help.addRow([SHEETS[k].title, c.header, c.required ? '是' : '', c.doc, c.maxLength, SAMPLES[k][c.key] ?? '']);
  }
  help.addRow([]);
  help.addRow(['', '', '', '导入：zoufang import <文件> [--dry-run]；同一文件重复导入不会产生重复数据；有任何错误时不做任何修改。']);
  await wb.xlsx.writeFile(file);
}

export const templateFileName = (kind: SheetKind | 'all') => (kind === 'all' ? '名单模板.xlsx' : `${SHEETS[kind].title}模板.xlsx`);
