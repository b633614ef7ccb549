import { ROLE_LABELS, type Role } from '../domain/campaign.js';
import { formatLocal } from '../domain/time.js';
import type { ActiveCampaign } from '../db/repos.js';
import type { Db } from '../db/index.js';
import {
  dormCheckSheet,
  dormRecordSheet,
  ledgerSheet,
  outreachSheet,
  questionnaireSheet,
  studentDaySheet,
  suggestionSheet,
  visitSheet,
  writingSheet,
  zoneReportSheet,
  type FormSheet,
  type PhotoRef,
} from './forms.js';
import { loadExportData, type ExportData, type ExportScope } from './load.js';
import { photoCell, planPhotos, writePhotoZip } from './photos.js';
import { classSheet, quotaColumns } from './quotas.js';
import { streamingWorkbook, writeFormPages, writeSheet, type CellValue, type Column, type SheetSpec } from './sheet.js';
import { byDepartment, combined, COUNT_HEADERS, countCells, peopleOf, quotaTable, tallies, type QuotaStatus } from './summary.js';

/**
 * The two workbooks: the school's own archive (every form's records, with the
 * family details its visitors wrote down, for the branch's files) and the
 * district roll-up (counts per school and department, nothing about anyone).
 */

export interface Written {
  /** Data rows written, by sheet name. */
  rowCounts: Record<string, number>;
}

export interface SchoolWritten extends Written {
  /** Photos put in the zip (0: no zip was written). */
  photos: number;
  /** Photos known to the database but missing on disk. */
  missingPhotos: number;
}

const rangeText = (c: ActiveCampaign, from?: string, to?: string) => `${from ?? c.def.window.start} 至 ${to ?? c.def.window.end}`;

function summarySheets(data: ExportData, quotaStatus: QuotaStatus): FormSheet[] {
  const list = peopleOf(data);
  const t = tallies(data);
  const quotas = quotaTable(list, quotaStatus);
  const counts: Column[] = COUNT_HEADERS.map((h) => ({ header: h, kind: 'number' }));
  const teachers: FormSheet = {
    key: 'by-teacher',
    name: '汇总（教师）',
    title: '走访活动完成情况汇总（按教师）',
    landscape: true,
    columns: [{ header: '姓名' }, { header: '部门' }, { header: '角色' }, ...counts, ...quotas.headers.map((h) => ({ header: h }))],
    rows: list.map((p) => [
      p.name,
      p.department ?? '',
      p.roles.map((r) => ROLE_LABELS[r as Role] ?? r).join('、'),
      ...countCells(t.get(p.id)!),
      ...quotas.headers.map((h) => quotas.cells.get(p.id)?.get(h)?.value ?? ''),
    ]),
  };
  const groups = byDepartment(list, t);
  const departments: FormSheet = {
    key: 'by-department',
    name: '汇总（部门）',
    title: '走访活动完成情况汇总（按部门）',
    landscape: true,
    columns: [
      { header: '部门' },
      { header: '人数', kind: 'number' },
      ...counts,
      ...quotas.headers.map((h) => ({ header: `${h} 达标人数`, kind: 'number' as const })),
    ],
    rows: groups.map((g) => [
      g.department,
      g.members.length,
      ...countCells(g.tally),
      ...quotas.headers.map((h) => g.members.filter((p) => quotas.cells.get(p.id)?.get(h)?.met).length),
    ]),
  };
  return [teachers, departments];
}

/** The form sheets a campaign has: those whose task is on, and any other that has rows (a task switched off later). */
function formSheets(data: ExportData, photoRef: PhotoRef): FormSheet[] {
  const { def } = data.scope.campaign;
  const visits = def.tasks.visits.enabled;
  const daZoufang = def.tasks.visits.recordForm === 'da-zoufang';
  const candidates: Array<[boolean, FormSheet]> = [
    [def.tasks.dormRecord.enabled, dormRecordSheet(data, photoRef)],
    [def.tasks.dormCheck.enabled, dormCheckSheet(data, photoRef)],
    [def.zoneReport.enabled, zoneReportSheet(data)],
    [def.tasks.studentDay.enabled, studentDaySheet(data, photoRef)],
    // Seed 002's own record takes every visit, so it has no 附件五 (nor 附件四); elsewhere 附件五 has the visits about students.
    ...(daZoufang
      ? []
      : ([
          [visits && def.targetKinds.some((k) => k.student) && def.questionnaire.length > 0, questionnaireSheet(data)],
          [visits && def.targetKinds.some((k) => k.student), visitSheet(data, photoRef)],
        ] as Array<[boolean, FormSheet]>)),
    [visits && (daZoufang || def.targetKinds.some((k) => !k.student)), outreachSheet(data, photoRef)],
    [def.tasks.ledger.enabled, ledgerSheet(data)],
    [def.tasks.suggestions.enabled, suggestionSheet(data)],
    [def.tasks.reflection.enabled, writingSheet(data, 'reflection')],
    [def.tasks.story.enabled, writingSheet(data, 'story')],
  ];
  return candidates.filter(([on, s]) => on || s.rows.length > 0).map(([, s]) => s);
}

