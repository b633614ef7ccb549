import type { CampaignDefinition } from '../domain/campaign.js';
import { dueOf, daysToClose } from '../domain/ledger.js';
import { localDate } from '../domain/time.js';
import { termPeriods } from '../domain/periods.js';
import { formatLocal } from '../domain/time.js';
import { localLabel } from '../domain/weeks.js';
import type { LedgerRaiser, RecordForm, RecordRow, Target } from '../db/schema.js';
import { SOURCE_LABELS, STATUS_LABELS } from '../features/ledger/cards.js';
import { questionnaireFields, VISIT_MODES, VISIT_PLACES, VISIT_RECORD_LABELS } from '../features/forms/visit.js';
import { DORM_RECORD_FIELDS, PAST_STATE } from '../features/forms/dorm.js';
import { OTHER_EXPERIENCE, STUDENT_DAY_FIELDS } from '../features/forms/personal.js';
import { categoryName, kindName } from '../domain/targets.js';
import { ZONE_REPORT_FIELDS } from '../features/forms/zone.js';
import { YES_NO, type Fields, type FormData, type Option } from '../records/fields.js';
import { holderKey, type ExportData } from './load.js';
import { localDateTime, localDay, type CellValue, type Column, type SheetSpec } from './sheet.js';
import { byChinese } from '../domain/quotas.js';

/**
 * Each paper form as a sheet, its columns in the paper's order (附件一 … 附件六
 * of seed 000, the visit record of seed 002), headed with the labels the cards
 * use. The tests open every card and hold its labels against these headers.
 */

export type FormSheet = Omit<SheetSpec, 'subtitle'> & { key: string };

/** Where a record's photos are in the zip, or '' without photos. */
export type PhotoRef = (r: RecordRow) => string;

