/**
 * The roster spreadsheets: one sheet per kind, with Chinese headers (English
 * accepted too). Each column says what it holds and gives a sample, which the
 * templates print, so the file a school fills in documents itself.
 */

export const SHEET_KINDS = ['classes', 'members', 'dorms', 'zones', 'targets'] as const;
export type SheetKind = (typeof SHEET_KINDS)[number];

export interface ColumnSpec {
  key: string;
  header: string;
  /** Other headers accepted for the column (English, common variants). */
  aliases: string[];
  required: boolean;
  doc: string;
  /**
   * The longest text the cell may hold, in characters. Every stored text has
   * one: a cell pasted from somewhere else (a 10,000-character name) is refused
   * at import rather than breaking every card and digest that shows it later.
   */
  maxLength: number;
}

export interface SheetSpec {
  kind: SheetKind;
  title: string;
  aliases: string[];
  doc: string;
  columns: ColumnSpec[];
}

const col = (key: string, header: string, aliases: string[], required: boolean, doc: string, maxLength: number): ColumnSpec => ({
  key,
  header,
  aliases,
  required,
  doc,
  maxLength,
});

/** Lists inside a cell are separated by 、 (or a comma, semicolon or new line). */
export const LIST_SEPARATOR = '、';

export const SHEETS: Record<SheetKind, SheetSpec> = {
  classes: {
    kind: 'classes',
    title: '班级',
    aliases: ['classes', 'class'],
    doc: '每行一个班级。其他表中出现的班级必须先在这里登记。',
    columns: [
      col('name', '班级', ['class', 'name', '班级名称'], true, '班级全称，如 2024级机电1班', 40),
      col('grade', '年级', ['grade'], false, '1、2、3……（一年级填 1）', 4),
      col('studentCount', '学生人数', ['students', 'student count'], false, '整数', 6),
      col('interning', '是否实习', ['interning', 'internship'], false, '是 / 否：整班在企业实习（三年级）', 4),
    ],
  },
  members: {
    kind: 'members',
    title: '成员',
    aliases: ['members', 'people', '人员', '名单'],
    doc: '每行一位教师或干部。手机号和邮箱至少填一项，用于匹配飞书账号。已登记的人再次导入时，留空的单元格保留原值。',
    columns: [
      col('name', '姓名', ['name'], true, '真实姓名', 30),
      col('mobile', '手机号', ['mobile', 'phone', '手机'], false, '11 位手机号；境外号码写 +区号', 20),
      col('email', '邮箱', ['email', 'e-mail'], false, '飞书登录邮箱', 100),
      col('roles', '角色', ['roles', 'role'], false, '管理员、党员干部、党员教师、教师、班主任、部门领导、推荐人，可填多个，用 、 分隔', 100),
      col('department', '部门', ['department', 'dept'], false, '所在部门，如 学生处 / 校长室', 40),
      col('classesTaught', '任教班级', ['classes taught', 'teaches'], false, '可填多个，用 、 分隔', 600),
      col('classLed', '班主任班级', ['class led', 'head teacher of'], false, '担任班主任的班级', 40),
      col('classDeputy', '副班主任班级', ['deputy of', 'class deputy'], false, '担任副班主任的班级', 40),
    ],
  },
  dorms: {
    kind: 'dorms',
    title: '宿舍',
    aliases: ['dorms', 'dorm', 'dormitories'],
    doc: '每行一间宿舍（附件一）。楼栋必须是活动配置中的楼栋。',
    columns: [
      col('building', '楼栋', ['building'], true, '如 7号楼', 20),
      col('room', '房号', ['room'], true, '如 301；请把该列设为文本格式，避免 Excel 把 3-01 变成日期', 20),
      col('headName', '宿舍长', ['dorm head', 'head'], false, '宿舍长姓名', 30),
      col('headClass', '宿舍长班级', ['head class'], false, '宿舍长所在班级', 40),
      col('headcount', '宿舍人数', ['headcount', 'residents'], false, '整数', 4),
      col('members', '宿舍成员', ['members'], false, '姓名（班级），用 、 分隔，如 张三（2024级机电1班）、李四（2024级机电1班）', 1000),
      col('teachers', '关爱教师', ['teachers', 'caring teachers'], false, '党员教师姓名，多位用 、 分隔；重名时写手机号', 300),
    ],
  },
  zones: {
    kind: 'zones',
    title: '责任区',
    aliases: ['zones', 'zone', '环境责任区'],
    doc: '每行一个环境责任区（附件二）。',
    columns: [
      col('name', '责任区', ['zone', 'name'], true, '责任区名称，如 教学楼A栋一至三楼', 60),
      col('owner', '责任人', ['owner', 'cadre'], false, '党员干部姓名；重名时写手机号', 60),
      col('linkedClass', '联系班级', ['linked class', 'class'], false, '每周巡查帮扶的班级', 40),
    ],
  },
  targets: {
    kind: 'targets',
    title: '走访对象',
    aliases: ['targets', 'target', '对象'],
    doc: '每行一个走访对象。学生类对象须填班级；实习学生须填实习企业。家庭信息只有走访教师和管理员可见。',
    columns: [
      col('kind', '对象类型', ['kind', 'type'], true, '活动配置中的对象类型，如 学生家庭 / 实习企业 / 家委会成员', 20),
      col('name', '姓名', ['name', '学生姓名', '对象姓名'], true, '学生或对象本人的姓名', 30),
      col('className', '班级', ['class'], false, '学生类对象必填', 40),
      col('parentName', '家长姓名', ['parent'], false, '', 30),
      col('phone', '联系电话', ['phone', 'mobile', '电话'], false, '手机或座机', 40),
      col('address', '家庭住址', ['address', '住址'], false, '', 200),
      col('enterprise', '实习企业', ['enterprise', 'company'], false, '实习学生必填', 80),
      col('category', '类别', ['category'], false, '如 送教上门 / 送奖上门 / 送爱上门', 20),
      col('subKind', '细类', ['sub-kind', 'subkind', '具体情形'], false, '类别下的具体情形，如 留守学生', 40),
      col('reason', '情况说明', ['reason', '原因'], false, '为何列为走访对象（保密，只有走访教师和管理员可见）', 500),
      col('note', '备注', ['note', 'remarks'], false, '', 500),
      col('visitor', '走访教师', ['visitor', 'teacher'], false, '已确定的走访教师（可空，由党员教师在飞书中认领）', 60),
    ],
  },
};