async function writeWorkbook(file: string, sheets: SheetSpec[]): Promise<Written> {
  const wb = await streamingWorkbook(file);
  const rowCounts: Record<string, number> = {};
  for (const s of sheets) {
    if (s.perRecordForm && s.rows.length) {
      // The table is for sorting and counting; the sheet after it prints each record as its paper form.
      const pages = `${s.name}（打印）`;
      await writeSheet(wb, { ...s, subtitle: `${s.subtitle} · 逐份打印见「${pages}」` });
      await writeFormPages(wb, s, pages);
    } else {
      await writeSheet(wb, s);
    }
    rowCounts[s.name] = s.rows.length;
  }
  await wb.commit();
  return { rowCounts };
}

export interface SchoolExportOptions {
  workbookFile: string;
  /** Written only when there are photos. */
  zipFile: string;
  photoDir: string;
  now: Date;
}

export async function writeSchoolExport(db: Db, scope: ExportScope, o: SchoolExportOptions): Promise<SchoolWritten> {
  const data = loadExportData(db, scope, o.now);
  const { def } = scope.campaign;
  const plan = planPhotos(data, o.photoDir);
  const subtitle = [
    def.name,
    rangeText(scope.campaign, scope.from, scope.to),
    scope.teacher ? `教师：${scope.teacher.name}` : '',
    plan.entries.length ? '照片见同名 .photos.zip（“照片”一列为其中的文件夹）' : '',
    `导出于 ${formatLocal(o.now, def.timezone)}`,
  ]
    .filter(Boolean)
    .join(' · ');
  const quotaStatus = await quotaColumns(db, scope.campaign, { from: scope.from, to: scope.to }, o.now);
  const classes = await classSheet(db, scope.campaign, o.now);
  const sheets = [...summarySheets(data, quotaStatus), ...(classes ? [classes] : []), ...formSheets(data, photoCell(plan))].map((s) => ({ ...s, subtitle }));
  const written = await writeWorkbook(o.workbookFile, sheets);
  if (plan.entries.length) await writePhotoZip(plan, o.zipFile);
  return { ...written, photos: plan.entries.length, missingPhotos: plan.missing };
}

/**
 * The district office's roll-up: per school (campaign) and per department,
 * counts only. Nobody is named, so it may leave the school.
 */
export async function writeDistrictExport(db: Db, campaigns: ActiveCampaign[], o: { file: string; from?: string; to?: string; now: Date }): Promise<Written> {
  const schools: CellValue[][] = [];
  const departments: CellValue[][] = [];
  for (const campaign of campaigns) {
    const data = loadExportData(db, { campaign, from: o.from, to: o.to }, o.now);
    const list = peopleOf(data);
    const t = tallies(data);
    schools.push([campaign.def.name, rangeText(campaign, o.from, o.to), list.length, ...countCells(combined(list, t))]);
    for (const g of byDepartment(list, t)) departments.push([campaign.def.name, g.department, g.members.length, ...countCells(g.tally)]);
  }
  const counts: Column[] = COUNT_HEADERS.map((h) => ({ header: h, kind: 'number' }));
  const subtitle = `${campaigns.length} 个活动 · 仅含计数，不含任何学生或家庭信息 · 导出于 ${formatLocal(o.now, campaigns[0]?.def.timezone ?? 'Asia/Shanghai')}`;
  return writeWorkbook(o.file, [
    {
      name: '各校汇总',
      title: '走访活动完成情况汇总（按学校）',
      subtitle,
      landscape: true,
      columns: [{ header: '学校（活动）' }, { header: '统计范围' }, { header: '人数', kind: 'number' }, ...counts],
      rows: schools,
    },
    {
      name: '各部门汇总',
      title: '走访活动完成情况汇总（按部门）',
      subtitle,
      landscape: true,
      columns: [{ header: '学校（活动）' }, { header: '部门' }, { header: '人数', kind: 'number' }, ...counts],
      rows: departments,
    },
  ]);
}
