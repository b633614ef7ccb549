import ExcelJS from 'exceljs';
import { inZone } from '../domain/time.js';

/**
 * One printable sheet of the archive: the paper form's title above a frozen
 * header row, columns fitted to what they hold, long text wrapped, A4 with the
 * header repeated on every printed page. Written with exceljs's streaming
 * writer, so a term of ten thousand records never sits in memory as cells.
 */

/** How a column's values look and how wide it may grow. */
export type ColumnKind = 'text' | 'long' | 'date' | 'datetime' | 'number';

export interface Column {
  header: string;
  kind?: ColumnKind;
  /** The form field the column shows (the card's component name), so tests can hold the two together. */
  field?: string;
}

/** Dates are Excel dates already in local time (see localDay, localDateTime). */
export type CellValue = string | number | Date | null;

export interface SheetSpec {
  /** The tab's name (at most 31 characters). */
  name: string;
  /** The paper form's title, printed above the header: 附件五 走访情况记录表. */
  title: string;
  /** The line under the title: campaign, range, when exported. */
  subtitle: string;
  /** Wide forms print landscape. */
  landscape: boolean;
  columns: Column[];
  rows: CellValue[][];
  /** Row indexes after which a printed page ends (the ledger: one party member per page). */
  pageBreaksAfter?: number[];
}

/** The header is the third row: title, subtitle, header. */
export const HEADER_ROW = 3;

const LIMITS: Record<ColumnKind, { min: number; max: number }> = {
  text: { min: 6, max: 24 },
  long: { min: 24, max: 60 },
  date: { min: 12, max: 12 },
  datetime: { min: 17, max: 17 },
  number: { min: 6, max: 12 },
};

const FORMATS: Partial<Record<ColumnKind, string>> = { date: 'yyyy-mm-dd', datetime: 'yyyy-mm-dd hh:mm' };

/** Characters as Excel measures width: a Chinese character takes two. */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) w += /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/.test(ch) ? 2 : 1;
  return w;
}

function widthOf(c: Column, rows: CellValue[][], i: number): number {
  const { min, max } = LIMITS[c.kind ?? 'text'];
  let w = Math.max(...c.header.split('\n').map(displayWidth));
  for (const r of rows) {
    const v = r[i];
    if (typeof v === 'string') for (const line of v.split('\n')) w = Math.max(w, displayWidth(line));
    else if (typeof v === 'number') w = Math.max(w, String(v).length);
    if (w >= max) break;
  }
  return Math.min(max, Math.max(min, w + 2));
}

/** A local calendar date ('YYYY-MM-DD') as the Excel date that shows it. */
export const localDay = (date: string | null | undefined): Date | null =>
  date && /^\d{4}-\d{2}-\d{2}$/.test(date) ? new Date(`${date}T00:00:00Z`) : null;

/** An instant as the Excel date-time showing its wall-clock time in `tz` (Excel has no time zones). */
export const localDateTime = (at: Date | null | undefined, tz: string): Date | null =>
  at ? new Date(`${inZone(at, tz).format('YYYY-MM-DDTHH:mm:ss')}Z`) : null;

const thin = { style: 'thin' as const, color: { argb: 'FF999999' } };
const BORDER = { top: thin, left: thin, bottom: thin, right: thin };

/** Lets other work (the bot's events) run between chunks of a large sheet. */
const breathe = () => new Promise<void>((resolve) => setImmediate(resolve));

export async function writeSheet(wb: ExcelJS.stream.xlsx.WorkbookWriter, spec: SheetSpec): Promise<void> {
  const ws = wb.addWorksheet(spec.name, {
    views: [{ state: 'frozen', ySplit: HEADER_ROW, xSplit: 0 }],
    pageSetup: {
      paperSize: 9, // A4
      orientation: spec.landscape ? 'landscape' : 'portrait',
      fitToPage: true,
      fitToWidth: 1,
      fitToHeight: 0,
      printTitlesRow: `${HEADER_ROW}:${HEADER_ROW}`,
      margins: { left: 0.4, right: 0.4, top: 0.5, bottom: 0.6, header: 0.3, footer: 0.3 },
    },
    headerFooter: { oddFooter: `&C${spec.title} 第 &P 页，共 &N 页` },
  });
  ws.columns = spec.columns.map((c, i) => ({
    width: widthOf(c, spec.rows, i),
    style: {
      ...(FORMATS[c.kind ?? 'text'] ? { numFmt: FORMATS[c.kind ?? 'text'] } : {}),
      alignment: { vertical: 'top', wrapText: c.kind === 'long' || c.kind === 'text' },
    },
  }));
  const n = spec.columns.length;

  const title = ws.addRow([spec.title]);
  title.font = { bold: true, size: 16 };
  title.alignment = { horizontal: 'center', vertical: 'middle' };
  title.height = 28;
  ws.mergeCells(1, 1, 1, n);
  title.commit();
  const sub = ws.addRow([spec.subtitle]);
  sub.font = { size: 10, color: { argb: 'FF555555' } };
  sub.alignment = { horizontal: 'left', vertical: 'middle' };
  ws.mergeCells(2, 1, 2, n);
  sub.commit();

  const header = ws.addRow(spec.columns.map((c) => c.header));
  header.eachCell((cell) => {
    cell.font = { bold: true };
    cell.alignment = { horizontal: 'center', vertical: 'middle', wrapText: true };
    cell.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFEDEDED' } };
    cell.border = BORDER;
  });
  header.commit();

  const breaks = new Set(spec.pageBreaksAfter ?? []);
  for (let i = 0; i < spec.rows.length; i++) {
    const row = ws.addRow(spec.rows[i]!.map((v) => v ?? ''));
    for (let c = 1; c <= n; c++) row.getCell(c).border = BORDER;
    if (breaks.has(i) && i < spec.rows.length - 1) row.addPageBreak();
    row.commit();
    if (i % 500 === 499) await breathe();
  }
  ws.commit();
}

export function streamingWorkbook(file: string): ExcelJS.stream.xlsx.WorkbookWriter {
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: file, useStyles: true, useSharedStrings: true });
  wb.creator = '走访助手 Zoufang';
  return wb;
}