/** The Chinese part of a bilingual option label: 上门走访 In person → 上门走访. */
export const chinese = (label: string) => label.replace(/\s*[A-Za-z][A-Za-z ,.'’()/-]*$/, '').trim() || label;

const optionText = (options: readonly Option[], v: unknown) => chinese(options.find((o) => o.value === v)?.label ?? String(v ?? ''));

const HYGIENE: Option[] = [
  { value: 'good', label: '好' },
  { value: 'fair', label: '一般' },
  { value: 'poor', label: '差' },
];
const YES: Option[] = [
  { value: 'yes', label: '是' },
  { value: 'no', label: '否' },
];
const TO_LEDGER: Option[] = [
  { value: 'yes', label: '列入台账跟进' },
  { value: 'no', label: '已当场解决' },
];
const FOLLOW_UPS: Option[] = [
  { value: 'none', label: '无需跟进' },
  { value: 'leader', label: '报告领导' },
  { value: 'action', label: '需要学校处理（列入台账）' },
];
const RAISERS: Record<LedgerRaiser, string> = { parent: '家长', enterprise: '企业', teacher: '教师', student: '学生' };

const str = (v: unknown) => (v === null || v === undefined ? '' : String(v));
const col = (header: string, kind: Column['kind'] = 'text', field?: string): Column => ({ header, kind, ...(field ? { field } : {}) });

/** A column headed as the card labels its field, so the card, the sheet and the paper say the same. */
const fieldCol = (fields: Fields, name: string, kind: Column['kind'] = 'long') => col(fields.find((f) => f.name === name)!.label, kind, name);

/** The parts of one paper cell (附件一's 过去状况), in one column as on paper: each part filled on its line, "环境：…". */
const cellText = (fields: Fields, cell: string, data: FormData) =>
  fields
    .filter((f) => f.cell === cell)
    .flatMap((f) => {
      const v = f.display(data[f.name] as never);
      return v ? [`${f.label}：${v}`] : [];
    })
    .join('\n');

/** The shared tail of every record row: when it was filed, whether late, its version, its photos. */
const FILED_COLUMNS = [col('提交时间', 'datetime'), col('补交'), col('版本', 'number'), col('照片', 'long')];

function filed(r: RecordRow, tz: string, photoRef: PhotoRef): CellValue[] {
  return [localDateTime(r.submittedAt, tz), r.late ? '补交' : '', r.revision, photoRef(r)];
}

function names(data: ExportData, ids: number[]): string {
  return ids.map((id) => data.people.get(id)?.name ?? `#${id}`).join('、');
}

const person = (data: ExportData, id: number | null | undefined) => (id ? (data.people.get(id)?.name ?? `#${id}`) : '');
const department = (data: ExportData, id: number) => data.people.get(id)?.department ?? '';
const ofForm = (data: ExportData, form: RecordForm) => data.records.filter((r) => r.form === form);
const room = (data: ExportData, id: number) => {
  const d = data.dorms.get(id);
  return d ? `${d.building}${d.room}` : `#${id}`;
};
const termLabel = (def: CampaignDefinition, key: string | null) => {
  const t = termPeriods(def).find((p) => p.key === key);
  return t ? `${t.label}（${t.start} 至 ${t.end}）` : str(key);
};

// ---- 附件一 and the weekly checklist

export function dormRecordSheet(data: ExportData, photoRef: PhotoRef): FormSheet {
  const { def } = data.scope.campaign;
  return {
    key: 'dorm-record',
    name: '附件一 宿舍记录',
    title: '附件一 关爱一间宿舍情况记录表',
    landscape: true,
    perRecordForm: true,
    columns: [
      col('关爱教师'),
      col('关爱时间段'),
      col('宿舍'),
      fieldCol(DORM_RECORD_FIELDS, 'headName', 'text'),
      fieldCol(DORM_RECORD_FIELDS, 'headClass', 'text'),
      fieldCol(DORM_RECORD_FIELDS, 'headcount', 'number'),
      fieldCol(DORM_RECORD_FIELDS, 'members'),
      col(PAST_STATE, 'long'),
      fieldCol(DORM_RECORD_FIELDS, 'suggestions'),
      fieldCol(DORM_RECORD_FIELDS, 'presentState'),
      col('填写人'),
      ...FILED_COLUMNS,
    ],
    rows: ofForm(data, 'dorm-record').map((r) => [
      names(data, data.holders.get(holderKey('dorm', r.subjectId)) ?? [r.authorId]),
      termLabel(def, r.periodKey),
      room(data, r.subjectId),
      str(r.data.headName),
      str(r.data.headClass),
      typeof r.data.headcount === 'number' ? r.data.headcount : null,
      str(r.data.members),
      cellText(DORM_RECORD_FIELDS, PAST_STATE, r.data),
      str(r.data.suggestions),
      str(r.data.presentState),
      person(data, r.authorId),
      ...filed(r, def.timezone, photoRef),
    ]),
  };
}

export function dormCheckSheet(data: ExportData, photoRef: PhotoRef): FormSheet {
  const { def } = data.scope.campaign;
  return {
    key: 'dorm-check',
    name: '宿舍检查',
    title: '关爱一间宿舍 · 宿舍关爱检查记录',
    landscape: true,
    columns: [
      col('宿舍'),
      col('检查日期', 'date', 'checkedOn'),
      col('检查教师'),
      col('卫生情况', 'text', 'hygiene'),
      col('吸烟情况', 'text', 'smoking'),
      col('违规用电', 'text', 'electricity'),
      col('财产损坏', 'text', 'property'),
      col('安全隐患', 'text', 'safety'),
      col('分享励志故事', 'text', 'storyShared'),
      col('情况说明', 'long', 'notes'),
      col('发现的问题', 'text', 'toLedger'),
      ...FILED_COLUMNS,
    ],
    rows: ofForm(data, 'dorm-check')
      .sort((a, b) => byChinese(room(data, a.subjectId), room(data, b.subjectId)) || a.occurredOn.localeCompare(b.occurredOn))
      .map((r) => [
        room(data, r.subjectId),
        localDay(r.occurredOn),
        person(data, r.authorId),
        optionText(HYGIENE, r.data.hygiene),
        ...(['smoking', 'electricity', 'property', 'safety'] as const).map((k) => optionText(YES_NO, r.data[k])),
        optionText(YES, r.data.storyShared),
        str(r.data.notes),
        r.data.toLedger ? optionText(TO_LEDGER, r.data.toLedger) : '',
        ...filed(r, def.timezone, photoRef),
      ]),
  };
}

// ---- 附件二

export function zoneReportSheet(data: ExportData): FormSheet {
  const { def } = data.scope.campaign;
  const tz = def.timezone;
  const weeks = new Map(data.weeks.map((w) => [w.weekNo, w]));
  return {
    key: 'zone-report',
    name: '附件二 责任区报表',
    title: '附件二 党员干部环境责任区报表',
    landscape: true,
    perRecordForm: true,
    columns: [
      col('时间'),
      col('党员干部'),
      col('环境责任区'),
      col('联系班级'),
      ...ZONE_REPORT_FIELDS.map((f) => col(f.label, 'long', f.name)),
      col('提交时间', 'datetime'),
      col('补交'),
      col('版本', 'number'),
    ],
    rows: data.zoneReports.map((r) => {
      const zone = data.zones.get(r.zoneId);
      const week = weeks.get(r.weekNo)!;
      return [
        localLabel(week, tz),
        person(data, r.authorId),
        zone?.name ?? `#${r.zoneId}`,
        zone?.linkedClass ?? '',
        ...ZONE_REPORT_FIELDS.map((f) => f.display(r.data[f.name] as string | undefined)),
        localDateTime(r.submittedAt, tz),
        r.late ? '补交' : '',
        r.revision,
      ];
    }),
  };
}

// ---- 附件三

export function studentDaySheet(data: ExportData, photoRef: PhotoRef): FormSheet {
  const { def } = data.scope.campaign;
  return {
    key: 'student-day',
    name: '附件三 做一天学生',
    title: '附件三 做一天中职学生情况记录表',
    landscape: true,
    perRecordForm: true,
    columns: [
      col('教师'),
      col('部门'),
      col('体验日期', 'date', 'dayOn'),
      ...['hygieneDuty', 'morningExercise', 'lunch'].map((name) => fieldCol(STUDENT_DAY_FIELDS, name)),
      col(OTHER_EXPERIENCE, 'long'),
      fieldCol(STUDENT_DAY_FIELDS, 'problems'),
      fieldCol(STUDENT_DAY_FIELDS, 'issues'),
      ...FILED_COLUMNS,
    ],
    rows: ofForm(data, 'student-day').map((r) => [
      person(data, r.authorId),
      department(data, r.authorId),
      localDay(r.occurredOn),
      str(r.data.hygieneDuty),
      str(r.data.morningExercise),
      str(r.data.lunch),
      cellText(STUDENT_DAY_FIELDS, OTHER_EXPERIENCE, r.data),
      str(r.data.problems),
      str(r.data.issues),
      ...filed(r, def.timezone, photoRef),
    ]),
  };
}

// ---- 附件五 (and 附件四's answers) and seed 002's visit record

const isStudentTarget = (def: CampaignDefinition, t: Target | undefined) => !!t && !!def.targetKinds.find((k) => k.key === t.kind)?.student;

function visitColumnsAfterContent(): Column[] {
  return [
    col('后续跟进', 'text', 'followUp'),
    col('报告给哪位领导', 'text', 'leader'),
    col('跟进事项', 'long', 'followUpNote'),
    col('未收受家长（企业）礼品礼金', 'text', 'noGifts'),
    col('列入台账', 'number'),
  ];
}

function visitCellsAfterContent(data: ExportData, r: RecordRow): CellValue[] {
  return [
    optionText(FOLLOW_UPS, r.data.followUp),
    person(data, Number(r.data.leader) || null),
    str(r.data.followUpNote),
    r.data.noGifts ? '已确认' : '',
    data.ledgerFrom.get(r.id) ?? 0,
  ];
}

/** Each visit's who, when and how: the head of both visit sheets. */
function visitHead(data: ExportData, r: RecordRow): CellValue[] {
  const v = data.visitors.get(r.id)!;
  return [
    person(data, v.authorId),
    names(data, v.coVisitorIds),
    localDay(r.occurredOn),
    optionText(VISIT_MODES, r.data.mode),
    optionText(VISIT_PLACES, r.data.place),
  ];
}

export function visitSheet(data: ExportData, photoRef: PhotoRef): FormSheet {
  const { def } = data.scope.campaign;
  const visits = ofForm(data, 'visit').filter((r) => isStudentTarget(def, data.targets.get(r.subjectId)));
  return {
    key: 'visit',
    name: '附件五 走访记录',
    title: '附件五 “百名党员干部带领千名党员教师走访万名学生家长”情况记录表',
    landscape: true,
    perRecordForm: true,
    columns: [
      col('家访教师'),
      col('同行教师', 'text', 'coVisitors'),
      col('走访日期', 'date', 'visitedOn'),
      col('走访方式', 'text', 'mode'),
      col('走访地点', 'text', 'place'),
      col('学生姓名'),
      col('班级'),
      col('对象类别'),
      col('家长姓名'),
      col('联系电话'),
      col('家庭住址（实习企业）', 'long'),
      ...(['summary', 'situation', 'purpose', 'content', 'reflection'] as const).map((name) => col(VISIT_RECORD_LABELS[name], 'long', name)),
      col('家长（企业）意见和建议', 'long', 'opinions'),
      ...visitColumnsAfterContent(),
      ...FILED_COLUMNS,
    ],
    rows: visits.map((r) => {
      const t = data.targets.get(r.subjectId)!;
      return [
        ...visitHead(data, r),
        t.name,
        t.className ?? '',
        [categoryName(def, t.category), t.subKind].filter(Boolean).join(' · ') || kindName(def, t.kind),
        t.parentName ?? '',
        t.phone ?? '',
        t.enterprise ? `${t.enterprise}（实习企业）` : (t.address ?? ''),
        str(r.data.summary),
        str(r.data.situation),
        str(r.data.purpose),
        str(r.data.content),
        str(r.data.reflection),
        str(r.data.opinions),
        ...visitCellsAfterContent(data, r),
        ...filed(r, def.timezone, photoRef),
      ];
    }),
  };
}

/**
 * 附件四: the questionnaires the parents filled, one row per visit that has one
 * (a visit to an intern at the enterprise has none), each question headed as
 * the card asks it. A table to count and compare answers, not pages to print.
 */
export function questionnaireSheet(data: ExportData): FormSheet {
  const { def } = data.scope.campaign;
  const questions = questionnaireFields(def);
  const answered = (r: RecordRow) => questions.some((q) => q.display(r.data[q.name] as never) !== '');
  const visits = ofForm(data, 'visit').filter((r) => isStudentTarget(def, data.targets.get(r.subjectId)) && answered(r));
  return {
    key: 'questionnaire',
    name: '附件四 走访问卷',
    title: '附件四 走访问卷调查',
    landscape: true,
    columns: [
      col('家访教师'),
      col('走访日期', 'date', 'visitedOn'),
      col('走访地点', 'text', 'place'),
      col('学生姓名'),
      col('班级'),
      col('家长姓名'),
      ...questions.map((q) => col(q.label, 'long', q.name)),
      col('提交时间', 'datetime'),
    ],
    rows: visits.map((r) => {
      const t = data.targets.get(r.subjectId)!;
      return [
        person(data, data.visitors.get(r.id)!.authorId),
        localDay(r.occurredOn),
        optionText(VISIT_PLACES, r.data.place),
        t.name,
        t.className ?? '',
        t.parentName ?? '',
        ...questions.map((q) => q.display(r.data[q.name] as never)),
        localDateTime(r.submittedAt, def.timezone),
      ];
    }),
  };
}

/**
 * Seed 002's 大走访情况记录表, headed as its card: every visit where the campaign's record is that
 * form (家访 too, with the campaign's own questions), else the visits to people other than students.
 * 对象概况 holds what a campaign on 附件五 wrote about such a person.
 */
export function outreachSheet(data: ExportData, photoRef: PhotoRef): FormSheet {
  const { def } = data.scope.campaign;
  const all = def.tasks.visits.recordForm === 'da-zoufang';
  const questions = all ? questionnaireFields(def) : [];
  const visits = ofForm(data, 'visit').filter((r) => all || !isStudentTarget(def, data.targets.get(r.subjectId)));
  return {
    key: 'outreach',
    name: '大走访记录',
    title: '“三大一实干”活动之大走访情况记录表',
    landscape: true,
    perRecordForm: true,
    columns: [
      col('走访人'),
      col('协同走访', 'text', 'coVisitors'),
      col('走访时间', 'date', 'visitedOn'),
      col('走访形式', 'text', 'mode'),
      col('走访地点', 'text', 'place'),
      col('部门'),
      col('走访对象'),
      col('班级'),
      col('对象类型'),
      col('对象概况', 'long', 'summary'),
      col('走访目的', 'long', 'purpose'),
      col('对象情况', 'long', 'situation'),
      col('访问记录', 'long', 'content'),
      ...questions.map((q) => col(`问卷：${q.label}`, 'long', q.name)),
      col('意见建议', 'long', 'opinions'),
      col('事后整理', 'long', 'reflection'),
      ...visitColumnsAfterContent(),
      ...FILED_COLUMNS,
    ],
    rows: visits.map((r) => {
      const t = data.targets.get(r.subjectId);
      return [
        ...visitHead(data, r),
        department(data, r.authorId),
        t?.name ?? `#${r.subjectId}`,
        t?.className ?? '',
        t ? kindName(def, t.kind) : '',
        str(r.data.summary),
        str(r.data.purpose),
        str(r.data.situation),
        str(r.data.content),
        ...questions.map((q) => q.display(r.data[q.name] as never)),
        str(r.data.opinions),
        str(r.data.reflection),
        ...visitCellsAfterContent(data, r),
        ...filed(r, def.timezone, photoRef),
      ];
    }),
  };
}

// ---- 附件六

/** 附件六: one party member's items after another, each member starting a printed page. */
export function ledgerSheet(data: ExportData): FormSheet {
  const { def } = data.scope.campaign;
  const tz = def.timezone;
  const items = [...data.ledger].sort(
    (a, b) =>
      byChinese(person(data, a.ownerId), person(data, b.ownerId)) ||
      (a.ownerId ?? 0) - (b.ownerId ?? 0) ||
      a.createdAt.getTime() - b.createdAt.getTime() ||
      a.id - b.id,
  );
  const history = (itemId: number) =>
    (data.ledgerEvents.get(itemId) ?? [])
      .map((e) => {
        const step =
          e.kind === 'transferred'
            ? `转交 ${person(data, e.toOwnerId)}`
            : e.kind === 'assigned'
              ? `分派 ${person(data, e.toOwnerId)}`
              : e.toStatus
                ? STATUS_LABELS[e.toStatus]
                : '';
        const who = e.actorId ? person(data, e.actorId) : '系统';
        return `${formatLocal(e.at, tz, 'M/D HH:mm')} ${who}：${step}${e.note ? `（${e.note}）` : ''}`;
      })
      .join('\n');
  const breaks = items.flatMap((item, i) => (items[i + 1] && items[i + 1]!.ownerId !== item.ownerId ? [i] : []));
  return {
    key: 'ledger',
    name: '附件六 走访台账',
    title: '附件六 走访台账',
    landscape: true,
    columns: [
      col('党员干部姓名'),
      col('编号', 'number'),
      col('登记日期', 'date'),
      col('来源'),
      col('提出方'),
      col('事项', 'long'),
      col('状态'),
      col('期限', 'date'),
      col('处理过程', 'long'),
      col('解决情况', 'long'),
      col('销号日期', 'date'),
      col('用时（天）', 'number'),
    ],
    rows: items.map((i) => [
      person(data, i.ownerId),
      i.id,
      localDay(localDate(i.createdAt, tz)),
      SOURCE_LABELS[i.source],
      RAISERS[i.raisedBy],
      i.text,
      STATUS_LABELS[i.status],
      localDay(dueOf(i, tz)),
      history(i.id),
      i.resolution ?? '',
      i.closedAt ? localDay(localDate(i.closedAt, tz)) : null,
      daysToClose(i),
    ]),
    pageBreaksAfter: breaks,
  };
}

// ---- 献一计, 心得, 感人故事

export function suggestionSheet(data: ExportData): FormSheet {
  const { def } = data.scope.campaign;
  return {
    key: 'suggestion',
    name: '献一计',
    title: '“我为学校发展献一计”建议汇总',
    landscape: false,
    columns: [
      col('提出人'),
      col('部门'),
      col('日期', 'date'),
      col('方面', 'text', 'topic'),
      col('我的建议', 'long', 'content'),
      col('转入台账'),
      col('提交时间', 'datetime'),
    ],
    rows: ofForm(data, 'suggestion').map((r) => [
      person(data, r.authorId),
      department(data, r.authorId),
      localDay(r.occurredOn),
      str(r.data.topic),
      str(r.data.content),
      data.ledgerFrom.has(r.id) ? '是' : '',
      localDateTime(r.submittedAt, def.timezone),
    ]),
  };
}

export function writingSheet(data: ExportData, form: 'reflection' | 'story'): FormSheet {
  const { def } = data.scope.campaign;
  const what = form === 'reflection' ? '心得体会' : '感人故事';
  return {
    key: form,
    name: what,
    title: `期末走访汇报会 · ${what}`,
    landscape: false,
    perRecordForm: true,
    columns: [
      col('教师'),
      col('部门'),
      col('学期'),
      col('题目', 'text', 'title'),
      { header: '正文', kind: 'long', field: 'body' },
      col('提交时间', 'datetime'),
      col('补交'),
    ],
    rows: ofForm(data, form).map((r) => [
      person(data, r.authorId),
      department(data, r.authorId),
      termLabel(def, r.periodKey),
      str(r.data.title),
      // The card splits a long text over three boxes; on paper it is one text.
      [r.data.body, r.data.body2, r.data.body3].map(str).filter(Boolean).join('\n'),
      localDateTime(r.submittedAt, def.timezone),
      r.late ? '补交' : '',
    ]),
  };
}
