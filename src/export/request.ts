import fs from 'node:fs/promises';
import type { Db } from '../db/index.js';
import type { ActiveCampaign, PeopleRepo } from '../db/repos.js';
import type { ExportKind, Person } from '../db/schema.js';
import { formatLocal, parseTypedDay } from '../domain/time.js';
import { writeDistrictExport, writeSchoolExport } from './workbook.js';

/**
 * What an export is asked for, checked the same way from chat and from the
 * command line, and the files it produces.
 */

export interface ExportRequest {
  kind: ExportKind;
  /** School: the one campaign. District: every campaign rolled up (one, when named). */
  campaigns: ActiveCampaign[];
  from?: string;
  to?: string;
  teacher?: Person;
}

/** A request the asker must change; the message says how. */
export class ExportRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExportRequestError';
  }
}

/** `2026-11-01`, `2026/11/1`, `2026.11.1` → '2026-11-01'; null for what is not a date at all; a date that does not exist is an error. */
export function parseDay(text: string): string | null {
  const day = parseTypedDay(text);
  if (day === 'no-such-day') throw new ExportRequestError(`没有 ${text} 这一天。/ No such date: ${text}`);
  return day;
}

/** `2026-11`, `2026年11月` → that month's first and last days; null for anything else. */
export function parseMonth(text: string): [string, string] | null {
  const m = /^(\d{4})[-/.年](\d{1,2})月?$/.exec(text.trim());
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 12) return null;
  const first = `${m[1]}-${m[2]!.padStart(2, '0')}-01`;
  const last = new Date(Date.UTC(Number(m[1]), Number(m[2]), 0)).toISOString().slice(0, 10);
  return [first, last];
}

export function checkRange(from: string | undefined, to: string | undefined): void {
  if (from && to && from > to) throw new ExportRequestError(`开始日期 ${from} 晚于结束日期 ${to}。/ The start date is after the end date.`);
}

/** The one person of that name; two of the same name cannot be told apart by name, and the asker hears so. */
export async function teacherNamed(people: PeopleRepo, name: string): Promise<Person> {
  const found = await people.named(name.trim());
  if (!found.length) throw new ExportRequestError(`名单中没有“${name}”。/ Nobody named ${name} is on the roster.`);
  if (found.length > 1) throw new ExportRequestError(`名单中有 ${found.length} 位“${name}”，无法区分；请导出全部后筛选。/ Several people are named ${name}.`);
  return found[0]!;
}

/** In words, for replies and the CLI: 2026-11-01 至 2026-11-30 · 张伟. */
export function describeRequest(r: ExportRequest): string {
  const c = r.campaigns.length === 1 ? r.campaigns[0]! : undefined;
  const range = r.from || r.to ? `${r.from ?? c?.def.window.start ?? '开始'} 至 ${r.to ?? c?.def.window.end ?? '现在'}` : '全部时间';
  const what = r.kind === 'district' ? '区县汇总（仅计数）' : c?.def.name;
  return [what, range, r.teacher ? `教师 ${r.teacher.name}` : ''].filter(Boolean).join(' · ');
}

/** 走访存档-测试学校微行动-20261101-20261130-张伟-20261201.xlsx: what and when, safe as a file name anywhere. */
export function exportFileName(r: ExportRequest, now: Date): string {
  const tz = r.campaigns[0]?.def.timezone ?? 'Asia/Shanghai';
  const compact = (d: string | undefined) => d?.replaceAll('-', '');
  const parts = [
    r.kind === 'district' ? '走访汇总-区县' : '走访存档',
    r.kind === 'school' ? r.campaigns[0]?.def.name : '',
    r.from || r.to ? `${compact(r.from) ?? ''}-${compact(r.to) ?? ''}` : '',
    r.teacher?.name,
    formatLocal(now, tz, 'YYYYMMDD-HHmm'),
  ];
  return `${parts
    .filter(Boolean)
    .join('-')
    .replace(/[\\/:*?"<>|“”\s]/g, '')}.xlsx`;
}

/** The photo zip that goes beside a workbook: 文件.xlsx → 文件.photos.zip. */
export const zipBeside = (workbook: string) => `${workbook.replace(/\.xlsx$/i, '')}.photos.zip`;

export interface ProducedFile {
  kind: 'workbook' | 'photos';
  path: string;
  bytes: number;
}

export interface Produced {
  files: ProducedFile[];
  rowCounts: Record<string, number>;
  photos: number;
  missingPhotos: number;
}

/** Writes the workbook (and, for a school export with photos, the zip beside it). */
export async function produceExport(db: Db, r: ExportRequest, o: { workbookFile: string; photoDir: string; now: Date }): Promise<Produced> {
  const zipFile = zipBeside(o.workbookFile);
  const size = async (path: string) => (await fs.stat(path)).size;
  if (r.kind === 'district') {
    const w = await writeDistrictExport(db, r.campaigns, { file: o.workbookFile, from: r.from, to: r.to, now: o.now });
    return { files: [{ kind: 'workbook', path: o.workbookFile, bytes: await size(o.workbookFile) }], rowCounts: w.rowCounts, photos: 0, missingPhotos: 0 };
  }
  const campaign = r.campaigns[0];
  if (!campaign) throw new ExportRequestError('没有可导出的活动。/ No campaign to export.');
  const w = await writeSchoolExport(
    db,
    { campaign, from: r.from, to: r.to, teacher: r.teacher },
    { workbookFile: o.workbookFile, zipFile, photoDir: o.photoDir, now: o.now },
  );
  const files: ProducedFile[] = [{ kind: 'workbook', path: o.workbookFile, bytes: await size(o.workbookFile) }];
  if (w.photos) files.push({ kind: 'photos', path: zipFile, bytes: await size(zipFile) });
  return { files, rowCounts: w.rowCounts, photos: w.photos, missingPhotos: w.missingPhotos };
}

/** Rows per sheet in one line: 附件五 走访记录 12 行，附件六 走访台账 3 行 … */
export const rowCountsText = (rowCounts: Record<string, number>) =>
  Object.entries(rowCounts)
    .map(([sheet, n]) => `${sheet} ${n} 行`)
    .join('，');