/** A sheet's rows as the school typed them: cell text by column key, with where each came from. */
export interface RosterRow {
  /** 1-based row number in the sheet (the header is row 1 unless preceded by notes). */
  rowNo: number;
  values: Record<string, string>;
  /** Cell references by column key, e.g. { mobile: 'B' }. */
  columns: Record<string, string>;
  /** Columns whose cell Excel stored as a date (a room "3-01" turned into 1 March). */
  dateCells?: Record<string, string>;
}

export interface RosterSheet {
  file: string;
  sheet: string;
  kind: SheetKind;
  rows: RosterRow[];
}

/** A row with every column of its sheet present, in sheet order, empty where the secretary left the cell blank. */
export const completeRow = (kind: SheetKind, values: Record<string, string>): Record<string, string> =>
  Object.fromEntries(SHEETS[kind].columns.map((c) => [c.key, values[c.key] ?? '']));

/** Rows typed in code (the demo generator, tests) rather than read from a file. */
export function sheetFromValues(kind: SheetKind, rows: Array<Record<string, string>>, file = '(generated)'): RosterSheet {
  const letters = Object.fromEntries(SHEETS[kind].columns.map((c, i) => [c.key, String.fromCharCode(65 + i)]));
  return { file, sheet: SHEETS[kind].title, kind, rows: rows.map((values, i) => ({ rowNo: i + 2, values, columns: letters })) };
}
